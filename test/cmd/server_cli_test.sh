#!/usr/bin/env bash
# Drives the real twinkv-server binary with Debian's redis-cli and
# redis-benchmark, as a user would: one-shot commands, an interactive
# redis-cli session on a pseudo-terminal, a benchmark run with no errors, a
# protocol error that closes only that connection, and a clean SIGTERM exit.
set -uo pipefail

SERVER="${TEST_SRCDIR}/twinkv/cmd/twinkv-server"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli.XXXXXX")
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_eq() {  # name expected actual
  if [[ "$2" == "$3" ]]; then echo "ok: $1"; else fail "$1: expected [$2] got [$3]"; fi
}

"$SERVER" --port 0 >"$tmp/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -oE 'on port [0-9]+' "$tmp/log" | awk '{print $3}' | head -1)
  [[ -n "$port" ]] && break
  sleep 0.1
done
if [[ -z "$port" ]]; then
  cat "$tmp/log"
  echo "FAIL: server did not start"
  exit 1
fi
cli() { timeout 10 redis-cli -p "$port" "$@" 2>&1; }

expect_eq "set" "OK" "$(cli set a b)"
expect_eq "get" "b" "$(cli get a)"
expect_eq "keys" "a" "$(cli keys '*')"
cli set bin "$(printf 'x\001 y')" >/dev/null
expect_eq "binary-safe value" "$(printf 'x\001 y\n' | od -An -tx1)" "$(cli get bin | od -An -tx1)"
expect_eq "incr" "(integer) 11" "$(cli set n 10 >/dev/null; cli --no-raw incr n)"
expect_eq "wrong arity" "(error) ERR wrong number of arguments for 'get' command" "$(cli --no-raw get)"
expect_eq "unknown command" "(error) ERR unknown command 'foo', with args beginning with: 'bar' " "$(cli --no-raw foo bar)"
expect_eq "dbsize" "(integer) 3" "$(cli --no-raw dbsize)"

# Interactive redis-cli on a pseudo-terminal: it queries COMMAND DOCS at
# start; any error there or in the session shows up in the transcript.
transcript=$( { sleep 0.5; printf 'set inter active\r'; sleep 0.3; printf 'get inter\r'; sleep 0.3; printf 'exit\r'; } |
  timeout 10 script -qfec "redis-cli -p $port" /dev/null 2>&1 | tr -d '\r')
if grep -q "active" <<<"$transcript" && grep -q "OK" <<<"$transcript" && ! grep -qi "err" <<<"$transcript"; then
  echo "ok: interactive redis-cli"
else
  fail "interactive redis-cli transcript: $transcript"
fi

# redis-benchmark: every test runs and reports a rate, no errors.
bench=$(timeout 60 redis-benchmark -p "$port" -q -n 2000 -c 10 -P 4 -t set,get,incr,mset 2>&1)
if [[ $(grep -c "requests per second" <<<"$bench") -eq 4 ]] && ! grep -qiE "err|fail" <<<"$bench"; then
  echo "ok: redis-benchmark"
else
  fail "redis-benchmark: $bench"
fi

# A protocol error: Redis's message, then that connection (only) closes.
reply=$(exec 3<>/dev/tcp/127.0.0.1/"$port"; printf '*1\r\n$abc\r\n' >&3; timeout 5 cat <&3; echo "status=$?")
expect_eq "protocol error closes" "-ERR Protocol error: invalid bulk length"$'\r'$'\n'"status=0" "$reply"
expect_eq "others unaffected" "PONG" "$(cli ping)"

# Clean shutdown on SIGTERM: exit status 0.
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM exit status" "0" "$?"

if ((failures > 0)); then
  echo "--- server log"; cat "$tmp/log"
  exit 1
fi
echo "all server_cli checks passed"
