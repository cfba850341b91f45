// What dlopen would do with an artifact before kestrel calls anything in it, checked on the bytes
// (see artifact.h): the program headers and dynamic section, read as ld.so reads them (segments,
// not section headers, which ld.so ignores and a crafted file can make lie).
//
// Refused, so that mapping an artifact runs none of its code and touches nothing outside it:
// initialisers and finalisers (DT_INIT, DT_FINI, init/fini/preinit arrays; kestrel links with
// -nostartfiles, so its artifacts have none), IFUNC resolvers (STT_GNU_IFUNC symbols and
// IRELATIVE relocations: ld.so and dlsym call them), library dependencies other than libc and libm
// and any search path or audit/filter library (RPATH, RUNPATH, AUDIT, FILTER...: they would load
// another file's code), relocations that write outside the artifact's own segments, defined
// symbols outside them, dynamic tags kestrel does not link (a whitelist: ld.so acts on tags this
// file cannot foresee), tables that ld.so would read outside the segments, an executable stack, and
// loadable segments that ld.so would map over the process's other memory (check_segment_layout).
#include <algorithm>
#include <cstring>

#include "runtime/artifact.h"

namespace kestrel {
namespace {

constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtGnuStack = 0x6474e551, kPtGnuRelro = 0x6474e552;
constexpr uint32_t kPfX = 1, kPfW = 2;
constexpr int64_t kDtNull = 0, kDtNeeded = 1, kDtPltRelSz = 2, kDtHash = 4, kDtStrTab = 5;
constexpr int64_t kDtSymTab = 6, kDtRela = 7, kDtRelaSz = 8, kDtStrSz = 10, kDtRel = 17, kDtJmpRel = 23;
constexpr int64_t kDtGnuHash = 0x6ffffef5, kDtVerSym = 0x6ffffff0, kDtVerNeed = 0x6ffffffe;
constexpr int64_t kDtVerNeedNum = 0x6fffffff;

struct Seg {
  uint32_t type, flags;
  uint64_t offset, vaddr, filesz, memsz;
};

struct Elf {
  const std::string& f;
  std::vector<Seg> segs;
  // File offset of virtual address `a` with `n` bytes readable there, or UINT64_MAX.
  uint64_t at(uint64_t a, uint64_t n) const {
    for (const Seg& s : segs) {
      if (s.type != kPtLoad || a < s.vaddr || a - s.vaddr > s.filesz) continue;
      if (n > s.filesz - (a - s.vaddr)) continue;
      const uint64_t off = s.offset + (a - s.vaddr);
      if (off <= f.size() && n <= f.size() - off) return off;
    }
    return UINT64_MAX;
  }
  bool mapped(uint64_t a, uint64_t n) const {
    for (const Seg& s : segs) {
      if (s.type != kPtLoad || a < s.vaddr || a - s.vaddr > s.memsz) continue;
      if (n <= s.memsz - (a - s.vaddr)) return true;
    }
    return false;
  }
  // Whether `n` bytes at `a` lie in a writable PT_LOAD and outside PT_DYNAMIC: ld.so reads the
  // dynamic array again after relocating, so a relocation aimed into it would forge its entries.
  bool writable(uint64_t a, uint64_t n) const {
    bool in = false;
    for (const Seg& s : segs) {
      if (s.type == kPtDynamic && a < s.vaddr + s.memsz && s.vaddr < a + n) return false;
      const bool hit = a >= s.vaddr && a - s.vaddr <= s.memsz && n <= s.memsz - (a - s.vaddr);
      if (s.type == kPtLoad && (s.flags & kPfW) && hit) in = true;
    }
    return in;
  }
  template <typename T>
  T rd(uint64_t off) const {
    T v;
    std::memcpy(&v, f.data() + off, sizeof(T));
    return v;
  }
};

Status refuse(const std::string& path, const std::string& why) {
  return Fail(code::kArtifactInvalid, "artifact '" + path + "' is not a kestrel artifact: " + why);
}

// How ld.so maps the loadable segments: it reserves one span from the first PT_LOAD's start to the
// LAST one's end, then maps each segment (and its zero-fill pages, memsz past filesz) with
// MAP_FIXED at its address in that span. A segment that ends past the last one's end, or starts
// before the first one, is mapped over whatever follows or precedes the span (ld.so's own code,
// libc, the heap): the process dies inside dlopen. So the PT_LOAD entries must be in ascending
// address order, none overlapping the next, none past a user address space (2^47; as the ELF
// specification requires and every linker produces). ld.so also reads the dynamic section and
// applies RELRO through their addresses, not their file offsets: the dynamic segment must be the
// bytes that a loadable segment maps at its address (those are the bytes checked below), and the
// RELRO range must lie in the loadable segments (mprotect outside them would hit another mapping).
Status check_segment_layout(const std::string& path, const Elf& e) {
  constexpr uint64_t kAddressSpace = uint64_t{1} << 47;  // a user address space, 47-bit or more
  uint64_t end = 0;
  bool first = true;
  for (const Seg& s : e.segs) {
    if (s.type != kPtLoad) continue;
    if (s.vaddr > kAddressSpace || s.memsz > kAddressSpace - s.vaddr) {
      return refuse(path, "a loadable segment reaches past the address space");
    }
    if (!first && s.vaddr < end) {
      return refuse(path, "its loadable segments overlap or are out of address order");
    }
    end = s.vaddr + s.memsz;
    first = false;
  }
  for (const Seg& s : e.segs) {
    if (s.type == kPtDynamic && e.at(s.vaddr, s.filesz) != s.offset) {
      return refuse(path, "the dynamic segment's address does not map its file bytes");
    }
    if (s.type == kPtGnuRelro && !e.mapped(s.vaddr, s.memsz)) {
      return refuse(path, "the RELRO segment lies outside the loadable segments");
    }
  }
  return Ok();
}

Status read_segments(const std::string& path, Elf* e) {
  const uint64_t phoff = e->rd<uint64_t>(32);
  const uint16_t entsize = e->rd<uint16_t>(54), num = e->rd<uint16_t>(56);
  if (entsize != 56 || phoff > e->f.size() || uint64_t{num} * 56 > e->f.size() - phoff) {
    return refuse(path, "bad program headers");
  }
  for (uint16_t i = 0; i < num; ++i) {
    const uint64_t p = phoff + uint64_t{i} * 56;
    e->segs.push_back(Seg{e->rd<uint32_t>(p), e->rd<uint32_t>(p + 4), e->rd<uint64_t>(p + 8),
                          e->rd<uint64_t>(p + 16), e->rd<uint64_t>(p + 32), e->rd<uint64_t>(p + 40)});
    const Seg& s = e->segs.back();
    if (s.type == kPtGnuStack && (s.flags & kPfX)) return refuse(path, "it asks for an executable stack");
    const bool outside = s.offset > e->f.size() || s.filesz > e->f.size() - s.offset;
    if (s.type == kPtLoad && (s.filesz > s.memsz || outside)) {
      return refuse(path, "a segment lies outside the file");
    }
  }
  return check_segment_layout(path, *e);
}

struct Dynamic {
  std::vector<std::pair<int64_t, uint64_t>> entries;
  uint64_t get(int64_t tag) const {
    for (const auto& [t, v] : entries) {
      if (t == tag) return v;
    }
    return 0;
  }
};

// Tags whose presence means code or files ld.so would run or load besides the artifact itself.
const char* forbidden_tag(int64_t tag, uint64_t value) {
  switch (tag) {
    case 12: case 13: return "an initialiser or finaliser (DT_INIT/DT_FINI)";
    case 25: case 26: case 32: return "an init, fini or preinit array";
    case 27: case 28: case 33: return value ? "an init, fini or preinit array" : nullptr;
    case 15: case 29: return "a library search path (RPATH/RUNPATH)";
    case 0x6ffffefc: case 0x6ffffefb: return "an audit library";
    case 0x7ffffffd: case 0x7fffffff: return "a filter library";
    case kDtRel: return "REL relocations (this target uses RELA)";
    default: return nullptr;
  }
}

// The tags kestrel's links produce (x86-64 and AArch64), each of which ld.so can be trusted with
// once the checks below hold; any other tag is refused rather than understood.
bool allowed_tag(int64_t tag) {
  switch (tag) {
    case kDtNeeded: case kDtPltRelSz: case 3 /* PLTGOT */: case kDtHash: case kDtStrTab: case kDtSymTab:
    case kDtRela: case kDtRelaSz: case 9 /* RELAENT */: case kDtStrSz: case 11 /* SYMENT */:
    case 14 /* SONAME */: case 20 /* PLTREL */: case kDtJmpRel: case 24 /* BIND_NOW */: case 30 /* FLAGS */:
    case kDtGnuHash: case kDtVerSym: case 0x6ffffff9 /* RELACOUNT */: case 0x6ffffffb /* FLAGS_1 */:
    case kDtVerNeed: case kDtVerNeedNum:
      return true;
    default:
      return false;
  }
}

Status read_dynamic(const std::string& path, const Elf& e, Dynamic* d) {
  for (const Seg& s : e.segs) {
    if (s.type != kPtDynamic) continue;
    if (s.offset > e.f.size() || s.filesz > e.f.size() - s.offset) return refuse(path, "bad dynamic segment");
    for (uint64_t p = s.offset; p + 16 <= s.offset + s.filesz; p += 16) {
      const int64_t tag = e.rd<int64_t>(p);
      if (tag == kDtNull) break;
      const uint64_t value = e.rd<uint64_t>(p + 8);
      if (const char* why = forbidden_tag(tag, value)) return refuse(path, std::string("it has ") + why);
      if (!allowed_tag(tag)) {
        return refuse(path, "it has dynamic tag " + std::to_string(tag) + ", which kestrel does not link");
      }
      d->entries.emplace_back(tag, value);
    }
    return Ok();
  }
  return refuse(path, "it has no dynamic segment");
}

// What ld.so assumes of the tags that are there: relocation tables come with their sizes and
// entry sizes, and every address it will read through lies in a segment.
Status check_dynamic_shape(const std::string& path, const Elf& e, const Dynamic& d) {
  const auto has = [&](int64_t t) { return std::any_of(d.entries.begin(), d.entries.end(),
                                                       [t](const auto& x) { return x.first == t; }); };
  if (has(kDtRela) && (!has(kDtRelaSz) || d.get(9) != 24)) return refuse(path, "incomplete RELA tags");
  if (has(kDtJmpRel) && (!has(kDtPltRelSz) || d.get(20) != kDtRela)) {
    return refuse(path, "incomplete PLT tags");
  }
  if (!has(kDtStrTab) || !has(kDtSymTab) || (has(11) && d.get(11) != 24)) {
    return refuse(path, "bad symbol tags");
  }
  const uint64_t strsz = d.get(kDtStrSz), str = e.at(d.get(kDtStrTab), strsz);
  if (str == UINT64_MAX || strsz == 0 || e.f[str + strsz - 1] != 0) return refuse(path, "bad string table");
  for (const int64_t t : {int64_t{3}, kDtHash, kDtStrTab, kDtSymTab, kDtRela, kDtJmpRel, kDtGnuHash,
                          kDtVerSym, kDtVerNeed}) {
    if (has(t) && !e.mapped(d.get(t), 1)) return refuse(path, "dynamic tag " + std::to_string(t) +
                                                              " points outside the artifact");
  }
  return Ok();
}

// The version-needed chain (DT_VERNEED): ld.so walks it and reads names from the string table.
Status check_verneed(const std::string& path, const Elf& e, const Dynamic& d, uint64_t nsyms) {
  const uint64_t strsz = d.get(kDtStrSz);
  uint64_t at = d.get(kDtVerNeed);
  for (uint64_t i = 0, n = d.get(kDtVerNeedNum); i < n; ++i) {
    const uint64_t vn = e.at(at, 16);
    if (vn == UINT64_MAX || i > 64 || e.rd<uint32_t>(vn + 4) >= strsz) return refuse(path, "bad DT_VERNEED");
    uint64_t aux = at + e.rd<uint32_t>(vn + 8);
    for (uint16_t k = 0, cnt = e.rd<uint16_t>(vn + 2); k < cnt; ++k) {
      const uint64_t va = e.at(aux, 16);
      if (va == UINT64_MAX || e.rd<uint32_t>(va + 8) >= strsz) return refuse(path, "bad DT_VERNEED entry");
      aux += e.rd<uint32_t>(va + 12);
    }
    at += e.rd<uint32_t>(vn + 12);
  }
  if (d.get(kDtVerSym) && e.at(d.get(kDtVerSym), nsyms * 2) == UINT64_MAX) {
    return refuse(path, "bad DT_VERSYM");
  }
  return Ok();
}

Status check_needed(const std::string& path, const Elf& e, const Dynamic& d) {
  const uint64_t strtab = d.get(kDtStrTab), strsz = d.get(kDtStrSz);
  const uint64_t str = e.at(strtab, strsz);
  for (const auto& [tag, v] : d.entries) {
    if (tag != kDtNeeded) continue;
    if (str == UINT64_MAX || v >= strsz) return refuse(path, "a bad DT_NEEDED entry");
    const char* name = e.f.data() + str + v;
    const std::string lib(name, strnlen(name, strsz - v));
    if (lib != "libm.so.6" && lib != "libc.so.6") return refuse(path, "it needs library '" + lib + "'");
  }
  return Ok();
}

// Number of dynamic symbols, from DT_HASH (nchain) or DT_GNU_HASH (the last chain's end).
bool symbol_count(const Elf& e, const Dynamic& d, uint64_t* n) {
  if (const uint64_t h = d.get(kDtHash); h) {
    const uint64_t off = e.at(h, 8);
    return off != UINT64_MAX && (*n = e.rd<uint32_t>(off + 4), true);
  }
  const uint64_t g = d.get(kDtGnuHash), off = g ? e.at(g, 16) : UINT64_MAX;
  if (off == UINT64_MAX) return false;
  const uint64_t nbuckets = e.rd<uint32_t>(off), symoffset = e.rd<uint32_t>(off + 4);
  const uint64_t buckets = g + 16 + uint64_t{e.rd<uint32_t>(off + 8)} * 8, boff = e.at(buckets, nbuckets * 4);
  if (boff == UINT64_MAX) return false;
  uint64_t last = 0;
  for (uint64_t b = 0; b < nbuckets; ++b) last = std::max<uint64_t>(last, e.rd<uint32_t>(boff + 4 * b));
  if (last < symoffset) return (*n = symoffset, true);
  for (const uint64_t chains = buckets + nbuckets * 4;; ++last) {
    const uint64_t c = e.at(chains + (last - symoffset) * 4, 4);
    if (c == UINT64_MAX || last - symoffset > (1u << 24)) return false;
    if (e.rd<uint32_t>(c) & 1) return (*n = last + 1, true);
  }
}

Status check_symbols(const std::string& path, const Elf& e, const Dynamic& d, uint64_t* count) {
  if (!symbol_count(e, d, count)) return refuse(path, "bad symbol hash table");
  const uint64_t syms = e.at(d.get(kDtSymTab), *count * 24);
  if (*count && syms == UINT64_MAX) return refuse(path, "the symbol table lies outside the file");
  for (uint64_t i = 0; i < *count; ++i) {
    const uint64_t p = syms + 24 * i;
    if ((e.rd<uint8_t>(p + 4) & 0xf) == 10) return refuse(path, "it has an IFUNC symbol");
    // A defined symbol outside the segments would hand dlsym's caller a wild pointer.
    if (e.rd<uint32_t>(p) >= d.get(kDtStrSz)) return refuse(path, "a symbol's name lies outside the strings");
    const uint64_t value = e.rd<uint64_t>(p + 8), size = e.rd<uint64_t>(p + 16);
    if (e.rd<uint16_t>(p + 6) != 0 && !e.mapped(value, std::max<uint64_t>(size, 1))) {
      return refuse(path, "a symbol lies outside the artifact's segments");
    }
  }
  return Ok();
}

Status check_relocs(const std::string& path, const Elf& e, uint64_t table, uint64_t size, uint64_t nsyms,
                    uint16_t machine) {
  if (!size) return Ok();
  const uint64_t off = e.at(table, size);
  if (off == UINT64_MAX || size % 24) return refuse(path, "the relocations lie outside the file");
  const uint32_t irelative = machine == 183 ? 1032 : 37;
  for (uint64_t p = off; p < off + size; p += 24) {
    const uint64_t where = e.rd<uint64_t>(p), info = e.rd<uint64_t>(p + 8);
    if (static_cast<uint32_t>(info) == irelative) return refuse(path, "it has an IRELATIVE relocation");
    if ((info >> 32) >= nsyms) return refuse(path, "a relocation names a symbol that does not exist");
    if (!e.mapped(where, 8)) return refuse(path, "a relocation writes outside the artifact");
    if (where % 8 || !e.writable(where, 8)) {
      return refuse(path, "a relocation writes outside the artifact's writable data, or misaligned");
    }
  }
  return Ok();
}

}  // namespace

Status check_load_time_code(const std::string& path, const std::string& f, uint16_t machine) {
  Elf e{f, {}};
  KESTREL_TRY(read_segments(path, &e));
  Dynamic d;
  KESTREL_TRY(read_dynamic(path, e, &d));
  KESTREL_TRY(check_dynamic_shape(path, e, d));
  KESTREL_TRY(check_needed(path, e, d));
  uint64_t nsyms = 0;
  KESTREL_TRY(check_symbols(path, e, d, &nsyms));
  KESTREL_TRY(check_verneed(path, e, d, nsyms));
  KESTREL_TRY(check_relocs(path, e, d.get(kDtRela), d.get(kDtRelaSz), nsyms, machine));
  return check_relocs(path, e, d.get(kDtJmpRel), d.get(kDtPltRelSz), nsyms, machine);
}

}  // namespace kestrel
