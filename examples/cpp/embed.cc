// embed: the kestrel runtime embedded in a C++ program, without Node.
//   embed model.so [BATCH]
// Loads the artifact, prints its inputs and outputs (symbolic dims by name), runs it once on a
// float32 input whose symbolic dims are BATCH (default 2), filled with the pattern
// ((i * 37) % 101) / 101 - 0.5 (exact in float32, so another program can rebuild it), prints every
// output's shape and first values, then shows two errors the API reports without crashing: a
// missing artifact and an input of the wrong rank (after which the session still runs).
// Exits 0 when all of that behaved as described, 1 otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kestrel_runtime.h"

namespace {

const char* kDTypes[] = {"float32", "uint8", "int8", "uint16", "int16", "int32",
                         "int64", "bool", "float16", "float64", "uint32", "uint64"};

int fail(const char* what) {
  std::fprintf(stderr, "embed: %s failed: %s: %s\n", what, kestrel_last_error_code(),
               kestrel_last_error_message());
  return 1;
}

// Prints `name dtype [d0, batch, ...]` for input or output `i`.
void describe(const kestrel_session* s, int is_output, size_t i) {
  kestrel_io_info info;
  if (kestrel_session_io(s, is_output, i, &info) != KESTREL_OK) return;
  std::printf("%s %zu: %s %s [", is_output ? "output" : "input", i, info.name,
              info.dtype >= 0 && info.dtype < 12 ? kDTypes[info.dtype] : "?");
  for (size_t d = 0; d < info.rank; ++d) {
    if (info.dims[d] >= 0) std::printf("%s%lld", d ? ", " : "", static_cast<long long>(info.dims[d]));
    else std::printf("%s%s", d ? ", " : "", info.symbols && info.symbols[d] ? info.symbols[d] : "?");
  }
  std::printf("]\n");
}

// One float32 input: the manifest's shape with every symbolic dim set to `batch`.
struct Feed {
  std::vector<int64_t> dims;
  std::vector<float> data;
};

bool make_feed(const kestrel_session* s, size_t i, int64_t batch, Feed* f) {
  kestrel_io_info info;
  if (kestrel_session_io(s, 0, i, &info) != KESTREL_OK || info.dtype != 0) return false;
  size_t n = 1;
  for (size_t d = 0; d < info.rank; ++d) {
    f->dims.push_back(info.dims[d] >= 0 ? info.dims[d] : batch);
    n *= static_cast<size_t>(f->dims.back());
  }
  for (size_t k = 0; k < n; ++k) f->data.push_back(static_cast<float>((k * 37) % 101) / 101.0f - 0.5f);
  return true;
}

void print_outputs(const kestrel_session* s, const kestrel_outputs* outs) {
  for (size_t i = 0; i < kestrel_outputs_count(outs); ++i) {
    const kestrel_tensor* t = kestrel_outputs_get(outs, i);
    kestrel_io_info info;
    kestrel_session_io(s, 1, i, &info);
    if (!t || t->dtype != 0) {
      std::printf("result %zu: %s (not a float32 tensor)\n", i, info.name);
      continue;
    }
    std::printf("result %zu: %s [", i, info.name);
    size_t n = 1;
    for (size_t d = 0; d < t->rank; ++d) {
      std::printf("%s%lld", d ? ", " : "", static_cast<long long>(t->dims[d]));
      n *= static_cast<size_t>(t->dims[d]);
    }
    std::printf("]");
    const float* v = static_cast<const float*>(t->data);
    for (size_t k = 0; k < n && k < 16; ++k) std::printf(" %.6g", v[k]);
    std::printf("\n");
  }
}

// The errors a caller must handle: each is a status plus a stable code and a message.
bool show_errors(kestrel_session* s, const std::vector<Feed>& feeds) {
  kestrel_session* none = nullptr;
  const bool missing = kestrel_load("/nonexistent/model.so", nullptr, &none) != KESTREL_OK;
  std::printf("error (missing artifact): %s: %s\n", kestrel_last_error_code(), kestrel_last_error_message());
  std::vector<kestrel_tensor> bad;
  for (const Feed& f : feeds) {  // rank one less than declared
    bad.push_back(kestrel_tensor{0, f.dims.size() - 1, f.dims.data() + 1,
                                 const_cast<float*>(f.data.data()), 0});
  }
  kestrel_outputs* outs = nullptr;
  const bool rejected = kestrel_run(s, bad.data(), bad.size(), &outs) != KESTREL_OK;
  std::printf("error (wrong rank): %s: %s\n", kestrel_last_error_code(), kestrel_last_error_message());
  kestrel_outputs_free(outs);
  return missing && none == nullptr && rejected;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: embed model.so [BATCH]\n");
    return 1;
  }
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 2;
  kestrel_options opts;
  kestrel_options_init(&opts);
  kestrel_session* s = nullptr;
  if (kestrel_load(argv[1], &opts, &s) != KESTREL_OK) return fail("kestrel_load");
  for (size_t i = 0; i < kestrel_input_count(s); ++i) describe(s, 0, i);
  for (size_t i = 0; i < kestrel_output_count(s); ++i) describe(s, 1, i);
  std::vector<Feed> feeds(kestrel_input_count(s));
  std::vector<kestrel_tensor> tensors;
  for (size_t i = 0; i < feeds.size(); ++i) {
    if (!make_feed(s, i, batch, &feeds[i])) {
      kestrel_unload(s);
      std::fprintf(stderr, "embed: input %zu is not float32; this example feeds float32 only\n", i);
      return 1;
    }
    Feed& f = feeds[i];
    tensors.push_back(kestrel_tensor{0, f.dims.size(), f.dims.data(), f.data.data(), f.data.size() * 4});
  }
  int rc = 0;
  for (int pass = 0; pass < 2 && rc == 0; ++pass) {  // a run, the errors, and a run again
    kestrel_outputs* outs = nullptr;
    if (kestrel_run(s, tensors.data(), tensors.size(), &outs) != KESTREL_OK) rc = fail("kestrel_run");
    else print_outputs(s, outs);
    kestrel_outputs_free(outs);
    if (pass == 0 && rc == 0 && !show_errors(s, feeds)) rc = 1;
  }
  kestrel_unload(s);
  return rc;
}
