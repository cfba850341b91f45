// Parsing and use of the manifest's debug table (see debug.h).
#include "runtime/debug.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <cstdlib>

namespace kestrel {
namespace {

Status bad(const std::string& why) {
  return Fail(code::kManifestInvalid, "artifact manifest is invalid: debug table: " + why);
}

bool index_of(const Json& j, double limit, uint32_t* out) {
  if (j.type != Json::kNumber || j.number < 0 || j.number >= limit || j.number != std::floor(j.number)) {
    return false;
  }
  *out = static_cast<uint32_t>(j.number);
  return true;
}

Status parse_nodes(const Json& list, DebugInfo* d) {
  for (const Json& n : list.array) {
    if (n.type != Json::kArray || n.array.size() != 2 || n.array[0].type != Json::kString ||
        n.array[1].type != Json::kString) {
      return bad("a node is not [name, op type]");
    }
    d->nodes.emplace_back(n.array[0].str, n.array[1].str);
  }
  return Ok();
}

Status parse_calls(const Json& list, DebugInfo* d) {
  for (const Json& c : list.array) {
    uint32_t at = 0;
    DebugCall call;
    if (c.type != Json::kArray || c.array.size() != 4 || !index_of(c.array[0], 4294967296.0, &at) ||
        !index_of(c.array[1], 4294967296.0, &call.kernel) || c.array[2].type != Json::kArray) {
      return bad("a call is not [offset, kernel, nodes, flops]");
    }
    for (const Json& n : c.array[2].array) {
      uint32_t k = 0;
      if (!index_of(n, static_cast<double>(d->nodes.size()), &k)) return bad("a call names an unknown node");
      call.nodes.push_back(k);
    }
    call.flops = c.array[3];
    d->calls[at] = std::move(call);
  }
  return Ok();
}

Status parse_groups(const Json& list, DebugInfo* d) {
  for (const Json& g : list.array) {
    uint32_t at = 0, node = 0;
    if (g.type != Json::kArray || g.array.size() != 2 || !index_of(g.array[0], 4294967296.0, &at) ||
        !index_of(g.array[1], static_cast<double>(d->nodes.size()), &node) ||
        (!d->groups.empty() && at < d->groups.back().first)) {
      return bad("a group is not [offset, node] in ascending order");
    }
    d->groups.emplace_back(at, node);
  }
  return Ok();
}

Status parse_tensors(const Json& list, DebugInfo* d) {
  for (const Json& t : list.array) {
    uint32_t reg = 0, node = 0;
    if (t.type != Json::kArray || t.array.size() < 2 || !index_of(t.array[0], 4294967296.0, &reg) ||
        t.array[1].type != Json::kString) {
      return bad("a tensor is not [register, name]");
    }
    const bool by = t.array.size() > 2 && index_of(t.array[2], static_cast<double>(d->nodes.size()), &node);
    d->tensors[reg] = {t.array[1].str, by ? static_cast<int64_t>(node) : -1};
  }
  return Ok();
}

// Evaluates a DimExpr; NaN when malformed.
double eval(const Json& e, const int64_t* s, size_t n) {
  if (e.type == Json::kNumber) return e.number;
  if (e.type != Json::kArray || e.array.empty() || e.array[0].type != Json::kString) return NAN;
  const std::string& op = e.array[0].str;
  if (op == "s") {
    uint32_t k = 0;
    const bool ok = e.array.size() == 2 && index_of(e.array[1], static_cast<double>(n), &k);
    return ok ? static_cast<double>(s[k]) : NAN;
  }
  if (op == "+" || op == "*") {
    double acc = op == "+" ? 0 : 1;
    for (size_t i = 1; i < e.array.size(); ++i) {
      const double v = eval(e.array[i], s, n);
      acc = op == "+" ? acc + v : acc * v;
    }
    return acc;
  }
  if (e.array.size() != 3) return NAN;
  const double a = eval(e.array[1], s, n), b = eval(e.array[2], s, n);
  if (op == "min") return a < b ? a : b;
  if (op == "max") return a > b ? a : b;
  if (b == 0) return NAN;
  if (op == "floordiv") return std::floor(a / b);
  if (op == "mod") return a - b * std::floor(a / b);
  return NAN;
}

}  // namespace

Status parse_debug(const Json& root, DebugInfo* d) {
  const Json* dbg = root.get(manifest_field::kDebug);
  if (!dbg) return Ok();
  if (dbg->type != Json::kObject) return bad("not an object");
  if (const Json* n = dbg->get("nodes"); n && n->type == Json::kArray) KESTREL_TRY(parse_nodes(*n, d));
  if (const Json* c = dbg->get("calls"); c && c->type == Json::kArray) KESTREL_TRY(parse_calls(*c, d));
  if (const Json* t = dbg->get("tensors"); t && t->type == Json::kArray) KESTREL_TRY(parse_tensors(*t, d));
  if (const Json* g = dbg->get("groups"); g && g->type == Json::kArray) KESTREL_TRY(parse_groups(*g, d));
  if (const Json* st = dbg->get("status"); st && st->type == Json::kObject) {
    for (const auto& [key, text] : st->object) {
      if (text.type == Json::kString) d->status[std::atoi(key.c_str())] = text.str;
    }
  }
  return Ok();
}

std::string DebugInfo::call_nodes(uint32_t at) const {
  auto it = calls.find(at);
  if (it == calls.end() || it->second.nodes.empty()) return "";
  std::string out = it->second.nodes.size() > 1 ? "nodes " : "node ";
  for (size_t i = 0; i < it->second.nodes.size(); ++i) {
    const auto& [name, op] = nodes[it->second.nodes[i]];
    out += (i ? ", '" : "'") + name + "' (" + op + ")";
  }
  return out;
}

std::string DebugInfo::node_at(uint32_t pc) const {
  auto it = std::upper_bound(groups.begin(), groups.end(), std::make_pair(pc, UINT32_MAX));
  if (it == groups.begin()) return "";
  const auto& [name, op] = nodes[std::prev(it)->second];
  return "node '" + name + "' (" + op + ")";
}

std::string DebugInfo::tensor(uint32_t reg) const {
  auto it = tensors.find(reg);
  if (it == tensors.end()) return "tensor r" + std::to_string(reg);
  std::string what = "tensor '" + it->second.first + "'";
  if (it->second.second < 0) return what;
  const auto& [name, op] = nodes[static_cast<size_t>(it->second.second)];
  return what + " (output of node '" + name + "' (" + op + "))";
}

double DebugInfo::flops(uint32_t at, const int64_t* scalars, size_t n) const {
  auto it = calls.find(at);
  if (it == calls.end() || it->second.flops.type == Json::kNull) return -1;
  const double v = eval(it->second.flops, scalars, n);
  return std::isfinite(v) && v >= 0 ? v : -1;
}

}  // namespace kestrel
