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

# Interactive redis-cli in a real terminal (tmux): it queries COMMAND DOCS at
# start; any error there or in the session shows up on the screen.
sock=$(mktemp -u /tmp/twinkv-tmux.XXXXXX)  # short: unix socket paths are limited
screen() { tmux -S "$sock" capture-pane -p 2>/dev/null; }
wait_screen() {  # pattern: poll the screen for up to 10 s
  for _ in $(seq 1 100); do grep -q "$1" <<<"$(screen)" && return 0; sleep 0.1; done
  return 1
}
TERM=xterm tmux -S "$sock" new-session -d -x 120 -y 20 "redis-cli -p $port"
if wait_screen "127.0.0.1:$port>"; then
  tmux -S "$sock" send-keys "set inter active" Enter
  wait_screen "^OK" && tmux -S "$sock" send-keys "get inter" Enter
  wait_screen '"active"'
fi
transcript=$(screen)
tmux -S "$sock" kill-server 2>/dev/null
if grep -q '^OK' <<<"$transcript" && grep -q '"active"' <<<"$transcript" &&
   ! grep -qi "err" <<<"$transcript"; then
  echo "ok: interactive redis-cli"
else
  fail "interactive redis-cli screen: $transcript"
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

# BLPOP blocks until another client pushes, then gets the key and element.
cli blpop q 5 >"$tmp/blpop" &
blpop_pid=$!
sleep 0.5
expect_eq "rpush wakes blpop" "1" "$(cli rpush q x)"
wait "$blpop_pid"
expect_eq "blpop served" $'q\nx' "$(cat "$tmp/blpop")"
expect_eq "blpop timeout" "(nil)" "$(cli --no-raw blpop none 0.2)"

# CLIENT LIST shows this connection in Redis's format; CLIENT KILL closes
# another one (a blocked BLPOP here: its redis-cli sees the connection drop).
expect_eq "client list" "id= addr= laddr= fd= name= age= idle= flags=N db=" \
  "$(cli client list | sed -E 's/=[0-9.:]+/=/g; s/=-1/=/' | cut -d' ' -f1-9)"
cli blpop never 0 >/dev/null 2>&1 &
killed_pid=$!
sleep 0.5
victim=$(cli client list | grep 'cmd=blpop' | grep -oE '^id=[0-9]+' | cut -d= -f2)
expect_eq "client kill id" "1" "$(cli client kill id "$victim")"
sleep 0.3
if kill -0 "$killed_pid" 2>/dev/null; then fail "killed client still connected"; kill "$killed_pid"; else echo "ok: killed client disconnected"; fi
expect_eq "client kill unknown" "ERR No such client" "$(cli client kill 1.2.3.4:5)"

# requirepass: NOAUTH before AUTH, redis-cli -a works, AUTH errors as Redis.
expect_eq "config set requirepass" "OK" "$(cli config set requirepass s3cret)"
expect_eq "noauth" "NOAUTH Authentication required." "$(cli get a)"
expect_eq "redis-cli -a" "b" "$(cli -a s3cret --no-auth-warning get a)"
expect_eq "wrong password" "WRONGPASS invalid username-password pair or user is disabled." "$(cli auth nope)"
expect_eq "clear requirepass" "OK" "$(cli -a s3cret --no-auth-warning config set requirepass '')"
expect_eq "auth without password" "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?" "$(cli auth x)"

# Clean shutdown on SIGTERM: exit status 0.
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM exit status" "0" "$?"

# CONFIG REWRITE keeps the file's comments, updates what changed, and the
# rewritten file starts a server with the changed values; SHUTDOWN exits 0.
printf '# my config\nport 0\nmaxmemory 1mb\n' >"$tmp/twinkv.conf"
"$SERVER" "$tmp/twinkv.conf" >"$tmp/log2" 2>&1 &
pid2=$!
port2=""
for _ in $(seq 1 100); do
  port2=$(grep -oE 'on port [0-9]+' "$tmp/log2" | awk '{print $3}' | head -1)
  [[ -n "$port2" ]] && break
  sleep 0.1
done
cli2() { timeout 10 redis-cli -p "$port2" "$@" 2>&1; }
expect_eq "config set" "OK" "$(cli2 config set maxmemory 2mb)"
cli2 config set hz 20 >/dev/null
expect_eq "config rewrite" "OK" "$(cli2 config rewrite)"
expect_eq "rewritten file" $'# my config\nport 0\nmaxmemory 2097152\n# Generated by CONFIG REWRITE\nhz 20' "$(cat "$tmp/twinkv.conf")"
cli2 shutdown >/dev/null
wait "$pid2"
expect_eq "SHUTDOWN exit status" "0" "$?"
"$SERVER" "$tmp/twinkv.conf" >"$tmp/log3" 2>&1 &
pid3=$!
port3=""
for _ in $(seq 1 100); do
  port3=$(grep -oE 'on port [0-9]+' "$tmp/log3" | awk '{print $3}' | head -1)
  [[ -n "$port3" ]] && break
  sleep 0.1
done
expect_eq "rewritten config loads" $'maxmemory\n2097152' "$(timeout 10 redis-cli -p "$port3" config get maxmemory 2>&1)"
kill -TERM "$pid3"; wait "$pid3"

if ((failures > 0)); then
  echo "--- server log"; cat "$tmp/log"
  exit 1
fi
echo "all server_cli checks passed"
