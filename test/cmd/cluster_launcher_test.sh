#!/usr/bin/env bash
# //cmd:twinkv-cluster as a user runs it: three nodes on loopback in
# redirect mode, redis-cli -c follows MOVED between them, Ctrl-C (SIGINT)
# stops every node and the launcher exits 0.
set -uo pipefail
LAUNCHER="${TEST_SRCDIR}/twinkv/cmd/twinkv-cluster"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/launcher.XXXXXX")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_eq() { if [[ "$2" == "$3" ]]; then echo "ok: $1"; else fail "$1: expected [$2] got [$3]"; fi; }

# A base port with three free ports after it.
base=$((20000 + RANDOM % 20000))
"$LAUNCHER" --nodes=3 --port="$base" >"$tmp/out" 2>&1 &
pid=$!
for p in $base $((base + 1)) $((base + 2)); do
  for _ in $(seq 1 100); do
    [[ "$(timeout 2 redis-cli -p "$p" ping 2>/dev/null)" == "PONG" ]] && break
    sleep 0.1
  done
done
expect_eq "banner" "1" "$(grep -c "redirect mode" "$tmp/out")"
for k in foo bar baz qux; do
  expect_eq "set $k" "OK" "$(timeout 5 redis-cli -c -p "$base" set "$k" "v-$k" 2>&1)"
done
for k in foo bar baz qux; do
  expect_eq "get $k via the last node" "v-$k" \
    "$(timeout 5 redis-cli -c -p $((base + 2)) get "$k" 2>&1)"
done
expect_eq "cluster_known_nodes" "cluster_known_nodes:3" \
  "$(timeout 5 redis-cli -p "$base" cluster info | tr -d '\r' | grep known_nodes)"

kill -INT "$pid"
wait "$pid"
expect_eq "launcher exit status" "0" "$?"
for p in $base $((base + 1)) $((base + 2)); do
  expect_eq "node $p stopped" "" "$(timeout 2 redis-cli -p "$p" ping 2>/dev/null)"
done
if ((failures > 0)); then cat "$tmp/out"; exit 1; fi
echo "all launcher checks passed"
