// The op registry: one entry per op with its TensorFlow-style schema (an OpDef), its shape
// function, and (in later stages) its gradient and lowering.
//
// Ops register with TensorFlow's spec syntax, so schemas can be read side by side with TF:
//
//   REGISTER_OP("MatMul")
//       .Input("a: T")
//       .Input("b: T")
//       .Output("product: T")
//       .Attr("transpose_a: bool = false")
//       .Attr("transpose_b: bool = false")
//       .Attr("T: {half, bfloat16, float, double, int32, int64}")
//       .SetShapeFn(MatMulShape);
//
// Arg specs:  "name: T" (type attr), "name: float" (fixed type), "name: N * T" (list of N of
//             one type), "name: Tlist" (list(type) attr), "name: Ref(T)".
// Attr specs: "name: type[ = default]" with type one of string, int, float, bool, type, shape,
//             tensor, func, list(<type>); "{float, int32}" (type with allowed values),
//             "{'SAME', 'VALID'}" (string with allowed values), "int >= 1" (minimum).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ops/lowering.h"
#include "proto/op_def.pb.h"

namespace strata {

class InferenceContext;
using ShapeFn = std::function<absl::Status(InferenceContext&)>;
// Appends the op's gradient graph (ops/gradient.h).
class GradientContext;
using GradFn = std::function<absl::Status(GradientContext&)>;
// Computes the op on the host from input tensors (ops/host_kernel.h): for ops whose output
// shapes depend on input values (Where, NonMaxSuppression, ...), run between compiled parts.
class HostKernelContext;
using HostKernelFn = std::function<absl::Status(HostKernelContext&)>;

struct OpRegistration {
  tf::OpDef def;
  // Never null after registration: ops registered without one get UnknownShapes.
  ShapeFn shape_fn;
  // Lowers the op to primitives (ops/lowering.h); null for ops that cannot be compiled
  // (placeholders, variables, control flow, ... are handled by the runtime).
  LowerFn lower;
  // Null for ops that are not differentiable (or whose gradient is not written yet).
  GradFn grad;
  // Null for most ops that have a lowering (the host evaluator runs lowerings on the host). An op
  // may have both (TopKV2: a sort on the host, a sort-free lowering to compile); the reference
  // evaluator then runs the kernel.
  HostKernelFn host_kernel;
};

class OpRegistry {
 public:
  static OpRegistry& Global();

  // Fails on a duplicate name or an ill-formed OpDef.
  absl::Status Register(OpRegistration reg);
  // nullptr when absent.
  const OpRegistration* Find(std::string_view op) const;
  // NotFound: "Op type not registered 'Foo'".
  absl::StatusOr<const OpRegistration*> Lookup(std::string_view op) const;
  std::vector<std::string> ListOps() const;  // sorted
  // Attaches a gradient function to an op registered elsewhere, so that ops/*_grad.cc can keep
  // one category's gradients in one file (REGISTER_GRADIENT). Works in either static-init
  // order: a gradient for an op not registered yet waits until the op is. AlreadyExists when
  // the op already has a gradient. Meant for static initialization (readers of
  // OpRegistration::grad do not lock).
  absl::Status RegisterGradient(std::string_view op, GradFn fn);
  // Ops that were given a gradient but never registered (a misspelt name); for tests.
  std::vector<std::string> GradientsWithoutOps() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<OpRegistration>, std::less<>> ops_;
  std::map<std::string, GradFn, std::less<>> pending_grads_;  // for ops not registered yet
};

class OpDefBuilder {
 public:
  explicit OpDefBuilder(std::string op_name);
  OpDefBuilder& Input(std::string spec);
  OpDefBuilder& Output(std::string spec);
  OpDefBuilder& Attr(std::string spec);
  OpDefBuilder& SetShapeFn(ShapeFn fn);
  OpDefBuilder& SetLowering(LowerFn fn);
  OpDefBuilder& SetGradient(GradFn fn);
  OpDefBuilder& SetHostKernel(HostKernelFn fn);
  OpDefBuilder& SetIsStateful();
  OpDefBuilder& SetIsCommutative();
  OpDefBuilder& SetIsAggregate();
  OpDefBuilder& SetAllowsUninitializedInput();
  OpDefBuilder& Doc(std::string summary);

  // Parses the specs; errors name the op and the spec at fault.
  absl::StatusOr<OpRegistration> Finalize() const;

 private:
  std::string name_;
  std::vector<std::string> inputs_, outputs_, attrs_;
  ShapeFn shape_fn_;
  LowerFn lower_;
  GradFn grad_;
  HostKernelFn host_kernel_;
  bool stateful_ = false, commutative_ = false, aggregate_ = false, uninit_ = false;
  std::string summary_;
};

// Registers at static-initialization time. A malformed spec is a bug in strata itself: it is
// printed and the process aborts at start-up, so it can never reach a user.
struct OpRegisterer {
  OpRegisterer(const OpDefBuilder& builder);  // NOLINT: implicit by design (REGISTER_OP)
};

// REGISTER_GRADIENT("MatMul", MatMulGrad): like OpRegisterer, aborts at start-up on a conflict.
struct GradientRegisterer {
  GradientRegisterer(std::string_view op, GradFn fn);
};

#define STRATA_CONCAT_INNER(a, b) a##b
#define STRATA_CONCAT(a, b) STRATA_CONCAT_INNER(a, b)
#define REGISTER_OP(name) \
  static ::strata::OpRegisterer STRATA_CONCAT(strata_op_registerer_, __COUNTER__) = ::strata::OpDefBuilder(name)
#define REGISTER_GRADIENT(op, fn) \
  static ::strata::GradientRegisterer STRATA_CONCAT(strata_grad_registerer_, __COUNTER__)(op, fn)

}  // namespace strata
