#!/usr/bin/env bash
# Runs Bazel with the project's shared settings: a disk cache under the home
# directory, so a fresh clone (CI) reuses earlier work on the same machine.
# Usage: scripts/bazel.sh build //cmd:twinkv-server
set -euo pipefail
cache="${TWINKV_BAZEL_CACHE:-$HOME/.cache/twinkv/bazel-disk}"
mkdir -p "$cache"
cmd="$1"
shift
exec bazel "$cmd" --disk_cache="$cache" "$@"
