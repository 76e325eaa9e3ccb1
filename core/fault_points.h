// The named fault-injection points of core/: each is a place where code asks
// Runtime::Buggify(point) whether to take a rare but legal path, in the
// manner of FoundationDB's BUGGIFY. Outside the simulator Buggify() is always
// false, so production behaviour is the plain path; the simulator enables a
// seeded subset of points per run and reports which ones fired (a point that
// never fires over a seed sweep is dead weight or unreachable).
//
// Rules for a point: it forces behaviour that the real world may produce
// anyway (a short read, a slow loop, a split write), never behaviour a
// client could tell apart from a correct server beyond timing and chunking;
// it must not deadlock (every deferral is bounded or posted); and the code
// with Buggify() false is exactly the code without the point.
//
// kFaultPoints lists every point, so that a sweep can report the ones that
// were never reached and tests can force them all on.
//
// Constants only; no state.

#ifndef TWINKV_CORE_FAULT_POINTS_H_
#define TWINKV_CORE_FAULT_POINTS_H_

#include "absl/strings/string_view.h"

namespace twinkv {

// core/server.cc, Server::Connection.

// A read asks the stream for 1..7 bytes instead of a whole chunk, so
// commands arrive split at every possible byte: exercises the incremental
// request parser's resumption (a real kernel may return any prefix).
inline constexpr absl::string_view kFaultServerShortRead = "server.read_short";

// Before reading, the connection waits 1..20 ms (a timer), as if the loop
// were busy with other clients: bytes pile up in the kernel, so the next
// read gets several pipelined commands at once, and the client sees a slow
// server.
inline constexpr absl::string_view kFaultServerReadPause = "server.read_pause";

// A batch of replies goes out in two writes, split at a random byte, instead
// of one: the client sees a reply cut in the middle (any TCP segmenting
// could do that), and the server's write-completion path runs twice.
inline constexpr absl::string_view kFaultServerSplitWrite =
    "server.write_split";

// After executing what a read brought, the replies are flushed from a
// posted task instead of at once: replies of later reads may join the same
// write, and the flush runs after other connections' work.
inline constexpr absl::string_view kFaultServerDeferFlush =
    "server.flush_defer";

// When a parse pass leaves an incomplete command in the input buffer, its
// bytes are moved into a fresh allocation of exactly their size (an empty
// buffer is released): the parser must resume from moved bytes, and the
// buffer must grow again for the next read.
inline constexpr absl::string_view kFaultServerCompactInput =
    "server.input_compact";

// core/aof.cc, Aof.

// A rewrite step copies a single bucket of the keyspace instead of working
// for its time budget (in the simulator no time passes within a step, so
// without this a rewrite of a small keyspace is one step): writes arrive
// between the steps and take the copy-on-write path.
inline constexpr absl::string_view kFaultAofRewriteTinyStep =
    "aof.rewrite_tiny_step";

// The group-commit flush is posted once more before it writes, so more
// clients' changes join one write and one fsync (and replies wait longer).
inline constexpr absl::string_view kFaultAofDeferFlush = "aof.flush_defer";

inline constexpr absl::string_view kFaultPoints[] = {
    kFaultServerShortRead,  kFaultServerReadPause,    kFaultServerSplitWrite,
    kFaultServerDeferFlush, kFaultServerCompactInput, kFaultAofRewriteTinyStep,
    kFaultAofDeferFlush,
};

}  // namespace twinkv

#endif  // TWINKV_CORE_FAULT_POINTS_H_
