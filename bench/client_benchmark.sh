#!/usr/bin/env bash
# Throughput of twinkv's pipelined client (//cmd:twinkv-client-bench)
# against redis-benchmark, both aimed at the same servers in the same run:
# twinkv on loopback port 16430 and Debian's redis-server on 16431 (no
# persistence). For each server it prints our client's SET rate with 16
# and 64 requests in flight on one connection, and redis-benchmark's
# `-t set -P 16` with 1 and with 50 connections, and the ratios of our
# client (16 and 64 in flight) to redis-benchmark -P 16 on one connection.
#
# Usage: bench/client_benchmark.sh [-n requests]   (default 1000000)
# Builds with scripts/bazel.sh; set BAZEL_OUTPUT_BASE to build in an
# output base of your own (a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."

requests=1000000
while getopts "n:" opt; do
  case $opt in
    n) requests=$OPTARG ;;
    *) echo "usage: $0 [-n requests]" >&2; exit 2 ;;
  esac
done

targets=(//cmd:twinkv-client-bench //cmd:twinkv-server)
if [[ -n "${BAZEL_OUTPUT_BASE:-}" ]]; then
  cache="${TWINKV_BAZEL_CACHE:-$HOME/.cache/twinkv/bazel-disk}"
  bazel=(bazel --output_base="$BAZEL_OUTPUT_BASE")
  "${bazel[@]}" build --disk_cache="$cache" --symlink_prefix=/ "${targets[@]}" >&2
else
  bazel=(bazel)
  scripts/bazel.sh build "${targets[@]}" >&2
fi
bin=$("${bazel[@]}" info bazel-bin 2>/dev/null)

TWINKV_PORT=${TWINKV_PORT:-16430}
REDIS_PORT=${REDIS_PORT:-16431}
tmp=$(mktemp -d)
"$bin/cmd/twinkv-server" --port "$TWINKV_PORT" >"$tmp/twinkv.log" 2>&1 &
twinkv_pid=$!
redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
  >"$tmp/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $twinkv_pid $redis_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

for port in "$TWINKV_PORT" "$REDIS_PORT"; do
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
done

# ours PORT INFLIGHT -> requests per second
ours() {
  redis-cli -p "$1" flushall >/dev/null
  "$bin/cmd/twinkv-client-bench" --port "$1" --requests "$requests" \
    --inflight "$2" --clients 1 |
    sed -n 's/.*requests_per_second=\([0-9]*\).*/\1/p'
}

# theirs PORT CONNECTIONS -> requests per second (redis-benchmark, -P 16)
theirs() {
  redis-cli -p "$1" flushall >/dev/null
  redis-benchmark -p "$1" -c "$2" -n "$requests" -P 16 -t set --csv 2>/dev/null |
    awk -F'","' 'NR>1 {gsub(/"/, "", $2); rate = $2} END {printf "%d\n", rate}'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

echo "SET, $requests requests; our client on one connection vs redis-benchmark -P 16"
printf "%-7s %12s %12s %12s %12s %12s %12s\n" server ours-P16 ours-P64 rb-P16-c1 \
  rb-P16-c50 ours16/rb-c1 ours64/rb-c1
for name in twinkv redis; do
  port=$TWINKV_PORT
  [[ $name == redis ]] && port=$REDIS_PORT
  o16=$(ours "$port" 16)
  o64=$(ours "$port" 64)
  r1=$(theirs "$port" 1)
  r50=$(theirs "$port" 50)
  printf "%-7s %12s %12s %12s %12s %12s %12s\n" "$name" "$o16" "$o64" "$r1" \
    "$r50" "$(ratio "$o16" "$r1")" "$(ratio "$o64" "$r1")"
done
