#!/usr/bin/env bash
# Installs what is missing, builds the server and runs it in the foreground
# (default 127.0.0.1:6379). Extra arguments go to the server, e.g.
#   scripts/run-server.sh --port=7000
#   scripts/run-server.sh /path/to/twinkv.conf --maxclients 100
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/bazel.sh build //cmd:twinkv-server >&2
exec bazel-bin/cmd/twinkv-server "$@"
