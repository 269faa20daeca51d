// A process that links only AOT artifacts and libstrata_aot_runtime: constructs one model,
// runs it once on zeros and exits. aot_bench starts it many times to time a cold start as a
// service sees it (exec, dynamic loading, construction, first Run).
//
//   aot_cold_start CASE      (mlp_b1, mlp_b64, cnn_b1, cnn_b64)
#include <chrono>
#include <cstdio>

#include "bench/aot/bench_cases.h"

int main(int argc, char** argv) {
  const strata::bench::BenchCase* c = argc == 2 ? strata::bench::FindCase(argv[1]) : nullptr;
  if (c == nullptr) {
    std::fprintf(stderr, "usage: aot_cold_start mlp_b1|mlp_b64|cnn_b1|cnn_b64\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<strata::bench::AotCase> model = c->make(nullptr);
  if (!model->Run()) {
    std::fprintf(stderr, "%s\n", model->error());
    return 1;
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.1f\n", us);  // construction + first Run, in process
  return 0;
}
