// Measures this machine's single-precision FMA peak, as the denominator of the benchmark's
// "share of peak" column: every thread runs 16 independent FMA dependency chains (more than
// latency x throughput = 4 cycles x 2 ports needs), so the loop is bound by the FMA ports only.
// Uses 512-bit zmm registers where the CPU has AVX-512F, else 256-bit ymm (AVX2 + FMA).
//   g++ -O2 -pthread bench/fma-peak.cc -o fma-peak && ./fma-peak [--avx2] [threads...]
// (--avx2 takes the 256-bit path on an AVX-512 host too, to check the fallback.)
// Prints one line per thread count: `threads N isa avx512|avx2 gflops G cpu_gflops C`, best of 5
// trials: G over the wall time (what the machine gave us now), C summed over each thread's own CPU
// time (what the cores do while they run it: the peak, even when other processes share them).
// Requires x86-64 and g++ (function-level target attributes, so no -m flags are needed).

#include <immintrin.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr long kIters = 20'000'000;  // per thread per trial: ~0.1-0.2 s at full speed
constexpr int kChains = 16;

// Returns a value derived from every chain so the compiler cannot drop any of them.
__attribute__((target("avx512f"))) float chains512(long iters) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm512_set1_ps(1.0f + c * 1e-3f);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm512_add_ps(s, acc[c]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0] + out[15];
}

__attribute__((target("avx2,fma"))) float chains256(long iters) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm256_set1_ps(1.0f + c * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  }
  __m256 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm256_add_ps(s, acc[c]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

double threadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Rates {
  double wall, cpu;  // GFLOP/s
};

// One trial: `threads` threads each run the chains.
Rates trial(int threads, bool wide) {
  std::vector<std::thread> pool;
  std::vector<float> sink(threads);
  std::vector<double> cpu(threads);
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      const double c0 = threadCpuSeconds();
      sink[t] = wide ? chains512(kIters) : chains256(kIters);
      cpu[t] = threadCpuSeconds() - c0;
    });
  }
  for (auto& th : pool) th.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink[0] == 12345.0f) std::puts("");  // keeps the results observable
  const double perThread = double(kIters) * kChains * (wide ? 16 : 8) * 2 / 1e9;
  Rates r{threads * perThread / s, 0};
  for (double c : cpu) r.cpu += perThread / c;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool wide = __builtin_cpu_supports("avx512f");
  if (!wide && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    std::fprintf(stderr, "fma-peak: the CPU has neither AVX-512F nor AVX2+FMA\n");
    return 2;
  }
  std::vector<int> counts;
  for (int i = 1; i < argc; i++) {
    if (std::string(argv[i]) == "--avx2") {
      wide = false;
    } else {
      counts.push_back(std::atoi(argv[i]));
    }
  }
  if (counts.empty()) counts = {1, 2};
  for (int n : counts) {
    Rates best{0, 0};
    for (int k = 0; k < 5; k++) {
      const Rates r = trial(n, wide);
      best = {std::max(best.wall, r.wall), std::max(best.cpu, r.cpu)};
    }
    std::printf("threads %d isa %s gflops %.1f cpu_gflops %.1f\n", n, wide ? "avx512" : "avx2", best.wall,
                best.cpu);
  }
  return 0;
}
