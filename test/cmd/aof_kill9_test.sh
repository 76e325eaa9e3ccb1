#!/usr/bin/env bash
# Durability of acknowledged writes across kill -9 of the real server.
#
# Five rounds on one data directory (so later rounds also load what earlier
# ones left, torn tails included). Each round starts twinkv-server with
# --appendonly yes and that round's appendfsync (always, or everysec: kill -9
# keeps the page cache, and everysec replies wait for write(), so
# acknowledged writes must survive it too), some rounds with rewrites
# (BGREWRITEAOF at a random moment, and automatic ones with a tiny
# auto-aof-rewrite-min-size). Four writer threads, each on its own
# connection, do INCR on their own counter, SET of unique keys and RPUSH of
# unique elements, one command at a time, remembering every command sent
# and how many got a reply. At a random moment 0.5-2 s in the server gets
# SIGKILL; it is restarted on the same directory and each writer's data
# must be exactly what its first k commands produce, with k = the number
# acknowledged or (the one in flight made it) one more: every acknowledged
# write is there, nothing never written is, and no earlier write is missing
# behind a later one. Everything from earlier rounds must be unchanged.
# The last round's data is checked after one more start, which then ends
# with SIGTERM and must exit 0.
#
# The seed is printed; TWINKV_SEED=<n> replays the same choices (the kill
# moment and interleavings still vary with timing).
set -uo pipefail

SERVER="${TEST_SRCDIR}/twinkv/cmd/twinkv-server"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/kill9.XXXXXX")

python3 - "$SERVER" "$tmp" "${TWINKV_SEED:-}" <<'PYEOF'
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

SERVER, TMP, SEED = sys.argv[1], sys.argv[2], sys.argv[3]
seed = int(SEED) if SEED else random.SystemRandom().randrange(1, 2**31)
print(f"seed {seed} (rerun with TWINKV_SEED={seed})", flush=True)
rng = random.Random(seed)
DATA = os.path.join(TMP, "data")
os.makedirs(DATA)

# (appendfsync, rewrites)
ROUNDS = [("always", False), ("everysec", False), ("always", True),
          ("everysec", True), ("always", False)]
WRITERS = 4


class Conn:
    """A minimal RESP2 client: one command at a time."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(f"bad reply line {line!r}")

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def call(self, *args):
        self.send(*args)
        return self.reply()


def start_server(fsync, rewrites, log_path):
    args = [SERVER, "--port", "0", "--appendonly", "yes", "--appendfsync", fsync,
            "--dir", DATA, "--save", ""]
    if rewrites:
        args += ["--auto-aof-rewrite-percentage", "50",
                 "--auto-aof-rewrite-min-size", "65536"]
    log = open(log_path, "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        m = re.search(r"on port (\d+)", open(log_path).read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.stdout.write(open(log_path).read())
    raise SystemExit(f"FAIL: server did not start (log {log_path})")


class Writer(threading.Thread):
    def __init__(self, round_no, w, port, seed):
        super().__init__(daemon=True)
        self.prefix = f"r{round_no}:"
        self.w = w
        self.port = port
        self.rng = random.Random(seed)
        self.ops = []    # (kind, key, value) sent, in order
        self.acked = 0   # how many of ops got a good reply
        self.errors = []  # wrong replies (violations on their own)
        self.end = ""

    def keys(self):
        p, w = self.prefix, self.w
        return f"{p}c:{w}", f"{p}l:{w}", f"{p}s:{w}:"

    def run(self):
        counter, lst, sprefix = self.keys()
        incrs = pushes = 0
        try:
            conn = Conn(self.port)
        except OSError as e:
            self.end = f"connect: {e}"
            return
        try:
            while True:
                n = len(self.ops)
                x = self.rng.random()
                if x < 0.34:
                    op = ("incr", counter, None)
                    self.ops.append(op)
                    r = conn.call("INCR", counter)
                    if r != incrs + 1:
                        self.errors.append(f"INCR #{n} replied {r!r}, expected {incrs + 1}")
                        return
                    incrs += 1
                elif x < 0.67:
                    value = f"v{n}-{self.rng.randrange(10**9)}"
                    op = ("set", f"{sprefix}{n}", value)
                    self.ops.append(op)
                    r = conn.call("SET", op[1], value)
                    if r != "OK":
                        self.errors.append(f"SET #{n} replied {r!r}")
                        return
                else:
                    element = f"e{n}"
                    op = ("rpush", lst, element)
                    self.ops.append(op)
                    r = conn.call("RPUSH", lst, element)
                    if r != pushes + 1:
                        self.errors.append(f"RPUSH #{n} replied {r!r}, expected {pushes + 1}")
                        return
                    pushes += 1
                self.acked += 1
        except (OSError, ConnectionError) as e:
            self.end = type(e).__name__
        finally:
            conn.close()

    def state_after(self, k):
        """The writer's keys after its first k commands: {key: value}."""
        counter, lst, _ = self.keys()
        state = {}
        c = 0
        elements = []
        for kind, key, value in self.ops[:k]:
            if kind == "incr":
                c += 1
            elif kind == "set":
                state[key] = value
            else:
                elements.append(value)
        if c:
            state[counter] = str(c)
        if elements:
            state[lst] = elements
        return state


def dump(port):
    """Every key of database 0: {key: string value or list of elements}."""
    conn = Conn(port, timeout=60)
    keys = conn.call("KEYS", "*")
    out = {}
    strings = []
    for k in keys:
        if re.match(r"r\d+:l:", k):
            out[k] = conn.call("LRANGE", k, "0", "-1")
        else:
            strings.append(k)
    for i in range(0, len(strings), 1000):
        batch = strings[i:i + 1000]
        for k, v in zip(batch, conn.call("MGET", *batch)):
            out[k] = v
    conn.close()
    return out


def log_summary(path, lines=30):
    """The server log's last lines, runs of one repeated message collapsed."""
    out = []
    for line in open(path, errors="replace").read().splitlines():
        msg = line.split(" ", 5)[-1]  # without pid and time
        if out and out[-1][0] == msg:
            out[-1][1] += 1
        else:
            out.append([msg, 1, line])
    return "\n".join(f"  {full}" + (f"  [repeated {n} times]" if n > 1 else "")
                     for _, n, full in out[-lines:])


def short(value):
    text = repr(value)
    return text if len(text) <= 120 else text[:100] + f"... ({len(value)} items)"


def describe(expected, actual, limit=5):
    lines = []
    for k in sorted(set(expected) | set(actual)):
        e, a = expected.get(k), actual.get(k)
        if e == a:
            continue
        if isinstance(e, list) and isinstance(a, list):
            missing = [x for x in e if x not in a]
            extra = [x for x in a if x not in e]
            lines.append(f"  {k}: list of {len(a)}, expected {len(e)}; "
                         f"missing {missing[:5]} unexpected {extra[:5]}")
        else:
            lines.append(f"  {k}: got {short(a)}, expected {short(e)}")
        if len(lines) >= limit:
            lines.append("  ...")
            break
    return "\n".join(lines)


def verify(round_no, writers, snapshot, port):
    """Checks the restarted server; returns (ok, new snapshot)."""
    actual = dump(port)
    prefix = f"r{round_no}:"
    problems = []
    old = {k: v for k, v in actual.items() if not k.startswith(prefix)}
    if old != snapshot:
        problems.append("data of earlier rounds changed:\n" + describe(snapshot, old))
    mine = {k: v for k, v in actual.items() if k.startswith(prefix)}
    claimed = set()
    total_acked = total_sent = 0
    for w in writers:
        total_acked += w.acked
        total_sent += len(w.ops)
        for e in w.errors:
            problems.append(f"writer {w.w}: wrong reply while running: {e}")
        counter, lst, sprefix = w.keys()
        got = {k: v for k, v in mine.items()
               if k in (counter, lst) or k.startswith(sprefix)}
        claimed |= set(got)
        candidates = range(w.acked, len(w.ops) + 1)
        if not any(got == w.state_after(k) for k in candidates):
            problems.append(
                f"writer {w.w}: data matches none of its first {list(candidates)} "
                f"commands ({w.acked} acknowledged):\n"
                + describe(w.state_after(w.acked), got))
    unexpected = sorted(set(mine) - claimed)
    if unexpected:
        problems.append(f"keys never written: {unexpected[:10]}")
    print(f"round {round_no}: {total_acked} acknowledged of {total_sent} sent, "
          f"{len(mine)} keys of this round found", flush=True)
    for p in problems:
        print(p, flush=True)
    return not problems, actual


failures = 0
snapshot = {}
pending = None  # (round_no, writers) waiting for verification
for round_no in range(len(ROUNDS) + 1):
    # One more start after the last round, to check it.
    fsync, rewrites = ROUNDS[round_no] if round_no < len(ROUNDS) else ("always", False)
    mode = f"appendfsync {fsync}" + (" + rewrites" if rewrites else "")
    log_path = os.path.join(TMP, f"server{round_no}.log")
    proc, port = start_server(fsync, rewrites, log_path)
    if pending is not None:
        prev_no, prev_writers, prev_mode, prev_failed = pending
        ok, snapshot = verify(prev_no, prev_writers, snapshot, port)
        if not ok:
            print(log_summary(os.path.join(TMP, f"server{prev_no}.log")))
        ok = ok and not prev_failed
        print(f"round {prev_no} ({prev_mode}): {'PASS' if ok else 'FAIL'}", flush=True)
        if not ok:
            failures += 1
    if round_no == len(ROUNDS):
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        if rc != 0:
            print(f"FAIL: SIGTERM exit status {rc}")
            failures += 1
        break

    round_failed = False
    writers = [Writer(round_no, w, port, rng.randrange(2**31)) for w in range(WRITERS)]
    kill_after = rng.uniform(0.5, 2.0)
    rewrite_at = rng.uniform(0.1, kill_after) if rewrites else None
    start = time.time()
    for w in writers:
        w.start()
    if rewrite_at is not None:
        time.sleep(rewrite_at)
        try:
            c = Conn(port)
            print(f"round {round_no}: BGREWRITEAOF at {rewrite_at:.2f}s: "
                  f"{c.call('BGREWRITEAOF')}", flush=True)
            c.close()
        except OSError as e:
            print(f"FAIL: round {round_no}: BGREWRITEAOF could not be sent: {e}")
            round_failed = True
    time.sleep(max(0.0, kill_after - (time.time() - start)))
    if proc.poll() is not None:
        print(f"FAIL: round {round_no}: the server died on its own "
              f"(status {proc.returncode}) before the kill; log {log_path}:")
        print(log_summary(log_path))
        round_failed = True
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for w in writers:
        w.join(timeout=30)
        if w.is_alive():
            print(f"FAIL: writer {w.w} still running after the kill")
            round_failed = True
    rewrites_done = open(log_path).read().count("rewrite finished successfully")
    print(f"round {round_no} ({mode}): killed at {kill_after:.2f}s, "
          f"writers acknowledged {[w.acked for w in writers]}"
          f" ({', '.join(sorted(set(w.end for w in writers)))}), "
          f"{rewrites_done} rewrite(s) completed", flush=True)
    pending = (round_no, writers, mode, round_failed)

if failures:
    print(f"FAIL: {failures} violation(s), seed {seed}")
    sys.exit(1)
print(f"PASS: all {len(ROUNDS)} rounds, seed {seed}")
PYEOF
rc=$?
# Kept on failure (outside Bazel) for a look at the files and logs.
if [[ $rc -eq 0 ]]; then rm -rf "$tmp"; else echo "data and logs kept in $tmp"; fi
exit $rc
