// String tensors in the VM and the ONNX string operators (the `string_op` builtin).
//
// Representation: a string tensor (dtype 22, `string`) holds one 16-byte element per string,
// {const char* data; uint64_t size} (kestrel_string in kestrel_runtime.h): UTF-8 bytes, not
// NUL-terminated. A string tensor made here is ONE pool block: the element array first, then an arena
// with every string's bytes, which the elements point into. So the block's Storage owns the bytes,
// views (reshape, move) that share the Storage keep them alive, and freeing the Storage frees
// everything: no per-string allocation, nothing to leak. Copying a string tensor (Machine::owned,
// the C API's staging of inputs) is a deep copy through make_strings, never a memcpy of the
// elements, whose pointers would outlive the block they point into. Kernels never see strings:
// the compiler refuses any kernel over a string value (KC0209) and never allocates one with
// `alloc`; constants of dtype string are refused at compile time too, so every string tensor the
// VM meets was made by make_strings (inputs, string_op outputs) and its pointers are valid.
//
// Operators (`op` of string_op; `params` is the attributes, NUL-separated, built by
// compiler/lower/string-ops.ts):
//   0 StringNormalizer  srcs [x: string, rank 1 or [1, C]]; params: action (L, U or N),
//                       case-sensitive (0/1), then the stopwords. Removes the stopwords (compared
//                       case-folded when not case-sensitive), then changes case; when nothing is
//                       left the output is one empty string ([1] or [1, 1]).
//   1 StringConcat      srcs [a, b: string], numpy broadcasting; dsts [string].
//   2 Equal             srcs [a, b: string], numpy broadcasting; dsts [bool].
//   3 RegexFullMatch    srcs [x: string]; params: the pattern; dsts [bool] of x's shape.
//   4 StringSplit       srcs [x: string]; params: maxsplit (decimal, -1 = no limit), has-delimiter
//                       (0/1), the delimiter. dsts [y: string of x.shape + [max count], padded with
//                       empty strings; z: int64 counts of x.shape]. Without a delimiter (or an empty
//                       one) it splits on runs of whitespace and drops empty pieces (Python's
//                       str.split()); with one, every occurrence splits (empty pieces kept).
//   5 TfIdfVectorizer   srcs [x: int32/int64, [C] or [N, C]]; params: mode (T, I or B for TF, IDF,
//                       TFIDF), min and max n-gram length, max skip count, then ngram_counts,
//                       ngram_indexes, the pool and the weights as comma-separated numbers. dsts
//                       [float32 [W] or [N, W], W = max index + 1]. The one op here on numbers: it
//                       is the text family's (tokens), and a string pool is not supported yet.
// Case folding covers ASCII, Latin-1 and Latin Extended-A (U+0000-U+017F), which is what the ONNX
// cases use; other code points are left as they are. Invalid UTF-8 bytes pass through unchanged.
// RegexFullMatch uses std::regex's ECMAScript grammar where ONNX names RE2: the patterns the ONNX
// cases use (classes, \w \W \b, alternation, bounded repetition, anchors) mean the same in both;
// RE2-only syntax ((?P<name>...), \pN, [[:alpha:]] inside classes, \A \z) fails as KR0204 or
// differs, and std::regex matches bytes, so `.` is one byte of a multi-byte UTF-8 character.
#ifndef KESTREL_STRINGS_H_
#define KESTREL_STRINGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kestrel_runtime.h"
#include "util/status.h"
#include "vm/pool.h"
#include "vm/vm.h"

namespace kestrel {

constexpr uint32_t kDTypeString = 22;

// One element of a string tensor (the layout of kestrel_string).
struct StringElem {
  const char* data;
  uint64_t size;
};
static_assert(sizeof(StringElem) == 16, "string elements are 16 bytes");

// Element `i` of string tensor `t` (no bounds check: callers iterate within the element count).
inline std::string_view string_at(const Tensor& t, uint64_t i) {
  const StringElem* e = reinterpret_cast<const StringElem*>(t.data) + i;
  return std::string_view(e->data, e->size);
}

// A fresh string tensor of `shape` holding `items` (product(shape) of them; KR0005 otherwise) in one
// pool block. `what` names the tensor for allocation errors.
Status make_strings(Pool* pool, const std::vector<int64_t>& shape,
                    const std::vector<std::string_view>& items, const std::string& what, Tensor* out);

// A deep copy of string tensor `src` (any view) into fresh storage.
Status copy_strings(Pool* pool, const Tensor& src, Tensor* out);

// A caller's tensor (an input of the C API, already checked against the manifest) copied into
// fresh pool storage: its bytes, or for strings (dtype 22, kestrel_string elements) every string's
// bytes, so nothing of the caller's is referred to after the call.
Status stage_tensor(Pool* pool, const kestrel_tensor& in, const std::string& what, Tensor* t);

// Runs string operator `op` on `srcs`; fills `dsts` (one or two tensors, as above).
Status string_op(uint32_t op, const std::vector<const Tensor*>& srcs, const std::string& params, Pool* pool,
                 std::vector<Tensor>* dsts);

}  // namespace kestrel

#endif
