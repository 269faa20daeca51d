// CpuExecutable::Run: builds memref descriptors over the argument tensors and freshly allocated
// result tensors and calls the compiled function through its packed C interface.
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "compiler/cpu_executable.h"
#include "compiler/runtime_support.h"

namespace strata {

namespace {

std::string Describe(DType dtype, const Shape& shape) { return absl::StrCat(DTypeName(dtype), shape.ToString()); }

// Appends a strided memref descriptor {allocated, aligned, offset, sizes[R], strides[R]} for a
// contiguous row-major buffer; every field is 8 bytes.
void AppendDescriptor(std::vector<int64_t>& words, const void* data, const Shape& shape) {
  const int64_t ptr = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
  words.push_back(ptr);
  words.push_back(ptr);
  words.push_back(0);
  const int rank = shape.rank();
  for (int d = 0; d < rank; ++d) words.push_back(shape.dim(d));
  std::vector<int64_t> strides(rank, 1);
  for (int d = rank - 2; d >= 0; --d) strides[d] = strides[d + 1] * std::max<int64_t>(shape.dim(d + 1), 1);
  for (int d = 0; d < rank; ++d) words.push_back(strides[d]);
}

}  // namespace

CpuExecutable::CpuExecutable(std::unique_ptr<CpuExecutableImpl> impl) : impl_(std::move(impl)) {}
CpuExecutable::~CpuExecutable() = default;

const std::string& CpuExecutable::lowered_ir() const { return impl_->lowered_ir; }
const std::string& CpuExecutable::fused_ir() const { return impl_->fused_ir; }
const std::string& CpuExecutable::bufferized_ir() const { return impl_->bufferized_ir; }
const std::string& CpuExecutable::llvm_ir() const { return impl_->jit.llvm_ir; }
const CompileStats& CpuExecutable::compile_stats() const { return impl_->stats; }

std::string CpuExecutable::DebugString() const {
  std::string s = absl::StrCat("// ---- lowered ----\n", impl_->lowered_ir, "\n// ---- fused ----\n", impl_->fused_ir,
                               "\n// ---- bufferized ----\n", impl_->bufferized_ir);
  if (!impl_->jit.llvm_ir.empty()) absl::StrAppend(&s, "\n; ---- llvm ----\n", impl_->jit.llvm_ir);
  return s;
}

absl::Status CpuExecutable::Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                                const RunOptions& options) const {
  const FunctionAbi& abi = impl_->abi;
  if (results == nullptr) return absl::InvalidArgumentError("Run: results must not be null");
  if (args.size() != abi.args.size()) {
    return absl::InvalidArgumentError(absl::StrCat("Run: expected ", abi.args.size(), " arguments, got ", args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (BaseDType(args[i].dtype()) != abi.args[i].dtype || args[i].shape() != abi.args[i].shape) {
      return absl::InvalidArgumentError(absl::StrCat("Run: argument ", i, " must be ", Describe(abi.args[i].dtype, abi.args[i].shape),
                                                     ", got ", Describe(args[i].dtype(), args[i].shape())));
    }
  }
  if (absl::Status s = SyncToHost(args); !s.ok()) return s;  // tensors a GPU run left on its device
  std::vector<Tensor> outs;
  outs.reserve(abi.results.size());
  for (const TensorSpec& r : abi.results) {
    absl::StatusOr<Tensor> t = Tensor::Create(r.dtype, r.shape);
    if (!t.ok()) return t.status();
    if (t->byte_size() > 0 && t->raw_data() == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat("Run: cannot allocate a result of ", Describe(r.dtype, r.shape)));
    }
    outs.push_back(std::move(*t));
  }
  std::vector<int64_t> flags(abi.check_messages.size(), 0);

  // Descriptors, in the function's argument order: args, bound constants, results, flags.
  std::vector<int64_t> words;
  std::vector<size_t> starts;
  auto add = [&](const void* data, const Shape& shape) {
    starts.push_back(words.size());
    AppendDescriptor(words, data, shape);
  };
  for (const Tensor& t : args) add(t.raw_data(), t.shape());
  for (const Tensor& t : abi.bound_constants) add(t.raw_data(), t.shape());
  for (Tensor& t : outs) add(t.raw_data(), t.shape());
  for (int64_t& f : flags) add(&f, Shape{});
  std::vector<void*> descriptors(starts.size());
  std::vector<void*> packed(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    descriptors[i] = &words[starts[i]];
    packed[i] = &descriptors[i];
  }
  {
    ScopedParallelPool pool(options.thread_pool);
    impl_->jit.entry(packed.data());
  }

  for (size_t i = 0; i < flags.size(); ++i) {
    if (flags[i] != std::numeric_limits<int64_t>::max()) {
      return absl::InvalidArgumentError(absl::StrReplaceAll(abi.check_messages[i], {{"{}", absl::StrCat(flags[i])}}));
    }
  }
  *results = std::move(outs);
  return absl::OkStatus();
}

}  // namespace strata
