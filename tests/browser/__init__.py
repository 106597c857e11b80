"""Real-browser tests (headless Chromium + Playwright); see conftest.py."""
