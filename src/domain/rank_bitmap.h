// A fixed-size bitmap that answers "how many zero bits before i" and "where is the k-th
// zero bit" in O(log n); the building block of SoldIndex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace p720 {

// Bits start cleared. Zero counts are kept per 512-bit block in a Fenwick tree, so rank
// and select cost one tree walk plus a scan of at most eight words, however full the
// bitmap is. Memory: size/8 bytes for the bits plus 4 bytes per block.
//
// Not thread-safe: a plain value; callers serialise access.
class RankBitmap {
 public:
  static constexpr int kBitsPerBlock = 512;

  explicit RankBitmap(int size);

  int size() const { return size_; }
  int zeros() const { return zeros_; }

  // Preconditions for all: 0 <= i < size(), 0 <= k < zeros() (asserted).
  bool test(int i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  // Return whether the bit changed.
  bool set(int i);
  bool clear(int i);
  // The number of zero bits in [0, i); i may equal size().
  int zeros_before(int i) const;
  // The position of the k-th (0-based) zero bit.
  int select_zero(int k) const;

  // Bytes allocated on the heap (add sizeof(RankBitmap) for the whole object).
  size_t heap_bytes() const;

 private:
  static constexpr int kWordsPerBlock = kBitsPerBlock / 64;

  void add_to_block(int block, int delta);

  int size_;
  int blocks_;
  int zeros_;
  int top_step_ = 1;             // the highest power of two <= blocks_, for select's descent
  std::vector<uint64_t> words_;  // whole blocks; bits past size_ are set so they never count
  std::vector<int32_t> tree_;    // Fenwick tree over per-block zero counts, 1-based
};

}  // namespace p720
