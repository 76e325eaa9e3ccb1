#!/usr/bin/env bash
# Memory of twinkv against Debian's redis-server, in the same run: both
# servers on loopback (different ports, no persistence) receive the same N
# `SET key:<n> <value>` commands (one RESP stream, generated once, fed with
# redis-cli --pipe). Prints per server the keys (DBSIZE), used_memory, RSS
# (VmRSS from /proc/PID/status, and the server's own used_memory_rss), the
# bytes per key over the empty server's baseline, and the ratios
# twinkv/redis.
#
# Usage: bench/memory.sh [-n keys] [-d value_bytes]
#   defaults: -n 1000000 -d 16
# Environment: TWINKV_PORT (16410), REDIS_PORT (16411), TWINKV_BIN (a
# twinkv-server binary to use instead of building //cmd:twinkv-server).
set -euo pipefail
cd "$(dirname "$0")/.."

keys=1000000
value_bytes=16
while getopts "n:d:" opt; do
  case $opt in
    n) keys=$OPTARG ;;
    d) value_bytes=$OPTARG ;;
    *) echo "usage: $0 [-n keys] [-d value_bytes]" >&2; exit 2 ;;
  esac
done

if [[ -z "${TWINKV_BIN:-}" ]]; then
  scripts/deps.sh
  scripts/bazel.sh build //cmd:twinkv-server >&2
  TWINKV_BIN=bazel-bin/cmd/twinkv-server
fi

TWINKV_PORT=${TWINKV_PORT:-16410}
REDIS_PORT=${REDIS_PORT:-16411}
tmp=$(mktemp -d)
twinkv_pid=
redis_pid=
cleanup() {
  for pid in $twinkv_pid $redis_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TWINKV_BIN" --port "$TWINKV_PORT" --save '' --appendonly no \
  >"$tmp/twinkv.log" 2>&1 &
twinkv_pid=$!
redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
  >"$tmp/redis.log" 2>&1 &
redis_pid=$!

for port in "$TWINKV_PORT" "$REDIS_PORT"; do
  ok=
  for _ in $(seq 1 100); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
  done
  [[ -n $ok ]] || { echo "server on port $port did not start" >&2; cat "$tmp"/*.log >&2; exit 1; }
done

# The RESP stream, once: key:<n> for n in [0, keys), each value the last
# value_bytes characters of zeros followed by n.
awk -v n="$keys" -v d="$value_bytes" 'BEGIN {
  pad = ""
  for (i = 0; i < d; i++) pad = pad "0"
  for (i = 0; i < n; i++) {
    k = "key:" i
    v = pad i
    v = substr(v, length(v) - d + 1)
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, d, v
  }
}' >"$tmp/load.resp"

# info_field PORT FIELD -> the value of FIELD in INFO memory
info_field() {
  redis-cli -p "$1" info memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'
}
# vm_rss PID -> VmRSS in bytes
vm_rss() {
  awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"
}

declare -A used0 rss0 own_rss0 used1 rss1 own_rss1 dbsize
for name in twinkv redis; do
  if [[ $name == twinkv ]]; then port=$TWINKV_PORT pid=$twinkv_pid; else port=$REDIS_PORT pid=$redis_pid; fi
  used0[$name]=$(info_field "$port" used_memory)
  own_rss0[$name]=$(info_field "$port" used_memory_rss)
  rss0[$name]=$(vm_rss "$pid")
  out=$(redis-cli -p "$port" --pipe <"$tmp/load.resp" 2>&1)
  if ! grep -q "errors: 0, replies: $keys" <<<"$out"; then
    echo "loading $name failed: $out" >&2
    exit 1
  fi
  # Redis reports RSS once per cron tick (hz 10): let it catch up.
  sleep 0.5
  dbsize[$name]=$(redis-cli -p "$port" dbsize)
  used1[$name]=$(info_field "$port" used_memory)
  own_rss1[$name]=$(info_field "$port" used_memory_rss)
  rss1[$name]=$(vm_rss "$pid")
done

echo "keys: $keys  value: $value_bytes bytes  (baseline = empty server)"
printf "%-28s %14s %14s %8s\n" "" twinkv redis ratio
row() {  # LABEL TWINKV REDIS FORMAT
  local ratio
  ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
  printf "%-28s %14s %14s %8s\n" "$1" "$(printf "$4" "$2")" "$(printf "$4" "$3")" "$ratio"
}
per_key() { awk -v a="$1" -v b="$2" -v n="$keys" 'BEGIN { printf "%.1f", (a - b) / n }'; }
row "keys (DBSIZE)" "${dbsize[twinkv]}" "${dbsize[redis]}" "%d"
row "used_memory before" "${used0[twinkv]}" "${used0[redis]}" "%d"
row "used_memory after" "${used1[twinkv]}" "${used1[redis]}" "%d"
row "VmRSS before" "${rss0[twinkv]}" "${rss0[redis]}" "%d"
row "VmRSS after" "${rss1[twinkv]}" "${rss1[redis]}" "%d"
row "used_memory_rss after" "${own_rss1[twinkv]}" "${own_rss1[redis]}" "%d"
row "used_memory bytes/key" "$(per_key "${used1[twinkv]}" "${used0[twinkv]}")" \
  "$(per_key "${used1[redis]}" "${used0[redis]}")" "%s"
row "VmRSS bytes/key" "$(per_key "${rss1[twinkv]}" "${rss0[twinkv]}")" \
  "$(per_key "${rss1[redis]}" "${rss0[redis]}")" "%s"
row "used_memory_rss bytes/key" "$(per_key "${own_rss1[twinkv]}" "${own_rss0[twinkv]}")" \
  "$(per_key "${own_rss1[redis]}" "${own_rss0[redis]}")" "%s"
