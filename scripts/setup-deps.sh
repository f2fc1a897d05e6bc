#!/usr/bin/env bash
# Installs every Debian package that building, testing and running hostmail needs.
# Run as root; when not root, prints the command to run instead.
set -euo pipefail

packages=(
  # build
  build-essential g++ cmake ninja-build pkg-config git ccache
  # libraries (docs/dependencies.md says why each was chosen)
  libboost1.81-dev libtomlplusplus-dev libcli11-dev libexpected-dev libfmt-dev
  libsqlite3-dev libssl-dev libcrypt-dev libargon2-dev libidn2-dev
  libldap-dev libpam0g-dev libicu-dev
  # tests: unit, interop (slappasswd, slapd), end to end (python3 clients)
  libgtest-dev libgmock-dev python3 slapd ldap-utils sqlite3 openssl swaks libnet-ssleay-perl
  libio-socket-ssl-perl curl procmail strace isync
  # DKIM interop: dkimpy verifies our signatures (PyNaCl for Ed25519)
  python3-dkim python3-nacl
  # tooling
  clang-format clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "hostmail needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:  sudo sh -c '$cmd'" >&2
  exit 1
fi
# slapd's package would start a system-wide slapd; the tests start their own, so
# keep the package's service from starting during installation.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap '[ $own_policy -eq 1 ] && rm -f "$policy"' EXIT
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
