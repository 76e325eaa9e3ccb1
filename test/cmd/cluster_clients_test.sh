#!/usr/bin/env bash
# Cluster-aware clients against three real nodes in redirect mode, started
# by //cmd:twinkv-cluster: redis-benchmark --cluster (learns the nodes from
# CLUSTER NODES, sends each its own hash tag) must finish every test with
# no error, and redis-py's RedisCluster (CLUSTER SLOTS, COMMAND's key
# positions, COMMAND GETKEYS for movablekeys, pipelines) must pass
# cluster_clients.py. Installs redis-tools and python3-redis if absent.
set -uo pipefail
LAUNCHER="${TEST_SRCDIR}/twinkv/cmd/twinkv-cluster"
SCRIPT="${TEST_SRCDIR}/twinkv/test/cmd/cluster_clients.py"
# Debian's python3-redis lives in the system interpreter's dist-packages.
PYTHON=/usr/bin/python3
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/clients.XXXXXX")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

need=()
command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-tools)
"$PYTHON" -c 'from redis.cluster import RedisCluster' 2>/dev/null ||
  need+=(python3-redis)
if ((${#need[@]} > 0)); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "${need[@]}" >&2 ||
    { echo "FAIL: cannot install ${need[*]}"; exit 1; }
fi

# A base port with three free ports after it (a race with other processes
# is possible but unlikely; the start-up check below reports it).
base=0
for _ in $(seq 1 50); do
  b=$((20000 + RANDOM % 20000))
  free=1
  for p in $b $((b + 1)) $((b + 2)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then free=0; fi
  done
  if ((free)); then base=$b; break; fi
done
((base > 0)) || { echo "FAIL: no free ports"; exit 1; }

"$LAUNCHER" --nodes=3 --port="$base" --mode=redirect >"$tmp/out" 2>&1 &
pid=$!
cleanup() {
  kill -INT "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
trap cleanup EXIT
for p in $base $((base + 1)) $((base + 2)); do
  for _ in $(seq 1 100); do
    [[ "$(timeout 2 redis-cli -p "$p" ping 2>/dev/null)" == "PONG" ]] && break
    sleep 0.1
  done
  if [[ "$(timeout 2 redis-cli -p "$p" ping 2>/dev/null)" != "PONG" ]]; then
    cat "$tmp/out"; echo "FAIL: node $p did not start"; exit 1
  fi
done

# redis-benchmark --cluster. It reports server errors on stderr ("Error
# from server: ...") and may keep going, so its output is checked too.
timeout 300 redis-benchmark --cluster -p "$base" -t set,get,incr,lpush,mset \
  -n 20000 -q >"$tmp/bench" 2>&1
status=$?
tr '\r' '\n' <"$tmp/bench" | grep -v 'rps=' | grep -v '^ *$' >"$tmp/bench.lines"
cat "$tmp/bench.lines"
if ((status != 0)); then fail "redis-benchmark exit status $status"; fi
if grep -qiE 'error|moved|crossslot|refused' "$tmp/bench.lines"; then
  fail "redis-benchmark reported errors"
fi
for t in SET GET INCR LPUSH MSET; do
  grep -qE "^$t.*requests per second" "$tmp/bench.lines" ||
    fail "redis-benchmark did not finish $t"
done
grep -q "Cluster has 3 master nodes" "$tmp/bench.lines" ||
  fail "redis-benchmark did not see 3 masters"

# Start the redis-py checks from a clean keyspace on every node.
for p in $base $((base + 1)) $((base + 2)); do
  timeout 5 redis-cli -p "$p" flushall >/dev/null
done
if ! timeout 300 "$PYTHON" "$SCRIPT" "$base"; then
  fail "redis-py RedisCluster checks"
fi

if ((failures > 0)); then cat "$tmp/out"; exit 1; fi
echo "all cluster client checks passed"
