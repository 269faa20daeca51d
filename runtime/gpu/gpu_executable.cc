#include "runtime/gpu/gpu_executable.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "runtime/gpu/device_tensor.h"
#include "runtime/gpu/gpu_program_validation.h"

namespace strata::gpu {

GpuExecutable::GpuExecutable(std::shared_ptr<CudaDevice> device, GpuProgram program)
    : device_(std::move(device)), program_(std::move(program)) {}

absl::StatusOr<std::unique_ptr<GpuExecutable>> GpuExecutable::Create(std::shared_ptr<CudaDevice> device,
                                                                     GpuProgram program) {
  if (device == nullptr) return absl::InvalidArgumentError("GpuExecutable::Create: no device");
  if (absl::Status s = ValidateGpuProgram(program); !s.ok()) return s;
  if (!program.cuda_arch.empty()) {
    absl::StatusOr<bool> runs = device->RunsArch(program.cuda_arch);
    if (!runs.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("GPU program '", program.name, "': cuda_arch '", program.cuda_arch,
                                                     "' is not of the form sm_NN"));
    }
    if (!*runs) {
      return absl::FailedPreconditionError(absl::StrCat("GPU program '", program.name, "' was compiled for ",
                                                        program.cuda_arch, ", which ", device->Description(),
                                                        " cannot run"));
    }
  }
  std::unique_ptr<GpuExecutable> executable(new GpuExecutable(std::move(device), std::move(program)));
  if (absl::Status s = executable->device_->MakeCurrent(); !s.ok()) return s;
  if (absl::Status s = executable->LoadModule(); !s.ok()) return s;
  if (absl::Status s = executable->UploadConstants(); !s.ok()) return s;
  return executable;
}

absl::Status GpuExecutable::LoadModule() {
  const CudaDriver& d = device_->driver();
  // The JIT writes its diagnostics (ptxas errors with line numbers) into these buffers; the
  // size options go in by value and come back as the bytes written.
  std::string error_log(16 * 1024, '\0');
  std::string info_log(4 * 1024, '\0');
  CUjit_option options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSize, kJitInfoLogBuffer, kJitInfoLogBufferSize};
  void* values[] = {error_log.data(), reinterpret_cast<void*>(static_cast<uintptr_t>(error_log.size())),
                    info_log.data(), reinterpret_cast<void*>(static_cast<uintptr_t>(info_log.size()))};
  // The emulator runs the kernels compiled for the host instead of the PTX.
  if (d.host_emulator && program_.host_ir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("GPU program '", program_.name, "' has no host_ir for ",
                                                   device_->Description(), " (compile it with emit_host_ir)"));
  }
  const std::string& image = d.host_emulator ? program_.host_ir : program_.ptx;
  const CUresult loaded = d.cuModuleLoadDataEx(&module_, image.c_str(), 4, options, values);
  if (loaded != kCudaSuccess) {
    module_ = nullptr;
    error_log.resize(strnlen(error_log.data(), error_log.size()));
    absl::Status s = d.Check(loaded, "cuModuleLoadDataEx");
    std::string message = absl::StrCat("loading the PTX module of GPU program '", program_.name, "' (",
                                       program_.cuda_arch, ") on ", device_->Description(), ": ", s.message(),
                                       error_log.empty() ? "; the JIT wrote no log" : "; JIT log:\n", error_log);
    if (loaded == kCudaErrorInvalidPtx) return absl::InvalidArgumentError(message);
    return absl::Status(s.code(), message);
  }
  info_log.resize(strnlen(info_log.data(), info_log.size()));
  jit_info_log_ = std::move(info_log);
  // One lookup per kernel, however many steps launch it.
  std::map<std::string, CUfunction> functions;
  step_functions_.assign(program_.steps.size(), nullptr);
  for (size_t i = 0; i < program_.steps.size(); ++i) {
    if (program_.steps[i].kind != GpuStep::Kind::kLaunch) continue;
    const std::string& kernel = program_.steps[i].launch.kernel;
    auto it = functions.find(kernel);
    if (it == functions.end()) {
      CUfunction function = nullptr;
      const CUresult found = d.cuModuleGetFunction(&function, module_, kernel.c_str());
      if (found == kCudaErrorNotFound) {
        return absl::InvalidArgumentError(absl::StrCat("GPU program '", program_.name, "': step ", i,
                                                       " launches kernel '", kernel,
                                                       "', which its PTX module does not define"));
      }
      if (absl::Status s = d.Check(found, absl::StrCat("cuModuleGetFunction('", kernel, "')")); !s.ok()) return s;
      it = functions.emplace(kernel, function).first;
    }
    step_functions_[i] = it->second;
  }
  return absl::OkStatus();
}

absl::Status GpuExecutable::UploadConstants() {
  const CudaDriver& d = device_->driver();
  constant_ptrs_.assign(program_.buffers.size(), 0);
  bool uploaded_any = false;
  for (size_t i = 0; i < program_.buffers.size(); ++i) {
    GpuBuffer& b = program_.buffers[i];
    if (b.kind != GpuBuffer::Kind::kConstant) continue;
    absl::StatusOr<uint64_t> ptr = device_->allocator().Allocate(b.bytes);
    if (!ptr.ok()) return ptr.status();
    constant_ptrs_[i] = *ptr;
    if (b.bytes > 0) {
      if (absl::Status s = d.Check(d.cuMemcpyHtoDAsync(*ptr, b.constant_data.data(), b.bytes, device_->stream()),
                                   absl::StrCat("cuMemcpyHtoDAsync(constant buffer ", i, ")"));
          !s.ok()) {
        return s;
      }
      device_->CountHostToDevice(b.bytes);
      uploaded_any = true;
    }
  }
  if (uploaded_any) {
    if (absl::Status s = device_->Synchronize(); !s.ok()) return s;
  }
  // The device holds the weights now; the host copy would only double their memory.
  for (GpuBuffer& b : program_.buffers) std::vector<char>().swap(b.constant_data);
  return absl::OkStatus();
}

GpuExecutable::~GpuExecutable() {
  // Errors cannot be reported from a destructor; each release is attempted regardless.
  (void)device_->MakeCurrent();
  for (CUdeviceptr ptr : constant_ptrs_) {
    if (ptr != 0) (void)device_->allocator().Free(ptr);
  }
  if (module_ != nullptr) (void)device_->driver().cuModuleUnload(module_);
}

namespace {

// The device buffers of one Run. Whatever happens, the stream is drained before the blocks go
// back to the allocator, so that no queued copy or kernel touches a block another run reuses.
class RunBuffers {
 public:
  explicit RunBuffers(const CudaDevice& device) : device_(device) {}
  ~RunBuffers() {
    if (!owned_.empty() && !synchronized_) (void)device_.Synchronize();
    for (CUdeviceptr ptr : owned_) (void)device_.allocator().Free(ptr);
  }
  absl::StatusOr<CUdeviceptr> Allocate(int64_t bytes) {
    absl::StatusOr<uint64_t> ptr = device_.allocator().Allocate(static_cast<size_t>(bytes));
    if (!ptr.ok()) return ptr.status();
    owned_.push_back(*ptr);
    return *ptr;
  }
  // Hands `ptr` to the caller (a result that stays on the device): not freed with the run's.
  void Release(CUdeviceptr ptr) { owned_.erase(std::find(owned_.begin(), owned_.end(), ptr)); }
  absl::Status Synchronize() {
    synchronized_ = true;  // even on error: a failed synchronize is not retried
    return device_.Synchronize();
  }

 private:
  const CudaDevice& device_;
  std::vector<CUdeviceptr> owned_;
  bool synchronized_ = false;
};

}  // namespace

absl::Status GpuExecutable::Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                                const RunOptions& options) const {
  results->clear();
  if (args.size() != program_.arg_buffers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("GPU program '", program_.name, "' takes ",
                                                   program_.arg_buffers.size(), " arguments, got ", args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const GpuBuffer& b = program_.buffers[program_.arg_buffers[i]];
    if (args[i].dtype() != b.dtype || args[i].shape() != b.shape) {
      return absl::InvalidArgumentError(absl::StrCat("argument ", i, " of GPU program '", program_.name, "': expected ",
                                                     TensorTypeString(b.dtype, b.shape), ", got ",
                                                     TensorTypeString(args[i].dtype(), args[i].shape())));
    }
  }
  const CudaDriver& d = device_->driver();
  const CUstream stream = device_->stream();
  if (absl::Status s = device_->MakeCurrent(); !s.ok()) return s;

  // Arguments already in this device's memory (results an earlier run left there) are read in
  // place: the kernels never write their arguments.
  std::vector<CUdeviceptr> in_place(args.size()), ptrs(program_.buffers.size(), 0);
  for (size_t i = 0; i < args.size(); ++i) {
    in_place[i] = AddressOn(args[i], *device_);
    ptrs[program_.arg_buffers[i]] = in_place[i];
  }

  RunBuffers run(*device_);
  for (size_t i = 0; i < program_.buffers.size(); ++i) {
    const GpuBuffer& b = program_.buffers[i];
    if (b.kind == GpuBuffer::Kind::kConstant) {
      ptrs[i] = constant_ptrs_[i];
      continue;
    }
    if (ptrs[i] != 0) continue;  // a device-resident argument
    absl::StatusOr<CUdeviceptr> ptr = run.Allocate(b.bytes);
    if (!ptr.ok()) {
      return absl::Status(ptr.status().code(),
                          absl::StrCat("GPU program '", program_.name, "': allocating ", GpuBufferKindName(b.kind),
                                       " buffer ", i, ": ", ptr.status().message()));
    }
    ptrs[i] = *ptr;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const int b = program_.arg_buffers[i];
    if (program_.buffers[b].bytes == 0 || in_place[i] != 0) continue;
    if (absl::Status s = args[i].SyncToHost(); !s.ok()) return s;  // a tensor on another device
    if (absl::Status s = d.Check(d.cuMemcpyHtoDAsync(ptrs[b], args[i].raw_data(), program_.buffers[b].bytes, stream),
                                 absl::StrCat("cuMemcpyHtoDAsync(argument ", i, ")"));
        !s.ok()) {
      return s;
    }
    device_->CountHostToDevice(program_.buffers[b].bytes);
  }

  // Kernel parameters: one 8-byte slot per argument (a device pointer or an int64), and the
  // array of pointers to the slots that cuLaunchKernel reads them through.
  std::vector<uint64_t> slots;
  std::vector<void*> params;
  for (size_t i = 0; i < program_.steps.size(); ++i) {
    const GpuStep& step = program_.steps[i];
    switch (step.kind) {
      case GpuStep::Kind::kLaunch: {
        const GpuLaunch& launch = step.launch;
        slots.assign(launch.args.size(), 0);
        params.assign(launch.args.size(), nullptr);
        for (size_t a = 0; a < launch.args.size(); ++a) {
          const GpuKernelArg& arg = launch.args[a];
          slots[a] = arg.kind == GpuKernelArg::Kind::kBuffer ? static_cast<uint64_t>(ptrs[arg.buffer])
                                                             : static_cast<uint64_t>(arg.immediate);
          params[a] = &slots[a];
        }
        const CUresult launched = d.cuLaunchKernel(
            step_functions_[i], launch.grid[0], launch.grid[1], launch.grid[2], launch.block[0], launch.block[1],
            launch.block[2], launch.dynamic_shared_bytes, stream, params.empty() ? nullptr : params.data(), nullptr);
        if (absl::Status s = d.Check(launched, absl::StrCat("cuLaunchKernel('", launch.kernel, "', step ", i, ")"));
            !s.ok()) {
          return s;
        }
        break;
      }
      case GpuStep::Kind::kMemset: {
        const int b = step.memset.buffer;
        if (program_.buffers[b].bytes == 0) break;
        if (absl::Status s = d.Check(d.cuMemsetD8Async(ptrs[b], step.memset.value, program_.buffers[b].bytes, stream),
                                     absl::StrCat("cuMemsetD8Async(buffer ", b, ", step ", i, ")"));
            !s.ok()) {
          return s;
        }
        break;
      }
      case GpuStep::Kind::kCopy: {
        const int64_t bytes = program_.buffers[step.copy_from].bytes;
        if (bytes == 0 || step.copy_from == step.copy_to) break;
        if (absl::Status s = d.Check(
                d.cuMemcpyDtoDAsync(ptrs[step.copy_to], ptrs[step.copy_from], bytes, stream),
                absl::StrCat("cuMemcpyDtoDAsync(buffer ", step.copy_from, " -> ", step.copy_to, ", step ", i, ")"));
            !s.ok()) {
          return s;
        }
        break;
      }
    }
  }

  // A result in a buffer of its own may stay on the device when the caller allows it; every
  // other result is read back, whatever its kind: a fetched feed or constant comes back as a
  // copy, and never shares memory with the caller's tensors.
  std::vector<Tensor> out(program_.result_buffers.size());
  std::vector<int> kept;  // results whose buffer stays on the device (a second fetch of it is copied)
  for (size_t i = 0; i < program_.result_buffers.size(); ++i) {
    const int b = program_.result_buffers[i];
    const GpuBuffer& buffer = program_.buffers[b];
    const bool stays = options.results_may_stay_on_device && buffer.kind == GpuBuffer::Kind::kResult &&
                       buffer.bytes > 0 &&
                       std::none_of(kept.begin(), kept.end(), [&](int k) { return program_.result_buffers[k] == b; });
    if (stays) {
      kept.push_back(static_cast<int>(i));
      continue;
    }
    absl::StatusOr<Tensor> tensor = Tensor::Create(buffer.dtype, buffer.shape);
    if (!tensor.ok()) return tensor.status();
    if (buffer.bytes > 0) {
      if (absl::Status s = d.Check(d.cuMemcpyDtoHAsync(tensor->raw_data(), ptrs[b], buffer.bytes, stream),
                                   absl::StrCat("cuMemcpyDtoHAsync(result ", i, ")"));
          !s.ok()) {
        return s;
      }
      device_->CountDeviceToHost(buffer.bytes);
    }
    out[i] = std::move(*tensor);
  }
  // The check flags come back with the results, so one synchronize covers both.
  std::vector<int64_t> flags(program_.checks.size(), 0);
  for (size_t i = 0; i < program_.checks.size(); ++i) {
    const CUdeviceptr flag = ptrs[program_.checks[i].buffer];
    if (absl::Status s = d.Check(d.cuMemcpyDtoHAsync(&flags[i], flag, sizeof(int64_t), stream),
                                 absl::StrCat("cuMemcpyDtoHAsync(check ", i, ")"));
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = run.Synchronize(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("running GPU program '", program_.name, "': ", s.message()));
  }
  // As CpuExecutable: INT64_MAX is a pass, anything else the position of the first offender.
  for (size_t i = 0; i < flags.size(); ++i) {
    if (flags[i] != std::numeric_limits<int64_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrReplaceAll(program_.checks[i].message, {{"{}", absl::StrCat(flags[i])}}));
    }
  }
  for (int i : kept) {
    const int b = program_.result_buffers[i];
    const GpuBuffer& buffer = program_.buffers[b];
    run.Release(ptrs[b]);
    out[i] = Tensor::OnDevice(buffer.dtype, buffer.shape,
                              std::make_shared<CudaDeviceMemory>(device_, ptrs[b], buffer.bytes));
    if (!out[i].valid()) return absl::ResourceExhaustedError(absl::StrCat("keeping result ", i, " on the device"));
  }
  *results = std::move(out);
  return absl::OkStatus();
}

std::string GpuExecutable::DebugString() const {
  std::string out =
      absl::StrCat("GPU program '", program_.name, "' for ", program_.cuda_arch, " on ", device_->Description(), "\n");
  for (size_t i = 0; i < program_.buffers.size(); ++i) {
    const GpuBuffer& b = program_.buffers[i];
    absl::StrAppend(&out, "  buffer ", i, ": ", GpuBufferKindName(b.kind), " ", b.index, " ",
                    TensorTypeString(b.dtype, b.shape), " ", b.bytes, " bytes\n");
  }
  for (size_t i = 0; i < program_.steps.size(); ++i) {
    const GpuStep& step = program_.steps[i];
    switch (step.kind) {
      case GpuStep::Kind::kLaunch: {
        std::vector<std::string> args;
        for (const GpuKernelArg& a : step.launch.args) {
          args.push_back(a.kind == GpuKernelArg::Kind::kBuffer ? absl::StrCat("%", a.buffer)
                                                               : absl::StrCat(a.immediate));
        }
        absl::StrAppend(&out, "  step ", i, ": launch ", step.launch.kernel, " grid(",
                        absl::StrJoin(step.launch.grid, ","), ") block(", absl::StrJoin(step.launch.block, ","),
                        ") shared ", step.launch.dynamic_shared_bytes, " args(", absl::StrJoin(args, ", "), ")\n");
        break;
      }
      case GpuStep::Kind::kMemset:
        absl::StrAppend(&out, "  step ", i, ": memset %", step.memset.buffer, " = ",
                        static_cast<int>(step.memset.value), "\n");
        break;
      case GpuStep::Kind::kCopy:
        absl::StrAppend(&out, "  step ", i, ": copy %", step.copy_from, " -> %", step.copy_to, "\n");
        break;
    }
  }
  for (size_t i = 0; i < program_.checks.size(); ++i) {
    absl::StrAppend(&out, "  check ", i, ": %", program_.checks[i].buffer, " \"", program_.checks[i].message, "\"\n");
  }
  if (!jit_info_log_.empty()) absl::StrAppend(&out, "JIT log:\n", jit_info_log_, "\n");
  absl::StrAppend(&out, "PTX:\n", program_.ptx);
  return out;
}

}  // namespace strata::gpu
