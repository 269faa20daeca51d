// Random ops on the host (see random_kernels.h).
#include "runtime/random_kernels.h"

#include <cmath>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/dtype_visit.h"

namespace strata {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Independent 64-bit words per (stream, element, sub-draw).
class Stream {
 public:
  explicit Stream(uint64_t key) : key_(key) {}
  uint64_t Word(uint64_t element, uint64_t sub) const { return SplitMix64(key_ ^ SplitMix64(element * 64 + sub)); }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform(uint64_t element, uint64_t sub) const { return static_cast<double>(Word(element, sub) >> 11) * 0x1.0p-53; }
  double Normal(uint64_t element, uint64_t sub) const {  // Box-Muller
    const double u1 = 1.0 - Uniform(element, 2 * sub), u2 = Uniform(element, 2 * sub + 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t key_;
};

absl::StatusOr<Shape> ShapeInput(const Node& n, const Tensor& t) {
  if (t.shape().rank() != 1) return n.Annotate(absl::InvalidArgumentError("shape must be a vector"));
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const int64_t d = t.dtype() == DT_INT32 ? t.flat<int32_t>()[i] : t.flat<int64_t>()[i];
    if (d < 0) return n.Annotate(absl::InvalidArgumentError(absl::StrCat("shape has a negative dim ", d)));
    dims.push_back(d);
  }
  return Shape(dims);
}

}  // namespace

bool IsRandomOp(const Node& n) {
  return n.op() == "RandomUniform" || n.op() == "RandomStandardNormal" || n.op() == "TruncatedNormal" ||
         n.op() == "RandomUniformInt";
}

absl::StatusOr<std::vector<Tensor>> RunRandomOp(const Node& n, const std::vector<Tensor>& inputs, VariableStore& store) {
  int64_t seed = 0, seed2 = 0;
  (void)GetAttr(n.attrs(), "seed", &seed);
  (void)GetAttr(n.attrs(), "seed2", &seed2);
  absl::StatusOr<Shape> shape = ShapeInput(n, inputs[0]);
  if (!shape.ok()) return shape.status();
  const DType dtype = BaseDType(n.output_dtype(0));
  absl::StatusOr<Tensor> out = Tensor::Create(dtype, *shape);
  if (!out.ok()) return n.Annotate(out.status());

  // Seeded ops: the same stream in every Session; unseeded: per store and node name.
  uint64_t key = SplitMix64(static_cast<uint64_t>(seed)) ^ SplitMix64(~static_cast<uint64_t>(seed2));
  if (seed == 0 && seed2 == 0) key = store.unseeded_seed() ^ SplitMix64(std::hash<std::string>{}(n.name()));
  const Stream stream(SplitMix64(key ^ SplitMix64(static_cast<uint64_t>(store.NextDraw(n.name())))));

  absl::Status status;
  VisitDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto o = out->flat<T>();
    if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
      const int64_t lo = static_cast<int64_t>(inputs[1].flat<T>()[0]), hi = static_cast<int64_t>(inputs[2].flat<T>()[0]);
      if (inputs[1].num_elements() != 1 || inputs[2].num_elements() != 1 || lo >= hi) {
        status = n.Annotate(absl::InvalidArgumentError(absl::StrCat("need minval < maxval, got ", lo, " and ", hi)));
        return;
      }
      const uint64_t range = static_cast<uint64_t>(hi - lo);
      for (size_t i = 0; i < o.size(); ++i) o[i] = static_cast<T>(lo + static_cast<int64_t>(stream.Word(i, 0) % range));
    } else if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
      for (size_t i = 0; i < o.size(); ++i) {
        double v;
        if (n.op() == "RandomUniform") {
          v = stream.Uniform(i, 0);
          if constexpr (!std::is_same_v<T, double>) v = std::min(v, 1.0 - 0x1.0p-24);  // stays < 1 in float
        } else if (n.op() == "RandomStandardNormal") {
          v = stream.Normal(i, 0);
        } else {  // TruncatedNormal: redraw outside [-2, 2]
          v = stream.Normal(i, 0);
          for (uint64_t sub = 1; std::fabs(v) > 2.0 && sub < 32; ++sub) v = stream.Normal(i, sub);
          if (std::fabs(v) > 2.0) v = 0.0;
        }
        o[i] = static_cast<T>(static_cast<float>(v));
        if constexpr (std::is_same_v<T, double>) o[i] = v;
      }
    }
  });
  if (!status.ok()) return status;
  return std::vector<Tensor>{*std::move(out)};
}

}  // namespace strata
