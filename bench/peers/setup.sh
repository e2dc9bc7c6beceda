#!/usr/bin/env bash
# Installs what bench-peers needs on Debian 12 / Ubuntu: the peer libraries (simdjson, yajl,
# cJSON), jq, GNU time, valgrind (callgrind/cachegrind for profiling), and node with the
# pinned @aws-sdk/util-dynamodb of tests/oracle.
set -eu
cd "$(dirname "$0")/../.."
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    gcc g++ make python3 time valgrind jq libsimdjson-dev libyajl-dev libcjson-dev > /dev/null
# node may come from elsewhere on the image: only install Debian's when there is none
command -v node > /dev/null && command -v npm > /dev/null ||
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs npm > /dev/null
(cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)
echo "setup: bench-peers dependencies installed"
