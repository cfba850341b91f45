// Recursive-descent JSON parser (see json.h). Bounds are checked on every read.
#include "util/json.h"

#include <cstdlib>
#include <cstring>

namespace kestrel {

const Json* Json::get(const std::string& key) const {
  if (type != kObject) return nullptr;
  for (const auto& kv : object) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(const char* p, size_t n) : p_(p), n_(n) {}

  bool parse(Json* out, std::string* error) {
    bool ok = value(out, 0);
    skip_ws();
    if (ok && i_ != n_) ok = fail("trailing characters");
    if (!ok) *error = err_ + " at byte " + std::to_string(i_);
    return ok;
  }

 private:
  const char* p_;
  size_t n_;
  size_t i_ = 0;
  std::string err_;

  bool fail(const char* msg) {
    if (err_.empty()) err_ = msg;
    return false;
  }
  void skip_ws() {
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
  }
  bool literal(const char* word) {
    size_t len = std::strlen(word);
    if (n_ - i_ < len || std::memcmp(p_ + i_, word, len) != 0) return fail("bad literal");
    i_ += len;
    return true;
  }

  bool value(Json* out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    skip_ws();
    if (i_ >= n_) return fail("unexpected end");
    char c = p_[i_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') { out->type = Json::kString; return string(&out->str); }
    if (c == 't') { out->type = Json::kBool; out->boolean = true; return literal("true"); }
    if (c == 'f') { out->type = Json::kBool; return literal("false"); }
    if (c == 'n') { out->type = Json::kNull; return literal("null"); }
    return number(out);
  }

  bool object(Json* out, int depth) {
    out->type = Json::kObject;
    ++i_;
    skip_ws();
    if (i_ < n_ && p_[i_] == '}') { ++i_; return true; }
    for (;;) {
      skip_ws();
      std::string key;
      if (i_ >= n_ || p_[i_] != '"' || !string(&key)) return fail("expected a key");
      skip_ws();
      if (i_ >= n_ || p_[i_] != ':') return fail("expected ':'");
      ++i_;
      out->object.emplace_back(std::move(key), Json{});
      if (!value(&out->object.back().second, depth + 1)) return false;
      skip_ws();
      if (i_ < n_ && p_[i_] == ',') { ++i_; continue; }
      if (i_ < n_ && p_[i_] == '}') { ++i_; return true; }
      return fail("expected ',' or '}'");
    }
  }

  bool array(Json* out, int depth) {
    out->type = Json::kArray;
    ++i_;
    skip_ws();
    if (i_ < n_ && p_[i_] == ']') { ++i_; return true; }
    for (;;) {
      out->array.emplace_back();
      if (!value(&out->array.back(), depth + 1)) return false;
      skip_ws();
      if (i_ < n_ && p_[i_] == ',') { ++i_; continue; }
      if (i_ < n_ && p_[i_] == ']') { ++i_; return true; }
      return fail("expected ',' or ']'");
    }
  }

  bool number(Json* out) {
    size_t start = i_;
    if (i_ < n_ && p_[i_] == '-') ++i_;
    size_t digits = i_;
    while (i_ < n_ && ((p_[i_] >= '0' && p_[i_] <= '9') || p_[i_] == '.' || p_[i_] == 'e' ||
                       p_[i_] == 'E' || p_[i_] == '+' || p_[i_] == '-')) {
      ++i_;
    }
    if (i_ == digits || i_ - start > 64) return fail("bad number");
    std::string s(p_ + start, i_ - start);
    char* end = nullptr;
    out->type = Json::kNumber;
    out->number = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return fail("bad number");
    return true;
  }

  bool hex4(uint32_t* cp) {
    if (n_ - i_ < 4) return fail("bad \\u escape");
    *cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = p_[i_++];
      int d = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
      if (d < 0) return fail("bad \\u escape");
      *cp = *cp * 16 + static_cast<uint32_t>(d);
    }
    return true;
  }

  static void put_utf8(std::string* s, uint32_t cp) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool escape(std::string* s) {
    if (i_ >= n_) return fail("bad escape");
    char e = p_[i_++];
    const char* from = "\"\\/bfnrt";
    const char* to = "\"\\/\b\f\n\r\t";
    const char* hit = e ? std::strchr(from, e) : nullptr;
    if (hit) { s->push_back(to[hit - from]); return true; }
    if (e != 'u') return fail("bad escape");
    uint32_t cp = 0;
    if (!hex4(&cp)) return false;
    if (cp >= 0xD800 && cp < 0xDC00 && n_ - i_ >= 6 && p_[i_] == '\\' && p_[i_ + 1] == 'u') {
      i_ += 2;
      uint32_t lo = 0;
      if (!hex4(&lo)) return false;
      if (lo < 0xDC00 || lo > 0xDFFF) return fail("bad surrogate pair");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(s, cp);
    return true;
  }

  bool string(std::string* s) {
    ++i_;  // opening quote
    while (i_ < n_) {
      char c = p_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c == '\\') {
        if (!escape(s)) return false;
      } else {
        s->push_back(c);
      }
    }
    return fail("unterminated string");
  }
};

}  // namespace

bool parse_json(const char* text, size_t size, Json* out, std::string* error) {
  *out = Json{};
  return Parser(text, size).parse(out, error);
}

}  // namespace kestrel
