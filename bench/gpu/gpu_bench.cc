// GPU throughput and latency through the "gpu" backend (docs/gpu.md): SGEMM C = A * B at
// N = 1024, 2048, 4096, 8192 and the MLP / CNN of bench/bench_models.h, each in a Session on
// backend "gpu" (compiler/gpu -> PTX -> GpuExecutable), timed as Session::Run.
//
//   gpu_bench [--sizes=1024,2048,4096,8192] [--batches=1,64] [--models=mlp,cnn] [--seconds=1]
//             [--precisions=fp32,tf32,f16,bf16] [--cuda_arch=sm_90a]
//
// --cuda_arch: the compile target (default: the device's, sm_90 on an H100; sm_90a puts the
// tensor-core kernels on wgmma; $STRATA_CUDA_ARCH does the same).
//
// --precisions: fp32 (the default), tf32 (SessionOptions::allow_tf32: contractions on tensor
// cores with TF32 inputs), f16 and bf16 (the GEMM's operands and result in that type, f32 sums:
// the 16-bit tensor-core kernel); each GEMM is run once per precision, each model once per
// fp32/tf32 precision (they are float32 graphs).
//
// Session::Run includes the host->device copy of the fed inputs and the device->host copy of
// the result from pageable memory (no pinned staging yet): the GFLOP/s below are end to end,
// with the bytes moved printed beside them. Each SGEMM result is checked at 64 sampled elements
// against a float64 dot product on the host before it is timed. Exits 0 with a message where
// there is no GPU.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/bench_models.h"
#include "bench/bench_util.h"
#include "frontends/cc/ops.h"
#include "frontends/cc/scope.h"
#include "graph/str_util.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/session.h"

namespace strata::bench {
namespace {

absl::StatusOr<std::vector<int64_t>> ParseInts(const std::string& text) {
  std::vector<int64_t> values;
  for (absl::string_view item : absl::StrSplit(Absl(text), ',', absl::SkipEmpty())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(item, &v) || v < 1) {
      return absl::InvalidArgumentError(absl::StrCat("'", item, "' is not a positive integer"));
    }
    values.push_back(v);
  }
  return values;
}

// How a GEMM or model is computed: its element type and whether f32 contractions use TF32.
struct Precision {
  const char* name;
  DType dtype;
  bool tf32;
};
constexpr Precision kPrecisions[] = {
    {"fp32", DT_FLOAT, false}, {"tf32", DT_FLOAT, true}, {"f16", DT_HALF, false}, {"bf16", DT_BFLOAT16, false}};

// A Session on the GPU backend (shared: one device, one PTX cache per signature).
absl::StatusOr<std::unique_ptr<Session>> GpuSession(const tf::GraphDef& def, std::shared_ptr<gpu::CudaBackend> backend,
                                                    bool tf32) {
  SessionOptions options;
  options.custom_backend = std::move(backend);
  options.allow_tf32 = tf32;
  return Session::Create(def, options);
}

// The error bound (relative to sum |a*b|) of a sampled GEMM element: the f32 sums, plus TF32's
// rounding of each input (2^-11 each: 2^-10 a product) or the rounding of a 16-bit result.
double SampledErrorLimit(const Precision& p, int64_t n) {
  const double sums = static_cast<double>(n) * std::ldexp(1.0, -24);
  if (p.dtype == DT_HALF) return std::ldexp(1.0, -11) + sums;
  if (p.dtype == DT_BFLOAT16) return std::ldexp(1.0, -8) + sums;
  return p.tf32 ? std::ldexp(1.0, -10) + sums : 1e-5;
}

// A fallback (an op without a GPU lowering, compiled for the CPU) would time the CPU: an error.
absl::Status CheckNoFallback(const gpu::CudaBackend& backend, const std::string& what) {
  const std::vector<gpu::CpuFallback> fallbacks = backend.cpu_fallbacks();
  if (fallbacks.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(what, " ran on the CPU (", fallbacks.back().request, "): ", fallbacks.back().reason));
}

absl::Status Gemm(int64_t n, const TimeBox& box, std::shared_ptr<gpu::CudaBackend> backend, const Precision& precision) {
  Scope root = Scope::NewRootScope();
  auto a = ops::Placeholder(root.WithOpName("a"), precision.dtype, ops::Placeholder::Shape(Shape{n, n}));
  auto b = ops::Placeholder(root.WithOpName("b"), precision.dtype, ops::Placeholder::Shape(Shape{n, n}));
  ops::MatMul(root.WithOpName("c"), a, b);
  if (!root.ok()) return root.status();
  tf::GraphDef def;
  if (absl::Status s = root.ToGraphDef(&def); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<Session>> session = GpuSession(def, backend, precision.tf32);
  if (!session.ok()) return session.status();
  // The operands in the GEMM's type, and as floats (exactly those values) for the check.
  absl::StatusOr<Tensor> fa = RandomFloatTensor(Shape{n, n}, 1, 1.f).Cast(precision.dtype);
  absl::StatusOr<Tensor> fb = RandomFloatTensor(Shape{n, n}, 2, 1.f).Cast(precision.dtype);
  if (!fa.ok() || !fb.ok()) return !fa.ok() ? fa.status() : fb.status();
  absl::StatusOr<Tensor> ta = fa->Cast(DT_FLOAT), tb = fb->Cast(DT_FLOAT);
  if (!ta.ok() || !tb.ok()) return !ta.ok() ? ta.status() : tb.status();
  std::vector<std::pair<std::string, Tensor>> feeds = {{"a", *fa}, {"b", *fb}};
  std::vector<Tensor> out;
  const double t0 = NowSeconds();
  if (absl::Status s = (*session)->Run(feeds, {"c"}, &out); !s.ok()) return s;
  const double first_ms = (NowSeconds() - t0) * 1e3;
  if (absl::Status s = CheckNoFallback(*backend, absl::StrCat("gemm ", n)); !s.ok()) return s;
  absl::StatusOr<Tensor> result = out[0].Cast(DT_FLOAT);
  if (!result.ok()) return result.status();
  // 64 sampled elements against a float64 dot product.
  double worst = 0;
  for (int k = 0; k < 64; ++k) {
    const int64_t i = (k * 7919) % n, j = (k * 104729 + 13) % n;
    double want = 0, scale = 0;
    for (int64_t p = 0; p < n; ++p) {
      const double x = ta->flat<float>()[i * n + p], y = tb->flat<float>()[p * n + j];
      want += x * y;
      scale += std::fabs(x * y);
    }
    worst = std::max(worst, std::fabs(result->flat<float>()[i * n + j] - want) / std::max(scale, 1e-30));
  }
  if (!(worst < SampledErrorLimit(precision, n))) {
    return absl::InternalError(absl::StrCat("gemm ", n, ": sampled error ", worst, " (relative to sum |a*b|)"));
  }
  absl::StatusOr<std::vector<double>> times = TimeRuns(box, [&] { return (*session)->Run(feeds, {"c"}, &out); });
  if (!times.ok()) return times.status();
  const double median = Median(*times), flops = 2.0 * static_cast<double>(n) * n * n;
  std::printf("sgemm %s %5lld: median %9.3f ms  %8.1f GFLOP/s end to end  (first Run %.0f ms, %zu runs, "
              "%.0f MB moved per run, sampled rel. error %.1e)\n",
              precision.name, static_cast<long long>(n), median * 1e3, flops / median / 1e9, first_ms, times->size(),
              3.0 * n * n * static_cast<double>(DTypeSize(precision.dtype)) / 1e6, worst);
  return absl::OkStatus();
}

absl::Status Model(const BenchModel& model, int64_t batch, const TimeBox& box, std::shared_ptr<gpu::CudaBackend> backend,
                   bool tf32) {
  absl::StatusOr<std::unique_ptr<Session>> session = GpuSession(model.graph, backend, tf32);
  if (!session.ok()) return session.status();
  std::vector<int64_t> dims = model.input_shape.dims();
  dims[0] = batch;
  std::vector<std::pair<std::string, Tensor>> feeds = {{model.input, RandomFloatTensor(Shape(dims), 3, 1.f)}};
  std::vector<Tensor> out;
  const double t0 = NowSeconds();
  if (absl::Status s = (*session)->Run(feeds, {model.output}, &out); !s.ok()) return s;
  const double first_ms = (NowSeconds() - t0) * 1e3;
  if (absl::Status s = CheckNoFallback(*backend, model.name); !s.ok()) return s;
  absl::StatusOr<std::vector<double>> times = TimeRuns(box, [&] { return (*session)->Run(feeds, {model.output}, &out); });
  if (!times.ok()) return times.status();
  std::printf("%-4s %s batch %3lld: median %8.3f ms  p90 %8.3f ms  (first Run, compile included, %.0f ms; %zu runs)\n",
              model.name.c_str(), tf32 ? "tf32" : "fp32", static_cast<long long>(batch), Median(*times) * 1e3, Percentile(*times, 0.9) * 1e3,
              first_ms, times->size());
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  absl::StatusOr<Flags> flags = Flags::Parse(argc, argv, {"sizes", "batches", "models", "seconds", "precisions", "cuda_arch"});
  if (!flags.ok()) {
    std::fprintf(stderr, "gpu_bench: %s\n", std::string(flags.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::vector<int64_t>> sizes = ParseInts(flags->Get("sizes", "1024,2048,4096,8192"));
  absl::StatusOr<std::vector<int64_t>> batches = ParseInts(flags->Get("batches", "1,64"));
  absl::StatusOr<double> seconds = flags->GetDouble("seconds", 1.0);
  std::vector<Precision> precisions;
  const std::string precision_names = flags->Get("precisions", "fp32");
  for (absl::string_view p : absl::StrSplit(Absl(precision_names), ',', absl::SkipEmpty())) {
    const Precision* found = std::find_if(std::begin(kPrecisions), std::end(kPrecisions),
                                          [&](const Precision& known) { return p == known.name; });
    if (found == std::end(kPrecisions)) {
      std::fprintf(stderr, "gpu_bench: --precisions takes fp32, tf32, f16 and bf16, not '%s'\n", std::string(Std(p)).c_str());
      return 2;
    }
    precisions.push_back(*found);
  }
  if (!sizes.ok() || !batches.ok() || !seconds.ok()) {
    const absl::Status bad = !sizes.ok() ? sizes.status() : !batches.ok() ? batches.status() : seconds.status();
    std::fprintf(stderr, "gpu_bench: %s\n", std::string(bad.message()).c_str());
    return 2;
  }
  std::string why;
  if (!gpu::CudaAvailable(&why)) {
    std::printf("gpu_bench: no GPU here, nothing measured (%s)\n", why.c_str());
    return 0;
  }
  absl::StatusOr<std::shared_ptr<gpu::CudaDevice>> device = gpu::SharedCudaDevice(0);
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> created =
      device.ok() ? gpu::CreateCudaBackendForDevice(*device, flags->Get("cuda_arch", ""))
                  : absl::StatusOr<std::unique_ptr<gpu::CudaBackend>>(device.status());
  if (!created.ok()) {
    std::fprintf(stderr, "gpu_bench: %s\n", std::string(created.status().message()).c_str());
    return 1;
  }
  std::shared_ptr<gpu::CudaBackend> backend(*std::move(created));
  std::printf("gpu_bench on %s, PTX for %s; host: %s; load %s\n%s\n", (*device)->Description().c_str(),
              backend->cuda_arch().c_str(), MachineSummary().c_str(), LoadAverage().c_str(),
              CommandLine(argc, argv).c_str());
  TimeBox box;
  box.seconds = *seconds;
  int failures = 0;
  for (const Precision& precision : precisions) {
    for (int64_t n : *sizes) {
      if (absl::Status s = Gemm(n, box, backend, precision); !s.ok()) {
        std::printf("sgemm %s %lld: FAILED: %s\n", precision.name, static_cast<long long>(n), std::string(s.message()).c_str());
        ++failures;
      }
    }
  }
  // Named: a temporary in the range-for's initializer would die before the loop body (C++20).
  const std::string model_names = flags->Get("models", "mlp,cnn");
  for (absl::string_view name : absl::StrSplit(Absl(model_names), ',', absl::SkipEmpty())) {
    absl::StatusOr<BenchModel> model = name == "mlp" ? BuildMlp() : name == "cnn" ? BuildCnn()
        : absl::StatusOr<BenchModel>(absl::InvalidArgumentError(absl::StrCat("unknown model '", name, "'")));
    if (!model.ok()) {
      std::printf("%s: FAILED: %s\n", std::string(Std(name)).c_str(), std::string(model.status().message()).c_str());
      ++failures;
      continue;
    }
    for (int64_t batch : *batches) {
      for (const Precision& precision : precisions) {
        if (precision.dtype != DT_FLOAT) continue;
        if (absl::Status s = Model(*model, batch, box, backend, precision.tf32); !s.ok()) {
          std::printf("%s batch %lld: FAILED: %s\n", model->name.c_str(), static_cast<long long>(batch),
                      std::string(s.message()).c_str());
          ++failures;
        }
      }
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) { return strata::bench::Main(argc, argv); }
