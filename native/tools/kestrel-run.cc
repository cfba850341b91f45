// kestrel-run: run a compiled artifact from the command line, without Node.
//   kestrel-run model.so [--inputs DIR | --input name=FILE ...] [--outputs DIR] [--bench N]
//                        [--threads N] [--device cpu|cuda:N]    (kestrel-run --help: the usage)
// Inputs: --inputs DIR reads DIR/input_K.pb (ONNX TensorProto files, the test-data layout that
// `kestrel run --inputs` reads) as the model's K-th input; --input name=path.pb reads one
// TensorProto; --input name=path.bin:dtype:d0,d1,... reads raw little-endian element bytes. Every
// input of the model must be given exactly once (unknown, duplicate and missing names are errors
// that list the expected inputs). Prints each output's name, dtype and shape; with --outputs writes
// output K's raw bytes to DIR/output_K.bin, named by index as in the ONNX test-data layout: output
// names come from the model, which is untrusted, so they never become paths ("../../x" would leave
// DIR). Files are created without following a symbolic link already at that name. With --bench N
// runs N more times and prints the median, p90 and p99 ms and the throughput.
// Exit codes: 0 ok, 1 loading or running failed, 2 a command-line mistake (with the usage).
#include <algorithm>
#include <chrono>
#include <cmath>
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
#include "tensor_pb.h"

namespace {

const char* kDTypes[] = {"float32", "uint8", "int8", "uint16", "int16", "int32",
                         "int64", "bool", "float16", "float64", "uint32", "uint64",
                         "bfloat16", "float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz",
                         "uint4", "int4", "float4e2m1", "uint2", "int2"};

struct Input {
  std::string name;
  std::vector<char> data;
  std::vector<int64_t> dims;
  int32_t dtype = -1;
};

int fail_api() {
  std::fprintf(stderr, "kestrel-run: %s: %s\n", kestrel_last_error_code(), kestrel_last_error_message());
  return 1;
}

const char kUsage[] =
    "usage: kestrel-run model.so [--inputs DIR | --input NAME=FILE ...] [--outputs DIR] [--bench N]\n"
    "                            [--threads N] [--device cpu|cuda:N]\n"
    "  --inputs DIR           DIR/input_K.pb (ONNX TensorProto) is the model's K-th input\n"
    "  --input NAME=FILE.pb   one input from an ONNX TensorProto file (repeatable)\n"
    "  --input NAME=FILE.bin:DTYPE:D0,D1,...\n"
    "                         one input from raw little-endian bytes; DTYPE is float32, uint8, int8,\n"
    "                         uint16, int16, int32, int64, bool, float16, float64, uint32, uint64,\n"
    "                         bfloat16, float8e4m3fn, float8e4m3fnuz, float8e5m2 or float8e5m2fnuz\n"
    "  --outputs DIR          write output K's raw bytes to DIR/output_K.bin\n"
    "  --bench N              time N more runs: median, p90, p99 and throughput\n"
    "  --threads N            threads for parallel kernels, the caller included (0 = all cores)\n"
    "  --device D             cpu (default), or cuda:N for artifacts compiled with --target nvptx\n"
    "  -h, --help             print this usage\n"
    "exit codes: 0 ok, 1 loading or running failed, 2 a command-line mistake\n";

// A command-line mistake: the message, the usage, exit code 2.
int usage_error(const std::string& msg) {
  std::fprintf(stderr, "kestrel-run: %s\n\n%s", msg.c_str(), kUsage);
  return 2;
}

std::vector<char> read_file(const std::string& path, bool* ok) {
  std::ifstream f(path, std::ios::binary);
  *ok = static_cast<bool>(f);
  return std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// An ONNX TensorProto file as the input `name`; false with a message on stderr.
bool read_pb(const std::string& name, const std::string& path, Input* in) {
  bool ok = false;
  const std::vector<char> bytes = read_file(path, &ok);
  kestrel_tools::PbTensor t;
  std::string error;
  if (!ok) error = std::strerror(errno);
  if (!ok || !kestrel_tools::parse_tensor_pb(bytes, &t, &error)) {
    std::fprintf(stderr, "kestrel-run: %s: %s\n", path.c_str(), error.c_str());
    return false;
  }
  in->name = name;
  in->dims = std::move(t.dims);
  in->dtype = t.dtype;
  in->data = std::move(t.data);
  return true;
}

bool parse_input(const std::string& spec, Input* in) {
  const size_t eq = spec.find('=');
  if (eq != std::string::npos && spec.find(':', eq) == std::string::npos && spec.size() > 3 &&
      spec.compare(spec.size() - 3, 3, ".pb") == 0) {
    return read_pb(spec.substr(0, eq), spec.substr(eq + 1), in);
  }
  const size_t c1 = spec.find(':', eq), c2 = spec.find(':', c1 + 1);
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
  if (t.dtype == KESTREL_DTYPE_STRING) {  // its elements are pointers: no raw bytes to write
    std::fprintf(stderr, "kestrel-run: output %zu is a string tensor; .bin outputs hold numbers only\n",
                 index);
    return false;
  }
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

// A whole number >= `min` for `flag`, or -1 (the caller reports it).
long parse_count(const char* text, long min) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  return (errno || end == text || *end || v < min || v > 1000000000L) ? -1 : v;
}

// DIR/input_K.pb for K = 0 .. count-1, named as the session's inputs; false with a message.
bool read_input_dir(kestrel_session* s, const std::string& dir, std::vector<Input>* inputs) {
  for (size_t i = 0; i < kestrel_input_count(s); ++i) {
    kestrel_io_info info;
    kestrel_session_io(s, 0, i, &info);
    inputs->emplace_back();
    if (!read_pb(info.name, dir + "/input_" + std::to_string(i) + ".pb", &inputs->back())) return false;
  }
  bool extra = false;
  read_file(dir + "/input_" + std::to_string(kestrel_input_count(s)) + ".pb", &extra);
  if (extra) {
    std::fprintf(stderr, "kestrel-run: %s holds more input_K.pb files than the model's %zu inputs: %s\n",
                 dir.c_str(), kestrel_input_count(s), expected_inputs(s).c_str());
  }
  return !extra;
}

void print_bench(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double total = 0;
  for (double m : ms) total += m;
  // Nearest-rank percentiles, as `kestrel run --bench`.
  auto pct = [&](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(ms.size())));
    return ms[std::min(ms.size(), std::max<size_t>(1, rank)) - 1];
  };
  std::printf("median %.3f ms over %zu runs; p90 %.3f ms, p99 %.3f ms, min %.3f ms; "
              "throughput %.1f runs/s\n", pct(50), ms.size(), pct(90), pct(99), ms[0],
              1000.0 * static_cast<double>(ms.size()) / total);
}

struct Args {
  std::vector<Input> inputs;
  std::string input_dir;
  const char* out_dir = nullptr;
  long bench = 0;
};

// Parses argv[2..]; returns -1 when parsing succeeded, else the exit code to return.
int parse_args(int argc, char** argv, Args* a, kestrel_options* opts) {
  for (int i = 2; i < argc; ++i) {
    const std::string f = argv[i];
    if (f == "-h" || f == "--help") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (f != "--input" && f != "--inputs" && f != "--outputs" && f != "--bench" && f != "--threads" &&
        f != "--device") {
      return usage_error("unknown option '" + f + "'");
    }
    if (i + 1 >= argc || std::strncmp(argv[i + 1], "--", 2) == 0) {
      return usage_error(f + " needs a value");
    }
    const char* v = argv[++i];
    if (f == "--input") {
      a->inputs.emplace_back();
      if (!parse_input(v, &a->inputs.back())) {
        const std::string spec = v;
        if (spec.size() > 3 && spec.compare(spec.size() - 3, 3, ".pb") == 0) return 1;
        return usage_error("bad --input '" + spec + "' (NAME=FILE.pb or NAME=FILE.bin:DTYPE:D0,D1,... "
                           "with an existing file)");
      }
    } else if (f == "--inputs") {
      a->input_dir = v;
    } else if (f == "--outputs") {
      a->out_dir = v;
    } else if (f == "--device") {
      opts->device = v;  // cuda:N for GPU artifacts (argv outlives the session)
    } else {
      const long n = parse_count(v, f == "--bench" ? 1 : 0);
      if (n < 0) {
        return usage_error(f + " expects a whole number" + (f == "--bench" ? " of at least 1" : "") +
                           ", got '" + v + "'");
      }
      if (f == "--bench") a->bench = n;
      else opts->threads = static_cast<int32_t>(n);
    }
  }
  if (!a->input_dir.empty() && !a->inputs.empty()) {
    return usage_error("give --inputs DIR or --input, not both");
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("%s", kUsage);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') {
    return usage_error(argc < 2 ? "needs an artifact" : "the artifact comes first");
  }
  Args a;
  kestrel_options opts;
  kestrel_options_init(&opts);
  const int parsed = parse_args(argc, argv, &a, &opts);
  if (parsed >= 0) return parsed;
  kestrel_session* s = nullptr;
  if (kestrel_load(argv[1], &opts, &s) != KESTREL_OK) return fail_api();
  std::vector<kestrel_tensor> feeds;
  kestrel_outputs* outs = nullptr;
  if ((!a.input_dir.empty() && !read_input_dir(s, a.input_dir, &a.inputs)) ||
      !order_inputs(s, a.inputs, &feeds) || kestrel_run(s, feeds.data(), feeds.size(), &outs) != KESTREL_OK) {
    int rc = outs || feeds.size() != kestrel_input_count(s) ? 1 : fail_api();
    kestrel_unload(s);
    return rc;
  }
  const bool written = report(s, outs, a.out_dir);
  kestrel_outputs_free(outs);
  if (!written) {
    kestrel_unload(s);
    return 1;
  }
  std::vector<double> ms;
  for (long i = 0; i < a.bench; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (kestrel_run(s, feeds.data(), feeds.size(), &outs) != KESTREL_OK) return fail_api();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    kestrel_outputs_free(outs);
  }
  if (!ms.empty()) print_bench(ms);
  kestrel_unload(s);
  return 0;
}
