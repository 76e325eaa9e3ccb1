#!/usr/bin/env bash
# twinkv-check-aof against AOFs written by the real twinkv-server:
#   - a cleanly shut down AOF is valid;
#   - a partial command appended to the last file: invalid (short read),
#     --fix cuts exactly the partial bytes, then valid, and the server loads
#     it even with aof-load-truncated no;
#   - garbage in the middle of the base (not the last file): the check names
#     the file and the exact offset, --fix refuses and leaves it alone, and
#     the server refuses to start, naming twinkv-check-aof and the offset;
#   - the same garbage in a single file given directly can be fixed;
#   - a broken manifest is reported.
set -uo pipefail

SERVER="${TEST_SRCDIR}/twinkv/cmd/twinkv-server"
CHECK="${TEST_SRCDIR}/twinkv/cmd/twinkv-check-aof"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/checkaof.XXXXXX")
dir="$tmp/data"
aofdir="$dir/appendonlydir"
manifest="$aofdir/appendonly.aof.manifest"
mkdir -p "$dir"
failures=0
pid=""
trap '[[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_eq() {  # name expected actual
  if [[ "$2" == "$3" ]]; then echo "ok: $1"; else fail "$1: expected [$2] got [$3]"; fi
}
expect_contains() {  # name needle haystack
  if grep -qF -- "$2" <<<"$3"; then echo "ok: $1"; else fail "$1: [$2] not in:"; echo "$3"; fi
}
size_of() { stat -c %s "$1"; }

# start_server LOG [options...]: starts twinkv on a free port (sets pid,
# port); returns 1 if it does not come up.
start_server() {
  local log=$1
  shift
  "$SERVER" --port 0 --appendonly yes --dir "$dir" "$@" >"$log" 2>&1 &
  pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -oE 'on port [0-9]+' "$log" | awk '{print $3}' | head -1)
    [[ -n "$port" ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_server() {  # clean shutdown (SIGTERM writes and fsyncs the AOF)
  kill -TERM "$pid"
  wait "$pid"
  local rc=$?
  pid=""
  return $rc
}
cli() { timeout 10 redis-cli -p "$port" "$@" 2>&1; }
check() { "$CHECK" "$@" 2>&1; }

# --- 1. A clean AOF is valid. ---
if ! start_server "$tmp/log1"; then cat "$tmp/log1"; echo "FAIL: server did not start"; exit 1; fi
cli set a 1 >/dev/null
cli rpush list x y z >/dev/null
cli incr counter >/dev/null
cli set b "$(printf 'two\r\nlines')" >/dev/null
stop_server; expect_eq "clean shutdown exit status" 0 $?
incr="$aofdir/$(awk '$6 == "i" {f = $2} END {print f}' "$manifest")"
incr_name=$(basename "$incr")
out=$(check "$manifest"); rc=$?
expect_eq "clean AOF: exit 0" 0 "$rc"
expect_contains "clean AOF: valid" "AOF is valid" "$out"
size=$(size_of "$incr")
# No key or value written here holds a '*', so each '*' starts a command (4
# writes, and a SELECT if the server logs one).
ncmd=$(tr -cd '*' <"$incr" | wc -c)
expect_contains "clean AOF: per-file line" "$incr_name: $ncmd commands, valid up to offset $size of $size" "$out"

# --- 2. A partial command at the end of the last file. ---
printf '*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nhal' >>"$incr"
partial=$(( $(size_of "$incr") - size ))
out=$(check "$manifest"); rc=$?
expect_eq "partial tail: exit 1" 1 "$rc"
expect_contains "partial tail: short read" "short read" "$out"
expect_contains "partial tail: offsets" "$incr_name: $ncmd commands, valid up to offset $size of $((size + partial))" "$out"
out=$(check "$incr"); rc=$?
expect_eq "partial tail, file given directly: exit 1" 1 "$rc"
out=$(check --fix "$manifest"); rc=$?
expect_eq "--fix partial tail: exit 0" 0 "$rc"
expect_contains "--fix says what it cuts" \
  "This will shrink the AOF $incr_name from $((size + partial)) bytes, with $partial bytes, to $size bytes" "$out"
expect_contains "--fix succeeded" "Successfully truncated AOF $incr_name" "$out"
expect_eq "--fix cut exactly the partial command" "$size" "$(size_of "$incr")"
out=$(check "$manifest"); rc=$?
expect_eq "after --fix: exit 0" 0 "$rc"
expect_contains "after --fix: valid" "AOF is valid" "$out"

# The server loads the fixed AOF without needing to truncate anything.
if start_server "$tmp/log2" --aof-load-truncated no; then
  expect_eq "loaded: a" 1 "$(cli get a)"
  expect_eq "loaded: list" "x y z" "$(cli lrange list 0 -1 | tr '\n' ' ' | sed 's/ $//')"
  expect_eq "loaded: counter" 1 "$(cli get counter)"
  expect_eq "loaded: no partial key" 0 "$(cli exists c)"
  expect_eq "loaded: dbsize" 4 "$(cli dbsize)"
  # Make a base with data, then more changes in a later incr file.
  for i in $(seq 1 50); do echo "SET key:$i value:$i"; done | cli >/dev/null
  cli bgrewriteaof >/dev/null
  for _ in $(seq 1 100); do
    info=$(cli info persistence)
    grep -q 'aof_rewrites:1' <<<"$info" && grep -q 'aof_rewrite_in_progress:0' <<<"$info" && break
    sleep 0.1
  done
  expect_contains "rewrite done" "aof_rewrites:1" "$info"
  cli set after rewrite >/dev/null
  stop_server; expect_eq "second clean shutdown" 0 $?
else
  cat "$tmp/log2"
  fail "server did not load the fixed AOF"
fi

# --- 3. Garbage in the middle of the base, which is not the last file. ---
base_name=$(awk '$6 == "b" {print $2}' "$manifest")
base="$aofdir/$base_name"
expect_eq "manifest lists base then incr" "b i" "$(awk '{printf "%s%s", sep, $6; sep = " "}' "$manifest")"
# The offset where the 10th command starts (again every '*' starts a
# command): overwrite it there.
bad_at=$(python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
at = -1
for _ in range(10):
    at = data.index(b"*", at + 1)
print(at)' "$base")
base_size=$(size_of "$base")
printf 'GARBAGE!' | dd of="$base" bs=1 seek="$bad_at" conv=notrunc status=none
expect_eq "garbage did not change the size" "$base_size" "$(size_of "$base")"
sum_before=$(md5sum "$base" | cut -d' ' -f1)
out=$(check "$manifest"); rc=$?
expect_eq "middle garbage: exit 1" 1 "$rc"
expect_contains "middle garbage: names file and offset" "$base_name: format error at offset $bad_at:" "$out"
expect_contains "middle garbage: valid prefix" "valid up to offset $bad_at of $base_size" "$out"
out=$(check --fix "$manifest"); rc=$?
expect_eq "--fix middle garbage: refused, exit 1" 1 "$rc"
expect_contains "--fix refusal says why" "not the last file" "$out"
expect_eq "--fix refusal left the file alone" "$sum_before" "$(md5sum "$base" | cut -d' ' -f1)"

# The server refuses to start on it.
"$SERVER" --port 0 --appendonly yes --dir "$dir" >"$tmp/log3.out" 2>"$tmp/log3.err" &
spid=$!
( sleep 20; kill -9 "$spid" 2>/dev/null ) &
watchdog=$!
wait "$spid"; rc=$?
kill "$watchdog" 2>/dev/null
if [[ "$rc" -ne 0 ]]; then echo "ok: server refuses to start on middle garbage (exit $rc)"; else fail "server started on middle garbage"; fi
err=$(cat "$tmp/log3.err")
expect_contains "server error names twinkv-check-aof" "twinkv-check-aof" "$err"
expect_contains "server error names the offset" "offset $bad_at" "$err"
expect_contains "server error names the file" "$base_name" "$err"

# --- 4. The same file given alone is the last one: --fix may cut it. ---
cp "$base" "$tmp/single.aof"
out=$(check --fix "$tmp/single.aof"); rc=$?
expect_eq "--fix single file: exit 0" 0 "$rc"
expect_contains "--fix single file: cut" "to $bad_at bytes" "$out"
expect_eq "--fix single file: size" "$bad_at" "$(size_of "$tmp/single.aof")"
out=$(check "$tmp/single.aof"); rc=$?
expect_eq "fixed single file: exit 0" 0 "$rc"
expect_contains "fixed single file: 9 commands" "9 commands, valid up to offset $bad_at of $bad_at" "$out"

# --- 5. A broken manifest, and a missing file. ---
printf 'file x.aof seq 1 type z\n' >"$tmp/bad.manifest"
out=$(check "$tmp/bad.manifest"); rc=$?
expect_eq "bad manifest: exit 1" 1 "$rc"
expect_contains "bad manifest: reported" "Invalid AOF manifest" "$out"
printf 'file missing.aof seq 1 type b\n' >"$tmp/missing.manifest"
out=$(check "$tmp/missing.manifest"); rc=$?
expect_eq "missing file: exit 1" 1 "$rc"
expect_contains "missing file: named" "missing.aof: cannot read" "$out"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
