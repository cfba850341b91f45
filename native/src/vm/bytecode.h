// Bytecode: parsing the binary format (see codegen/bytecode.ts for the layout) and verifying it.
//
// The verifier runs at load, before anything executes, and guarantees to the interpreter:
// every opcode is known; every operand is in range (register < n_regs, kernel < n_kernels,
// string < n_strings, dtype valid, input index < n_inputs, int_op valid, counts fit in the code);
// every jump target is the start of an instruction; the code ends exactly on an instruction
// boundary; the last instruction is ret, jump or fail, so control can never run off the end;
// `ret` returns exactly n_outputs registers. The interpreter therefore decodes without bounds
// checks. What it cannot know statically is checked at run time: register kinds (integer, tensor,
// sequence; so `ret` of a sequence register fails when it runs), the 0/1 flags and signed axes of
// the sequence builtins, and the 0-or-1 `pos` lists of seq_insert / seq_erase. New instructions
// are verified through their operand kinds in the generated table (isa_generated.h); only checks
// that need an operand's meaning go in Verifier::semantic.
#ifndef KESTREL_BYTECODE_H_
#define KESTREL_BYTECODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace kestrel {

constexpr uint32_t kMaxRegisters = 1u << 20;
constexpr uint32_t kMaxRank = 64;

struct Program {
  uint32_t n_regs = 0;
  uint32_t n_inputs = 0;
  uint32_t n_outputs = 0;
  uint32_t n_kernels = 0;
  std::vector<std::string> strings;
  std::vector<uint32_t> code;
};

// Parses and verifies `size` bytes of bytecode. Errors are KR0005 and name the word offset.
Status load_program(const uint8_t* data, uint64_t size, Program* out);

}  // namespace kestrel

#endif
