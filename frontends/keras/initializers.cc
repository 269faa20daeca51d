#include "frontends/keras/initializers.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontends/cc/const_op.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/layer.h"

namespace strata::keras {
namespace {

// Keras's _compute_fans: dense kernels [in, out]; conv kernels [..., in, out] times the
// receptive field.
void ComputeFans(const Shape& shape, double* fan_in, double* fan_out) {
  const int r = shape.rank();
  if (r < 1) {
    *fan_in = *fan_out = 1;
  } else if (r == 1) {
    *fan_in = *fan_out = static_cast<double>(shape.dim(0));
  } else if (r == 2) {
    *fan_in = static_cast<double>(shape.dim(0));
    *fan_out = static_cast<double>(shape.dim(1));
  } else {
    double receptive = 1;
    for (int i = 0; i < r - 2; ++i) receptive *= static_cast<double>(shape.dim(i));
    *fan_in = static_cast<double>(shape.dim(r - 2)) * receptive;
    *fan_out = static_cast<double>(shape.dim(r - 1)) * receptive;
  }
}

::strata::Input ShapeLiteral(const Shape& shape) {
  std::vector<int64_t> dims = shape.dims();
  return ::strata::Input(::strata::Input::Initializer(dims, ::strata::Shape({static_cast<int64_t>(dims.size())})));
}

template <typename RandomOp>
Output Random(const Scope& scope, const Shape& shape, DType dtype) {
  auto [seed, seed2] = internal::NextSeeds();
  return RandomOp(scope, ShapeLiteral(shape), dtype, typename RandomOp::Attrs().Seed(seed).Seed2(seed2));
}

}  // namespace

Initializer::Initializer(const char* name) : Initializer(std::string(name)) {}

Initializer::Initializer(const std::string& name) {
  name_ = name;
  if (name == "zeros" || name == "Zeros") {
    kind_ = Kind::kConstant, a_ = 0;
  } else if (name == "ones" || name == "Ones") {
    kind_ = Kind::kConstant, a_ = 1;
  } else if (name == "random_uniform" || name == "RandomUniform") {
    *this = RandomUniform();
  } else if (name == "random_normal" || name == "RandomNormal") {
    *this = RandomNormal();
  } else if (name == "truncated_normal" || name == "TruncatedNormal") {
    *this = TruncatedNormal();
  } else if (name == "glorot_uniform" || name == "GlorotUniform") {
    *this = VarianceScaling(1, "fan_avg", "uniform");
  } else if (name == "glorot_normal" || name == "GlorotNormal") {
    *this = VarianceScaling(1, "fan_avg", "truncated_normal");
  } else if (name == "he_normal" || name == "HeNormal") {
    *this = VarianceScaling(2, "fan_in", "truncated_normal");
  } else if (name == "he_uniform" || name == "HeUniform") {
    *this = VarianceScaling(2, "fan_in", "uniform");
  } else if (name == "lecun_normal" || name == "LecunNormal") {
    *this = VarianceScaling(1, "fan_in", "truncated_normal");
  } else if (name == "lecun_uniform" || name == "LecunUniform") {
    *this = VarianceScaling(1, "fan_in", "uniform");
  } else {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        "unknown initializer '", name,
        "' (known: glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, zeros, ones, "
        "random_normal, random_uniform, truncated_normal)"));
  }
  name_ = name;
}

Initializer Initializer::Constant(float value) {
  Initializer i;
  i.name_ = "constant", i.kind_ = Kind::kConstant, i.a_ = value;
  return i;
}
Initializer Initializer::Values(std::vector<float> values) {
  Initializer i;
  i.name_ = "values", i.kind_ = Kind::kValues, i.values_ = std::move(values);
  return i;
}
Initializer Initializer::RandomUniform(float minval, float maxval) {
  Initializer i;
  i.name_ = "random_uniform", i.kind_ = Kind::kUniform, i.a_ = minval, i.b_ = maxval;
  return i;
}
Initializer Initializer::RandomNormal(float mean, float stddev) {
  Initializer i;
  i.name_ = "random_normal", i.kind_ = Kind::kNormal, i.a_ = mean, i.b_ = stddev;
  return i;
}
Initializer Initializer::TruncatedNormal(float mean, float stddev) {
  Initializer i;
  i.name_ = "truncated_normal", i.kind_ = Kind::kTruncatedNormal, i.a_ = mean, i.b_ = stddev;
  return i;
}
Initializer Initializer::VarianceScaling(float scale, const std::string& mode, const std::string& distribution) {
  Initializer i;
  i.name_ = "variance_scaling", i.kind_ = Kind::kVarianceScaling, i.a_ = scale;
  i.mode_ = mode, i.distribution_ = distribution;
  if (mode != "fan_in" && mode != "fan_out" && mode != "fan_avg") {
    i.status_ = absl::InvalidArgumentError(absl::StrCat("VarianceScaling: unknown mode '", mode, "'"));
  } else if (distribution != "truncated_normal" && distribution != "untruncated_normal" && distribution != "normal" &&
             distribution != "uniform") {
    i.status_ = absl::InvalidArgumentError(absl::StrCat("VarianceScaling: unknown distribution '", distribution, "'"));
  }
  return i;
}

Output Initializer::Build(const Scope& scope, const Shape& shape, DType dtype) const {
  if (!status_.ok()) {
    scope.UpdateStatus(status_);
    return Output();
  }
  switch (kind_) {
    case Kind::kValues:
      return ops::Const(scope, ::strata::Input::Initializer(values_, shape), dtype);
    case Kind::kConstant:
      return ops::Const(scope, ::strata::Input::Initializer(::strata::Input::Initializer(a_), shape), dtype);
    case Kind::kUniform: {
      Output u = Random<ops::RandomUniform>(scope, shape, dtype);
      return ops::Add(scope, ops::Mul(scope, u, b_ - a_), a_);
    }
    case Kind::kNormal:
      return ops::Add(scope, ops::Mul(scope, Random<ops::RandomStandardNormal>(scope, shape, dtype), b_), a_);
    case Kind::kTruncatedNormal:
      return ops::Add(scope, ops::Mul(scope, Random<ops::TruncatedNormal>(scope, shape, dtype), b_), a_);
    case Kind::kVarianceScaling: {
      double fan_in = 1, fan_out = 1;
      ComputeFans(shape, &fan_in, &fan_out);
      double n = mode_ == "fan_in" ? fan_in : mode_ == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
      double scale = a_ / std::max(1.0, n);
      if (distribution_ == "uniform") {
        float limit = static_cast<float>(std::sqrt(3.0 * scale));
        Output u = Random<ops::RandomUniform>(scope, shape, dtype);
        return ops::Sub(scope, ops::Mul(scope, u, 2 * limit), limit);
      }
      if (distribution_ == "truncated_normal") {
        // The stddev of a unit normal truncated to [-2, 2].
        float stddev = static_cast<float>(std::sqrt(scale) / 0.87962566103423978);
        return ops::Mul(scope, Random<ops::TruncatedNormal>(scope, shape, dtype), stddev);
      }
      return ops::Mul(scope, Random<ops::RandomStandardNormal>(scope, shape, dtype), static_cast<float>(std::sqrt(scale)));
    }
  }
  return Output();
}

}  // namespace strata::keras
