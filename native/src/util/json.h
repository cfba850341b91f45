// A small JSON reader for manifests: strict RFC 8259 syntax, UTF-8 strings with \u escapes,
// numbers as double, a nesting limit of 64. No external dependencies; never throws.
#ifndef KESTREL_JSON_H_
#define KESTREL_JSON_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace kestrel {

struct Json {
  enum Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = kNull;
  bool boolean = false;
  double number = 0;
  std::string str;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  // The member `key` of an object, or nullptr (also for non-objects).
  const Json* get(const std::string& key) const;
};

// Parses `text` into `out`. On failure returns false and sets `error` (with a byte offset).
bool parse_json(const char* text, size_t size, Json* out, std::string* error);

}  // namespace kestrel

#endif
