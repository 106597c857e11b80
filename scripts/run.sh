#!/usr/bin/env bash
# Install the runtime dependencies and start the app (serve.py: app.py behind the cookie routes).
# Production by default (data/zibo.db, no demo data). This script runs the DEMO unless told otherwise:
# ZB_DEMO=1 (demo data set with published passwords, in its own file data/zibo-demo.db, loopback only).
# For production: ZB_DEMO=0 bash scripts/run.sh   (or: python3 -m streamlit run serve.py)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r requirements.txt
if [ "${ZB_DEMO:-1}" = "1" ]; then export ZB_DEMO=1; else unset ZB_DEMO; fi
exec python3 -m streamlit run serve.py "$@"
