// HostBuilder: dot_general and convolution. Plain loops over a contiguous re-layout of the
// operands; accumulation in the result type (float for float16/bfloat16), integers wrap.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "runtime/reference/host_builder.h"
#include "runtime/reference/host_kernels.h"

namespace strata {

using namespace host_internal;  // NOLINT: internal helpers of this backend

namespace {

template <typename A, typename T>
std::vector<A> ToAccumulator(const Tensor& t) {
  auto in = t.flat<T>();
  std::vector<A> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = ConvertValue<A>(in[i]);
  return out;
}

int64_t Product(absl::Span<const int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

}  // namespace

Value HostBuilder::EmitDotGeneral(Value lhs, Value rhs, const DotDims& dims, const Value& type) {
  HOST_NEW_RESULT(out, type);
  // lhs -> [batch, free, contracting] and rhs -> [batch, contracting, free], contiguous.
  auto free_dims = [](const Value& v, const std::vector<int64_t>& batch, const std::vector<int64_t>& contracting) {
    std::vector<int64_t> f;
    for (int64_t d = 0; d < v.rank(); ++d) {
      if (std::find(batch.begin(), batch.end(), d) == batch.end() &&
          std::find(contracting.begin(), contracting.end(), d) == contracting.end()) {
        f.push_back(d);
      }
    }
    return f;
  };
  const std::vector<int64_t> lhs_free = free_dims(lhs, dims.lhs_batch, dims.lhs_contracting);
  const std::vector<int64_t> rhs_free = free_dims(rhs, dims.rhs_batch, dims.rhs_contracting);
  std::vector<int64_t> lhs_perm = dims.lhs_batch, rhs_perm = dims.rhs_batch;
  lhs_perm.insert(lhs_perm.end(), lhs_free.begin(), lhs_free.end());
  lhs_perm.insert(lhs_perm.end(), dims.lhs_contracting.begin(), dims.lhs_contracting.end());
  rhs_perm.insert(rhs_perm.end(), dims.rhs_contracting.begin(), dims.rhs_contracting.end());
  rhs_perm.insert(rhs_perm.end(), rhs_free.begin(), rhs_free.end());
  absl::StatusOr<Tensor> l = Permuted(At(lhs), lhs_perm);
  if (!l.ok()) return Fail(l.status());
  absl::StatusOr<Tensor> r = Permuted(At(rhs), rhs_perm);
  if (!r.ok()) return Fail(r.status());

  auto size_of = [](const Value& v, const std::vector<int64_t>& ds) {
    int64_t p = 1;
    for (int64_t d : ds) p *= v.dim(static_cast<int>(d));
    return p;
  };
  const int64_t B = size_of(lhs, dims.lhs_batch), M = size_of(lhs, lhs_free);
  const int64_t K = size_of(lhs, dims.lhs_contracting), N = size_of(rhs, rhs_free);
  VisitDType(lhs.dtype, [&]<typename T>(Tag<T>) {
    VisitDType(type.dtype, [&]<typename D>(Tag<D>) {
      if constexpr (!std::is_same_v<T, bool> && !std::is_same_v<D, bool>) {
        using A = Arith<D>;
        const std::vector<A> a = ToAccumulator<A, T>(*l);
        const std::vector<A> b = ToAccumulator<A, T>(*r);
        auto o = out.flat<D>();
        std::vector<A> acc(N);
        for (int64_t bi = 0; bi < B; ++bi) {
          for (int64_t i = 0; i < M; ++i) {
            std::fill(acc.begin(), acc.end(), A(0));
            const A* a_row = a.data() + (bi * M + i) * K;
            for (int64_t k = 0; k < K; ++k) {
              const A* b_row = b.data() + (bi * K + k) * N;
              for (int64_t j = 0; j < N; ++j) acc[j] = WrapAdd(acc[j], WrapMul(a_row[k], b_row[j]));
            }
            for (int64_t j = 0; j < N; ++j) o[(bi * M + i) * N + j] = Store<D>(acc[j]);
          }
        }
      }
    });
  });
  return Push(std::move(out), type);
}

Value HostBuilder::EmitConvolution(Value input, Value filter, const ConvConfig& c, const Value& type) {
  HOST_NEW_RESULT(out, type);
  const int s = input.rank() - 2;
  const int64_t batch = input.dim(0), c_in = input.dim(s + 1), c_out = filter.dim(s + 1);
  const int64_t groups = c.feature_group_count;
  const int64_t cin_g = c_in / groups, cout_g = c_out / groups;
  const std::vector<int64_t> in_spatial(input.shape.dims().begin() + 1, input.shape.dims().end() - 1);
  const std::vector<int64_t> window(filter.shape.dims().begin(), filter.shape.dims().end() - 2);
  const std::vector<int64_t> out_spatial(type.shape.dims().begin() + 1, type.shape.dims().end() - 1);
  const std::vector<int64_t> in_strides = RowMajorStrides(input.shape.dims());
  const std::vector<int64_t> f_strides = RowMajorStrides(filter.shape.dims());
  const int64_t n_out_spatial = Product(out_spatial), n_window = Product(window);

  VisitDType(input.dtype, [&]<typename T>(Tag<T>) {
    VisitDType(type.dtype, [&]<typename D>(Tag<D>) {
      if constexpr (!std::is_same_v<T, bool> && !std::is_same_v<D, bool>) {
        using A = Arith<D>;
        const std::vector<A> x = ToAccumulator<A, T>(At(input));
        const std::vector<A> f = ToAccumulator<A, T>(At(filter));
        auto o = out.flat<D>();
        std::vector<A> acc(c_out);
        std::vector<int64_t> out_index(s), win_index(s);
        for (int64_t n = 0; n < batch; ++n) {
          std::fill(out_index.begin(), out_index.end(), 0);
          for (int64_t op = 0; op < n_out_spatial; ++op) {
            std::fill(acc.begin(), acc.end(), A(0));
            std::fill(win_index.begin(), win_index.end(), 0);
            for (int64_t w = 0; w < n_window; ++w) {
              // Position in the lhs-dilated input (before padding); holes and padding add nothing.
              bool inside = true;
              int64_t x_off = n * in_strides[0], f_off = 0;
              for (int i = 0; i < s && inside; ++i) {
                const int64_t t = out_index[i] * c.strides[i] + win_index[i] * c.rhs_dilation[i] - c.padding_lo[i];
                inside = t >= 0 && t % c.lhs_dilation[i] == 0 && t / c.lhs_dilation[i] < in_spatial[i];
                x_off += (t / c.lhs_dilation[i]) * in_strides[i + 1];
                f_off += win_index[i] * f_strides[i];
              }
              if (inside) {
                for (int64_t g = 0; g < groups; ++g) {
                  for (int64_t ci = 0; ci < cin_g; ++ci) {
                    const A xv = x[x_off + g * cin_g + ci];
                    const A* f_row = f.data() + f_off + ci * c_out;
                    for (int64_t co = g * cout_g; co < (g + 1) * cout_g; ++co)
                      acc[co] = WrapAdd(acc[co], WrapMul(xv, f_row[co]));
                  }
                }
              }
              NextIndex(win_index, window);
            }
            for (int64_t co = 0; co < c_out; ++co) o[(n * n_out_spatial + op) * c_out + co] = Store<D>(acc[co]);
            NextIndex(out_index, out_spatial);
          }
        }
      }
    });
  });
  return Push(std::move(out), type);
}

}  // namespace strata
