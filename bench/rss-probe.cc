// Resident memory growth on the C API alone (bench/rss.mjs --c builds and runs this): the runtime
// without node, V8 or the addon. Runs an artifact `warm` times, then `n` more, printing the growth
// of VmRSS at each quarter; then `cycles` load/unload cycles. Inputs are zero-filled; a symbolic
// dim is 1 on axis 0 and the next of `shapes` (a comma list, cycled run by run) elsewhere.
//   rss-probe ARTIFACT N WARM SHAPES CYCLES
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kestrel_runtime.h"

namespace {

long rss_kib() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::atol(line + 6);
  }
  std::fclose(f);
  return kib;
}

int fail() {
  std::fprintf(stderr, "%s: %s\n", kestrel_last_error_code(), kestrel_last_error_message());
  return 1;
}

struct Feed {
  std::vector<std::vector<int64_t>> dims;
  std::vector<std::vector<char>> data;
  std::vector<kestrel_tensor> tensors;
};

Feed feed_for(kestrel_session* s, int64_t sym) {
  Feed f;
  const size_t n = kestrel_input_count(s);
  f.dims.resize(n);
  f.data.resize(n);
  for (size_t k = 0; k < n; ++k) {
    kestrel_io_info io;
    kestrel_session_io(s, 0, k, &io);
    size_t count = 1;
    for (size_t d = 0; d < io.rank; ++d) {
      f.dims[k].push_back(io.dims[d] >= 0 ? io.dims[d] : d == 0 ? 1 : sym);
      count *= static_cast<size_t>(f.dims[k].back());
    }
    f.data[k].assign(count * kestrel_dtype_size(io.dtype), 0);
    f.tensors.push_back({io.dtype, io.rank, f.dims[k].data(), f.data[k].data(), f.data[k].size()});
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: rss-probe ARTIFACT N WARM SHAPES CYCLES\n");
    return 2;
  }
  const long n = std::atol(argv[2]), warm = std::atol(argv[3]), cycles = std::atol(argv[5]);
  kestrel_session* s = nullptr;
  if (kestrel_load(argv[1], nullptr, &s) != KESTREL_OK) return fail();
  std::vector<Feed> feeds;
  for (char* p = argv[4]; *p;) {
    feeds.push_back(feed_for(s, std::strtol(p, &p, 10)));
    if (*p == ',') ++p;
  }
  long before = 0, quarter = 1;
  std::string quarters;
  for (long i = 0; i < warm + n; ++i) {
    if (i == warm) before = rss_kib();
    Feed& f = feeds[static_cast<size_t>(i) % feeds.size()];
    kestrel_outputs* outs = nullptr;
    if (kestrel_run(s, f.tensors.data(), f.tensors.size(), &outs) != KESTREL_OK) return fail();
    kestrel_outputs_free(outs);
    if (i + 1 == warm + n * quarter / 4 && quarter <= 4) {
      quarters += (quarter++ > 1 ? ", " : "") + std::to_string(rss_kib() - before);
    }
  }
  std::printf("%ld runs after %ld warm-up: RSS growth %ld KiB (at each quarter %s KiB)", n, warm,
              rss_kib() - before, quarters.c_str());
  kestrel_unload(s);
  if (cycles > 0) {
    const long base = rss_kib();
    for (long i = 0; i < cycles; ++i) {
      if (kestrel_load(argv[1], nullptr, &s) != KESTREL_OK) return fail();
      kestrel_unload(s);
    }
    std::printf("; %ld load/unload cycles: RSS growth %ld KiB", cycles, rss_kib() - base);
  }
  std::printf("\n");
  return 0;
}
