// Manifest parsing and checks (see artifact.h). The manifest is JSON:
//   { "format": 1, "kestrel": "0.1.0", "bytecode_format": 1, "target": { "arch": "x86_64" },
//     "bytecode_fnv1a64": "<16 hex>", "constants_fnv1a64": "<16 hex>",
//     "inputs":  [{ "name": "x", "dtype": "float32", "shape": ["batch", 3] }],
//     "outputs": [...], "kernels": ["optional", "names"], "debug": { optional, see debug.h } }
#include <cmath>

#include "artifact.h"
#include "dtype.h"
#include "isa_generated.h"
#include "json.h"

namespace kestrel {
namespace {

Status bad(const std::string& why) {
  return Fail(code::kManifestInvalid, "artifact manifest is invalid: " + why);
}

bool is_hex16(const std::string& s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status string_field(const Json& j, const char* key, std::string* out) {
  const Json* v = j.get(key);
  if (!v || v->type != Json::kString) return bad(std::string("missing string field '") + key + "'");
  *out = v->str;
  return Ok();
}

Status dim_entry(const Json& d, const std::string& where, IoSpec* io) {
  if (d.type == Json::kString && !d.str.empty()) {
    io->dims.push_back(-1);
    io->symbols.push_back(d.str);
    return Ok();
  }
  if (d.type != Json::kNumber || d.number < 0 || d.number > 9.0e15 ||
      d.number != std::floor(d.number)) {
    return bad(where + ": a dim must be a non-negative integer or a symbol name");
  }
  io->dims.push_back(static_cast<int64_t>(d.number));
  io->symbols.emplace_back();
  return Ok();
}

// Optional fields: "kind" ("tensor" default | "sequence" | "optional"), "optional_of"
// ("tensor" | "sequence", for optionals), "rank": -1 (sequences whose element rank is unknown).
Status io_kind(const Json& j, const std::string& where, IoSpec* io) {
  const Json* kind = j.get("kind");
  if (kind) {
    const std::string k = kind->type == Json::kString ? kind->str : "";
    if (k == "sequence") io->kind = IoKind::kSequence;
    else if (k == "optional") io->kind = IoKind::kOptional;
    else if (k != "tensor") return bad(where + ": unknown kind '" + k + "'");
  }
  if (const Json* of = j.get("optional_of")) {
    io->optional_sequence = of->type == Json::kString && of->str == "sequence";
  }
  if (const Json* rank = j.get("rank")) io->unranked = rank->type == Json::kNumber && rank->number < 0;
  return Ok();
}

Status io_entry(const Json& j, const std::string& where, IoSpec* io) {
  if (j.type != Json::kObject) return bad(where + " is not an object");
  KESTREL_TRY(string_field(j, "name", &io->name));
  std::string dt;
  KESTREL_TRY(string_field(j, "dtype", &dt));
  int code = dtype_from_name(dt);
  if (code < 0) return bad(where + " ('" + io->name + "'): unknown dtype '" + dt + "'");
  io->dtype = static_cast<uint32_t>(code);
  const Json* shape = j.get("shape");
  if (!shape || shape->type != Json::kArray) return bad(where + ": missing 'shape' array");
  for (const Json& d : shape->array) KESTREL_TRY(dim_entry(d, where + " ('" + io->name + "')", io));
  return io_kind(j, where, io);
}

Status io_list(const Json& root, const char* key, std::vector<IoSpec>* out) {
  const Json* list = root.get(key);
  if (!list || list->type != Json::kArray) return bad(std::string("missing '") + key + "' array");
  for (size_t i = 0; i < list->array.size(); ++i) {
    out->emplace_back();
    KESTREL_TRY(io_entry(list->array[i], std::string(key) + "[" + std::to_string(i) + "]",
                         &out->back()));
  }
  return Ok();
}

Status integer_field(const Json& j, const char* key, uint32_t* out) {
  const Json* v = j.get(key);
  if (!v || v->type != Json::kNumber || v->number < 0 || v->number > 4294967295.0 ||
      v->number != std::floor(v->number)) {
    return bad(std::string("missing integer field '") + key + "'");
  }
  *out = static_cast<uint32_t>(v->number);
  return Ok();
}

std::string major_of(const std::string& version) { return version.substr(0, version.find('.')); }

}  // namespace

Status parse_manifest(const std::string& text, Manifest* m) {
  Json root;
  std::string err;
  if (!parse_json(text.data(), text.size(), &root, &err)) return bad("JSON syntax: " + err);
  if (root.type != Json::kObject) return bad("not a JSON object");
  uint32_t format = 0;
  KESTREL_TRY(integer_field(root, "format", &format));
  if (format != kManifestFormat) {
    return bad("manifest format " + std::to_string(format) + ", this runtime reads format 1");
  }
  KESTREL_TRY(string_field(root, "kestrel", &m->kestrel_version));
  KESTREL_TRY(integer_field(root, "bytecode_format", &m->bytecode_format));
  const Json* target = root.get("target");
  if (!target) return bad("missing 'target'");
  KESTREL_TRY(string_field(*target, "arch", &m->arch));
  KESTREL_TRY(string_field(root, "bytecode_fnv1a64", &m->bytecode_fnv1a64));
  KESTREL_TRY(string_field(root, "constants_fnv1a64", &m->constants_fnv1a64));
  if (!is_hex16(m->bytecode_fnv1a64) || !is_hex16(m->constants_fnv1a64)) {
    return bad("hashes must be 16 lowercase hex digits");
  }
  KESTREL_TRY(io_list(root, "inputs", &m->inputs));
  KESTREL_TRY(io_list(root, "outputs", &m->outputs));
  if (const Json* ks = root.get("kernels"); ks && ks->type == Json::kArray) {
    for (const Json& k : ks->array) m->kernel_names.push_back(k.type == Json::kString ? k.str : "");
  }
  return parse_debug(root, &m->debug);
}

Status check_manifest(const Manifest& m, uint16_t e_machine) {
  if (major_of(m.kestrel_version) != major_of(kRuntimeVersion)) {
    return Fail(code::kArtifactVersion, "artifact was built by kestrel " + m.kestrel_version +
                                            ", this runtime is " + kRuntimeVersion);
  }
  if (m.bytecode_format != isa::kFormatVersion) {
    return Fail(code::kArtifactVersion,
                "artifact bytecode format " + std::to_string(m.bytecode_format) +
                    ", this runtime runs format " + std::to_string(isa::kFormatVersion));
  }
  const std::string host = host_arch();
  const uint16_t want_machine = host == "x86_64" ? 62 : host == "aarch64" ? 183 : 0;
  if (m.arch != host) {
    return Fail(code::kArtifactArch, "artifact targets " + m.arch + ", this machine is " + host);
  }
  if (e_machine != want_machine) {
    return Fail(code::kArtifactArch, "artifact ELF machine " + std::to_string(e_machine) +
                                         " does not match this " + host + " host");
  }
  return Ok();
}

}  // namespace kestrel
