"""Accounts: throttled password sign-in, the session cookie hand-off and role guards (auth); password hashing (passwords)."""
