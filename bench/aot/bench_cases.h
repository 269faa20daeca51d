// The AOT benchmark's cases: the MLP and CNN of bench/bench_models.h at batch 1 and 64, and a
// tiny model (y = x + 1 on 784 floats) whose latency is nearly all per-call overhead, each
// compiled ahead of time by strata_aot_library (bench/aot/CMakeLists.txt) into one class.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "aot_bench_cnn_b1.h"
#include "aot_bench_cnn_b64.h"
#include "aot_bench_mlp_b1.h"
#include "aot_bench_mlp_b64.h"
#include "aot_bench_tiny_b1.h"

namespace strata::bench {

// One compiled model behind a uniform face.
class AotCase {
 public:
  virtual ~AotCase() = default;
  virtual bool Run() = 0;
  virtual float* input() = 0;
  virtual const float* output() = 0;
  virtual const char* error() = 0;
  virtual int64_t heap_fallback_bytes() = 0;
};

template <typename Model>
class AotCaseOf : public AotCase {
 public:
  explicit AotCaseOf(strata::aot::ThreadPoolInterface* pool) : model_(pool) {}
  bool Run() override { return model_.Run(); }
  float* input() override { return static_cast<float*>(model_.arg_data(0)); }
  const float* output() override { return static_cast<const float*>(model_.result_data(0)); }
  const char* error() override { return model_.error_msg(); }
  int64_t heap_fallback_bytes() override { return model_.instance().heap_fallback_bytes(); }

 private:
  Model model_;
};

struct BenchCase {
  const char* name;   // "mlp_b1", ...
  const char* model;  // "mlp", "cnn", "tiny": the graph file <model>.pb
  const char* fetch;  // "probs" ("y" for tiny); the feed is "x"
  int64_t batch;
  int64_t input_elements, output_elements;
  int64_t arena_bytes, chunk_arena_bytes, weights_bytes;
  std::unique_ptr<AotCase> (*make)(strata::aot::ThreadPoolInterface* pool);
};

template <typename Model>
BenchCase MakeCase(const char* name, const char* model, const char* fetch, int64_t batch) {
  return {name,
          model,
          fetch,
          batch,
          Model::kArg_x_size,
          Model::Spec().result_bytes[0] / 4,
          Model::kArenaBytes,
          Model::kChunkArenaBytes,
          Model::kWeightsBytes,
          [](strata::aot::ThreadPoolInterface* pool) -> std::unique_ptr<AotCase> {
            return std::make_unique<AotCaseOf<Model>>(pool);
          }};
}

inline const BenchCase* BenchCases(int* count) {
  static const BenchCase cases[] = {
      MakeCase<bench_aot::TinyB1>("tiny_b1", "tiny", "y", 1),
      MakeCase<bench_aot::MlpB1>("mlp_b1", "mlp", "probs", 1),
      MakeCase<bench_aot::MlpB64>("mlp_b64", "mlp", "probs", 64),
      MakeCase<bench_aot::CnnB1>("cnn_b1", "cnn", "probs", 1),
      MakeCase<bench_aot::CnnB64>("cnn_b64", "cnn", "probs", 64),
  };
  *count = 5;
  return cases;
}

inline const BenchCase* FindCase(const std::string& name) {
  int n = 0;
  const BenchCase* cases = BenchCases(&n);
  for (int i = 0; i < n; ++i) {
    if (name == cases[i].name) return &cases[i];
  }
  return nullptr;
}

}  // namespace strata::bench
