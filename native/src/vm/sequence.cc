// Sequence operations and index_view (see sequence.h for ownership and error codes).
#include "vm/sequence.h"

#include <cstring>
#include <string>

#include "util/dtype.h"

namespace kestrel {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Product of dims[lo, hi) (dims already validated: non-negative, total count fits).
uint64_t product(const std::vector<int64_t>& dims, size_t lo, size_t hi) {
  uint64_t n = 1;
  for (size_t i = lo; i < hi; ++i) n *= static_cast<uint64_t>(dims[i]);
  return n;
}

Status allocate(Pool* pool, uint32_t dtype, const std::vector<int64_t>& shape, const std::string& what,
                Tensor* t) {
  uint64_t count = 0, bytes = 0;
  KESTREL_TRY(element_count(shape.data(), shape.size(), what, &count));
  KESTREL_TRY(byte_size(dtype, count, what, &bytes));
  t->dtype = dtype;
  t->shape = shape;
  KESTREL_TRY(pool->allocate(bytes, what, &t->storage));
  t->data = t->storage->data;
  return Ok();
}

}  // namespace

Status normalize_position(int64_t pos, uint64_t n, bool allow_end, const char* what, uint64_t* out) {
  const int64_t len = static_cast<int64_t>(n);  // lengths come from vectors / dims: < 2^62
  const int64_t hi = allow_end ? len : len - 1;
  if (pos < -len || pos > hi) {
    return Fail(code::kIndexRange, std::string(what) + " " + std::to_string(pos) +
                                       " is out of range for length " + std::to_string(n) + " (valid: " +
                                       std::to_string(-len) + " to " + std::to_string(hi) + ")");
  }
  *out = static_cast<uint64_t>(pos < 0 ? pos + len : pos);
  return Ok();
}

Status normalize_axis(uint32_t raw, uint64_t rank, const char* what, uint32_t* out) {
  const int64_t axis = static_cast<int32_t>(raw);
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    return Fail(code::kShapeCheck, std::string(what) + ": axis " + std::to_string(axis) +
                                       " is out of range for rank " + std::to_string(rank));
  }
  *out = static_cast<uint32_t>(axis < 0 ? axis + r : axis);
  return Ok();
}

Status index_view(const Tensor& src, int64_t index, Tensor* out) {
  if (src.shape.empty()) return Fail(code::kBytecodeInvalid, "index_view of a rank-0 tensor");
  uint64_t pos = 0;
  KESTREL_TRY(
      normalize_position(index, static_cast<uint64_t>(src.shape[0]), false, "index_view: index", &pos));
  const uint64_t inner = product(src.shape, 1, src.shape.size()) * dtype_size(src.dtype);
  *out = src;
  out->shape.erase(out->shape.begin());
  out->data = src.data + pos * inner;
  return Ok();
}

Status sequence_concat(const Sequence& seq, uint32_t raw_axis, bool new_axis, Pool* pool, Tensor* out) {
  if (seq.items.empty()) {
    return Fail(code::kShapeCheck, "seq_concat (ConcatFromSequence) of an empty sequence");
  }
  const Tensor& first = seq.items[0];
  // String elements point into their own storage; a byte copy would outlive it (strings.h).
  if (first.dtype == 22) return Fail(code::kBytecodeInvalid, "seq_concat of string tensors");
  const size_t rank = first.shape.size();
  uint32_t axis = 0;
  KESTREL_TRY(normalize_axis(raw_axis, new_axis ? rank + 1 : rank, "seq_concat", &axis));
  std::vector<int64_t> shape = first.shape;
  int64_t joined = 0;
  for (size_t k = 0; k < seq.items.size(); ++k) {
    const Tensor& t = seq.items[k];
    bool same = t.shape.size() == rank;
    for (size_t d = 0; same && d < rank; ++d) same = t.shape[d] == first.shape[d] || (!new_axis && d == axis);
    if (!same) {
      return Fail(code::kShapeCheck,
                  "seq_concat: element " + std::to_string(k) + " has shape " + shape_str(t.shape) +
                      ", element 0 has " + shape_str(first.shape) +
                      (new_axis ? " (stacking needs equal shapes)"
                                : " (shapes must agree except on axis " + std::to_string(axis) + ")"));
    }
    if (!new_axis && __builtin_add_overflow(joined, t.shape[axis], &joined)) {
      return Fail(code::kShapeArith, "seq_concat: the joined extent overflows");
    }
  }
  if (new_axis) shape.insert(shape.begin() + axis, static_cast<int64_t>(seq.items.size()));
  else shape[axis] = joined;
  KESTREL_TRY(allocate(pool, first.dtype, shape, "seq_concat result", out));
  const uint64_t outer = product(first.shape, 0, axis);
  const size_t esize = dtype_size(first.dtype);
  uint8_t* dst = out->data;
  for (uint64_t o = 0; o < outer; ++o) {
    for (const Tensor& t : seq.items) {
      const uint64_t chunk = product(t.shape, axis, rank) * esize;
      if (chunk) std::memcpy(dst, t.data + o * chunk, chunk);
      dst += chunk;
    }
  }
  return Ok();
}

Status sequence_split(const Tensor& src, uint32_t raw_axis, const std::vector<int64_t>& sizes,
                      bool keepdims, Pool* pool, Sequence* out) {
  const size_t rank = src.shape.size();
  if (rank == 0) return Fail(code::kShapeCheck, "seq_split (SplitToSequence) of a rank-0 tensor");
  if (src.dtype == 22) return Fail(code::kBytecodeInvalid, "seq_split of a string tensor");
  uint32_t axis = 0;
  KESTREL_TRY(normalize_axis(raw_axis, rank, "seq_split", &axis));
  const int64_t extent = src.shape[axis];
  const uint64_t pieces = sizes.empty() ? static_cast<uint64_t>(extent) : sizes.size();
  // Each piece costs a Tensor record outside the pool; refuse absurd counts before allocating.
  if (pieces > pool->limit() / 128) {
    return Fail(code::kOutOfMemory, "seq_split: " + std::to_string(pieces) +
                                        " pieces exceed the session's memory limit");
  }
  int64_t sum = 0;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] < 0 || (!keepdims && sizes[k] != 1)) {
      return Fail(code::kShapeCheck, "seq_split: piece " + std::to_string(k) + " has size " +
                                         std::to_string(sizes[k]) +
                                         (keepdims ? " (sizes must be >= 0)" : " (keepdims=0 needs size 1)"));
    }
    if (__builtin_add_overflow(sum, sizes[k], &sum)) sum = INT64_MAX;
  }
  if (!sizes.empty() && sum != extent) {
    return Fail(code::kShapeCheck, "seq_split: sizes add up to " + std::to_string(sum) + ", axis " +
                                       std::to_string(axis) + " of " + shape_str(src.shape) + " has " +
                                       std::to_string(extent));
  }
  const size_t esize = dtype_size(src.dtype);
  const uint64_t outer = product(src.shape, 0, axis);
  const uint64_t inner = product(src.shape, axis + 1, rank) * esize;
  out->dtype = src.dtype;
  out->items.clear();
  out->items.reserve(pieces);
  uint64_t start = 0;
  for (uint64_t k = 0; k < pieces; ++k) {
    const uint64_t size = sizes.empty() ? 1 : static_cast<uint64_t>(sizes[k]);
    std::vector<int64_t> shape = src.shape;
    shape[axis] = static_cast<int64_t>(size);
    Tensor piece;
    if (axis == 0) {
      piece = src;
      piece.shape = shape;
      piece.data = src.data + start * inner;
    } else {
      KESTREL_TRY(allocate(pool, src.dtype, shape, "seq_split piece", &piece));
      const uint64_t chunk = size * inner;
      for (uint64_t o = 0; o < outer && chunk; ++o) {
        const uint64_t from = (o * static_cast<uint64_t>(extent) + start) * inner;
        std::memcpy(piece.data + o * chunk, src.data + from, chunk);
      }
    }
    if (!keepdims) piece.shape.erase(piece.shape.begin() + axis);
    out->items.push_back(std::move(piece));
    start += size;
  }
  return Ok();
}

}  // namespace kestrel
