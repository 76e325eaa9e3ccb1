#!/usr/bin/env bash
# What the append-only file costs twinkv, against Debian's redis-server in
# the same run (both on loopback, twinkv on TWINKV_PORT, redis on
# REDIS_PORT, each in its own temporary --dir):
#
#  (a) SET throughput, redis-benchmark -t set -P 16 -c 50 -r 100000, with
#      appendonly no, then appendfsync everysec and always; each server and
#      mode runs `repeats` times, interleaved, each on a fresh server and
#      directory, and the median counts (other load on the machine skews a
#      single run a lot). Prints the rates,
#      twinkv/redis per mode, and each server's loss against its own
#      AOF-off rate (twinkv's target: everysec loses at most 10%).
#  (b) AOF load time: N SETs with 16-byte values (one RESP stream generated
#      once, fed with redis-cli --pipe) into both servers with appendonly
#      yes, clean shutdown (SIGTERM: both write and fsync the AOF), then each
#      restarted alone on its directory: the time from exec until DBSIZE
#      answers N, and the "DB loaded from append only file: X seconds" line
#      of its log.
#
# Fairness: redis runs with --aof-use-rdb-preamble no, so both load plain
# RESP commands; automatic rewrites are off for both
# (--auto-aof-rewrite-percentage 0), so (a) measures logging alone and (b)
# loads exactly the commands that were sent. No RDB snapshots (--save '').
#
# Usage: bench/aof_benchmark.sh [-n set_requests] [-k load_keys] [-r repeats]
#   defaults: -n 1000000 -k 1000000 -r 3
# Environment: TWINKV_PORT (16420), REDIS_PORT (16421), TWINKV_BIN (a
# twinkv-server binary to use instead of building //cmd:twinkv-server).
set -euo pipefail
cd "$(dirname "$0")/.."

requests=1000000
keys=1000000
repeats=3
while getopts "n:k:r:" opt; do
  case $opt in
    n) requests=$OPTARG ;;
    k) keys=$OPTARG ;;
    r) repeats=$OPTARG ;;
    *) echo "usage: $0 [-n set_requests] [-k load_keys] [-r repeats]" >&2; exit 2 ;;
  esac
done

if [[ -z "${TWINKV_BIN:-}" ]]; then
  scripts/deps.sh
  scripts/bazel.sh build //cmd:twinkv-server >&2
  TWINKV_BIN=bazel-bin/cmd/twinkv-server
fi

TWINKV_PORT=${TWINKV_PORT:-16420}
REDIS_PORT=${REDIS_PORT:-16421}
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

now() { date +%s.%N; }

# start NAME APPENDONLY FSYNC DIR: starts that server in the background
# (sets twinkv_pid or redis_pid); its log is DIR/../NAME.log.
start() {
  local name=$1 aof=$2 fsync=$3 dir=$4
  mkdir -p "$dir"
  local common=(--save '' --appendonly "$aof" --appendfsync "$fsync"
                --dir "$dir" --auto-aof-rewrite-percentage 0)
  if [[ $name == twinkv ]]; then
    "$TWINKV_BIN" --port "$TWINKV_PORT" "${common[@]}" >>"$dir.log" 2>&1 &
    twinkv_pid=$!
  else
    redis-server --port "$REDIS_PORT" "${common[@]}" \
      --aof-use-rdb-preamble no --daemonize no >>"$dir.log" 2>&1 &
    redis_pid=$!
  fi
}
port_of() { if [[ $1 == twinkv ]]; then echo "$TWINKV_PORT"; else echo "$REDIS_PORT"; fi; }
pid_of() { if [[ $1 == twinkv ]]; then echo "$twinkv_pid"; else echo "$redis_pid"; fi; }
wait_ping() {  # PORT: up to 60 s
  for _ in $(seq 1 3000); do
    [[ "$(redis-cli -p "$1" ping 2>/dev/null)" == PONG ]] && return 0
    sleep 0.02
  done
  echo "server on port $1 did not answer" >&2
  cat "$tmp"/*.log >&2
  exit 1
}
# stop NAME: SIGTERM (a clean shutdown for both), waits for the exit.
stop() {
  local pid
  pid=$(pid_of "$1")
  kill -TERM "$pid"
  wait "$pid" || { echo "$1 exited with status $? on SIGTERM" >&2; exit 1; }
  if [[ $1 == twinkv ]]; then twinkv_pid=; else redis_pid=; fi
}

# ---- (a) SET throughput per fsync mode. ----
# set_rate PORT -> requests per second
set_rate() {
  redis-benchmark -p "$1" -t set -P 16 -c 50 -r 100000 -n "$requests" --csv 2>/dev/null |
    awk -F'","' 'NR>1 {gsub(/"/, "", $2); rate = $2} END {print rate}'
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

declare -A rate runs
for ((run = 1; run <= repeats; run++)); do
  for mode in off everysec always; do
    for name in twinkv redis; do
      if [[ $mode == off ]]; then aof=no fsync=everysec; else aof=yes fsync=$mode; fi
      dir="$tmp/a-$name-$mode-$run"
      start "$name" "$aof" "$fsync" "$dir"
      wait_ping "$(port_of "$name")"
      runs[$name,$mode]+=" $(set_rate "$(port_of "$name")")"
      stop "$name"
      rm -rf "$dir"
    done
  done
done
for key in "${!runs[@]}"; do rate[$key]=$(median <<<"${runs[$key]}"); done

echo "(a) SET, redis-benchmark -P 16 -c 50 -r 100000 -n $requests (requests/s," \
  "median of $repeats; redis: --aof-use-rdb-preamble no; no auto rewrites)"
printf "%-16s %12s %12s %7s %12s %12s\n" mode twinkv redis ratio "twinkv loss" "redis loss"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
loss() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * (1 - a / b); else print "n/a" }'; }
for mode in off everysec always; do
  label=$mode
  [[ $mode == off ]] && label="appendonly no"
  printf "%-16s %12s %12s %7s %12s %12s\n" "$label" "${rate[twinkv,$mode]}" "${rate[redis,$mode]}" \
    "$(ratio "${rate[twinkv,$mode]}" "${rate[redis,$mode]}")" \
    "$(loss "${rate[twinkv,$mode]}" "${rate[twinkv,off]}")" \
    "$(loss "${rate[redis,$mode]}" "${rate[redis,off]}")"
done
for mode in off everysec always; do
  echo "  runs $mode: twinkv${runs[twinkv,$mode]}; redis${runs[redis,$mode]}"
done
verdict=$(awk -v a="${rate[twinkv,everysec]}" -v b="${rate[twinkv,off]}" \
  'BEGIN { print (b > 0 && a >= 0.9 * b) ? "met" : "MISSED" }')
echo "target (twinkv everysec loses at most 10% against appendonly no): $verdict"
echo

# ---- (b) AOF load time. ----
# key:<n> for n in [0, keys), 16-byte values of zeros followed by n.
awk -v n="$keys" -v d=16 'BEGIN {
  pad = ""
  for (i = 0; i < d; i++) pad = pad "0"
  for (i = 0; i < n; i++) {
    k = "key:" i
    v = pad i
    v = substr(v, length(v) - d + 1)
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, d, v
  }
}' >"$tmp/load.resp"

declare -A aof_bytes wall_runs log_runs
for name in twinkv redis; do
  dir="$tmp/b-$name"
  port=$(port_of "$name")
  start "$name" yes everysec "$dir"
  wait_ping "$port"
  out=$(redis-cli -p "$port" --pipe <"$tmp/load.resp" 2>&1)
  if ! grep -q "errors: 0, replies: $keys" <<<"$out"; then
    echo "loading $name failed: $out" >&2
    exit 1
  fi
  stop "$name"
  aof_bytes[$name]=$(du -cb "$dir"/appendonlydir/*.aof | tail -1 | cut -f1)
done
# Restarts, interleaved, `repeats` times each (nothing is written between
# them, so each loads the same files).
for ((run = 1; run <= repeats; run++)); do
  for name in twinkv redis; do
    dir="$tmp/b-$name"
    port=$(port_of "$name")
    : >"$dir.log"
    t0=$(now)
    start "$name" yes everysec "$dir"
    n=
    for _ in $(seq 1 6000); do
      n=$(redis-cli -p "$port" dbsize 2>/dev/null || true)
      [[ "$n" == "$keys" ]] && break
      sleep 0.01
    done
    t1=$(now)
    if [[ "$n" != "$keys" ]]; then
      echo "$name: DBSIZE $n after restart, expected $keys" >&2
      cat "$dir.log" >&2
      exit 1
    fi
    wall_runs[$name]+=" $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
    log_runs[$name]+=" $(grep -oE 'DB loaded from append only file: [0-9.]+ seconds' "$dir.log" |
      awk '{print $7}' | tail -1)"
    stop "$name"
  done
done

echo "(b) AOF load of $keys SETs (16-byte values), plain RESP for both" \
  "(redis: --aof-use-rdb-preamble no), median of $repeats restarts"
printf "%-34s %12s %12s %7s\n" "" twinkv redis ratio
printf "%-34s %12s %12s %7s\n" "AOF bytes" "${aof_bytes[twinkv]}" "${aof_bytes[redis]}" \
  "$(ratio "${aof_bytes[twinkv]}" "${aof_bytes[redis]}")"
row() {  # LABEL RUNS_TWINKV RUNS_REDIS
  local a b
  a=$(median <<<"$2")
  b=$(median <<<"$3")
  printf "%-34s %12s %12s %7s\n" "$1" "${a:-n/a}" "${b:-n/a}" "$(ratio "${a:-0}" "${b:-0}")"
}
row "start until DBSIZE = $keys (s)" "${wall_runs[twinkv]}" "${wall_runs[redis]}"
row "log: DB loaded from AOF (s)" "${log_runs[twinkv]}" "${log_runs[redis]}"
echo "  runs, start until DBSIZE: twinkv${wall_runs[twinkv]}; redis${wall_runs[redis]}"
echo "  runs, log: twinkv${log_runs[twinkv]}; redis${log_runs[redis]}"
