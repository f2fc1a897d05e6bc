#!/usr/bin/env bash
# Builds hostmail and runs it on its embedded directory (SQLite) with its data
# under ./run, on localhost ports. The first run writes ./run/hostmail.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh hostmail
bin=$PWD/build/src/app/hostmail
data=$PWD/run
if [ "$(id -u)" -eq 0 ]; then
  # Started as root, hostmail runs as the vmail user that owns virtual mail.
  if ! getent passwd vmail >/dev/null; then
    useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin vmail
  fi
  if ! runuser -u vmail -- test -x "$PWD"; then
    data=/var/lib/hostmail/quickstart
    echo "note: the vmail user cannot reach $PWD, so the data goes to $data"
  fi
fi
if [ ! -f "$data/hostmail.toml" ]; then
  "$bin" init --dir "$data"
  echo
fi
if [ "$(id -u)" -eq 0 ]; then
  chown -R vmail:vmail "$data"
fi
# Where to point a mail client, from the configuration in use.
listen() { sed -n "s/^$1 = \[\"\([^\"]*\)\".*/\1/p" "$data/hostmail.toml" | head -n 1; }
echo "Mail in: SMTP $(listen smtp).  Read mail: IMAP $(listen imap) (STARTTLS) or IMAPS $(listen imaps);"
echo "  log in with an account's full address and its password (hostmail account add ...)."
echo "Starting: $bin --config $data/hostmail.toml serve   (Ctrl-C stops it)"
exec "$bin" --config "$data/hostmail.toml" serve
