#!/usr/bin/env bash
# Throughput of twinkv against Debian's redis-server, in the same run, with
# redis-benchmark: both servers on loopback (different ports, no
# persistence), the same tests one after the other, 50 clients, pipeline 1
# and 16. Prints each rate and the ratio twinkv/redis.
#
# Usage: bench/redis_benchmark.sh [-n requests_p1] [-t tests]
#   defaults: -n 400000 (pipeline 16 uses 8x as many), -t set,get,incr,mset
set -euo pipefail
cd "$(dirname "$0")/.."

requests=400000
tests="set,get,incr,mset"
while getopts "n:t:" opt; do
  case $opt in
    n) requests=$OPTARG ;;
    t) tests=$OPTARG ;;
    *) echo "usage: $0 [-n requests] [-t tests]" >&2; exit 2 ;;
  esac
done

scripts/deps.sh
scripts/bazel.sh build //cmd:twinkv-server >&2

TWINKV_PORT=${TWINKV_PORT:-16400}
REDIS_PORT=${REDIS_PORT:-16401}
tmp=$(mktemp -d)
bazel-bin/cmd/twinkv-server --port "$TWINKV_PORT" >"$tmp/twinkv.log" 2>&1 &
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

# rate PORT PIPELINE TEST -> requests per second
rate() {
  local n=$requests
  [[ $2 -gt 1 ]] && n=$((requests * 8))
  redis-cli -p "$1" flushall >/dev/null
  # Some tests run a fill first (LRANGE_* runs an LPUSH): the requested
  # test's line is the last one.
  redis-benchmark -p "$1" -c 50 -n "$n" -P "$2" -t "$3" -r 100000 --csv 2>/dev/null |
    awk -F'","' 'NR>1 {gsub(/"/, "", $2); rate = $2} END {print rate}'
}

printf "%-8s %4s %14s %14s %7s\n" test P twinkv redis ratio
for pipeline in 1 16; do
  for t in ${tests//,/ }; do
    tw=$(rate "$TWINKV_PORT" "$pipeline" "$t")
    rd=$(rate "$REDIS_PORT" "$pipeline" "$t")
    ratio=$(awk -v a="$tw" -v b="$rd" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf "%-8s %4s %14s %14s %7s\n" "$t" "$pipeline" "$tw" "$rd" "$ratio"
  done
done
