// The C++ header of an AOT artifact: a class named after --cpp_class over
// strata::aot::ModelInstance (runtime/aot/model.h), with the model's shapes and sizes as
// constexpr members and typed accessors per feed and fetch. No MLIR or LLVM here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/aot_compiler.h"

namespace strata {

struct AotHeaderInfo {
  std::vector<std::string> namespaces;
  std::string class_name;
  std::string entry_symbol;
  std::vector<AotTensor> args, results;
  int64_t scratch_bytes = 0;
  int64_t main_arena_bytes = 0, chunk_arena_bytes = 0;
  // The main region's packed plan (data offset, bytes per block; empty: a stack) and what the
  // region would take as a stack and with a slot per block.
  std::vector<std::pair<uint64_t, uint64_t>> arena_plan;
  int64_t stack_main_arena_bytes = 0, sum_main_arena_bytes = 0;
  bool external_weights = false;
  int64_t weights_bytes = 0;
  uint64_t weights_checksum = 0;
  std::vector<std::string> check_messages;
  std::string target_cpu;
  int vector_bits = 0;
  std::string provenance;
};

// Unimplemented for a dtype without a C++ element type (string, complex, ...), naming the tensor.
absl::StatusOr<std::string> GenerateAotHeader(const AotHeaderInfo& info);

}  // namespace strata
