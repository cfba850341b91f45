// Manifest parsing and checks (see artifact.h). The manifest is JSON:
//   { "format": 1, "kestrel": "0.1.0", "bytecode_format": 1,
//     "target": { "arch": "x86_64", "requires": ["avx", "avx2", "fma", ...] },
//     "bytecode_fnv1a64": "<16 hex>", "constants_fnv1a64": "<16 hex>",
//     "inputs":  [{ "name": "x", "dtype": "float32", "shape": ["batch", 3] }],
//     "outputs": [...], "kernels": ["optional", "names"], "debug": { optional, see debug.h } }
#include <cmath>

#include "runtime/artifact.h"
#include "util/cpu_features.h"
#include "util/dtype.h"
#include "vm/isa_generated.h"
#include "util/json.h"

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

Status string_list(const Json& j, const char* key, std::vector<std::string>* out) {
  const Json* v = j.get(key);
  if (!v || v->type != Json::kArray) return bad(std::string("missing string array '") + key + "'");
  for (const Json& e : v->array) {
    if (e.type != Json::kString || e.str.empty()) return bad(std::string("'") + key + "' holds a non-string");
    out->push_back(e.str);
  }
  return Ok();
}

struct Version {
  uint64_t major = 0, minor = 0, patch = 0;
};

// "MAJOR.MINOR.PATCH", optionally followed by "-prerelease" or "+build" (semver).
bool parse_version(const std::string& v, Version* out) {
  uint64_t parts[3] = {0, 0, 0};
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t start = at;
    while (at < v.size() && v[at] >= '0' && v[at] <= '9' && at - start < 9) {
      parts[i] = parts[i] * 10 + static_cast<uint64_t>(v[at++] - '0');
    }
    if (at == start || (i < 2 && (at >= v.size() || v[at++] != '.'))) return false;
  }
  if (at < v.size() && v[at] != '-' && v[at] != '+') return false;
  *out = Version{parts[0], parts[1], parts[2]};
  return true;
}

// The version rule (docs/artifacts.md): same major; the artifact's minor at most the runtime's (a
// newer runtime reads older artifacts); while the major is 0, minors must be equal, since
// pre-1.0 minors may change the artifact format. Patch releases never matter.
Status check_version(const std::string& artifact) {
  Version a, r;
  parse_version(kRuntimeVersion, &r);
  if (!parse_version(artifact, &a)) {
    return Fail(code::kArtifactVersion, "artifact names kestrel version '" + artifact +
                                            "', which is not MAJOR.MINOR.PATCH");
  }
  const bool ok = a.major == r.major && (r.major == 0 ? a.minor == r.minor : a.minor <= r.minor);
  if (ok) return Ok();
  const std::string major = std::to_string(r.major), minor = std::to_string(r.minor);
  const std::string range =
      r.major == 0 ? major + "." + minor + ".x" : major + ".0 to " + major + "." + minor;
  const std::string rule = "it reads artifacts of kestrel " + range;
  return Fail(code::kArtifactVersion, "artifact was built by kestrel " + artifact + ", this runtime is " +
                                          kRuntimeVersion + " and " + rule + "; recompile the model");
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const std::string& x : xs) out += (out.empty() ? "" : ", ") + x;
  return out;
}

Status check_cpu(const Manifest& m) {
  std::vector<std::string> missing, unknown;
  missing_cpu_features(m.required_features, &missing, &unknown);
  if (!unknown.empty()) {
    return Fail(code::kCpuFeatures, "artifact requires CPU feature(s) this runtime cannot check: " +
                                        joined(unknown) + " (built by a newer kestrel?)");
  }
  if (!missing.empty()) {
    return Fail(code::kCpuFeatures, "artifact was compiled for CPU features this machine lacks: " +
                                        joined(missing) + "; recompile it on this machine or for a " +
                                        "portable target (--target x86_64 or aarch64)");
  }
  return Ok();
}

}  // namespace

Status parse_manifest(const std::string& text, Manifest* m) {
  Json root;
  std::string err;
  if (!parse_json(text.data(), text.size(), &root, &err)) return bad("JSON syntax: " + err);
  if (root.type != Json::kObject) return bad("not a JSON object");
  uint32_t format = 0;
  KESTREL_TRY(integer_field(root, manifest_field::kFormat, &format));
  if (format != kManifestFormat) {
    return bad("manifest format " + std::to_string(format) + ", this runtime reads format 1");
  }
  KESTREL_TRY(string_field(root, manifest_field::kKestrel, &m->kestrel_version));
  KESTREL_TRY(integer_field(root, manifest_field::kBytecodeFormat, &m->bytecode_format));
  const Json* target = root.get(manifest_field::kTarget);
  if (!target) return bad("missing 'target'");
  KESTREL_TRY(string_field(*target, "arch", &m->arch));
  KESTREL_TRY(string_list(*target, "requires", &m->required_features));
  KESTREL_TRY(string_field(root, manifest_field::kBytecodeFnv1a64, &m->bytecode_fnv1a64));
  KESTREL_TRY(string_field(root, manifest_field::kConstantsFnv1a64, &m->constants_fnv1a64));
  if (!is_hex16(m->bytecode_fnv1a64) || !is_hex16(m->constants_fnv1a64)) {
    return bad("hashes must be 16 lowercase hex digits");
  }
  KESTREL_TRY(io_list(root, manifest_field::kInputs, &m->inputs));
  KESTREL_TRY(io_list(root, manifest_field::kOutputs, &m->outputs));
  if (const Json* ks = root.get(manifest_field::kKernels); ks && ks->type == Json::kArray) {
    for (const Json& k : ks->array) m->kernel_names.push_back(k.type == Json::kString ? k.str : "");
  }
  return parse_debug(root, &m->debug);
}

Status check_manifest(const Manifest& m, uint16_t e_machine) {
  KESTREL_TRY(check_version(m.kestrel_version));
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
  return check_cpu(m);
}

}  // namespace kestrel
