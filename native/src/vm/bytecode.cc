// Bytecode parser and verifier (see bytecode.h for what verification guarantees).
#include "vm/bytecode.h"

#include <cstring>

#include "util/dtype.h"
#include "vm/isa_generated.h"

namespace kestrel {
namespace {

using isa::Kind;

Status bad(const std::string& why) {
  return Fail(code::kBytecodeInvalid, "bytecode failed verification: " + why);
}

class Reader {
 public:
  Reader(const uint8_t* p, uint64_t n) : p_(p), n_(n) {}
  bool u32(uint32_t* v) {
    if (n_ - i_ < 4) return false;
    std::memcpy(v, p_ + i_, 4);
    i_ += 4;
    return true;
  }
  bool bytes(uint32_t len, std::string* s) {
    const uint64_t padded = (uint64_t{len} + 3) / 4 * 4;
    if (n_ - i_ < padded) return false;
    s->assign(reinterpret_cast<const char*>(p_ + i_), len);
    i_ += padded;
    return true;
  }
  uint64_t left() const { return n_ - i_; }

 private:
  const uint8_t* p_;
  uint64_t n_;
  uint64_t i_ = 0;
};

Status read_header(Reader* r, Program* p) {
  uint32_t magic = 0, version = 0, n_strings = 0;
  if (!r->u32(&magic) || magic != isa::kMagic) return bad("bad magic (expected KSBC)");
  if (!r->u32(&version)) return bad("truncated header");
  if (version != isa::kFormatVersion) {
    return Fail(code::kArtifactVersion, "bytecode format " + std::to_string(version) +
                                            ", this runtime runs " + std::to_string(isa::kFormatVersion));
  }
  if (!r->u32(&p->n_regs) || !r->u32(&p->n_inputs) || !r->u32(&p->n_outputs) ||
      !r->u32(&p->n_kernels) || !r->u32(&n_strings)) {
    return bad("truncated header");
  }
  if (p->n_regs > kMaxRegisters) return bad("too many registers");
  if (n_strings > r->left() / 4) return bad("string count exceeds the data");
  for (uint32_t i = 0; i < n_strings; ++i) {
    uint32_t len = 0;
    p->strings.emplace_back();
    if (!r->u32(&len) || !r->bytes(len, &p->strings.back())) return bad("truncated string table");
  }
  uint32_t code_len = 0;
  if (!r->u32(&code_len)) return bad("truncated header (code length)");
  if (uint64_t{code_len} * 4 != r->left()) return bad("code length disagrees with the data size");
  p->code.resize(code_len);
  for (uint32_t& w : p->code) r->u32(&w);
  return Ok();
}

// Checks one instruction's operands at code[pc...]; advances *pc past it.
class Verifier {
 public:
  explicit Verifier(const Program& p) : p_(p), n_(p.code.size()) {}

  Status run() {
    if (n_ == 0) return bad("empty code");
    std::vector<bool> starts(n_, false);
    uint64_t pc = 0;
    const isa::OpInfo* last = nullptr;
    while (pc < n_) {
      starts[pc] = true;
      last = isa::find_op(p_.code[pc]);
      if (!last) return at(pc, "unknown opcode " + std::to_string(p_.code[pc]));
      KESTREL_TRY(instruction(*last, &pc));
    }
    for (const auto& t : targets_) {
      if (t.second >= n_ || !starts[t.second]) {
        return at(t.first, "jump target " + std::to_string(t.second) + " is not an instruction");
      }
    }
    const auto op = static_cast<isa::Op>(last->code);
    if (op != isa::Op::kRet && op != isa::Op::kJump && op != isa::Op::kFail) {
      return bad("the last instruction (" + std::string(last->name) + ") can fall off the end");
    }
    return Ok();
  }

 private:
  const Program& p_;
  const uint64_t n_;
  std::vector<std::pair<uint64_t, uint64_t>> targets_;  // (instruction pc, target)

  static Status at(uint64_t pc, const std::string& why) {
    return bad("at word " + std::to_string(pc) + ": " + why);
  }

  bool word(uint64_t* i, uint32_t* w) {
    if (*i >= n_) return false;
    *w = p_.code[(*i)++];
    return true;
  }

  Status instruction(const isa::OpInfo& info, uint64_t* pc) {
    const uint64_t start = *pc;
    uint64_t i = start + 1;
    uint32_t values[isa::kMaxOperands] = {};
    for (int k = 0; k < info.n_operands; ++k) {
      KESTREL_TRY(operand(info, info.operands[k], start, &i, &values[k]));
    }
    KESTREL_TRY(semantic(info, start, values));
    *pc = i;
    return Ok();
  }

  Status in_range(uint32_t v, uint32_t limit, const char* what, uint64_t pc, const isa::OpInfo& info) {
    if (v < limit) return Ok();
    return at(pc, std::string(info.name) + ": " + what + " " + std::to_string(v) + " out of range (" +
                      std::to_string(limit) + ")");
  }

  Status operand(const isa::OpInfo& info, Kind kind, uint64_t pc, uint64_t* i, uint32_t* v) {
    const std::string trunc = std::string(info.name) + ": truncated operands";
    if (!word(i, v)) return at(pc, trunc);
    switch (kind) {
      case Kind::kReg: return in_range(*v, p_.n_regs, "register", pc, info);
      case Kind::kKernel: return in_range(*v, p_.n_kernels, "kernel", pc, info);
      case Kind::kStr: return in_range(*v, static_cast<uint32_t>(p_.strings.size()), "string", pc, info);
      case Kind::kDtype: return in_range(*v, kDTypeCount, "dtype", pc, info);
      case Kind::kU32: return Ok();
      case Kind::kTarget: targets_.emplace_back(pc, *v); return Ok();
      case Kind::kImm: { uint32_t hi; return word(i, &hi) ? Ok() : at(pc, trunc); }
      case Kind::kImms:
        if (*v > (n_ - *i) / 2) return at(pc, trunc);
        *i += uint64_t{*v} * 2;
        return Ok();
      case Kind::kRegs: {
        if (*v > n_ - *i) return at(pc, trunc);
        for (uint32_t k = 0; k < *v; ++k) {
          KESTREL_TRY(in_range(p_.code[(*i)++], p_.n_regs, "register", pc, info));
        }
        return Ok();
      }
    }
    return at(pc, "unknown operand kind");
  }

  // Checks that need the meaning of an operand, not only its kind.
  Status semantic(const isa::OpInfo& info, uint64_t pc, const uint32_t* v) {
    switch (static_cast<isa::Op>(info.code)) {
      case isa::Op::kRet:
        if (v[0] != p_.n_outputs) {
          return at(pc, "ret returns " + std::to_string(v[0]) + " values, the program declares " +
                            std::to_string(p_.n_outputs));
        }
        return Ok();
      case isa::Op::kInput:
        KESTREL_TRY(in_range(v[1], p_.n_inputs, "input index", pc, info));
        return in_range(v[3], kMaxRank + 1, "rank", pc, info);
      case isa::Op::kIntOp: return in_range(v[0], isa::kIntOpCount, "int_op", pc, info);
      case isa::Op::kDim:
      case isa::Op::kCheckDim: {
        const uint32_t axis = v[static_cast<isa::Op>(info.code) == isa::Op::kDim ? 2 : 1];
        return in_range(axis, kMaxRank, "axis", pc, info);
      }
      case isa::Op::kAlloc:
      case isa::Op::kReshape:
        return in_range(v[2], kMaxRank + 1, "rank", pc, info);
      case isa::Op::kConstTensor:
      case isa::Op::kSliceView:
        return in_range(v[3], kMaxRank + 1, "rank", pc, info);
      default: return Ok();
    }
  }
};

}  // namespace

Status load_program(const uint8_t* data, uint64_t size, Program* out) {
  *out = Program{};
  if (size % 4 != 0) return bad("size is not a multiple of 4 bytes");
  Reader r(data, size);
  KESTREL_TRY(read_header(&r, out));
  return Verifier(*out).run();
}

}  // namespace kestrel
