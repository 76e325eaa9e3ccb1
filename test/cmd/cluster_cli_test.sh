#!/usr/bin/env bash
# Three real twinkv-server processes in cluster-mode redirect on loopback,
# driven by Debian's redis-cli: with -c it follows MOVED to the key's owner
# from any node; without -c the non-owners answer MOVED; each key lives on
# exactly one node; the nodes agree on CLUSTER SLOTS.
set -uo pipefail

SERVER="${TEST_SRCDIR}/twinkv/cmd/twinkv-server"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cluster.XXXXXX")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_eq() {  # name expected actual
  if [[ "$2" == "$3" ]]; then echo "ok: $1"; else fail "$1: expected [$2] got [$3]"; fi
}

# Three ports that nothing listens on yet (a race with other processes is
# possible but unlikely; the start-up check below reports it).
base=$((20000 + (RANDOM % 20000)))
ports=()
for p in $(seq "$base" $((base + 200))); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then ports+=("$p"); fi
  [[ ${#ports[@]} -eq 3 ]] && break
done
nodes="127.0.0.1:${ports[0]} 127.0.0.1:${ports[1]} 127.0.0.1:${ports[2]}"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done; }
trap cleanup EXIT
for i in 0 1 2; do
  # cluster-self is left out: it is derived from bind (127.0.0.1) and port.
  "$SERVER" --port "${ports[$i]}" --dir "$tmp" --cluster-mode redirect \
    --cluster-nodes $nodes >"$tmp/log$i" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 1 100); do
    grep -q 'Ready to accept connections' "$tmp/log$i" && break
    sleep 0.1
  done
  if ! grep -q 'Ready to accept connections' "$tmp/log$i"; then
    cat "$tmp/log$i"; echo "FAIL: server $i did not start"; exit 1
  fi
done
cli() { local port=$1; shift; timeout 10 redis-cli -p "$port" "$@" 2>&1; }

expect_eq "cluster info" "cluster_state:ok" \
  "$(cli "${ports[0]}" cluster info | tr -d '\r' | head -1)"
expect_eq "known nodes" "cluster_known_nodes:3" \
  "$(cli "${ports[1]}" cluster info | tr -d '\r' | grep known_nodes)"
slots0=$(cli "${ports[0]}" cluster slots)
for i in 1 2; do
  expect_eq "same slots on node $i" "$slots0" "$(cli "${ports[$i]}" cluster slots)"
done
expect_eq "myself once" "1" \
  "$(cli "${ports[2]}" cluster nodes | grep -c 'myself,master')"

for key in foo bar baz '{user1}.name' k1 k2 k3 k4 k5; do
  expect_eq "set $key via node 0" "OK" "$(cli "${ports[0]}" -c set "$key" "v-$key")"
  for i in 0 1 2; do
    expect_eq "get $key via node $i" "v-$key" "$(cli "${ports[$i]}" -c get "$key")"
  done
  slot=$(cli "${ports[0]}" cluster keyslot "$key")
  owners=0
  for i in 0 1 2; do
    got=$(cli "${ports[$i]}" get "$key")
    if [[ "$got" == "v-$key" ]]; then
      owners=$((owners + 1))
    else
      expect_eq "moved $key from node $i" "MOVED $slot 127.0.0.1" "${got%:*}"
    fi
  done
  expect_eq "one owner of $key" "1" "$owners"
done

total=0
for i in 0 1 2; do total=$((total + $(cli "${ports[$i]}" dbsize))); done
expect_eq "keys stored once" "9" "$total"
expect_eq "crossslot" "CROSSSLOT Keys in request don't hash to the same slot" \
  "$(cli "${ports[0]}" -c mset k1 a k2 b)"
expect_eq "hash tags" "OK" "$(cli "${ports[1]}" -c mset '{t}a' 1 '{t}b' 2)"
expect_eq "hash tags read" "$(printf '1\n2')" "$(cli "${ports[2]}" -c mget '{t}a' '{t}b')"

if [[ $failures -ne 0 ]]; then
  for i in 0 1 2; do echo "--- log $i"; cat "$tmp/log$i"; done
  echo "$failures failure(s)"; exit 1
fi
echo "all ok"
