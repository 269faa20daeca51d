// HostKernelContext and RunHostKernel (see host_kernel.h).
#include "ops/host_kernel.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "graph/str_util.h"
#include "ops/registry.h"

namespace strata {

HostKernelContext::HostKernelContext(const Node& node, const std::vector<Tensor>& inputs)
    : node_(node), inputs_(inputs), outputs_(node.num_outputs()) {}

DType HostKernelContext::output_dtype(int i) const { return BaseDType(node_.output_dtype(i)); }

absl::StatusOr<double> HostKernelContext::ScalarInput(int i, std::string_view what) const {
  const Tensor& t = inputs_[i];
  if (t.rank() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Absl(what), " must be a scalar, got shape ", t.shape().ToString()));
  }
  return t.ElementAsDouble(0);
}

absl::StatusOr<int64_t> HostKernelContext::ScalarIntInput(int i, std::string_view what) const {
  const Tensor& t = inputs_[i];
  if (t.rank() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Absl(what), " must be a scalar, got shape ", t.shape().ToString()));
  }
  return t.ElementAsInt64(0);
}

absl::StatusOr<Tensor*> HostKernelContext::AllocateOutput(int i, const Shape& shape) {
  absl::StatusOr<Tensor> t = Tensor::Create(output_dtype(i), shape);
  if (!t.ok()) return t.status();
  outputs_[i] = *std::move(t);
  return &outputs_[i];
}

absl::StatusOr<std::vector<Tensor>> RunHostKernel(const Node& node, const std::vector<Tensor>& inputs) {
  const HostKernelFn& kernel = node.op_registration().host_kernel;
  if (!kernel) {
    return absl::UnimplementedError(absl::StrCat(node.Describe(), ": op ", node.op(), " has no host kernel"));
  }
  if (static_cast<int>(inputs.size()) != node.num_inputs()) {
    return node.Annotate(absl::InvalidArgumentError(
        absl::StrCat("expected ", node.num_inputs(), " input values, got ", inputs.size())));
  }
  HostKernelContext ctx(node, inputs);
  absl::Status s = kernel(ctx);
  if (!s.ok()) return node.Annotate(s);
  for (int i = 0; i < node.num_outputs(); ++i) {
    const Tensor& t = ctx.outputs()[i];
    if (!t.valid()) return absl::InternalError(absl::StrCat(node.Describe(), ": host kernel left output ", i, " unset"));
    const DType want = BaseDType(node.output_dtype(i));
    if (t.dtype() != want || !t.shape().IsCompatibleWith(node.output_shape(i))) {
      return absl::InternalError(absl::StrCat(node.Describe(), ": host kernel produced ", DTypeName(t.dtype()),
                                              t.shape().ToString(), " for output ", i, ", shape inference says ",
                                              DTypeName(want), node.output_shape(i).ToString()));
    }
  }
  return std::move(ctx.outputs());
}

bool RunsOnHost(const Node& node) { return !node.op_registration().lower && node.op_registration().host_kernel; }

HostKernelFn SessionOnlyKernel(std::string why) {
  return [why = std::move(why)](HostKernelContext& c) {
    return absl::FailedPreconditionError(absl::StrCat("op '", c.node().op(), "' ", why, ": it runs only inside a Session"));
  };
}

}  // namespace strata
