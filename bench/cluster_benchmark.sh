#!/usr/bin/env bash
# What twinkv's cluster modes cost, against a standalone twinkv and Debian's
# redis-server, in one run, with redis-benchmark (-c 50, -r 100000 random
# keys, -t set,get,incr,lpush,mset, pipeline 1 and 16). One target runs at a
# time, each started fresh and stopped before the next; FLUSHALL before
# each test:
#
#   redis     redis-server standalone (--save '' --appendonly no)
#   twinkv    twinkv-server standalone
#   proxy     twinkv-cluster --nodes=3 --mode=proxy; redis-benchmark is a
#             plain client of node 0, which runs what it owns and forwards
#             the rest (about 2/3 of random keys) to the owner
#   redirect  twinkv-cluster --nodes=3 --mode=redirect; redis-benchmark
#             --cluster talks to every node directly (Redis Cluster protocol)
#
# Then, in a fresh proxy cluster: the cost of a forwarded request against a
# local one. GET and SET of one key owned by node 0 (found with CLUSTER
# KEYSLOT and node 0's line of CLUSTER NODES) and of one key owned by
# another node, sent to node 0, interleaved `repeats` times; the median rps
# and p50 latency (redis-benchmark's CSV) count.
#
# Caveats, printed with the results too: every process (3 nodes, the proxy
# hops, redis-benchmark) shares the machine's cores (2 here), so 3 nodes is
# no scaling test: it shows the routing overhead, not capacity. In proxy
# mode a pipelining client's forwards travel together, except that
# commands on one slot wait for each other to keep their order
# (core/cluster/router.h): part 2's single remote key at -P 16 goes one
# command at a time, by design. LPUSH
# in redis-benchmark always pushes to the one key "mylist" (in proxy mode
# it is local or forwarded as a whole, see the line printed); MSET's 10
# random keys span nodes in proxy mode (split, atomic across nodes), while
# --cluster gives them one hash tag (one node, no split). redis-benchmark
# --cluster runs a thread per node and each run seems to take at least
# ~250 ms (at -n 10000 every test read exactly 10000/0.251 s), so short
# runs read low: hence the larger counts for pipeline 16.
# Outside load skews the comparison: the Linux scheduler shares the CPU
# per process, so the targets with more processes (3 nodes; --cluster's 3
# client threads) win a larger share against other people's work. Compare
# runs made on a quiet machine (the load average is printed).
#
# Usage: bench/cluster_benchmark.sh [-n requests_p1] [-t tests] [-k key_requests] [-r repeats]
#   defaults: -n 100000 (pipeline 16: 8x as many),
#   -t set,get,incr,lpush,mset, -k 50000 (both pipelines), -r 3
# Environment: REDIS_PORT (16430), TWINKV_PORT (16431), PROXY_PORT (16440,
# +1, +2), REDIRECT_PORT (16450, +1, +2); TWINKV_BIN_DIR (a directory
# holding twinkv-server and twinkv-cluster, instead of building them);
# BAZEL_OUTPUT_BASE (a Bazel --output_base for the build).
set -euo pipefail
cd "$(dirname "$0")/.."

requests=100000
tests="set,get,incr,lpush,mset"
key_requests=50000
repeats=3
while getopts "n:t:k:r:" opt; do
  case $opt in
    n) requests=$OPTARG ;;
    t) tests=$OPTARG ;;
    k) key_requests=$OPTARG ;;
    r) repeats=$OPTARG ;;
    *) echo "usage: $0 [-n requests] [-t tests] [-k key_requests] [-r repeats]" >&2; exit 2 ;;
  esac
done

if [[ -z "${TWINKV_BIN_DIR:-}" ]]; then
  scripts/deps.sh
  # -c opt; --symlink_prefix=/ keeps this optimized build from repointing
  # the workspace's bazel-bin (other builds use the default configuration).
  startup=()
  [[ -n "${BAZEL_OUTPUT_BASE:-}" ]] && startup=(--output_base="$BAZEL_OUTPUT_BASE")
  opts=(-c opt --symlink_prefix=/ --disk_cache="${TWINKV_BAZEL_CACHE:-$HOME/.cache/twinkv/bazel-disk}")
  bazel "${startup[@]}" build "${opts[@]}" //cmd:twinkv-server //cmd:twinkv-cluster >&2
  TWINKV_BIN_DIR="$(bazel "${startup[@]}" info "${opts[@]}" bazel-bin 2>/dev/null)/cmd"
fi
SERVER="$TWINKV_BIN_DIR/twinkv-server"
CLUSTER="$TWINKV_BIN_DIR/twinkv-cluster"
[[ -x "$SERVER" && -x "$CLUSTER" ]] || { echo "no twinkv-server/twinkv-cluster in $TWINKV_BIN_DIR" >&2; exit 1; }

REDIS_PORT=${REDIS_PORT:-16430}
TWINKV_PORT=${TWINKV_PORT:-16431}
PROXY_PORT=${PROXY_PORT:-16440}
REDIRECT_PORT=${REDIRECT_PORT:-16450}
NODES=3

# Every port this run listens on must be free now (a leftover server would
# be benchmarked instead of ours).
all_ports=("$REDIS_PORT" "$TWINKV_PORT")
for ((i = 0; i < NODES; i++)); do all_ports+=($((PROXY_PORT + i)) $((REDIRECT_PORT + i))); done
for port in "${all_ports[@]}"; do
  if ss -Htln "sport = :$port" | grep -q .; then
    echo "port $port is in use; set REDIS_PORT/TWINKV_PORT/PROXY_PORT/REDIRECT_PORT" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ping() {  # PORT
  for _ in $(seq 1 100); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  cat "$tmp"/*.log >&2
  exit 1
}

# start TARGET: starts it in the background (pid=) and waits until every
# node answers.
start() {
  case $1 in
    redis)
      redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
        >"$tmp/redis.log" 2>&1 &
      pid=$!
      wait_ping "$REDIS_PORT" ;;
    twinkv)
      "$SERVER" --port "$TWINKV_PORT" --save '' --appendonly no >"$tmp/twinkv.log" 2>&1 &
      pid=$!
      wait_ping "$TWINKV_PORT" ;;
    proxy | redirect)
      local base
      base=$(port_of "$1")
      "$CLUSTER" --nodes="$NODES" --port="$base" --mode="$1" -- --save '' --appendonly no \
        >"$tmp/$1.log" 2>&1 &
      pid=$!
      for ((i = 0; i < NODES; i++)); do wait_ping $((base + i)); done ;;
  esac
}
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
port_of() {
  case $1 in
    redis) echo "$REDIS_PORT" ;;
    twinkv) echo "$TWINKV_PORT" ;;
    proxy) echo "$PROXY_PORT" ;;
    redirect) echo "$REDIRECT_PORT" ;;
  esac
}
flush() {  # TARGET
  local base n=1
  base=$(port_of "$1")
  # A proxy node broadcasts FLUSHALL; redirect nodes each flush their own.
  [[ $1 == redirect ]] && n=$NODES
  for ((i = 0; i < n; i++)); do redis-cli -p $((base + i)) flushall >/dev/null; done
}

# bench PORT ARGS... -> "rps p50_ms" of the last CSV line (some tests run a
# fill first).
bench() {
  local port=$1
  shift
  redis-benchmark -p "$port" -c 50 --csv "$@" 2>/dev/null |
    awk -F, 'NR>1 {gsub(/"/, ""); rps = $2; p50 = $5} END {print rps, p50}'
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
median() {
  tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start_time=$SECONDS

# Part 1: redis-benchmark's tests against each target, one target at a time.
declare -A rps
for target in redis twinkv proxy redirect; do
  start "$target"
  port=$(port_of "$target")
  extra=()
  [[ $target == redirect ]] && extra=(--cluster)
  if [[ $target == proxy ]]; then
    owner=$(redis-cli -p "$PROXY_PORT" cluster nodes |
      awk -v s="$(redis-cli -p "$PROXY_PORT" cluster keyslot mylist)" '
        { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]
            if (s + 0 >= r[1] + 0 && s + 0 <= r[2] + 0) print ($3 ~ /myself/ ? "node 0 (local)" : $2 " (forwarded)") } }')
    lpush_note="in proxy mode LPUSH's key mylist lives on $owner"
  fi
  for pipeline in 1 16; do
    n=$requests
    ((pipeline > 1)) && n=$((requests * 8))
    for t in ${tests//,/ }; do
      flush "$target"
      read -r r _ < <(bench "$port" "${extra[@]}" -n "$n" -P "$pipeline" -r 100000 -t "$t")
      rps[$target,$t,$pipeline]=${r:-0}
    done
  done
  stop
done

# Part 2: forwarded vs local, one key each, against proxy node 0.
start proxy
myself_slots() {
  redis-cli -p "$PROXY_PORT" cluster nodes | awk '$3 ~ /myself/ {for (i = 9; i <= NF; i++) print $i}'
}
myself_slots >"$tmp/slots"
owned_here() {  # KEY -> exit 0 when node 0 owns it
  local slot
  slot=$(redis-cli -p "$PROXY_PORT" cluster keyslot "$1")
  awk -F- -v s="$slot" '{ hi = ($2 == "") ? $1 : $2; if (s + 0 >= $1 + 0 && s + 0 <= hi + 0) found = 1 }
    END { exit !found }' "$tmp/slots"
}
local_key= remote_key=
for i in $(seq 0 99); do
  k="bench:key:$i"
  if owned_here "$k"; then
    [[ -z $local_key ]] && local_key=$k
  else
    [[ -z $remote_key ]] && remote_key=$k
  fi
  [[ -n $local_key && -n $remote_key ]] && break
done
[[ -n $local_key && -n $remote_key ]] || { echo "no local/remote key found" >&2; exit 1; }
redis-cli -p "$PROXY_PORT" set "$local_key" xxxxxxxxxxxxxxxx >/dev/null
redis-cli -p "$PROXY_PORT" set "$remote_key" xxxxxxxxxxxxxxxx >/dev/null
declare -A key_rps key_p50
for ((run = 1; run <= repeats; run++)); do
  for pipeline in 1 16; do
    n=$key_requests
    for cmd in GET SET; do
      for where in local remote; do
        if [[ $where == local ]]; then k=$local_key; else k=$remote_key; fi
        args=("$cmd" "$k")
        [[ $cmd == SET ]] && args+=(xxxxxxxxxxxxxxxx)
        read -r r p < <(bench "$PROXY_PORT" -n "$n" -P "$pipeline" "${args[@]}")
        key_rps[$cmd,$pipeline,$where]+=" ${r:-0}"
        key_p50[$cmd,$pipeline,$where]+=" ${p:-0}"
      done
    done
  done
done
stop
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "twinkv cluster benchmark: redis-benchmark -c 50 -r 100000, -n $requests" \
  "(P16: $((requests * 8))), redis-server $(redis-server --version | awk '{print $3}')"
echo "NOTE: all processes (servers, 3 nodes, redis-benchmark) share $(nproc) cores:" \
  "3 nodes on one machine is not a scaling test, it shows routing overhead."
echo "load average before: $load_before  after: $load_after  ($((SECONDS - start_time)) s)"
echo "(outside load favours the targets with more processes: trust quiet runs only)"
echo
echo "(1) requests per second; proxy = plain client of node 0; redirect = redis-benchmark --cluster"
printf "%-6s %3s %10s %10s %10s %10s | %9s %9s %9s\n" test P redis twinkv proxy redirect \
  tw/redis proxy/tw redir/tw
for pipeline in 1 16; do
  for t in ${tests//,/ }; do
    rd=${rps[redis,$t,$pipeline]} tw=${rps[twinkv,$t,$pipeline]}
    px=${rps[proxy,$t,$pipeline]} rc=${rps[redirect,$t,$pipeline]}
    printf "%-6s %3s %10s %10s %10s %10s | %9s %9s %9s\n" "$t" "$pipeline" "$rd" "$tw" "$px" "$rc" \
      "$(ratio "$tw" "$rd")" "$(ratio "$px" "$tw")" "$(ratio "$rc" "$tw")"
  done
done
[[ -n ${lpush_note:-} ]] && echo "($lpush_note)"
echo
echo "(2) proxy node 0, one key: local $local_key, forwarded $remote_key;" \
  "-n $key_requests, median of $repeats"
echo "    (commands on one slot wait for each other: P16 on the one forwarded key goes one at a time)"
printf "%-4s %3s %10s %10s %9s | %9s %9s %9s\n" cmd P local_rps fwd_rps fwd/local \
  local_p50 fwd_p50 fwd/local
for pipeline in 1 16; do
  for cmd in GET SET; do
    lr=$(median <<<"${key_rps[$cmd,$pipeline,local]}")
    fr=$(median <<<"${key_rps[$cmd,$pipeline,remote]}")
    lp=$(median <<<"${key_p50[$cmd,$pipeline,local]}")
    fp=$(median <<<"${key_p50[$cmd,$pipeline,remote]}")
    printf "%-4s %3s %10s %10s %9s | %9s %9s %9s\n" "$cmd" "$pipeline" "$lr" "$fr" \
      "$(ratio "$fr" "$lr")" "$lp" "$fp" "$(ratio "$fp" "$lp")"
  done
done

# geomean LIST -> the geometric mean of positive numbers (n/a if none)
geomean() {
  tr ' ' '\n' | grep . | awk '$1 > 0 {s += log($1); n++} END { if (n) printf "%.2f", exp(s / n); else print "n/a" }'
}
echo
echo "(3) summary: geometric mean over the tests ($tests) of each ratio"
printf "%-34s %8s %8s\n" "" P1 P16
declare -A sum
for pipeline in 1 16; do
  for t in ${tests//,/ }; do
    sum[tw,$pipeline]+=" $(ratio "${rps[twinkv,$t,$pipeline]}" "${rps[redis,$t,$pipeline]}")"
    sum[px,$pipeline]+=" $(ratio "${rps[proxy,$t,$pipeline]}" "${rps[twinkv,$t,$pipeline]}")"
    sum[rc,$pipeline]+=" $(ratio "${rps[redirect,$t,$pipeline]}" "${rps[twinkv,$t,$pipeline]}")"
  done
  for cmd in GET SET; do
    sum[fw,$pipeline]+=" $(ratio "$(median <<<"${key_rps[$cmd,$pipeline,remote]}")" \
      "$(median <<<"${key_rps[$cmd,$pipeline,local]}")")"
    sum[fp,$pipeline]+=" $(ratio "$(median <<<"${key_p50[$cmd,$pipeline,remote]}")" \
      "$(median <<<"${key_p50[$cmd,$pipeline,local]}")")"
  done
done
srow() { printf "%-34s %8s %8s\n" "$1" "$(geomean <<<"${sum[$2,1]}")" "$(geomean <<<"${sum[$2,16]}")"; }
srow "twinkv single / redis single" tw
srow "proxy 3-node (node 0) / twinkv" px
srow "redirect 3-node --cluster / twinkv" rc
srow "forwarded / local rps (GET,SET)" fw
srow "forwarded / local p50 (GET,SET)" fp
echo "(all on one machine with $(nproc) cores: not a scaling test)"
