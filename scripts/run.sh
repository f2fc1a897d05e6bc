#!/usr/bin/env bash
# Builds hostmail and runs it on its embedded directory (SQLite) with its data
# under ./run, on localhost ports. The first run writes ./run/hostmail.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh hostmail
bin=build/src/app/hostmail
if [ ! -f run/hostmail.toml ]; then
  "$bin" init --dir run
  echo
fi
echo "Starting: $bin --config run/hostmail.toml serve   (Ctrl-C stops it)"
echo "In another terminal, for example:"
echo "  $bin --config run/hostmail.toml domain add example.org"
echo "  $bin --config run/hostmail.toml account add you@example.org"
exec "$bin" --config run/hostmail.toml serve
