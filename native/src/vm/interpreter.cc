// The instruction loop (see vm.h). One flat switch over opcodes; each case decodes its operands
// in isa.json order and calls a small helper.
#include <chrono>
#include <cstring>

#include "util/dtype.h"
#include "vm/isa_generated.h"
#include "vm/sequence.h"
#include "vm/strings.h"
#include "vm/vm.h"

namespace kestrel {

Status element_count(const int64_t* dims, size_t rank, const std::string& what, uint64_t* count) {
  uint64_t n = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0) {
      return Fail(code::kShapeArith, what + ": dimension " + std::to_string(i) + " is negative (" +
                                         std::to_string(dims[i]) + ")");
    }
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(dims[i]), &n) || n > (uint64_t{1} << 62)) {
      return Fail(code::kShapeArith, what + ": element count overflows");
    }
  }
  *count = n;
  return Ok();
}

Status byte_size(uint32_t dtype, uint64_t count, const std::string& what, uint64_t* bytes) {
  if (__builtin_mul_overflow(count, uint64_t{dtype_size(dtype)}, bytes)) {
    return Fail(code::kShapeArith, what + ": byte size overflows");
  }
  return Ok();
}

namespace {

using isa::Op;

struct Span {
  const uint32_t* p;
  uint32_t n;
};

class Machine {
 public:
  Machine(const Executable& ex, const RunControl& ctl, std::vector<Value>* inputs, std::vector<Value>* regs)
      : ex_(ex), ctl_(ctl), prog_(*ex.program), code_(prog_.code.data()), inputs_(*inputs), r_(*regs) {
    ctx_.parallel_for = &ThreadPool::parallel_for_c;
    ctx_.pool = ex.threads;
  }

  Status run(std::vector<Value>* outputs);
  // Word offset of the instruction that ran last (the failing one after a failed run).
  uint64_t failed_at() const { return op_pc_; }

 private:
  const Executable& ex_;
  const RunControl& ctl_;
  const Program& prog_;
  const uint32_t* code_;
  std::vector<Value>& inputs_;
  std::vector<Value>& r_;
  uint64_t pc_ = 0;
  uint64_t op_pc_ = 0;
  kestrel_kernel_ctx ctx_{};
  std::vector<void*> bufs_;
  std::vector<int64_t> scalars_;
  std::vector<int64_t> dims_;
  uint64_t iterations_ = 0;  // backward jumps taken

  uint32_t w() { return code_[pc_++]; }
  int64_t imm() {
    const uint64_t lo = w();
    const uint64_t hi = w();
    return static_cast<int64_t>(lo | (hi << 32));
  }
  Span span() {
    const uint32_t n = w();
    Span s{code_ + pc_, n};
    pc_ += n;
    return s;
  }
  const std::string& str(uint32_t i) const { return prog_.strings[i]; }

  Status bad(const std::string& why) const {
    const isa::OpInfo* op = isa::find_op(code_[op_pc_]);
    return Fail(code::kBytecodeInvalid, "at word " + std::to_string(op_pc_) + " (" + op->name +
                                            "): " + why);
  }
  static const char* kind_name(Value::Kind k) {
    switch (k) {
      case Value::kEmpty: return "nothing";
      case Value::kInt: return "an integer";
      case Value::kTensor: return "a tensor";
      case Value::kSequence: return "a sequence";
    }
    return "?";
  }
  Status wrong_kind(uint32_t reg, const char* wanted) const {
    return bad("register r" + std::to_string(reg) + " is not " + wanted + " (it holds " +
               kind_name(r_[reg].kind) + ")");
  }
  Status want_int(uint32_t reg, int64_t* v) const {
    if (r_[reg].kind != Value::kInt) return wrong_kind(reg, "an integer");
    *v = r_[reg].i;
    return Ok();
  }
  Status want_tensor(uint32_t reg, const Tensor** t) const {
    if (r_[reg].kind != Value::kTensor) return wrong_kind(reg, "a tensor");
    *t = &r_[reg].t;
    return Ok();
  }
  Status want_seq(uint32_t reg, std::shared_ptr<Sequence>* s) const {
    if (r_[reg].kind != Value::kSequence) return wrong_kind(reg, "a sequence");
    *s = r_[reg].seq;
    return Ok();
  }
  void set_seq(uint32_t reg, std::shared_ptr<Sequence> s) {
    Value v;
    v.kind = Value::kSequence;
    v.seq = std::move(s);
    r_[reg] = std::move(v);
  }
  // The sequence in `src`, ready to be changed and stored in `dst`: the same object when dst ==
  // src and nothing else refers to it (copy-on-write), otherwise a copy.
  Status writable_seq(uint32_t dst, uint32_t src, std::shared_ptr<Sequence>* out) {
    KESTREL_TRY(want_seq(src, out));
    if (dst == src && out->use_count() == 2) {  // the register and *out
      r_[src] = Value{};
      return Ok();
    }
    *out = std::make_shared<Sequence>(**out);
    return Ok();
  }
  // Optional position operand (`regs` of 0 or 1 registers).
  Status optional_pos(Span s, bool* has, int64_t* pos) {
    if (s.n > 1) return bad("pos lists " + std::to_string(s.n) + " registers (0 or 1 allowed)");
    *has = s.n == 1;
    return *has ? want_int(s.p[0], pos) : Ok();
  }
  Status flag(uint32_t v, const char* what, bool* out) const {
    if (v > 1) return bad(std::string(what) + " is " + std::to_string(v) + " (0 or 1 allowed)");
    *out = v == 1;
    return Ok();
  }
  Status check_cancel() const {
    if ((ctl_.cancel && ctl_.cancel->load(std::memory_order_relaxed)) ||
        (ctl_.cancel_run && ctl_.cancel_run->load(std::memory_order_relaxed))) {
      return Fail(code::kCancelled, "cancelled");
    }
    return Ok();
  }
  // Called when a jump to `target` is taken.
  Status jumped(uint32_t target) {
    if (target > op_pc_) return Ok();
    if (++iterations_ > ctl_.max_iterations) {
      return Fail(code::kCancelled, "loop iteration limit " + std::to_string(ctl_.max_iterations) +
                                        " exceeded");
    }
    return check_cancel();
  }
  void set_int(uint32_t reg, int64_t v) {
    r_[reg] = Value{};
    r_[reg].kind = Value::kInt;
    r_[reg].i = v;
  }
  void set_tensor(uint32_t reg, Tensor t) {
    Value v;
    v.kind = Value::kTensor;
    v.t = std::move(t);
    r_[reg] = std::move(v);
  }
  Status int_dims(Span s) {
    dims_.resize(s.n);
    for (uint32_t k = 0; k < s.n; ++k) KESTREL_TRY(want_int(s.p[k], &dims_[k]));
    return Ok();
  }
  Status new_tensor(uint32_t dtype, const std::string& what, Tensor* t);

  Status op_input();
  Status op_check_dim();
  Status op_dim();
  Status op_int_op();
  Status op_const_tensor();
  Status op_alloc();
  Status op_reshape();
  Status op_copy();
  Status op_load_int();
  Status op_make_ints();
  Status op_call_kernel();
  Status kernel_failed(uint32_t kernel, int32_t status) const;
  Status op_seq_empty();
  Status op_seq_construct();
  Status op_seq_insert();
  Status op_seq_erase();
  Status op_seq_at();
  Status op_seq_length();
  Status op_seq_concat();
  Status op_string_op();
  Status op_seq_split();
  Status op_index_view();
  Status op_slice_view();
  Status op_check();
  Status op_check_dims();
  Status op_fail();
  Status op_input_seq();
  Status op_input_opt();
  Status op_ret(std::vector<Value>* outputs);
  void record(uint64_t t0);
  Status returned(const Tensor& t, Tensor* out);
  Status owned(const Tensor& t, Tensor* out);
};

Status Machine::new_tensor(uint32_t dtype, const std::string& what, Tensor* t) {
  uint64_t count = 0, bytes = 0;
  KESTREL_TRY(element_count(dims_.data(), dims_.size(), what, &count));
  KESTREL_TRY(byte_size(dtype, count, what, &bytes));
  t->dtype = dtype;
  t->shape = dims_;
  KESTREL_TRY(ex_.pool->allocate(bytes, what, &t->storage));
  t->data = t->storage->data;
  return Ok();
}

Status Machine::op_input() {
  const uint32_t dst = w(), index = w(), dtype = w(), rank = w();
  const std::string& name = ex_.manifest->inputs[index].name;
  if (inputs_[index].kind != Value::kTensor) {
    return Fail(code::kInputData, "input '" + name + "' is not a tensor (it is " +
                                      kind_name(inputs_[index].kind) + ")");
  }
  const Tensor& in = inputs_[index].t;
  if (in.dtype != dtype) {
    return Fail(code::kInputDtype, "input '" + name + "' has dtype " + dtype_name(in.dtype) +
                                       ", expected " + dtype_name(dtype));
  }
  if (in.shape.size() != rank) {
    return Fail(code::kInputShape, "input '" + name + "' has rank " + std::to_string(in.shape.size()) +
                                       ", expected " + std::to_string(rank));
  }
  set_tensor(dst, in);
  return Ok();
}

Status Machine::op_input_seq() {
  const uint32_t dst = w(), index = w(), dtype = w();
  const std::string& name = ex_.manifest->inputs[index].name;
  const Value& in = inputs_[index];
  if (in.kind != Value::kSequence) {
    return Fail(code::kInputData,
                "input '" + name + "' is not a sequence (it is " + kind_name(in.kind) + ")");
  }
  if (in.seq->dtype != dtype) {
    return Fail(code::kInputDtype, "input '" + name + "' is a sequence of " + dtype_name(in.seq->dtype) +
                                       ", expected " + dtype_name(dtype));
  }
  r_[dst] = in;
  return Ok();
}

Status Machine::op_input_opt() {
  const uint32_t dst = w(), index = w();
  r_[dst] = inputs_[index];
  return Ok();
}

Status Machine::op_check_dim() {
  const uint32_t reg = w(), axis = w(), expected_reg = w(), what = w();
  const Tensor* t = nullptr;
  int64_t expected = 0;
  KESTREL_TRY(want_tensor(reg, &t));
  KESTREL_TRY(want_int(expected_reg, &expected));
  if (axis >= t->shape.size()) return bad("axis " + std::to_string(axis) + " out of range");
  if (t->shape[axis] == expected) return Ok();
  return Fail(code::kInputSymbol, str(what) + ": dimension " + std::to_string(axis) + " is " +
                                      std::to_string(t->shape[axis]) + ", expected " +
                                      std::to_string(expected));
}

Status Machine::op_dim() {
  const uint32_t dst = w(), reg = w(), axis = w();
  const Tensor* t = nullptr;
  KESTREL_TRY(want_tensor(reg, &t));
  if (axis >= t->shape.size()) return bad("axis " + std::to_string(axis) + " out of range");
  set_int(dst, t->shape[axis]);
  return Ok();
}

// Floor division and modulo; false on division by zero or INT64_MIN / -1.
bool floor_divmod(int64_t a, int64_t b, int64_t* q, int64_t* m) {
  if (b == 0 || (a == INT64_MIN && b == -1)) return false;
  *q = a / b;
  *m = a % b;
  if (*m != 0 && ((*m < 0) != (b < 0))) {
    *q -= 1;
    *m += b;
  }
  return true;
}

Status Machine::op_int_op() {
  const uint32_t op = w(), dst = w(), ra = w(), rb = w();
  int64_t a = 0, b = 0, v = 0, q = 0, m = 0;
  KESTREL_TRY(want_int(ra, &a));
  KESTREL_TRY(want_int(rb, &b));
  bool ok = true;
  switch (static_cast<isa::IntOp>(op)) {
    case isa::IntOp::kAdd: ok = !__builtin_add_overflow(a, b, &v); break;
    case isa::IntOp::kSub: ok = !__builtin_sub_overflow(a, b, &v); break;
    case isa::IntOp::kMul: ok = !__builtin_mul_overflow(a, b, &v); break;
    case isa::IntOp::kFloordiv: ok = floor_divmod(a, b, &q, &m); v = q; break;
    case isa::IntOp::kMod: ok = floor_divmod(a, b, &q, &m); v = m; break;
    case isa::IntOp::kMin: v = a < b ? a : b; break;
    case isa::IntOp::kMax: v = a > b ? a : b; break;
    case isa::IntOp::kEq: v = a == b; break;
    case isa::IntOp::kNe: v = a != b; break;
    case isa::IntOp::kLt: v = a < b; break;
    case isa::IntOp::kLe: v = a <= b; break;
    case isa::IntOp::kGt: v = a > b; break;
    case isa::IntOp::kGe: v = a >= b; break;
    case isa::IntOp::kAnd: v = (a != 0) && (b != 0); break;
    case isa::IntOp::kOr: v = (a != 0) || (b != 0); break;
  }
  if (!ok) {
    return Fail(code::kShapeArith, std::string("integer ") + isa::kIntOpNames[op] + "(" +
                                       std::to_string(a) + ", " + std::to_string(b) +
                                       ") overflows or divides by zero");
  }
  set_int(dst, v);
  return Ok();
}

alignas(64) uint8_t g_empty_constant[64];

Status Machine::op_const_tensor() {
  const uint32_t dst = w(), dtype = w();
  const int64_t offset = imm();
  const uint32_t rank = w();
  dims_.resize(rank);
  for (uint32_t k = 0; k < rank; ++k) dims_[k] = imm();
  uint64_t count = 0, bytes = 0;
  KESTREL_TRY(element_count(dims_.data(), rank, "constant", &count));
  KESTREL_TRY(byte_size(dtype, count, "constant", &bytes));
  if (dtype == kDTypeString) return bad("a string tensor cannot be a constant");
  const uint64_t off = static_cast<uint64_t>(offset);
  if (offset < 0 || off > ex_.constants_size || bytes > ex_.constants_size - off) {
    return bad("constant at offset " + std::to_string(offset) + " lies outside the constants");
  }
  if (off % 64 != 0) return bad("constant offset " + std::to_string(offset) + " is not 64-aligned");
  Tensor t;
  t.dtype = dtype;
  t.shape = dims_;
  t.data = bytes == 0 ? g_empty_constant : const_cast<uint8_t*>(ex_.constants + off);
  set_tensor(dst, std::move(t));
  return Ok();
}

Status Machine::op_alloc() {
  const uint32_t dst = w(), dtype = w();
  KESTREL_TRY(int_dims(span()));
  if (dtype == kDTypeString) return bad("alloc cannot make a string tensor (string_op makes them)");
  Tensor t;
  // Every failure message starts with `what`: the tensor's ONNX name replaces it only then, so
  // a successful allocation builds no string.
  static const std::string kWhat = "tensor";
  Status s = new_tensor(dtype, kWhat, &t);
  if (!s.ok()) {
    s.message = ex_.manifest->debug.tensor(dst) + s.message.substr(kWhat.size());
    return s;
  }
  set_tensor(dst, std::move(t));
  return Ok();
}

Status Machine::op_reshape() {
  const uint32_t dst = w(), src = w();
  KESTREL_TRY(int_dims(span()));
  const Tensor* t = nullptr;
  KESTREL_TRY(want_tensor(src, &t));
  uint64_t before = 0, after = 0;
  KESTREL_TRY(element_count(t->shape.data(), t->shape.size(), "reshape source", &before));
  KESTREL_TRY(element_count(dims_.data(), dims_.size(), "reshape target", &after));
  if (before != after) {
    return Fail(code::kShapeCheck, ex_.manifest->debug.tensor(dst) + ": reshape of " +
                                       std::to_string(before) + " elements to a shape of " +
                                       std::to_string(after) + " elements");
  }
  Tensor view = *t;
  view.shape = dims_;
  set_tensor(dst, std::move(view));
  return Ok();
}

Status Machine::op_copy() {
  const uint32_t dst = w(), src = w();
  const Tensor* t = nullptr;
  KESTREL_TRY(want_tensor(src, &t));
  Tensor out;
  KESTREL_TRY(owned(*t, &out));
  set_tensor(dst, std::move(out));
  return Ok();
}

// Element `i` of an integer tensor as int64; false for non-integer dtypes.
bool read_int(const Tensor& t, uint64_t i, int64_t* v) {
  switch (t.dtype) {
    case 1: case 7: *v = reinterpret_cast<const uint8_t*>(t.data)[i]; return true;   // uint8, bool
    case 2: *v = reinterpret_cast<const int8_t*>(t.data)[i]; return true;
    case 3: *v = reinterpret_cast<const uint16_t*>(t.data)[i]; return true;
    case 4: *v = reinterpret_cast<const int16_t*>(t.data)[i]; return true;
    case 5: *v = reinterpret_cast<const int32_t*>(t.data)[i]; return true;
    case 6: case 11: std::memcpy(v, t.data + 8 * i, 8); return true;                 // int64, uint64
    case 10: *v = reinterpret_cast<const uint32_t*>(t.data)[i]; return true;
    default: return false;
  }
}

Status Machine::op_load_int() {
  const uint32_t dst = w(), src = w(), index = w();
  const Tensor* t = nullptr;
  KESTREL_TRY(want_tensor(src, &t));
  uint64_t count = 0;
  KESTREL_TRY(element_count(t->shape.data(), t->shape.size(), "load_int source", &count));
  if (index >= count) {
    return Fail(code::kShapeCheck, "shape tensor has " + std::to_string(count) + " elements; element " +
                                       std::to_string(index) + " was read");
  }
  int64_t v = 0;
  if (!read_int(*t, index, &v)) {
    return Fail(code::kShapeCheck, std::string("a ") + dtype_name(t->dtype) + " tensor used as a shape");
  }
  set_int(dst, v);
  return Ok();
}

Status Machine::op_make_ints() {
  const uint32_t dst = w(), dtype = w(), rank = w();
  const Span vs = span();
  if (rank > 1 || (rank == 0 && vs.n != 1)) return bad("make_ints needs rank 0 with one value, or rank 1");
  if (dtype != 5 && dtype != 6 && dtype != 7) return bad("make_ints makes int32, int64 or bool tensors");
  std::vector<int64_t> values(vs.n);
  for (uint32_t k = 0; k < vs.n; ++k) KESTREL_TRY(want_int(vs.p[k], &values[k]));
  dims_.assign(rank, static_cast<int64_t>(vs.n));
  Tensor t;
  KESTREL_TRY(new_tensor(dtype, "shape tensor", &t));
  for (uint32_t k = 0; k < vs.n; ++k) {
    if (dtype == 6) std::memcpy(t.data + 8 * k, &values[k], 8);
    else if (dtype == 7) t.data[k] = values[k] != 0 ? 1 : 0;
    else reinterpret_cast<int32_t*>(t.data)[k] = static_cast<int32_t>(values[k]);
  }
  set_tensor(dst, std::move(t));
  return Ok();
}

// A tensor with the contents of `t` in fresh pool storage.
Status Machine::owned(const Tensor& t, Tensor* out) {
  if (t.dtype == kDTypeString) return copy_strings(ex_.pool.get(), t, out);  // deep: see strings.h
  dims_ = t.shape;
  KESTREL_TRY(new_tensor(t.dtype, "copy", out));
  uint64_t count = 0;
  element_count(t.shape.data(), t.shape.size(), "copy", &count);
  std::memcpy(out->data, t.data, count * dtype_size(t.dtype));
  return Ok();
}

Status Machine::op_call_kernel() {
  const uint32_t kernel = w();
  const Span ts = span(), ss = span();
  bufs_.resize(ts.n);
  scalars_.resize(ss.n);
  KESTREL_TRY(check_cancel());
  for (uint32_t k = 0; k < ts.n; ++k) {
    const Tensor* t = nullptr;
    KESTREL_TRY(want_tensor(ts.p[k], &t));
    bufs_[k] = t->data;
  }
  for (uint32_t k = 0; k < ss.n; ++k) KESTREL_TRY(want_int(ss.p[k], &scalars_[k]));
  int32_t status = 0;
  if (ex_.device) {
    KESTREL_TRY(ex_.device->launch(kernel, bufs_.data(), ts.n, scalars_.data(), ss.n, &status));
  } else {
    status = ex_.kernels[kernel](&ctx_, bufs_.data(), scalars_.data());
  }
  if (status == 0) return check_cancel();  // a cancel that arrived during the kernel
  return kernel_failed(kernel, status);
}

// KR0202 in ONNX terms where the debug table allows: the nodes fused into the call and what the
// failed assert checks, then the kernel and status for reference.
Status Machine::kernel_failed(uint32_t kernel, int32_t status) const {
  const DebugInfo& dbg = ex_.manifest->debug;
  const auto& names = ex_.manifest->kernel_names;
  const std::string name = kernel < names.size() && !names[kernel].empty() ? " " + names[kernel] : "";
  const std::string nodes = dbg.call_nodes(static_cast<uint32_t>(op_pc_));
  const auto what = dbg.status.find(status);
  return Fail(code::kKernelFailed, (nodes.empty() ? "" : nodes + ": ") +
                                       (what != dbg.status.end() ? what->second : "a run-time check failed") +
                                       " (kernel " + std::to_string(kernel) + name + ", status " +
                                       std::to_string(status) + ")");
}

std::string kr_code(uint32_t c) {
  std::string digits = std::to_string(c % 10000);
  return "KR" + std::string(4 - digits.size(), '0') + digits;
}

Status Machine::op_check() {
  const uint32_t cond = w(), c = w(), msg = w();
  int64_t v = 0;
  KESTREL_TRY(want_int(cond, &v));
  if (v != 0) return Ok();
  Status s;
  s.code = kr_code(c);
  s.message = str(msg);
  return s;
}

// Like op_check; the message's `{}` placeholders take the values of the `values` registers.
Status Machine::op_check_dims() {
  const uint32_t cond = w(), c = w(), msg = w();
  const Span vs = span();
  int64_t v = 0;
  KESTREL_TRY(want_int(cond, &v));
  if (v != 0) return Ok();
  const std::string& text = str(msg);
  std::string out;
  uint32_t next = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{' && i + 1 < text.size() && text[i + 1] == '}' && next < vs.n) {
      int64_t d = 0;
      KESTREL_TRY(want_int(vs.p[next++], &d));
      out += std::to_string(d);
      ++i;
    } else {
      out += text[i];
    }
  }
  Status s;
  s.code = kr_code(c);
  s.message = std::move(out);
  return s;
}

Status Machine::op_fail() {
  const uint32_t c = w(), msg = w();
  Status s;
  s.code = kr_code(c);
  s.message = str(msg);
  return s;
}

// A tensor fit to hand out: owned pool storage, 64-aligned (views and constants are copied).
Status Machine::returned(const Tensor& t, Tensor* out) {
  if (t.storage && reinterpret_cast<uintptr_t>(t.data) % 64 == 0) {
    *out = t;
    return Ok();
  }
  return owned(t, out);
}

Status Machine::op_ret(std::vector<Value>* outputs) {
  const Span s = span();
  outputs->clear();
  for (uint32_t k = 0; k < s.n; ++k) {
    const Value& v = r_[s.p[k]];
    // The register's kind must be the manifest output's: a tensor, a sequence, or for an
    // optional either one or nothing.
    const IoKind want = k < ex_.manifest->outputs.size() ? ex_.manifest->outputs[k].kind : IoKind::kTensor;
    if (want == IoKind::kTensor && v.kind != Value::kTensor) return wrong_kind(s.p[k], "a tensor");
    if (want == IoKind::kSequence && v.kind != Value::kSequence) return wrong_kind(s.p[k], "a sequence");
    outputs->emplace_back();
    Value& out = outputs->back();
    out.kind = v.kind;
    if (v.kind == Value::kTensor) {
      KESTREL_TRY(returned(v.t, &out.t));
    } else if (v.kind == Value::kSequence) {
      auto seq = std::make_shared<Sequence>();
      seq->dtype = v.seq->dtype;
      seq->items.resize(v.seq->items.size());
      for (size_t i = 0; i < seq->items.size(); ++i) KESTREL_TRY(returned(v.seq->items[i], &seq->items[i]));
      out.seq = std::move(seq);
    } else if (v.kind != Value::kEmpty) {
      return wrong_kind(s.p[k], "a tensor, a sequence or empty");
    }
  }
  return Ok();
}

Status Machine::op_seq_empty() {
  const uint32_t dst = w(), dtype = w();
  auto s = std::make_shared<Sequence>();
  s->dtype = dtype;
  set_seq(dst, std::move(s));
  return Ok();
}

Status Machine::op_seq_construct() {
  const uint32_t dst = w();
  const Span ts = span();
  if (ts.n == 0) return bad("seq_construct needs at least one tensor (use seq_empty)");
  auto s = std::make_shared<Sequence>();
  s->items.reserve(ts.n);
  for (uint32_t k = 0; k < ts.n; ++k) {
    const Tensor* t = nullptr;
    KESTREL_TRY(want_tensor(ts.p[k], &t));
    if (k > 0 && t->dtype != s->dtype) {
      return Fail(code::kShapeCheck, std::string("seq_construct: tensor ") + std::to_string(k) + " is " +
                                         dtype_name(t->dtype) + ", tensor 0 is " + dtype_name(s->dtype) +
                                         " (a sequence holds one dtype)");
    }
    s->dtype = t->dtype;
    s->items.push_back(*t);
  }
  set_seq(dst, std::move(s));
  return Ok();
}

Status Machine::op_seq_insert() {
  const uint32_t dst = w(), src = w(), treg = w();
  const Span ps = span();
  const Tensor* t = nullptr;
  bool has = false;
  int64_t pos = 0;
  KESTREL_TRY(want_tensor(treg, &t));
  KESTREL_TRY(optional_pos(ps, &has, &pos));
  std::shared_ptr<Sequence> seq;
  KESTREL_TRY(want_seq(src, &seq));
  if (t->dtype != seq->dtype) {
    return Fail(code::kShapeCheck, std::string("seq_insert: a ") + dtype_name(t->dtype) +
                                       " tensor into a sequence of " + dtype_name(seq->dtype));
  }
  uint64_t at = seq->items.size();
  if (has) KESTREL_TRY(normalize_position(pos, seq->items.size(), true, "seq_insert: position", &at));
  // Copied before the register may be cleared by writable_seq (treg == src is a kind error above).
  Tensor item = *t;
  seq.reset();
  KESTREL_TRY(writable_seq(dst, src, &seq));
  seq->items.insert(seq->items.begin() + static_cast<ptrdiff_t>(at), std::move(item));
  set_seq(dst, std::move(seq));
  return Ok();
}

Status Machine::op_seq_erase() {
  const uint32_t dst = w(), src = w();
  const Span ps = span();
  bool has = false;
  int64_t pos = -1;
  KESTREL_TRY(optional_pos(ps, &has, &pos));
  std::shared_ptr<Sequence> seq;
  KESTREL_TRY(want_seq(src, &seq));
  uint64_t at = 0;
  KESTREL_TRY(normalize_position(has ? pos : -1, seq->items.size(), false, "seq_erase: position", &at));
  seq.reset();
  KESTREL_TRY(writable_seq(dst, src, &seq));
  seq->items.erase(seq->items.begin() + static_cast<ptrdiff_t>(at));
  set_seq(dst, std::move(seq));
  return Ok();
}

Status Machine::op_seq_at() {
  const uint32_t dst = w(), src = w(), preg = w();
  std::shared_ptr<Sequence> seq;
  int64_t pos = 0;
  KESTREL_TRY(want_seq(src, &seq));
  KESTREL_TRY(want_int(preg, &pos));
  uint64_t at = 0;
  KESTREL_TRY(normalize_position(pos, seq->items.size(), false, "seq_at: position", &at));
  set_tensor(dst, seq->items[at]);
  return Ok();
}

Status Machine::op_seq_length() {
  const uint32_t dst = w(), src = w();
  std::shared_ptr<Sequence> seq;
  KESTREL_TRY(want_seq(src, &seq));
  set_int(dst, static_cast<int64_t>(seq->items.size()));
  return Ok();
}

Status Machine::op_seq_concat() {
  const uint32_t dst = w(), src = w(), axis = w(), new_axis = w();
  std::shared_ptr<Sequence> seq;
  bool stack = false;
  KESTREL_TRY(want_seq(src, &seq));
  KESTREL_TRY(flag(new_axis, "new_axis", &stack));
  Tensor out;
  KESTREL_TRY(sequence_concat(*seq, axis, stack, ex_.pool.get(), &out));
  set_tensor(dst, std::move(out));
  return Ok();
}

Status Machine::op_string_op() {
  const Span dsts = span();
  const uint32_t op = w();
  const Span srcs = span();
  const std::string& params = str(w());
  std::vector<const Tensor*> ins(srcs.n);
  for (uint32_t k = 0; k < srcs.n; ++k) KESTREL_TRY(want_tensor(srcs.p[k], &ins[k]));
  std::vector<Tensor> outs;
  KESTREL_TRY(string_op(op, ins, params, ex_.pool.get(), &outs));
  if (outs.size() != dsts.n) return bad("string operator " + std::to_string(op) + " writes " +
                                        std::to_string(outs.size()) + " registers");
  for (uint32_t k = 0; k < dsts.n; ++k) set_tensor(dsts.p[k], std::move(outs[k]));
  return Ok();
}

Status Machine::op_seq_split() {
  const uint32_t dst = w(), src = w(), axis = w();
  const Span sizes = span();
  const uint32_t keepdims = w();
  const Tensor* t = nullptr;
  bool keep = true;
  KESTREL_TRY(want_tensor(src, &t));
  KESTREL_TRY(flag(keepdims, "keepdims", &keep));
  KESTREL_TRY(int_dims(sizes));
  auto seq = std::make_shared<Sequence>();
  KESTREL_TRY(sequence_split(*t, axis, dims_, keep, ex_.pool.get(), seq.get()));
  set_seq(dst, std::move(seq));
  return Ok();
}

Status Machine::op_index_view() {
  const uint32_t dst = w(), src = w(), ireg = w();
  const Tensor* t = nullptr;
  int64_t index = 0;
  KESTREL_TRY(want_tensor(src, &t));
  KESTREL_TRY(want_int(ireg, &index));
  Tensor view;
  KESTREL_TRY(index_view(*t, index, &view));
  set_tensor(dst, std::move(view));
  return Ok();
}

Status Machine::op_slice_view() {
  const uint32_t dst = w(), src = w(), oreg = w();
  KESTREL_TRY(int_dims(span()));
  const Tensor* t = nullptr;
  int64_t offset = 0;
  KESTREL_TRY(want_tensor(src, &t));
  KESTREL_TRY(want_int(oreg, &offset));
  uint64_t total = 0, count = 0;
  KESTREL_TRY(element_count(t->shape.data(), t->shape.size(), "slice_view source", &total));
  KESTREL_TRY(element_count(dims_.data(), dims_.size(), "slice_view shape", &count));
  if (offset < 0 || static_cast<uint64_t>(offset) > total || count > total - static_cast<uint64_t>(offset)) {
    return Fail(code::kIndexRange, ex_.manifest->debug.tensor(dst) + ": slice_view of " +
                                       std::to_string(count) + " elements at offset " +
                                       std::to_string(offset) + " of a tensor of " +
                                       std::to_string(total) + " elements");
  }
  Tensor view = *t;
  view.shape = dims_;
  view.data = t->data + static_cast<uint64_t>(offset) * dtype_size(t->dtype);
  set_tensor(dst, std::move(view));
  return Ok();
}

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Scalar bookkeeping the profile leaves out: it would only bury the kernels and copies.
bool profiled(Op op) {
  switch (op) {
    case Op::kJump: case Op::kJumpIf: case Op::kIntConst: case Op::kIntOp: case Op::kDim:
    case Op::kMove: case Op::kFree: case Op::kCheck: case Op::kCheckDims: case Op::kCheckDim:
    case Op::kHasValue: case Op::kMemLimit:
      return false;
    default:
      return true;
  }
}

// Records the instruction at op_pc_, which started at t0 and has just finished.
void Machine::record(uint64_t t0) {
  const Op op = static_cast<Op>(code_[op_pc_]);
  if (!profiled(op)) return;
  ProfileEvent e;
  e.at = static_cast<uint32_t>(op_pc_);
  e.op = code_[op_pc_];
  e.start_ns = t0;
  e.dur_ns = now_ns() - t0;
  if (op != Op::kCallKernel) {
    const isa::OpInfo* info = isa::find_op(e.op);
    if (info && info->n_operands > 0 && info->operands[0] == isa::Kind::kReg) e.reg = code_[op_pc_ + 1];
  } else {
    e.kernel = code_[op_pc_ + 1];
    const uint32_t n = code_[op_pc_ + 2];
    for (uint32_t k = 0; k < n; ++k) {
      const Value& v = r_[code_[op_pc_ + 3 + k]];
      e.shapes.push_back(v.kind == Value::kTensor ? v.t.shape : std::vector<int64_t>{});
    }
    e.flops = ex_.manifest->debug.flops(e.at, scalars_.data(), scalars_.size());
  }
  ctl_.profile->events.push_back(std::move(e));
}

Status Machine::run(std::vector<Value>* outputs) {
  uint64_t steps = 0;
  KESTREL_TRY(check_cancel());  // a run cancelled before it started
  const bool profiling = ctl_.profile != nullptr;
  if (profiling) {
    ctl_.profile->events.clear();
    ctl_.profile->run_start_ns = now_ns();
  }
  for (;;) {
    if (ex_.max_steps != 0 && ++steps > ex_.max_steps) {
      return Fail(code::kCancelled, "the run exceeded the limit of " + std::to_string(ex_.max_steps) +
                                        " instructions");
    }
    op_pc_ = pc_;
    const uint64_t t0 = profiling ? now_ns() : 0;
    switch (static_cast<Op>(w())) {
      case Op::kRet: return op_ret(outputs);
      case Op::kJump: {
        const uint32_t target = w();
        KESTREL_TRY(jumped(target));
        pc_ = target;
        break;
      }
      case Op::kJumpIf: {
        const uint32_t cond = w(), target = w();
        int64_t v = 0;
        KESTREL_TRY(want_int(cond, &v));
        if (v != 0) {
          KESTREL_TRY(jumped(target));
          pc_ = target;
        }
        break;
      }
      case Op::kCallKernel: KESTREL_TRY(op_call_kernel()); break;
      case Op::kInput: KESTREL_TRY(op_input()); break;
      case Op::kCheckDim: KESTREL_TRY(op_check_dim()); break;
      case Op::kDim: KESTREL_TRY(op_dim()); break;
      case Op::kIntConst: { const uint32_t dst = w(); set_int(dst, imm()); break; }
      case Op::kIntOp: KESTREL_TRY(op_int_op()); break;
      case Op::kConstTensor: KESTREL_TRY(op_const_tensor()); break;
      case Op::kAlloc: KESTREL_TRY(op_alloc()); break;
      case Op::kReshape: KESTREL_TRY(op_reshape()); break;
      case Op::kCopy: KESTREL_TRY(op_copy()); break;
      case Op::kLoadInt: KESTREL_TRY(op_load_int()); break;
      case Op::kMakeInts: KESTREL_TRY(op_make_ints()); break;
      case Op::kFree: r_[w()] = Value{}; break;
      case Op::kMove: { const uint32_t dst = w(), src = w(); r_[dst] = r_[src]; break; }
      case Op::kCheck: KESTREL_TRY(op_check()); break;
      case Op::kCheckDims: KESTREL_TRY(op_check_dims()); break;
      case Op::kFail: return op_fail();
      case Op::kSeqEmpty: KESTREL_TRY(op_seq_empty()); break;
      case Op::kSeqConstruct: KESTREL_TRY(op_seq_construct()); break;
      case Op::kSeqInsert: KESTREL_TRY(op_seq_insert()); break;
      case Op::kSeqErase: KESTREL_TRY(op_seq_erase()); break;
      case Op::kSeqAt: KESTREL_TRY(op_seq_at()); break;
      case Op::kSeqLength: KESTREL_TRY(op_seq_length()); break;
      case Op::kSeqConcat: KESTREL_TRY(op_seq_concat()); break;
      case Op::kSeqSplit: KESTREL_TRY(op_seq_split()); break;
      case Op::kStringOp: KESTREL_TRY(op_string_op()); break;
      case Op::kIndexView: KESTREL_TRY(op_index_view()); break;
      case Op::kSliceView: KESTREL_TRY(op_slice_view()); break;
      case Op::kInputSeq: KESTREL_TRY(op_input_seq()); break;
      case Op::kInputOpt: KESTREL_TRY(op_input_opt()); break;
      case Op::kHasValue: {
        const uint32_t dst = w(), src = w();
        const Value::Kind k = r_[src].kind;
        set_int(dst, k == Value::kTensor || k == Value::kSequence ? 1 : 0);
        break;
      }
      case Op::kMemLimit: {
        const uint64_t limit = ex_.pool->limit();
        set_int(w(), limit > uint64_t{INT64_MAX} ? INT64_MAX : static_cast<int64_t>(limit));
        break;
      }
    }
    if (profiling) record(t0);
  }
}

// Shape arithmetic and builtin failures (KR0203-KR0205) whose message names no ONNX node or
// tensor yet get the node whose instructions were running, from the debug table.
void locate(const DebugInfo& dbg, uint64_t pc, Status* s) {
  if (s->code != code::kShapeArith && s->code != code::kShapeCheck && s->code != code::kIndexRange) return;
  if (s->message.rfind("node", 0) == 0 || s->message.rfind("tensor '", 0) == 0) return;
  const std::string node = dbg.node_at(static_cast<uint32_t>(pc));
  if (!node.empty()) s->message = node + ": " + s->message;
}

}  // namespace

Status execute(const Executable& ex, std::vector<Value>* inputs, std::vector<Value>* regs,
               std::vector<Value>* outputs, const RunControl* ctl) {
  const RunControl defaults;
  regs->assign(ex.program->n_regs, Value{});
  Machine m(ex, ctl ? *ctl : defaults, inputs, regs);
  Status s = m.run(outputs);
  for (Value& v : *regs) v = Value{};
  if (!s.ok()) {
    outputs->clear();
    locate(ex.manifest->debug, m.failed_at(), &s);
  }
  return s;
}

}  // namespace kestrel
