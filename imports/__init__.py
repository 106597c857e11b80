"""Reading and checking files the bureau uploads (rosters)."""
