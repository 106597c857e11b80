#!/usr/bin/env bash
# A self-signed certificate for a trial (never for production): deploy/selfsigned.sh DIR [NAME]
# writes DIR/cert.pem and DIR/key.pem (0600) for NAME (default localhost) and 127.0.0.1, valid 30 days.
set -euo pipefail
dir=${1:?usage: selfsigned.sh DIR [NAME]}
name=${2:-localhost}
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$name" \
  -addext "subjectAltName=DNS:$name,IP:127.0.0.1" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 600 "$dir/key.pem"
echo "$dir/cert.pem $dir/key.pem"
