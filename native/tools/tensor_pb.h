// Reads one ONNX TensorProto (.pb, as in the ONNX test-data layout input_K.pb) for kestrel-run:
// name, dims, data_type and the elements from raw_data or the typed fields (float_data,
// int32_data, int64_data, double_data, uint64_data). A minimal protobuf wire-format reader, so the
// runner needs no protobuf library.
// Guarantees: returns false with a message for a malformed file, a dtype the runtime lacks
// (strings, complex, the sub-byte types), external data, or an element count that does not match the dims;
// on success `data` holds product(dims) little-endian elements of kestrel dtype `dtype`.
#ifndef KESTREL_TOOLS_TENSOR_PB_H_
#define KESTREL_TOOLS_TENSOR_PB_H_

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel_tools {

struct PbTensor {
  std::string name;
  std::vector<int64_t> dims;
  int32_t dtype = -1;  // KESTREL_DTYPE_*
  std::vector<char> data;
};

// Parses `bytes` (a whole .pb file) into `out`; on failure returns false and sets `error`.
bool parse_tensor_pb(const std::vector<char>& bytes, PbTensor* out, std::string* error);

}  // namespace kestrel_tools

#endif
