#!/usr/bin/env bash
# Two app processes behind nginx on this machine, for a trial: bash deploy/trial.sh
#   https://127.0.0.1:8443/  (self-signed certificate; demo data in a temp dir; loopback only)
# Ctrl-C stops everything. Ports: TRIAL_HTTPS_PORT (8443), TRIAL_PORTS ("8601 8602").
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nginx >/dev/null || { echo "nginx is not installed: apt-get install nginx" >&2; exit 1; }
https_port=${TRIAL_HTTPS_PORT:-8443}
read -r -a ports <<< "${TRIAL_PORTS:-8601 8602}"
dir=$(mktemp -d /tmp/zibo-trial.XXXXXX)
chmod 700 "$dir"
mkdir -m 700 "$dir/data"
bash deploy/selfsigned.sh "$dir/tls" localhost >/dev/null

export ZB_DEMO=1 ZB_DB_PATH="$dir/data/zibo-demo.db" ZB_COOKIE_SECURE=1 FORWARDED_ALLOW_IPS=127.0.0.1
STREAMLIT_SERVER_COOKIE_SECRET=$(python3 -c "import secrets; print(secrets.token_hex(32))")
export STREAMLIT_SERVER_COOKIE_SECRET
python3 -c "from startup import bootstrap; bootstrap.ensure_ready()"   # migrate once, before the processes start

pids=()
cleanup() {
  trap - EXIT INT TERM
  nginx -p "$dir" -c "$dir/nginx.conf" -s quit 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped; files left in $dir"
  exit 0
}
trap cleanup EXIT INT TERM

for port in "${ports[@]}"; do
  python3 -m streamlit run serve.py --server.address 127.0.0.1 --server.port "$port" \
    --server.headless true >"$dir/app-$port.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null || { echo "process on $port did not start; see $dir/app-$port.log" >&2; exit 1; }
done

python3 deploy/render_nginx.py --trial "$dir" --ports "$(IFS=,; echo "${ports[*]}")" --server-name localhost \
  --cert "$dir/tls/cert.pem" --key "$dir/tls/key.pem" --listen "127.0.0.1:$https_port ssl" --http-listen "" >/dev/null
nginx -p "$dir" -c "$dir/nginx.conf"
where="logs and database in $dir"
[ -n "${ZB_DATABASE_URL:-}" ] && where="logs in $dir; database: PostgreSQL (ZB_DATABASE_URL)"
echo "ready: https://127.0.0.1:$https_port/  (processes ${ports[*]}; $where; Ctrl-C stops)"
wait "${pids[@]}"
