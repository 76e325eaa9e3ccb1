// The list representation (a quicklist: a deque of listpacks), and the
// listpack itself, which the hash type reuses for its small encoding.
//
// Why chunked: a std::deque<std::string> costs 32 bytes of std::string per
// element plus a heap block for anything over 15 bytes; a listpack entry
// costs its bytes plus 2 length bytes for short elements. Bounding each
// listpack (8 KiB, Redis's list-max-listpack-size -2) keeps pushes, pops and
// in-place edits at one bounded memmove, and index lookups walk node
// counts, not elements.
//
// Single-threaded. Views returned by accessors stay valid until the next
// change to the same object.

#ifndef TWINKV_CORE_LIST_OBJECT_H_
#define TWINKV_CORE_LIST_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "core/db.h"

namespace twinkv {

// A sequence of binary-safe strings packed into one buffer. Each entry is
// [varint length][bytes][the same varint, bytes reversed], so it can be
// walked in both directions. Positions are byte offsets of entry starts;
// end() is one past the last entry.
class Listpack {
 public:
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t bytes() const { return buf_.size(); }
  size_t capacity() const { return buf_.capacity(); }
  size_t end() const { return buf_.size(); }

  // The entry at `pos` (< end()).
  absl::string_view Get(size_t pos) const {
    size_t len;
    size_t hdr = ReadVarint(pos, &len);
    return absl::string_view(buf_.data() + pos + hdr, len);
  }
  // The position after the entry at `pos`.
  size_t Next(size_t pos) const {
    size_t len;
    size_t hdr = ReadVarint(pos, &len);
    return pos + 2 * hdr + len;
  }
  // The position of the entry before `pos` (requires pos > 0).
  size_t Prev(size_t pos) const {
    size_t len = 0;
    size_t hdr = 0;
    size_t p = pos;
    for (int shift = 0;; shift += 7) {
      uint8_t b = static_cast<uint8_t>(buf_[--p]);
      len |= static_cast<size_t>(b & 0x7f) << shift;
      ++hdr;
      if (!(b & 0x80)) break;
    }
    return pos - 2 * hdr - len;
  }
  // Bytes an entry of `len` bytes occupies.
  static size_t EntrySize(size_t len) { return 2 * VarintSize(len) + len; }

  // Inserts `s` as a new entry at `pos` (an entry start or end()).
  void Insert(size_t pos, absl::string_view s) {
    const size_t hdr = VarintSize(s.size());
    buf_.insert(pos, EntrySize(s.size()), '\0');
    char* p = buf_.data() + pos;
    WriteVarint(s.size(), p);
    if (!s.empty()) memcpy(p + hdr, s.data(), s.size());
    char* back = p + hdr + s.size();
    for (size_t i = 0; i < hdr; ++i) back[i] = p[hdr - 1 - i];
    ++count_;
  }
  void PushBack(absl::string_view s) { Insert(end(), s); }
  void PushFront(absl::string_view s) { Insert(0, s); }
  // Replaces the entry at `pos` with `s`.
  void Replace(size_t pos, absl::string_view s) {
    Erase(pos);
    Insert(pos, s);
  }
  // Erases the entry at `pos`.
  void Erase(size_t pos) { EraseRange(pos, Next(pos), 1); }
  // Erases the `n` entries between positions `from` and `to`.
  void EraseRange(size_t from, size_t to, size_t n) {
    buf_.erase(from, to - from);
    count_ -= n;
  }
  // Keeps only the entries for which keep(pos, entry) is true, in one pass.
  void Filter(absl::FunctionRef<bool(size_t pos, absl::string_view)> keep) {
    std::string out;
    out.reserve(buf_.size());
    size_t kept = 0;
    for (size_t pos = 0; pos < end();) {
      size_t next = Next(pos);
      if (keep(pos, Get(pos))) {
        out.append(buf_, pos, next - pos);
        ++kept;
      }
      pos = next;
    }
    buf_.swap(out);
    count_ = kept;
  }
  // Moves the entries from position `pos` on into a new listpack.
  Listpack SplitAt(size_t pos, size_t entries_before) {
    Listpack tail;
    tail.buf_.assign(buf_, pos, std::string::npos);
    tail.count_ = count_ - entries_before;
    buf_.resize(pos);
    count_ = entries_before;
    return tail;
  }
  void ShrinkToFit() { buf_.shrink_to_fit(); }

 private:
  static size_t VarintSize(size_t n) {
    size_t k = 1;
    while (n >= 0x80) {
      n >>= 7;
      ++k;
    }
    return k;
  }
  static void WriteVarint(size_t n, char* p) {
    while (n >= 0x80) {
      *p++ = static_cast<char>((n & 0x7f) | 0x80);
      n >>= 7;
    }
    *p = static_cast<char>(n);
  }
  // Reads the forward varint at `pos`; returns its size in bytes.
  size_t ReadVarint(size_t pos, size_t* out) const {
    size_t n = 0;
    size_t k = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t b = static_cast<uint8_t>(buf_[pos + k++]);
      n |= static_cast<size_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    *out = n;
    return k;
  }

  std::string buf_;
  size_t count_ = 0;
};

// A Redis list: elements addressed by index 0..size()-1 (head to tail).
// Contracts: index arguments must be < size(); Pop* require !empty().
class ListObject : public ValueObject {
 public:
  // Redis's list-max-listpack-size -2.
  static constexpr size_t kDefaultNodeBytes = 8192;

  // `max_node_bytes` bounds each listpack (an element larger than that gets
  // a node of its own); tests pass a tiny bound to exercise node splits.
  explicit ListObject(size_t max_node_bytes = kDefaultNodeBytes)
      : ValueObject(ValueType::kList), max_node_bytes_(max_node_bytes) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // OBJECT ENCODING: Redis 7.0 encodes every list as a quicklist.
  absl::string_view Encoding() const override { return "quicklist"; }
  // Bytes owned (node buffers and the node deque), for memory reports.
  size_t AllocatedBytes() const;
  // A deep copy (COPY).
  std::unique_ptr<ValueObject> Clone() const override;

  void PushFront(absl::string_view s);
  void PushBack(absl::string_view s);
  std::string PopFront();
  std::string PopBack();

  absl::string_view At(size_t index) const;
  void Set(size_t index, absl::string_view s);
  // Inserts `s` so that it becomes element `index` (index <= size()).
  void InsertAt(size_t index, absl::string_view s);

  // Calls fn(element) for the elements from `index` towards the tail
  // (`reverse`: towards the head) until fn returns false or the list ends.
  void Walk(size_t index, bool reverse,
            absl::FunctionRef<bool(absl::string_view)> fn) const;

  // Removes up to `limit` elements equal to `value` (0: all), scanning from
  // the head, or from the tail with `from_tail`. Returns how many.
  size_t RemoveEqual(absl::string_view value, size_t limit, bool from_tail);
  // Removes the first `n` / last `n` elements (n <= size()).
  void RemoveFront(size_t n);
  void RemoveBack(size_t n);

 private:
  // Node index and position within the node of element `index`.
  void Locate(size_t index, size_t* node, size_t* pos) const;
  // Splits node `i` in two if it outgrew the bound.
  void MaybeSplit(size_t i);
  void DropEmptyNode(size_t i);

  size_t max_node_bytes_;
  size_t size_ = 0;
  std::deque<Listpack> nodes_;
};

}  // namespace twinkv

#endif  // TWINKV_CORE_LIST_OBJECT_H_
