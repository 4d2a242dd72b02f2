// RankBitmap: bitmap + Fenwick tree of zero counts per block.
#include "domain/rank_bitmap.h"

#include <bit>
#include <cassert>

namespace p720 {
namespace {

int zeros_in(uint64_t word) { return std::popcount(~word); }

// Position of the k-th (0-based) zero bit of `word`; k is below zeros_in(word).
int select_zero_in_word(uint64_t word, int k) {
  uint64_t free_bits = ~word;
  for (int i = 0; i < k; ++i) free_bits &= free_bits - 1;  // drop the lowest k zeros
  return std::countr_zero(free_bits);
}

}  // namespace

RankBitmap::RankBitmap(int size)
    : size_(size),
      blocks_((size + kBitsPerBlock - 1) / kBitsPerBlock),
      zeros_(size),
      words_(static_cast<size_t>(blocks_) * kWordsPerBlock, 0),
      tree_(static_cast<size_t>(blocks_) + 1, 0) {
  assert(size > 0);
  // Padding past size_ is permanently "set", so the last block needs no special case.
  for (size_t bit = static_cast<size_t>(size_); bit < words_.size() * 64; ++bit) {
    words_[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  // Linear-time Fenwick build from the per-block counts.
  for (int b = 0; b < blocks_; ++b) {
    int count = 0;
    for (int w = 0; w < kWordsPerBlock; ++w) count += zeros_in(words_[b * kWordsPerBlock + w]);
    tree_[b + 1] += count;
    const int parent = (b + 1) + ((b + 1) & -(b + 1));
    if (parent <= blocks_) tree_[parent] += tree_[b + 1];
  }
  while (top_step_ * 2 <= blocks_) top_step_ *= 2;
}

void RankBitmap::add_to_block(int block, int delta) {
  for (int i = block + 1; i <= blocks_; i += i & -i) tree_[i] += delta;
}

bool RankBitmap::set(int i) {
  assert(i >= 0 && i < size_);
  const uint64_t mask = uint64_t{1} << (i & 63);
  uint64_t& word = words_[i >> 6];
  if (word & mask) return false;
  word |= mask;
  --zeros_;
  add_to_block(i / kBitsPerBlock, -1);
  return true;
}

bool RankBitmap::clear(int i) {
  assert(i >= 0 && i < size_);
  const uint64_t mask = uint64_t{1} << (i & 63);
  uint64_t& word = words_[i >> 6];
  if (!(word & mask)) return false;
  word &= ~mask;
  ++zeros_;
  add_to_block(i / kBitsPerBlock, +1);
  return true;
}

int RankBitmap::zeros_before(int i) const {
  assert(i >= 0 && i <= size_);
  if (i == size_) return zeros_;
  const int block = i / kBitsPerBlock;
  int count = 0;
  for (int j = block; j > 0; j -= j & -j) count += tree_[j];
  const int word_index = i >> 6;
  for (int w = block * kWordsPerBlock; w < word_index; ++w) count += zeros_in(words_[w]);
  const int bit = i & 63;
  if (bit != 0) count += zeros_in(words_[word_index] | (~uint64_t{0} << bit));
  return count;
}

int RankBitmap::select_zero(int k) const {
  assert(k >= 0 && k < zeros_);
  // Fenwick descent: find the last block boundary with fewer than k+1 zeros before it.
  int block = 0;
  int remaining = k;
  for (int step = top_step_; step > 0; step >>= 1) {
    const int next = block + step;
    if (next <= blocks_ && tree_[next] <= remaining) {
      block = next;
      remaining -= tree_[next];
    }
  }
  for (int w = block * kWordsPerBlock;; ++w) {
    const int z = zeros_in(words_[w]);
    if (remaining < z) return w * 64 + select_zero_in_word(words_[w], remaining);
    remaining -= z;
  }
}

size_t RankBitmap::heap_bytes() const {
  return words_.capacity() * sizeof(uint64_t) + tree_.capacity() * sizeof(int32_t);
}

}  // namespace p720
