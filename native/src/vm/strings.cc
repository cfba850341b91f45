// The string tensors and operators of strings.h. Every loop runs over element counts taken from the
// tensors' shapes (checked for overflow by element_count); no string is read past its size.
#include "vm/strings.h"

#include <cstring>
#include <regex>

#include "util/contract_generated.h"
#include "util/dtype.h"

namespace kestrel {

namespace {

Status bad(const std::string& why) { return Fail(code::kBytecodeInvalid, "string_op: " + why); }

Status count_of(const std::vector<int64_t>& shape, uint64_t* n) {
  return element_count(shape.data(), shape.size(), "string tensor", n);
}

// --- case folding (ASCII, Latin-1, Latin Extended-A) -------------------------------------------

uint32_t fold_cp(uint32_t c, bool upper) {
  if (c < 0x80) {
    if (upper && c >= 'a' && c <= 'z') return c - 32;
    if (!upper && c >= 'A' && c <= 'Z') return c + 32;
    return c;
  }
  if (c >= 0xC0 && c <= 0xFE && c != 0xD7 && c != 0xF7 && c != 0xDF) {  // Latin-1 letters
    if (upper && c >= 0xE0) return c - 32;
    if (!upper && c <= 0xDE) return c + 32;
    return c;
  }
  if (c == 0xFF && upper) return 0x178;
  if (c == 0x178 && !upper) return 0xFF;
  // Latin Extended-A: upper/lower pairs, even/odd except in U+0139-U+0148 and U+0179-U+017E.
  if (c < 0x100 || c > 0x17E || c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149) return c;
  const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
  const bool is_upper = (c & 1) == (odd_upper ? 1u : 0u);
  if (upper && !is_upper) return c - 1;
  if (!upper && is_upper) return c + 1;
  return c;
}

// The length of the UTF-8 sequence at s[i] and its code point, or 0 when it is not valid UTF-8
// (the byte is then copied unchanged).
size_t decode(std::string_view s, size_t i, uint32_t* cp) {
  const unsigned char b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t c = n == 1 ? b : b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const unsigned char x = static_cast<unsigned char>(s[i + k]);
    if ((x >> 6) != 2) return 0;
    c = (c << 6) | (x & 0x3F);
  }
  *cp = c;
  return n;
}

void encode(uint32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));  // folding never leaves the BMP's U+0800+
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string fold(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t n = decode(s, i, &cp);
    if (n == 0 || cp >= 0x800) {
      out.append(s.substr(i, n ? n : 1));
      i += n ? n : 1;
      continue;
    }
    encode(fold_cp(cp, upper), &out);
    i += n;
  }
  return out;
}

// --- broadcasting --------------------------------------------------------------------------------

// numpy broadcasting of a and b: the output shape and, per output element, the two input indices.
Status broadcast(const Tensor& a, const Tensor& b, std::vector<int64_t>* shape,
                 std::vector<uint64_t>* ia, std::vector<uint64_t>* ib) {
  const size_t r = std::max(a.shape.size(), b.shape.size());
  std::vector<int64_t> da(r, 1), db(r, 1);
  std::copy(a.shape.begin(), a.shape.end(), da.begin() + (r - a.shape.size()));
  std::copy(b.shape.begin(), b.shape.end(), db.begin() + (r - b.shape.size()));
  shape->assign(r, 0);
  for (size_t k = 0; k < r; ++k) {
    if (da[k] != db[k] && da[k] != 1 && db[k] != 1) {
      return Fail(code::kShapeCheck, "string_op: shapes cannot be broadcast (axis " + std::to_string(k) +
                                         ": " + std::to_string(da[k]) + " vs " + std::to_string(db[k]) + ")");
    }
    (*shape)[k] = da[k] == 1 ? db[k] : da[k];
  }
  uint64_t n = 0;
  KESTREL_TRY(count_of(*shape, &n));
  ia->assign(n, 0);
  ib->assign(n, 0);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t rest = i, oa = 0, ob = 0, sa = 1, sb = 1;
    for (size_t k = r; k-- > 0;) {
      const uint64_t x = rest % static_cast<uint64_t>((*shape)[k]);
      rest /= static_cast<uint64_t>((*shape)[k]);
      if (da[k] != 1) oa += x * sa;
      if (db[k] != 1) ob += x * sb;
      sa *= static_cast<uint64_t>(da[k]);
      sb *= static_cast<uint64_t>(db[k]);
    }
    (*ia)[i] = oa;
    (*ib)[i] = ob;
  }
  return Ok();
}

Status new_plain(Pool* pool, uint32_t dtype, const std::vector<int64_t>& shape, Tensor* t) {
  uint64_t n = 0, bytes = 0;
  KESTREL_TRY(count_of(shape, &n));
  KESTREL_TRY(byte_size(dtype, n, "string_op output", &bytes));
  t->dtype = dtype;
  t->shape = shape;
  KESTREL_TRY(pool->allocate(bytes, "string_op output", &t->storage));
  t->data = t->storage->data;
  return Ok();
}

std::vector<std::string_view> params_of(const std::string& p) {
  std::vector<std::string_view> out;
  size_t at = 0;
  for (;;) {
    const size_t z = p.find('\0', at);
    out.push_back(std::string_view(p).substr(at, z == std::string::npos ? std::string::npos : z - at));
    if (z == std::string::npos) return out;
    at = z + 1;
  }
}

// --- the operators ---------------------------------------------------------------------------------

Status normalize(const Tensor& x, const std::vector<std::string_view>& ps, Pool* pool, Tensor* out) {
  const bool two = x.shape.size() == 2;
  if (ps.size() < 2 || ps[0].size() != 1 || (!two && x.shape.size() != 1)) {
    return bad("StringNormalizer needs [C] or [1, C] and its parameters");
  }
  if (two && x.shape[0] != 1) {
    return Fail(code::kShapeCheck, "StringNormalizer: a 2-D input must be [1, C], got [" +
                                       std::to_string(x.shape[0]) + ", " + std::to_string(x.shape[1]) + "]");
  }
  const char action = ps[0][0];
  const bool sensitive = ps[1] == "1";
  std::vector<std::string> stop;
  for (size_t k = 2; k < ps.size(); ++k) stop.push_back(sensitive ? std::string(ps[k]) : fold(ps[k], false));
  std::vector<std::string> kept;
  uint64_t n = 0;
  KESTREL_TRY(count_of(x.shape, &n));
  for (uint64_t i = 0; i < n; ++i) {
    const std::string_view s = string_at(x, i);
    const std::string key = sensitive ? std::string(s) : fold(s, false);
    bool drop = false;
    for (const std::string& w : stop) drop = drop || w == key;
    if (drop) continue;
    kept.push_back(action == 'L' ? fold(s, false) : action == 'U' ? fold(s, true) : std::string(s));
  }
  if (kept.empty()) kept.emplace_back();
  const int64_t c = static_cast<int64_t>(kept.size());
  const std::vector<std::string_view> views(kept.begin(), kept.end());
  return make_strings(pool, two ? std::vector<int64_t>{1, c} : std::vector<int64_t>{c}, views,
                      "StringNormalizer output", out);
}

Status binary(uint32_t op, const Tensor& a, const Tensor& b, Pool* pool, Tensor* out) {
  std::vector<int64_t> shape;
  std::vector<uint64_t> ia, ib;
  KESTREL_TRY(broadcast(a, b, &shape, &ia, &ib));
  if (op == 2) {
    KESTREL_TRY(new_plain(pool, 7, shape, out));
    for (size_t i = 0; i < ia.size(); ++i) out->data[i] = string_at(a, ia[i]) == string_at(b, ib[i]) ? 1 : 0;
    return Ok();
  }
  std::vector<std::string> joined(ia.size());
  for (size_t i = 0; i < ia.size(); ++i) {
    joined[i].append(string_at(a, ia[i])).append(string_at(b, ib[i]));
  }
  const std::vector<std::string_view> views(joined.begin(), joined.end());
  return make_strings(pool, shape, views, "StringConcat output", out);
}

Status full_match(const Tensor& x, std::string_view pattern, Pool* pool, Tensor* out) {
  std::regex re;
  try {
    re = std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Fail(code::kShapeCheck,
                "RegexFullMatch: invalid pattern '" + std::string(pattern) + "': " + e.what());
  }
  KESTREL_TRY(new_plain(pool, 7, x.shape, out));
  uint64_t n = 0;
  KESTREL_TRY(count_of(x.shape, &n));
  for (uint64_t i = 0; i < n; ++i) {
    const std::string_view s = string_at(x, i);
    try {
      out->data[i] = std::regex_match(s.begin(), s.end(), re) ? 1 : 0;
    } catch (const std::regex_error& e) {
      return Fail(code::kShapeCheck, std::string("RegexFullMatch: matching failed: ") + e.what());
    }
  }
  return Ok();
}

bool space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// The pieces of `s`: Python's str.split(delimiter, maxsplit), or str.split() without a delimiter.
std::vector<std::string_view> split_one(std::string_view s, std::string_view delim, bool has_delim,
                                        int64_t maxsplit) {
  std::vector<std::string_view> out;
  size_t at = 0;
  if (has_delim) {
    for (;;) {
      const size_t z = maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit ? std::string::npos
                                                                                     : s.find(delim, at);
      out.push_back(s.substr(at, z == std::string::npos ? std::string::npos : z - at));
      if (z == std::string::npos) return out;
      at = z + delim.size();
    }
  }
  while (at < s.size()) {
    while (at < s.size() && space(s[at])) ++at;
    if (at >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      size_t end = s.size();
      while (end > at && space(s[end - 1])) --end;
      out.push_back(s.substr(at, end - at));
      break;
    }
    size_t end = at;
    while (end < s.size() && !space(s[end])) ++end;
    out.push_back(s.substr(at, end - at));
    at = end;
  }
  return out;
}

Status split(const Tensor& x, const std::vector<std::string_view>& ps, Pool* pool,
             std::vector<Tensor>* dsts) {
  if (ps.size() != 3) return bad("StringSplit needs 3 parameters");
  const int64_t maxsplit = std::strtoll(std::string(ps[0]).c_str(), nullptr, 10);
  const bool has_delim = ps[1] == "1" && !ps[2].empty();
  uint64_t n = 0;
  KESTREL_TRY(count_of(x.shape, &n));
  std::vector<std::vector<std::string_view>> pieces(n);
  size_t width = 0;
  for (uint64_t i = 0; i < n; ++i) {
    pieces[i] = split_one(string_at(x, i), ps[2], has_delim, maxsplit);
    width = std::max(width, pieces[i].size());
  }
  std::vector<std::string_view> flat(n * width);
  for (uint64_t i = 0; i < n; ++i) std::copy(pieces[i].begin(), pieces[i].end(), flat.begin() + i * width);
  std::vector<int64_t> yshape = x.shape;
  yshape.push_back(static_cast<int64_t>(width));
  dsts->resize(2);
  KESTREL_TRY(make_strings(pool, yshape, flat, "StringSplit output", &(*dsts)[0]));
  KESTREL_TRY(new_plain(pool, 6, x.shape, &(*dsts)[1]));
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t c = static_cast<int64_t>(pieces[i].size());
    std::memcpy((*dsts)[1].data + 8 * i, &c, 8);
  }
  return Ok();
}

// The comma-separated numbers of `csv`, as doubles (integers up to 2^53 are exact).
std::vector<double> numbers_of(std::string_view csv) {
  std::vector<double> out;
  size_t at = 0;
  while (at < csv.size()) {
    size_t z = csv.find(',', at);
    if (z == std::string_view::npos) z = csv.size();
    out.push_back(std::strtod(std::string(csv.substr(at, z - at)).c_str(), nullptr));
    at = z + 1;
  }
  return out;
}

std::vector<int64_t> ints_of(std::string_view csv) {
  const std::vector<double> xs = numbers_of(csv);
  return std::vector<int64_t>(xs.begin(), xs.end());
}

// Element i of an int32/int64 tensor.
int64_t int_at(const Tensor& t, uint64_t i) {
  if (t.dtype == 5) return reinterpret_cast<const int32_t*>(t.data)[i];
  int64_t v = 0;
  std::memcpy(&v, t.data + 8 * i, 8);
  return v;
}

// TfIdfVectorizer over integer tokens, counting as onnxruntime does: for each skip distance
// 1 .. max_skip + 1, every n-gram (min..max length) of tokens that far apart found in the pool
// adds one at its output column; unigrams are counted in the first pass only.
Status tfidf(const Tensor& x, const std::vector<std::string_view>& ps, Pool* pool, Tensor* out) {
  if (ps.size() != 8 || ps[0].size() != 1 || (x.dtype != 5 && x.dtype != 6) || x.shape.empty() ||
      x.shape.size() > 2) {
    return bad("TfIdfVectorizer needs a [C] or [N, C] int32/int64 tensor and its parameters");
  }
  const int64_t lo = std::strtoll(std::string(ps[1]).c_str(), nullptr, 10);
  const int64_t hi = std::strtoll(std::string(ps[2]).c_str(), nullptr, 10);
  const int64_t skips = std::strtoll(std::string(ps[3]).c_str(), nullptr, 10);
  const std::vector<int64_t> counts = ints_of(ps[4]), indexes = ints_of(ps[5]), pool_ints = ints_of(ps[6]);
  const std::vector<double> weights = numbers_of(ps[7]);  // per pool n-gram, as ngram_indexes
  // The pool's n-grams: (tokens, output column), n = 1 .. counts.size().
  std::vector<std::pair<std::vector<int64_t>, int64_t>> grams;
  for (size_t n = 1; n <= counts.size(); ++n) {
    const size_t end = n < counts.size() ? static_cast<size_t>(counts[n]) : pool_ints.size();
    if (counts[n - 1] < 0 || static_cast<size_t>(counts[n - 1]) > end || end > pool_ints.size()) {
      return bad("TfIdfVectorizer: ngram_counts do not fit the pool");
    }
    for (size_t at = static_cast<size_t>(counts[n - 1]); at + n <= end; at += n) {
      if (grams.size() >= indexes.size() || indexes[grams.size()] < 0) {
        return bad("TfIdfVectorizer: more n-grams than ngram_indexes, or a negative index");
      }
      grams.emplace_back(std::vector<int64_t>(pool_ints.begin() + at, pool_ints.begin() + at + n),
                         indexes[grams.size()]);
    }
  }
  int64_t width = 0;
  for (int64_t i : indexes) width = std::max(width, i + 1);
  const bool rows = x.shape.size() == 2;
  const int64_t n_rows = rows ? x.shape[0] : 1, c = x.shape.back();
  const std::vector<int64_t> yshape = rows ? std::vector<int64_t>{n_rows, width}
                                           : std::vector<int64_t>{width};
  KESTREL_TRY(new_plain(pool, 0, yshape, out));
  float* y = reinterpret_cast<float*>(out->data);
  std::fill(y, y + n_rows * width, 0.0f);
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t skip = 0; skip <= skips; ++skip) {
      for (const auto& [g, col] : grams) {
        const int64_t n = static_cast<int64_t>(g.size());
        if (n < lo || n > hi || (n == 1 && skip > 0)) continue;
        for (int64_t s = 0; s + (n - 1) * (skip + 1) < c; ++s) {
          bool hit = true;
          for (int64_t k = 0; k < n && hit; ++k) hit = int_at(x, r * c + s + k * (skip + 1)) == g[k];
          if (hit) y[r * width + col] += 1.0f;
        }
      }
    }
  }
  // The weight of each column is that of the pool n-gram mapped there (1 without weights).
  std::vector<float> colw(static_cast<size_t>(width), 1.0f);
  for (size_t k = 0; k < grams.size() && k < weights.size(); ++k) {
    colw[static_cast<size_t>(grams[k].second)] = static_cast<float>(weights[k]);
  }
  const char mode = ps[0][0];  // T(F), I(DF), B(oth): weights scale (IDF: presence times weight)
  for (int64_t i = 0; i < n_rows * width; ++i) {
    const float w = colw[static_cast<size_t>(i % width)];
    if (mode == 'I') y[i] = y[i] > 0 ? w : 0.0f;  // F: the counts as they are
    if (mode == 'B') y[i] *= w;
  }
  return Ok();
}

}  // namespace

Status make_strings(Pool* pool, const std::vector<int64_t>& shape,
                    const std::vector<std::string_view>& items, const std::string& what, Tensor* out) {
  uint64_t n = 0, bytes = 0;
  KESTREL_TRY(element_count(shape.data(), shape.size(), what, &n));
  if (n != items.size()) return bad(what + ": " + std::to_string(items.size()) + " strings for the shape");
  KESTREL_TRY(byte_size(kDTypeString, n, what, &bytes));
  for (const std::string_view& s : items) {
    if (__builtin_add_overflow(bytes, s.size(), &bytes)) return Fail(code::kShapeArith, what + ": too large");
  }
  out->dtype = kDTypeString;
  out->shape = shape;
  KESTREL_TRY(pool->allocate(bytes, what, &out->storage));
  out->data = out->storage->data;
  StringElem* elems = reinterpret_cast<StringElem*>(out->data);
  char* arena = reinterpret_cast<char*>(out->data + n * sizeof(StringElem));
  for (uint64_t i = 0; i < n; ++i) {
    if (!items[i].empty()) std::memcpy(arena, items[i].data(), items[i].size());
    elems[i] = StringElem{arena, items[i].size()};
    arena += items[i].size();
  }
  return Ok();
}

Status copy_strings(Pool* pool, const Tensor& src, Tensor* out) {
  uint64_t n = 0;
  KESTREL_TRY(count_of(src.shape, &n));
  std::vector<std::string_view> items(n);
  for (uint64_t i = 0; i < n; ++i) items[i] = string_at(src, i);
  return make_strings(pool, src.shape, items, "string tensor", out);
}

Status stage_tensor(Pool* pool, const kestrel_tensor& in, const std::string& what, Tensor* t) {
  const std::vector<int64_t> shape(in.dims, in.dims + in.rank);
  if (in.dtype != KESTREL_DTYPE_STRING) {
    t->dtype = static_cast<uint32_t>(in.dtype);
    t->shape = shape;
    KESTREL_TRY(pool->allocate(in.nbytes, what, &t->storage));
    t->data = t->storage->data;
    if (in.nbytes) std::memcpy(t->data, in.data, in.nbytes);
    return Ok();
  }
  const size_t n = in.nbytes / sizeof(kestrel_string);
  const kestrel_string* elems = static_cast<const kestrel_string*>(in.data);
  std::vector<std::string_view> items(n);
  for (size_t i = 0; i < n; ++i) {
    if (elems[i].size > 0 && !elems[i].data) {
      return Fail(code::kInputData, what + ": string " + std::to_string(i) + " has no data");
    }
    items[i] = std::string_view(elems[i].data ? elems[i].data : "", elems[i].size);
  }
  return make_strings(pool, shape, items, what, t);
}

Status string_op(uint32_t op, const std::vector<const Tensor*>& srcs, const std::string& params, Pool* pool,
                 std::vector<Tensor>* dsts) {
  const size_t want = op == 1 || op == 2 ? 2 : 1;
  if (op > 5) return bad("unknown operator " + std::to_string(op));
  if (srcs.size() != want) return bad("operator " + std::to_string(op) + " takes " + std::to_string(want) +
                                      " tensors, got " + std::to_string(srcs.size()));
  if (op == 5) return dsts->resize(1), tfidf(*srcs[0], params_of(params), pool, &(*dsts)[0]);
  for (const Tensor* t : srcs) {
    if (t->dtype != kDTypeString) return bad(std::string("an operand has dtype ") + dtype_name(t->dtype));
  }
  const std::vector<std::string_view> ps = params_of(params);
  if (op == 4) return split(*srcs[0], ps, pool, dsts);
  dsts->resize(1);
  if (op == 0) return normalize(*srcs[0], ps, pool, &(*dsts)[0]);
  if (op == 3) return full_match(*srcs[0], params, pool, &(*dsts)[0]);
  return binary(op, *srcs[0], *srcs[1], pool, &(*dsts)[0]);
}

}  // namespace kestrel
