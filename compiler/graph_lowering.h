// Lowering of a compile request's graph into MLIR through each op's lowering: the body of the
// compiled function, shared by the JIT backend (cpu_backend.cc) and the AOT compiler (aot_*).
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "compiler/mlir_builder.h"
#include "runtime/executable.h"

namespace strata {

// Lowers the nodes that `request.results` need (stopping at the fed args and at folded
// constants) and returns one Value per result. `arg_values` are the args' Values, in order.
absl::StatusOr<std::vector<Value>> LowerGraph(const CompileRequest& request, MlirBuilder& b,
                                              const std::vector<Value>& arg_values);

}  // namespace strata
