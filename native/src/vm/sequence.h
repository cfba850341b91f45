// ONNX tensor sequences in the VM, and the tensor slicing that Scan and the sequence ops share.
//
// Ownership: a Sequence is an immutable list of tensors of one dtype, held by shared_ptr in
// registers (vm.h, Value::seq); its elements are Tensors like those in registers (sharing pool
// storage, or constant views), so a sequence keeps its elements' storage alive and releases it when
// the last reference goes. Functions here never modify their inputs; they fill fresh outputs.
//
// Error codes: KR0204 for shape/dtype disagreements and an empty sequence where one element is
// needed, KR0205 for a position/index out of range (naming the index and the length), KR0005 for
// an operand the verifier cannot judge (an axis outside the rank), KR0201/KR0203 from allocation.
// No function reads or writes out of bounds on any input: every extent is checked before copying.
#ifndef KESTREL_SEQUENCE_H_
#define KESTREL_SEQUENCE_H_

#include <cstdint>
#include <vector>

#include "vm/pool.h"
#include "util/status.h"
#include "vm/vm.h"

namespace kestrel {

struct Sequence {
  uint32_t dtype = 0;
  std::vector<Tensor> items;
};

// Normalises position `pos` of a sequence / axis of length `n`: valid positions are [-n, n-1],
// or [-n, n] when `allow_end` (insertion); negative ones count from the end. KR0205 otherwise,
// with a message "<what> <pos> is out of range for length <n>".
Status normalize_position(int64_t pos, uint64_t n, bool allow_end, const char* what, uint64_t* out);

// Normalises an axis read as a signed 32-bit immediate to [0, rank); KR0005 otherwise.
Status normalize_axis(uint32_t raw, uint64_t rank, const char* what, uint32_t* out);

// View of src[index] along axis 0 (shape src.shape[1:], shared storage); rank 0 is KR0005.
Status index_view(const Tensor& src, int64_t index, Tensor* out);

// ONNX ConcatFromSequence: one fresh tensor from `pool` holding every element joined along
// `axis` (new_axis false) or stacked along a new axis `axis` (new_axis true). `raw_axis` is the
// signed 32-bit immediate. Empty sequence / shape mismatch: KR0204.
Status sequence_concat(const Sequence& seq, uint32_t raw_axis, bool new_axis, Pool* pool, Tensor* out);

// ONNX SplitToSequence: pieces of `src` along `raw_axis` with the given sizes (empty = all 1,
// one per index). Sizes must be >= 0 and add up to the extent (KR0204). keepdims false removes the
// axis and needs every size to be 1 (KR0204). Pieces along axis 0 are views; others are copies.
Status sequence_split(const Tensor& src, uint32_t raw_axis, const std::vector<int64_t>& sizes,
                      bool keepdims, Pool* pool, Sequence* out);

}  // namespace kestrel

#endif
