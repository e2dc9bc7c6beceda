#!/usr/bin/env bash
# Installs what `make test` needs: compilers, Criterion, GNU time, and the npm test oracle.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    gcc g++ clang libclang-rt-14-dev make libcriterion-dev libcurl4-openssl-dev time python3 > /dev/null
# cross compilers with their C libraries (only recommended by them, so named) and qemu-user
# for `make cross`, arm-none-eabi and llvm for `make freestanding`
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    llvm gcc-arm-none-eabi gcc-i686-linux-gnu gcc-powerpc-linux-gnu gcc-s390x-linux-gnu \
    libc6-dev-i386-cross libc6-dev-powerpc-cross libc6-dev-s390x-cross \
    qemu-user > /dev/null
# node may come from elsewhere on the image: only install Debian's when there is none
command -v node > /dev/null && command -v npm > /dev/null ||
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs npm > /dev/null
for d in tests/oracle tests/s3 tests/replicate; do (cd $d && npm ci --no-audit --no-fund --loglevel=error); done
echo "setup: test dependencies installed"
