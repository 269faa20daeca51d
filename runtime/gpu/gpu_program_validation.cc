#include "runtime/gpu/gpu_program_validation.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/dtype.h"

namespace strata::gpu {

const char* GpuBufferKindName(GpuBuffer::Kind kind) {
  switch (kind) {
    case GpuBuffer::Kind::kArg:
      return "arg";
    case GpuBuffer::Kind::kResult:
      return "result";
    case GpuBuffer::Kind::kTemp:
      return "temp";
    case GpuBuffer::Kind::kConstant:
      return "constant";
  }
  return "?";
}

std::string TensorTypeString(DType dtype, const Shape& shape) {
  return absl::StrCat(DTypeName(dtype), shape.ToString());
}

int64_t TensorBytesOf(const GpuBuffer& buffer) {
  if (!buffer.shape.IsFullyDefined()) return -1;
  const size_t element = DTypeSize(buffer.dtype);
  if (element == 0 || buffer.dtype == DT_STRING) return -1;
  return buffer.shape.num_elements() * static_cast<int64_t>(element);
}

absl::Status ValidateGpuProgram(const GpuProgram& program) {
  const std::string where = absl::StrCat("GPU program '", program.name, "': ");
  const int num_buffers = static_cast<int>(program.buffers.size());
  auto check_index = [&](int b, const std::string& what) -> absl::Status {
    if (b < 0 || b >= num_buffers) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, what, " refers to buffer ", b, ", but the program has ", num_buffers, " buffers"));
    }
    return absl::OkStatus();
  };
  for (int i = 0; i < num_buffers; ++i) {
    const GpuBuffer& b = program.buffers[i];
    if (b.bytes < 0) return absl::InvalidArgumentError(absl::StrCat(where, "buffer ", i, " has ", b.bytes, " bytes"));
    const bool is_tensor = b.kind == GpuBuffer::Kind::kArg || b.kind == GpuBuffer::Kind::kResult;
    if (is_tensor && TensorBytesOf(b) != b.bytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, GpuBufferKindName(b.kind), " buffer ", i, " (",
                                                     TensorTypeString(b.dtype, b.shape), ") has ", b.bytes,
                                                     " bytes, not the size of its tensor"));
    }
    if (b.kind == GpuBuffer::Kind::kConstant && static_cast<int64_t>(b.constant_data.size()) != b.bytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, "constant buffer ", i, " has ", b.bytes, " bytes but ",
                                                     b.constant_data.size(), " bytes of data"));
    }
  }
  std::vector<bool> is_listed_arg(num_buffers, false);
  for (size_t i = 0; i < program.arg_buffers.size(); ++i) {
    const int b = program.arg_buffers[i];
    if (absl::Status s = check_index(b, absl::StrCat("argument ", i)); !s.ok()) return s;
    const GpuBuffer& buffer = program.buffers[b];
    if (buffer.kind != GpuBuffer::Kind::kArg || buffer.index != static_cast<int>(i)) {
      return absl::InvalidArgumentError(absl::StrCat(where, "argument ", i, " is buffer ", b, " (",
                                                     GpuBufferKindName(buffer.kind), " buffer with index ",
                                                     buffer.index, "); expected an arg buffer with index ", i));
    }
    is_listed_arg[b] = true;
  }
  for (int i = 0; i < num_buffers; ++i) {
    if (program.buffers[i].kind == GpuBuffer::Kind::kArg && !is_listed_arg[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "arg buffer ", i, " is not in arg_buffers, so nothing would fill it"));
    }
  }
  for (size_t i = 0; i < program.result_buffers.size(); ++i) {
    const int b = program.result_buffers[i];
    if (absl::Status s = check_index(b, absl::StrCat("result ", i)); !s.ok()) return s;
    const GpuBuffer& buffer = program.buffers[b];
    if (TensorBytesOf(buffer) != buffer.bytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, "result ", i, " is buffer ", b, " (",
                                                     TensorTypeString(buffer.dtype, buffer.shape), ") of ",
                                                     buffer.bytes, " bytes, not the size of its tensor"));
    }
  }
  for (size_t i = 0; i < program.steps.size(); ++i) {
    const GpuStep& step = program.steps[i];
    const std::string what = absl::StrCat("step ", i);
    switch (step.kind) {
      case GpuStep::Kind::kLaunch: {
        const GpuLaunch& launch = step.launch;
        if (launch.kernel.empty()) return absl::InvalidArgumentError(absl::StrCat(where, what, " launches no kernel"));
        for (int d = 0; d < 3; ++d) {
          if (launch.grid[d] == 0 || launch.block[d] == 0) {
            return absl::InvalidArgumentError(
                absl::StrCat(where, what, " (kernel '", launch.kernel, "') has an empty grid or block"));
          }
        }
        for (size_t a = 0; a < launch.args.size(); ++a) {
          if (launch.args[a].kind != GpuKernelArg::Kind::kBuffer) continue;
          if (absl::Status s = check_index(launch.args[a].buffer,
                                           absl::StrCat(what, " (kernel '", launch.kernel, "') argument ", a));
              !s.ok()) {
            return s;
          }
        }
        break;
      }
      case GpuStep::Kind::kMemset: {
        if (absl::Status s = check_index(step.memset.buffer, absl::StrCat(what, " (memset)")); !s.ok()) return s;
        if (program.buffers[step.memset.buffer].kind == GpuBuffer::Kind::kConstant) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, what, " sets constant buffer ", step.memset.buffer, ", which every run shares"));
        }
        break;
      }
      case GpuStep::Kind::kCopy: {
        if (absl::Status s = check_index(step.copy_from, absl::StrCat(what, " (copy source)")); !s.ok()) return s;
        if (absl::Status s = check_index(step.copy_to, absl::StrCat(what, " (copy destination)")); !s.ok()) return s;
        const GpuBuffer& from = program.buffers[step.copy_from];
        const GpuBuffer& to = program.buffers[step.copy_to];
        if (from.bytes != to.bytes) {
          return absl::InvalidArgumentError(absl::StrCat(where, what, " copies buffer ", step.copy_from, " (",
                                                         from.bytes, " bytes) into buffer ", step.copy_to, " (",
                                                         to.bytes, " bytes)"));
        }
        if (to.kind == GpuBuffer::Kind::kConstant) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, what, " copies into constant buffer ", step.copy_to, ", which every run shares"));
        }
        break;
      }
    }
  }
  for (size_t i = 0; i < program.checks.size(); ++i) {
    const int b = program.checks[i].buffer;
    if (absl::Status s = check_index(b, absl::StrCat("check ", i)); !s.ok()) return s;
    const GpuBuffer& buffer = program.buffers[b];
    // The runtime reads 8 bytes back as the flag, and the kernels must be free to write it.
    if (buffer.dtype != DT_INT64 || buffer.shape.rank() != 0 || buffer.bytes != 8) {
      return absl::InvalidArgumentError(absl::StrCat(where, "check ", i, " is buffer ", b, " (",
                                                     TensorTypeString(buffer.dtype, buffer.shape), ", ", buffer.bytes,
                                                     " bytes); expected an int64 scalar of 8 bytes"));
    }
    if (buffer.kind == GpuBuffer::Kind::kArg || buffer.kind == GpuBuffer::Kind::kConstant) {
      return absl::InvalidArgumentError(absl::StrCat(where, "check ", i, " is ", GpuBufferKindName(buffer.kind),
                                                     " buffer ", b, "; a check flag must be written by the kernels"));
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu
