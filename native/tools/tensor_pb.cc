// ONNX TensorProto reader for kestrel-run: see tensor_pb.h. Field numbers are those of onnx.proto.
#include "tensor_pb.h"

#include <cstring>

#include "kestrel_runtime.h"

namespace kestrel_tools {
namespace {

// onnx.proto TensorProto fields.
enum Field {
  kDims = 1, kDataType = 2, kFloatData = 4, kInt32Data = 5, kStringData = 6, kInt64Data = 7, kName = 8,
  kRawData = 9, kDoubleData = 10, kUint64Data = 11, kExternalData = 13, kDataLocation = 14,
};

// ONNX TensorProto.DataType -> KESTREL_DTYPE_*, or -1.
int32_t kestrel_dtype(uint64_t onnx) {
  switch (onnx) {
    case 1: return KESTREL_DTYPE_FLOAT32;
    case 2: return KESTREL_DTYPE_UINT8;
    case 3: return KESTREL_DTYPE_INT8;
    case 4: return KESTREL_DTYPE_UINT16;
    case 5: return KESTREL_DTYPE_INT16;
    case 6: return KESTREL_DTYPE_INT32;
    case 7: return KESTREL_DTYPE_INT64;
    case 9: return KESTREL_DTYPE_BOOL;
    case 10: return KESTREL_DTYPE_FLOAT16;
    case 11: return KESTREL_DTYPE_FLOAT64;
    case 12: return KESTREL_DTYPE_UINT32;
    case 13: return KESTREL_DTYPE_UINT64;
    case 16: return KESTREL_DTYPE_BFLOAT16;
    case 17: return KESTREL_DTYPE_FLOAT8E4M3FN;
    case 18: return KESTREL_DTYPE_FLOAT8E4M3FNUZ;
    case 19: return KESTREL_DTYPE_FLOAT8E5M2;
    case 20: return KESTREL_DTYPE_FLOAT8E5M2FNUZ;
    default: return -1;
  }
}

struct Reader {
  const unsigned char* p;
  const unsigned char* end;
  bool ok = true;

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) break;
      const unsigned char b = *p++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  // The next `n` bytes as a sub-reader (length-delimited fields, packed arrays).
  Reader bytes(uint64_t n) {
    if (n > static_cast<uint64_t>(end - p)) {
      ok = false;
      return Reader{end, end};
    }
    Reader r{p, p + n};
    p += n;
    return r;
  }
  bool skip(uint32_t wire) {
    switch (wire) {
      case 0: varint(); return ok;
      case 1: bytes(8); return ok;
      case 2: bytes(varint()); return ok;
      case 5: bytes(4); return ok;
      default: return ok = false;
    }
  }
};

// Appends the low `size` bytes of `v` (little-endian host assumed, as the runtime does).
void put(std::vector<char>* out, uint64_t v, size_t size) {
  const size_t at = out->size();
  out->resize(at + size);
  std::memcpy(out->data() + at, &v, size);
}

// One element, or a packed run of elements, of a typed field: varints truncated to `size` bytes
// (int32_data, int64_data, uint64_data) or fixed-width values of `size` bytes (float, double).
bool typed(Reader& r, uint32_t wire, size_t size, bool varints, std::vector<char>* out) {
  auto one = [&](Reader& x) {
    if (varints) {
      put(out, x.varint(), size);
    } else {
      const Reader b = x.bytes(size);
      if (x.ok) out->insert(out->end(), b.p, b.p + size);
    }
    return x.ok;
  };
  if (wire != 2) return one(r);
  Reader packed = r.bytes(r.varint());
  while (r.ok && packed.p < packed.end) {
    if (!one(packed)) return false;
  }
  return r.ok;
}

}  // namespace

bool parse_tensor_pb(const std::vector<char>& bytes, PbTensor* out, std::string* error) {
  Reader r{reinterpret_cast<const unsigned char*>(bytes.data()),
           reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()};
  uint64_t onnx_type = 0;
  std::vector<char> raw, typed_data;
  bool has_raw = false;
  while (r.ok && r.p < r.end) {
    const uint64_t key = r.varint();
    const uint32_t field = static_cast<uint32_t>(key >> 3), wire = key & 7;
    switch (field) {
      case kDims:
        if (wire == 2) {
          Reader packed = r.bytes(r.varint());
          while (r.ok && packed.ok && packed.p < packed.end) out->dims.push_back(packed.varint());
          r.ok = r.ok && packed.ok;
        } else {
          out->dims.push_back(static_cast<int64_t>(r.varint()));
        }
        break;
      case kDataType: onnx_type = r.varint(); break;
      case kName: { const Reader s = r.bytes(r.varint()); out->name.assign(s.p, s.end); break; }
      case kRawData: {
        const Reader s = r.bytes(r.varint());
        raw.assign(s.p, s.end);
        has_raw = true;
        break;
      }
      // Typed fields. Integer fields are truncated to the element's width, which is known once
      // data_type is: protobuf writers put field 2 before fields 4..11; a file that does not is
      // refused.
      case kFloatData: r.ok = typed(r, wire, 4, false, &typed_data); break;
      case kDoubleData: r.ok = typed(r, wire, 8, false, &typed_data); break;
      case kInt32Data: case kInt64Data: case kUint64Data: {
        const int32_t dt = kestrel_dtype(onnx_type);
        const size_t size = dt < 0 ? 0 : kestrel_dtype_size(dt);
        if (size == 0) {
          *error = "an integer data field comes before a known data_type";
          return false;
        }
        r.ok = typed(r, wire, size, true, &typed_data);
        break;
      }
      case kStringData: *error = "string tensors are not supported"; return false;
      case kExternalData: *error = "external data is not supported (save the tensor inline)"; return false;
      case kDataLocation:
        if (r.varint() != 0) {
          *error = "external data is not supported (save the tensor inline)";
          return false;
        }
        break;
      default: r.skip(wire); break;
    }
  }
  if (!r.ok) {
    *error = "not a valid TensorProto (truncated or malformed)";
    return false;
  }
  out->dtype = kestrel_dtype(onnx_type);
  if (out->dtype < 0) {
    *error = "ONNX data_type " + std::to_string(onnx_type) + " is not one the runtime supports";
    return false;
  }
  uint64_t count = 1;
  for (int64_t d : out->dims) {
    if (d < 0) {
      *error = "negative dim";
      return false;
    }
    count *= static_cast<uint64_t>(d);
  }
  out->data = has_raw ? std::move(raw) : std::move(typed_data);
  const uint64_t want = count * kestrel_dtype_size(out->dtype);
  if (out->data.size() != want) {
    *error = "holds " + std::to_string(out->data.size()) + " bytes of data; its dims need " +
             std::to_string(want);
    return false;
  }
  return true;
}

}  // namespace kestrel_tools
