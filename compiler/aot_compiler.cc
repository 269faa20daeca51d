// CompileAot: lowering -> CPU pipeline (for the target's vector width) -> object with a C
// entry point -> arena measurement and packing -> header (see aot_compiler.h).
#include "compiler/aot_compiler.h"

#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "compiler/aot_arena_measure.h"
#include "compiler/aot_header.h"
#include "compiler/aot_object.h"
#include "compiler/cpu_pipeline.h"
#include "compiler/function_builder.h"
#include "compiler/graph_lowering.h"
#include "compiler/mlir_context.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "mlir/IR/BuiltinOps.h"
#include "runtime/aot/weights_file.h"
#include "runtime/aot/weights_format.h"
#include "runtime/aot/checksum.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Same threshold as the JIT: larger constants are weights, read through a pointer.
constexpr int64_t kWeightsOverBytes = 4096;
constexpr char kFunctionName[] = "strata_aot_model";

int64_t ByteSize(DType dtype, const Shape& shape) {
  return shape.num_elements() * static_cast<int64_t>(DTypeSize(dtype));
}
int64_t Align64(int64_t n) { return (n + 63) / 64 * 64; }

// Appends `bytes` to the blob at a 64-byte aligned offset and returns the offset.
int64_t AppendAligned(std::string& blob, const void* data, int64_t bytes) {
  blob.resize(Align64(static_cast<int64_t>(blob.size())), '\0');
  const int64_t offset = static_cast<int64_t>(blob.size());
  blob.append(static_cast<const char*>(data), bytes);
  return offset;
}

absl::Status CheckProgram(const AotProgram& p) {
  auto check_names = [](const std::vector<AotTensor>& tensors, const char* what) -> absl::Status {
    std::set<std::string> seen;
    for (const AotTensor& t : tensors) {
      if (t.name.empty() || SanitizeIdentifier(t.name) != t.name) {
        return absl::InvalidArgumentError(absl::StrCat("compile: ", what, " name '", t.name, "' of tensor ", t.tensor,
                                                       " is not a C identifier"));
      }
      if (!seen.insert(t.name).second) {
        return absl::InvalidArgumentError(absl::StrCat("compile: two ", what, "es are named '", t.name,
                                                       "': give them distinct names (--config)"));
      }
      if (!t.shape.IsFullyDefined()) {
        return absl::InvalidArgumentError(absl::StrCat("compile: ", what, " ", t.tensor, " has shape ", t.shape.ToString(),
                                                       ": every dim must be known"));
      }
    }
    for (const AotTensor& t : tensors) {
      if (seen.count(t.name + "_data")) {
        return absl::InvalidArgumentError(absl::StrCat("compile: ", what, " names '", t.name, "' and '", t.name,
                                                       "_data' would give clashing accessors: rename one"));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = check_names(p.feeds, "feed"); !s.ok()) return s;
  if (absl::Status s = check_names(p.fetches, "fetch"); !s.ok()) return s;
  if (p.fetches.empty()) return absl::InvalidArgumentError("compile: nothing to compile: no fetch");
  if (p.arg_feeds.size() != p.request.args.size() || p.fetch_sources.size() != p.fetches.size()) {
    return absl::InternalError("AOT: the program's feed or fetch mapping is incomplete");
  }
  for (int f : p.arg_feeds) {
    if (f < 0 || f >= static_cast<int>(p.feeds.size())) return absl::InternalError("AOT: argument without a feed");
  }
  for (const AotFetchSource& s : p.fetch_sources) {
    const size_t limit = s.kind == AotFetchSource::kResult ? p.request.results.size()
                         : s.kind == AotFetchSource::kFeed ? p.feeds.size()
                                                           : p.constants.size();
    if (s.index < 0 || static_cast<size_t>(s.index) >= limit) return absl::InternalError("AOT: fetch source out of range");
  }
  return absl::OkStatus();
}

ArenaMeasureInputs::Buffer FillerSpec(const AotTensor& t) {
  ArenaMeasureInputs::Buffer b;
  b.bytes = ByteSize(t.dtype, t.shape);
  b.element_bytes = std::max<int>(1, static_cast<int>(DTypeSize(t.dtype)));
  b.is_float = IsFloatingDType(t.dtype);
  b.is_half = t.dtype == DT_HALF || t.dtype == DT_BFLOAT16;
  b.is_bfloat = t.dtype == DT_BFLOAT16;
  return b;
}

}  // namespace

absl::StatusOr<AotArtifact> CompileAot(const AotProgram& program, const AotOptions& options) {
  const Clock::time_point start = Clock::now();
  absl::StatusOr<std::vector<std::string>> class_parts = SplitCppClass(options.cpp_class);
  if (!class_parts.ok()) return class_parts.status();
  if (absl::Status s = CheckProgram(program); !s.ok()) return s;
  absl::StatusOr<AotTarget> target = ResolveAotTarget(options.target_cpu, options.opt_level);
  if (!target.ok()) return target.status();

  AotArtifact artifact;
  artifact.entry_symbol = absl::StrCat("strata_aot_", absl::StrJoin(*class_parts, "_"), "_run");
  artifact.target_cpu = target->cpu;
  artifact.vector_bits = target->vector_bits;

  // 1. Lowering, as the JIT backend does it.
  std::unique_ptr<mlir::MLIRContext> ctx = CreateCompilerContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(mlir::UnknownLoc::get(ctx.get()));
  std::vector<TensorSpec> arg_specs;
  for (const Output& a : program.request.args) arg_specs.push_back({BaseDType(a.dtype()), a.shape()});
  FunctionBodyFn body = [&program](MlirBuilder& b, const std::vector<Value>& arg_values) {
    return LowerGraph(program.request, b, arg_values);
  };
  absl::StatusOr<FunctionAbi> abi = BuildFunction(*module, kFunctionName, arg_specs, body, kWeightsOverBytes);
  if (!abi.ok()) return abi.status();
  artifact.stats.lower_ms = MsSince(start);

  // 2. The CPU pipeline, tiled for the target's vectors.
  const Clock::time_point pipeline_start = Clock::now();
  CpuPipelineOptions popts;
  popts.vector_bits = target->vector_bits;
  popts.capture_ir = false;
  popts.tighten_buffer_lifetimes = true;  // lifetimes the arena packing can use
  if (absl::Status s = RunCpuPipeline(*module, popts, nullptr); !s.ok()) return s;
  artifact.stats.pipeline_ms = MsSince(pipeline_start);

  // 3. The entry point's plan: weights blob, scratch, operands and copies.
  std::string weights;
  AotEntryLayout layout;
  layout.entry_symbol = artifact.entry_symbol;
  layout.function = kFunctionName;
  layout.embed_weights = options.weights == AotWeights::kEmbed;
  layout.weights = &weights;
  for (size_t i = 0; i < program.request.args.size(); ++i) {
    layout.operands.push_back({AotEntryLayout::Operand::kArg, program.arg_feeds[i], arg_specs[i].shape});
  }
  for (const Tensor& c : abi->bound_constants) {
    const int64_t offset = AppendAligned(weights, c.raw_data(), static_cast<int64_t>(c.byte_size()));
    layout.operands.push_back({AotEntryLayout::Operand::kWeights, offset, c.shape()});
  }
  // The first fetch of each computed result receives it; others copy it afterwards.
  std::vector<int> primary_fetch(abi->results.size(), -1);
  for (size_t j = 0; j < program.fetches.size(); ++j) {
    const AotFetchSource& src = program.fetch_sources[j];
    if (src.kind == AotFetchSource::kResult && primary_fetch[src.index] < 0) primary_fetch[src.index] = static_cast<int>(j);
  }
  int64_t scratch = 0;
  for (size_t r = 0; r < abi->results.size(); ++r) {
    const TensorSpec& spec = abi->results[r];
    if (primary_fetch[r] >= 0) {
      const AotTensor& fetch = program.fetches[primary_fetch[r]];
      if (fetch.dtype != spec.dtype || fetch.shape != spec.shape) {
        return absl::InternalError(absl::StrCat("AOT: fetch ", fetch.tensor, " is declared ", DTypeName(fetch.dtype),
                                                fetch.shape.ToString(), " but computes ", DTypeName(spec.dtype), spec.shape.ToString()));
      }
      layout.operands.push_back({AotEntryLayout::Operand::kResult, primary_fetch[r], spec.shape});
    } else {
      layout.operands.push_back({AotEntryLayout::Operand::kScratch, scratch, spec.shape});
      scratch = Align64(scratch + ByteSize(spec.dtype, spec.shape));
    }
  }
  layout.check_flags_offset = scratch;
  layout.num_checks = static_cast<int>(abi->check_messages.size());
  for (int i = 0; i < layout.num_checks; ++i) {
    layout.operands.push_back({AotEntryLayout::Operand::kScratch, scratch + 8 * i, Shape{}});
  }
  scratch = Align64(scratch + 8 * layout.num_checks);
  artifact.scratch_bytes = scratch;
  for (size_t j = 0; j < program.fetches.size(); ++j) {
    const AotFetchSource& src = program.fetch_sources[j];
    const AotTensor& fetch = program.fetches[j];
    AotEntryLayout::Copy copy;
    copy.to_result = static_cast<int>(j);
    copy.bytes = ByteSize(fetch.dtype, fetch.shape);
    if (src.kind == AotFetchSource::kFeed) {
      copy.from = AotEntryLayout::Copy::kArg;
      copy.index = src.index;
    } else if (src.kind == AotFetchSource::kConstant) {
      const Tensor& value = program.constants[src.index];
      copy.from = AotEntryLayout::Copy::kWeights;
      copy.index = AppendAligned(weights, value.raw_data(), static_cast<int64_t>(value.byte_size()));
    } else if (primary_fetch[src.index] != static_cast<int>(j)) {
      copy.from = AotEntryLayout::Copy::kResult;
      copy.index = primary_fetch[src.index];
    } else {
      continue;
    }
    layout.copies.push_back(copy);
  }
  weights.resize(Align64(static_cast<int64_t>(weights.size())), '\0');
  artifact.weights_bytes = static_cast<int64_t>(weights.size());
  artifact.weights_checksum = aot::WeightsChecksum(weights.data(), weights.size());

  // 4. LLVM IR -> object.
  const Clock::time_point codegen_start = Clock::now();
  absl::StatusOr<AotLlvmCode> code = EmitAotObject(*module, layout, *target, options.opt_level, !target->host_can_run);
  if (!code.ok()) return code.status();
  artifact.object = std::move(code->object);
  artifact.stats.codegen_ms = MsSince(codegen_start);

  // 5. The arena plan.
  const Clock::time_point measure_start = Clock::now();
  ArenaMeasureInputs inputs;
  inputs.entry_symbol = artifact.entry_symbol;
  for (const AotTensor& f : program.feeds) inputs.args.push_back(FillerSpec(f));
  for (const AotTensor& f : program.fetches) inputs.result_bytes.push_back(ByteSize(f.dtype, f.shape));
  inputs.scratch_bytes = artifact.scratch_bytes;
  inputs.weights = &weights;
  absl::StatusOr<ArenaPlan> plan = MeasureArena(target->host_can_run ? &artifact.object : nullptr, std::move(code->context),
                                                std::move(code->module), inputs);
  if (!plan.ok()) return plan.status();
  artifact.main_arena_bytes = plan->main_bytes;
  artifact.chunk_arena_bytes = plan->chunk_bytes;
  artifact.stack_main_arena_bytes = plan->stack_main_bytes;
  artifact.sum_main_arena_bytes = plan->sum_main_bytes;
  artifact.main_arena_blocks = static_cast<int64_t>(plan->main_blocks.size());
  artifact.stats.measure_ms = MsSince(measure_start);

  // 6. Header and weights file.
  AotHeaderInfo info;
  info.namespaces.assign(class_parts->begin(), class_parts->end() - 1);
  info.class_name = class_parts->back();
  info.entry_symbol = artifact.entry_symbol;
  info.args = program.feeds;
  info.results = program.fetches;
  info.scratch_bytes = artifact.scratch_bytes;
  info.main_arena_bytes = artifact.main_arena_bytes;
  info.chunk_arena_bytes = artifact.chunk_arena_bytes;
  for (const aot::PlannedBlock& b : plan->main_blocks) info.arena_plan.emplace_back(b.offset, b.bytes);
  info.stack_main_arena_bytes = artifact.stack_main_arena_bytes;
  info.sum_main_arena_bytes = artifact.sum_main_arena_bytes;
  info.external_weights = options.weights == AotWeights::kExternal;
  info.weights_bytes = artifact.weights_bytes;
  info.weights_checksum = artifact.weights_checksum;
  info.check_messages = abi->check_messages;
  info.target_cpu = target->cpu;
  info.vector_bits = target->vector_bits;
  info.provenance = options.provenance;
  absl::StatusOr<std::string> header = GenerateAotHeader(info);
  if (!header.ok()) return header.status();
  artifact.header = std::move(*header);
  if (options.weights == AotWeights::kExternal) artifact.weights_file = aot::MakeWeightsFile(weights.data(), weights.size());
  artifact.stats.total_ms = MsSince(start);
  return artifact;
}

}  // namespace strata
