// kestrel-run: run a compiled artifact from the command line, without Node.
//   kestrel-run model.so --input name=path.bin:dtype:d0,d1,... [--input ...]
//                        [--outputs DIR] [--bench N] [--threads N] [--device cpu|cuda:N]
// Inputs are raw little-endian element bytes; every input of the model must be given exactly once
// (unknown, duplicate and missing names are errors that list the expected inputs). Prints each
// output's name, dtype and shape; with --outputs writes output K's raw bytes to DIR/output_K.bin,
// named by index as in the ONNX test-data layout: output names come from the model, which is
// untrusted, so they never become paths ("../../x" would leave DIR). Files are created without
// following a symbolic link already at that name. With --bench N runs N more times and prints the
// median ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "kestrel_runtime.h"

namespace {

const char* kDTypes[] = {"float32", "uint8", "int8", "uint16", "int16", "int32",
                         "int64", "bool", "float16", "float64", "uint32", "uint64"};

struct Input {
  std::string name;
  std::vector<char> data;
  std::vector<int64_t> dims;
  int32_t dtype = -1;
};

int die(const std::string& msg) {
  std::fprintf(stderr, "kestrel-run: %s\n", msg.c_str());
  return 1;
}

int fail_api() {
  std::fprintf(stderr, "kestrel-run: %s: %s\n", kestrel_last_error_code(), kestrel_last_error_message());
  return 1;
}

bool parse_input(const std::string& spec, Input* in) {
  const size_t eq = spec.find('='), c1 = spec.find(':', eq), c2 = spec.find(':', c1 + 1);
  if (eq == std::string::npos || c1 == std::string::npos || c2 == std::string::npos) return false;
  in->name = spec.substr(0, eq);
  const std::string dtype = spec.substr(c1 + 1, c2 - c1 - 1);
  for (int i = 0; i < 12; ++i) {
    if (dtype == kDTypes[i]) in->dtype = i;
  }
  for (size_t p = c2 + 1; p < spec.size();) {
    size_t q = spec.find(',', p);
    if (q == std::string::npos) q = spec.size();
    in->dims.push_back(std::strtoll(spec.c_str() + p, nullptr, 10));
    p = q + 1;
  }
  std::ifstream f(spec.substr(eq + 1, c1 - eq - 1), std::ios::binary);
  if (!f || in->dtype < 0) return false;
  in->data.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

std::string expected_inputs(kestrel_session* s) {
  std::string out;
  for (size_t i = 0; i < kestrel_input_count(s); ++i) {
    kestrel_io_info info;
    kestrel_session_io(s, 0, i, &info);
    out += (i ? ", " : "") + std::string(info.name);
  }
  return out.empty() ? "(none)" : out;
}

// Orders `given` as the session's inputs; every input must be given exactly once.
bool order_inputs(kestrel_session* s, std::vector<Input>& given, std::vector<kestrel_tensor>* out) {
  std::set<std::string> names, seen;
  for (size_t i = 0; i < kestrel_input_count(s); ++i) {
    kestrel_io_info info;
    kestrel_session_io(s, 0, i, &info);
    names.insert(info.name);
  }
  for (const Input& in : given) {
    const char* problem = !names.count(in.name)            ? "unknown"
                          : !seen.insert(in.name).second ? "duplicate"
                                                         : nullptr;
    if (problem) {
      std::fprintf(stderr, "kestrel-run: %s --input '%s'; the model's inputs are: %s\n", problem,
                   in.name.c_str(), expected_inputs(s).c_str());
      return false;
    }
  }
  for (size_t i = 0; i < kestrel_input_count(s); ++i) {
    kestrel_io_info info;
    kestrel_session_io(s, 0, i, &info);
    auto it = std::find_if(given.begin(), given.end(),
                           [&](const Input& in) { return in.name == info.name; });
    if (it == given.end()) {
      std::fprintf(stderr, "kestrel-run: missing --input %s; the model's inputs are: %s\n", info.name,
                   expected_inputs(s).c_str());
      return false;
    }
    out->push_back(
        kestrel_tensor{it->dtype, it->dims.size(), it->dims.data(), it->data.data(), it->data.size()});
  }
  return true;
}

// Writes DIR/output_K.bin (never through a symbolic link); false with a message on failure.
bool write_output(const char* dir, size_t index, const kestrel_tensor& t) {
  const std::string path = std::string(dir) + "/output_" + std::to_string(index) + ".bin";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  const char* data = static_cast<const char*>(t.data);
  size_t done = 0;
  while (fd >= 0 && done < t.nbytes) {
    const ssize_t n = write(fd, data + done, t.nbytes - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const int err = errno;
  const bool ok = fd >= 0 && done == t.nbytes && close(fd) == 0;
  if (!ok) std::fprintf(stderr, "kestrel-run: cannot write %s: %s\n", path.c_str(), std::strerror(err));
  return ok;
}

bool report(kestrel_session* s, kestrel_outputs* outs, const char* dir) {
  bool ok = true;
  for (size_t i = 0; i < kestrel_outputs_count(outs); ++i) {
    const kestrel_tensor* t = kestrel_outputs_get(outs, i);
    kestrel_io_info info;
    kestrel_session_io(s, 1, i, &info);
    if (!t) {  // a sequence or an absent optional: not written by this tool
      std::printf("%s (not a tensor)\n", info.name);
      continue;
    }
    std::printf("%s %s [", info.name, kDTypes[t->dtype]);
    for (size_t d = 0; d < t->rank; ++d) {
      std::printf("%s%lld", d ? ", " : "", static_cast<long long>(t->dims[d]));
    }
    std::printf("]");
    if (dir) std::printf(" -> output_%zu.bin", i);
    std::printf("\n");
    if (dir) ok = write_output(dir, i, *t) && ok;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return die("usage: kestrel-run model.so --input name=file.bin:dtype:d0,d1 [--outputs DIR] [--bench N]");
  }
  std::vector<Input> inputs;
  const char* out_dir = nullptr;
  int bench = 0;
  kestrel_options opts;
  kestrel_options_init(&opts);
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return die("missing value after " + a);
    if (a == "--input") {
      inputs.emplace_back();
      if (!parse_input(argv[++i], &inputs.back())) return die(std::string("bad --input ") + argv[i]);
    } else if (a == "--outputs") {
      out_dir = argv[++i];
    } else if (a == "--bench") {
      bench = std::atoi(argv[++i]);
    } else if (a == "--threads") {
      opts.threads = std::atoi(argv[++i]);
    } else if (a == "--device") {
      opts.device = argv[++i];  // cuda:N for GPU artifacts
    } else {
      return die("unknown option " + a);
    }
  }
  kestrel_session* s = nullptr;
  if (kestrel_load(argv[1], &opts, &s) != KESTREL_OK) return fail_api();
  std::vector<kestrel_tensor> feeds;
  kestrel_outputs* outs = nullptr;
  if (!order_inputs(s, inputs, &feeds) || kestrel_run(s, feeds.data(), feeds.size(), &outs) != KESTREL_OK) {
    int rc = outs ? 1 : fail_api();
    kestrel_unload(s);
    return rc;
  }
  const bool written = report(s, outs, out_dir);
  kestrel_outputs_free(outs);
  if (!written) {
    kestrel_unload(s);
    return 1;
  }
  std::vector<double> ms;
  for (int i = 0; i < bench; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (kestrel_run(s, feeds.data(), feeds.size(), &outs) != KESTREL_OK) return fail_api();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    kestrel_outputs_free(outs);
  }
  if (!ms.empty()) {
    std::sort(ms.begin(), ms.end());
    std::printf("median %.3f ms over %d runs\n", ms[ms.size() / 2], bench);
  }
  kestrel_unload(s);
  return 0;
}
