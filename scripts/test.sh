#!/usr/bin/env bash
# Install what the tests need (Debian chromium + a CJK font, Python packages) and run them.
# This is the README's test command; .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# nginx: tests/browser/test_proxy.py runs two app processes behind it (deploy/).
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" \
   || ! { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei nginx openssl >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt
python3 -m ruff check .
python3 -m pytest -q -p no:cacheprovider "$@"
