// Keras weight initializers (tf.keras.initializers), by name or by object:
//   "glorot_uniform" (the default kernel initializer), "glorot_normal", "he_normal", "he_uniform",
//   "lecun_normal", "lecun_uniform", "zeros", "ones", "random_normal", "random_uniform",
//   "truncated_normal", "orthogonal" (the default recurrent kernel initializer); Initializer::Constant(v), VarianceScaling(...), RandomNormal(...), ...
// Each builds the initial value as graph ops (seeded random ops: reproducible under
// keras::SetRandomSeed), with Keras's fan computation and its truncated-normal correction.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "frontends/cc/scope.h"
#include "graph/dtype.h"
#include "graph/graph.h"
#include "graph/shape.h"

namespace strata::keras {

class Initializer {
 public:
  enum class Kind { kValues, kConstant, kUniform, kNormal, kTruncatedNormal, kVarianceScaling, kOrthogonal };

  // By Keras name; an unknown name is kept as an error in status() (reported when used).
  Initializer(const char* name);         // NOLINT: implicit, like passing a string in Keras
  Initializer(const std::string& name);  // NOLINT

  static Initializer Constant(float value);
  // Explicit values in row-major order (their count must match the weight's shape).
  static Initializer Values(std::vector<float> values);
  static Initializer RandomUniform(float minval = -0.05f, float maxval = 0.05f);
  static Initializer RandomNormal(float mean = 0.0f, float stddev = 0.05f);
  static Initializer TruncatedNormal(float mean = 0.0f, float stddev = 0.05f);
  // mode: "fan_in" | "fan_out" | "fan_avg"; distribution: "truncated_normal" | "untruncated_normal" | "uniform".
  static Initializer VarianceScaling(float scale, const std::string& mode, const std::string& distribution);
  // Keras's Orthogonal: a random orthogonal matrix (QR of a normal sample, signs fixed so R's
  // diagonal is positive) times `gain`, over the weight flattened to [prod(dims[:-1]), dims[-1]].
  // Computed on the host when the graph is built (there is no QR op), seeded like the others.
  static Initializer Orthogonal(float gain = 1.0f);

  const std::string& name() const { return name_; }
  const absl::Status& status() const { return status_; }

  // The initial value of a weight of `shape` (fully defined), built in `scope`.
  Output Build(const Scope& scope, const Shape& shape, DType dtype = DT_FLOAT) const;

 private:
  Initializer() = default;
  std::string name_;
  absl::Status status_;
  Kind kind_ = Kind::kConstant;
  float a_ = 0.0f, b_ = 0.0f;  // constant value | min,max | mean,stddev | scale
  std::string mode_, distribution_;
  std::vector<float> values_;
};

}  // namespace strata::keras
