// Profile rendering and the kestrel_profile C API (see profile.h).
#include "runtime/profile.h"

#include <cmath>
#include <cstdio>
#include <new>

#include "vm/isa_generated.h"
#include "kestrel_runtime.h"

namespace kestrel {
namespace {

void put_string(std::string* out, const std::string& s) {
  *out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      *out += buf;
    } else {
      *out += c;
    }
  }
  *out += '"';
}

void put_us(std::string* out, uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1000.0);
  *out += buf;
}

std::string kernel_name(const Manifest& m, const uint32_t kernel) {
  if (kernel < m.kernel_names.size() && !m.kernel_names[kernel].empty()) return m.kernel_names[kernel];
  return "kernel " + std::to_string(kernel);
}

void put_kernel_args(std::string* out, const ProfileEvent& e, const Manifest& m) {
  *out += "\"nodes\":[";
  auto call = m.debug.calls.find(e.at);
  if (call != m.debug.calls.end()) {
    for (size_t i = 0; i < call->second.nodes.size(); ++i) {
      const auto& [name, op] = m.debug.nodes[call->second.nodes[i]];
      *out += i ? ",[" : "[";
      put_string(out, name);
      *out += ',';
      put_string(out, op);
      *out += ']';
    }
  }
  *out += "],\"shapes\":[";
  for (size_t i = 0; i < e.shapes.size(); ++i) {
    *out += i ? ",[" : "[";
    for (size_t d = 0; d < e.shapes[i].size(); ++d) *out += (d ? "," : "") + std::to_string(e.shapes[i][d]);
    *out += ']';
  }
  *out += ']';
  if (e.flops >= 0) {
    char buf[40];
    std::snprintf(buf, sizeof buf, ",\"flops\":%.0f", e.flops);
    *out += buf;
  }
}

}  // namespace

std::string profile_json(const Profile& p, const Manifest& m) {
  std::string out = "[";
  for (size_t i = 0; i < p.events.size(); ++i) {
    const ProfileEvent& e = p.events[i];
    const bool kernel = e.op == static_cast<uint32_t>(isa::Op::kCallKernel);
    const isa::OpInfo* info = isa::find_op(e.op);
    out += i ? ",{\"name\":" : "{\"name\":";
    put_string(&out, kernel ? kernel_name(m, e.kernel) : std::string(info ? info->name : "?"));
    out += kernel ? ",\"cat\":\"kernel\"" : ",\"cat\":\"builtin\"";
    out += ",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":";
    put_us(&out, e.start_ns - p.run_start_ns);
    out += ",\"dur\":";
    put_us(&out, e.dur_ns);
    out += ",\"args\":{";
    if (kernel) {
      put_kernel_args(&out, e, m);
    } else if (e.reg >= 0) {
      auto t = m.debug.tensors.find(static_cast<uint32_t>(e.reg));
      if (t != m.debug.tensors.end()) {
        out += "\"tensor\":";
        put_string(&out, t->second.first);
      }
    }
    out += "}}";
  }
  return out + "]";
}

}  // namespace kestrel

extern "C" {

kestrel_profile* kestrel_profile_new(void) { return new (std::nothrow) kestrel_profile; }
void kestrel_profile_free(kestrel_profile* p) { delete p; }
const char* kestrel_profile_json(const kestrel_profile* p) { return p ? p->json.c_str() : "[]"; }

}  // extern "C"
