#include "frontends/keras/initializers.h"

#include <cmath>
#include <cstdint>
#include <random>
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

// A [rows, cols] row-major matrix with orthonormal columns (rows >= cols) or rows (rows < cols):
// modified Gram-Schmidt on a standard normal sample, which leaves R's diagonal positive (the
// sign convention Keras applies after its QR).
std::vector<float> OrthogonalMatrix(int64_t rows, int64_t cols, float gain, std::mt19937_64& rng) {
  const bool transposed = rows < cols;
  const int64_t n = transposed ? cols : rows, k = transposed ? rows : cols;  // n >= k
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<std::vector<double>> q(k, std::vector<double>(n));  // k columns of length n
  for (auto& column : q) {
    for (double& x : column) x = normal(rng);
  }
  for (int64_t j = 0; j < k; ++j) {
    for (int pass = 0; pass < 2; ++pass) {  // twice: re-orthogonalizing keeps MGS accurate
      for (int64_t i = 0; i < j; ++i) {
        double dot = 0;
        for (int64_t r = 0; r < n; ++r) dot += q[i][r] * q[j][r];
        for (int64_t r = 0; r < n; ++r) q[j][r] -= dot * q[i][r];
      }
    }
    double norm = 0;
    for (double x : q[j]) norm += x * x;
    norm = std::sqrt(norm);
    for (double& x : q[j]) x /= norm;
  }
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t r = 0; r < n; ++r) {
      const int64_t row = transposed ? j : r, col = transposed ? r : j;
      out[static_cast<size_t>(row * cols + col)] = static_cast<float>(gain * q[j][r]);
    }
  }
  return out;
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
  } else if (name == "orthogonal" || name == "Orthogonal") {
    *this = Orthogonal();
  } else {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        "unknown initializer '", name,
        "' (known: glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, orthogonal, zeros, "
        "ones, random_normal, random_uniform, truncated_normal)"));
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
Initializer Initializer::Orthogonal(float gain) {
  Initializer i;
  i.name_ = "orthogonal", i.kind_ = Kind::kOrthogonal, i.a_ = gain;
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
    case Kind::kOrthogonal: {
      if (shape.rank() < 2) {
        scope.UpdateStatus(absl::InvalidArgumentError(absl::StrCat(
            "orthogonal initializer: the weight must have rank >= 2, got shape ", shape.ToString())));
        return Output();
      }
      const int64_t cols = shape.dim(shape.rank() - 1);
      const int64_t rows = shape.num_elements() / std::max<int64_t>(cols, 1);
      auto [seed, seed2] = internal::NextSeeds();
      std::mt19937_64 rng;
      if (seed == 0 && seed2 == 0) {
        rng.seed(std::random_device{}());  // unseeded, like TF's random ops
      } else {
        rng.seed(static_cast<uint64_t>(seed) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(seed2));
      }
      Output values = ops::Const(scope, ::strata::Input::Initializer(OrthogonalMatrix(rows, cols, a_, rng), shape));
      return dtype == DT_FLOAT ? values : ops::Cast(scope, values, dtype);
    }
  }
  return Output();
}

}  // namespace strata::keras
