// kestrel-run: run a compiled artifact from the command line, without Node.
//   kestrel-run model.so --input name=path.bin:dtype:d0,d1,... [--input ...]
//                        [--outputs DIR] [--bench N] [--threads N]
// Inputs are raw little-endian element bytes. Prints each output's name, dtype and shape; with
// --outputs writes DIR/<name>.bin; with --bench N runs N more times and prints the median ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
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

// Orders `given` as the session's inputs.
bool order_inputs(kestrel_session* s, std::vector<Input>& given, std::vector<kestrel_tensor>* out) {
  for (size_t i = 0; i < kestrel_input_count(s); ++i) {
    kestrel_io_info info;
    kestrel_session_io(s, 0, i, &info);
    auto it = std::find_if(given.begin(), given.end(),
                           [&](const Input& in) { return in.name == info.name; });
    if (it == given.end()) {
      std::fprintf(stderr, "kestrel-run: missing --input %s\n", info.name);
      return false;
    }
    out->push_back(
        kestrel_tensor{it->dtype, it->dims.size(), it->dims.data(), it->data.data(), it->data.size()});
  }
  return true;
}

void report(kestrel_session* s, kestrel_outputs* outs, const char* dir) {
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
    std::printf("]\n");
    if (dir) {
      std::ofstream f(std::string(dir) + "/" + info.name + ".bin", std::ios::binary);
      f.write(static_cast<const char*>(t->data), static_cast<std::streamsize>(t->nbytes));
    }
  }
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
  report(s, outs, out_dir);
  kestrel_outputs_free(outs);
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
