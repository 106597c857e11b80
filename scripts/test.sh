#!/usr/bin/env bash
# Install what the tests need (Debian chromium + a CJK font, nginx, PostgreSQL, Python packages) and run them:
# the whole suite on SQLite, then every data-layer and page test again on PostgreSQL (a throwaway cluster).
# This is the README's test command; .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# nginx: tests/browser/test_proxy.py runs two app processes behind it (deploy/).
# postgresql: the second engine (a throwaway cluster on 127.0.0.1, started below, removed at the end).
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" \
   || ! { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 \
   || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei nginx openssl \
    postgresql >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt
python3 -m ruff check .

pgdir=$(mktemp -d /tmp/zibo-test-pg.XXXXXX)
trap 'bash scripts/pg_throwaway.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
eval "$(bash scripts/pg_throwaway.sh start "$pgdir")"   # exports ZB_TEST_DATABASE_URL

status=0
python3 -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "--- the data-layer and page tests again, on PostgreSQL ---"
python3 -m pytest -q -p no:cacheprovider --engine postgresql "$@" || status=$?
exit "$status"
