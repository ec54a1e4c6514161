#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian packages keyward needs to build
# and test: compilers, libraries, and the real peers the interop tests run.
# Only missing packages are installed, so a second run is quiet and fast.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev          # libFuzzer + ASan/UBSan for fuzz targets
  # libraries
  libssl-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers for interop tests
  openssh-client openssh-server
  # TOTP / PAM (#8): libraries, and the peers the interop tests run
  libqrencode-dev libpam0g-dev
  oathtool pamtester libpam-google-authenticator zbar-tools
  # key center (#6), agent (#7): HTTP server and client on Boost.Asio/Beast, stores; the
  # PostgreSQL server the store and API tests start on loopback; wrk and curl for bench/
  libboost-dev libsqlite3-dev libpq-dev
  postgresql wrk curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
