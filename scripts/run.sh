#!/usr/bin/env bash
# Install the runtime dependencies and start the app on its embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r requirements.txt
exec python3 -m streamlit run app.py "$@"
