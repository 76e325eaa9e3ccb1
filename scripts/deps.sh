#!/usr/bin/env bash
# Installs what twinkv needs from Debian 12's archive, if it is missing.
# Usage: scripts/deps.sh            (build + test dependencies)
# Safe to run repeatedly; runs apt-get only when a package is missing.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java      # Bazel 4.2.3 + rules_java, offline
  g++ libabsl-dev libgtest-dev libgmock-dev librapidcheck-dev libboost-dev
  clang-14 libclang-rt-14-dev           # libFuzzer + sanitizers
  redis-server redis-tools              # real redis-cli/benchmark/server
  binutils python3 procps tmux          # objdump (layering test), scripts, redis-cli tty test
)

missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Debian's redis-server package may start a system instance on 6379; it
# would collide with ours. Stop it if it runs as a service (no-op otherwise).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  echo "deps: stopping the system redis-server service (it holds port 6379)" >&2
  ${SUDO:-} systemctl stop redis-server || true
fi
