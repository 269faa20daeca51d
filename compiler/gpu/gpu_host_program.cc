// See gpu_host_program.h.
#include "compiler/gpu/gpu_host_program.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "compiler/gpu/gpu_diagnostics.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"

namespace strata::gpu {

namespace {

DType DTypeOfElement(mlir::Type t) {
  if (t.isF32()) return DT_FLOAT;
  if (t.isF64()) return DT_DOUBLE;
  if (t.isF16()) return DT_HALF;
  if (t.isBF16()) return DT_BFLOAT16;
  if (t.isIndex()) return DT_INT64;
  if (t.isInteger(1)) return DT_BOOL;
  if (t.isInteger(8)) return DT_INT8;
  if (t.isInteger(16)) return DT_INT16;
  if (t.isInteger(32)) return DT_INT32;
  if (t.isInteger(64)) return DT_INT64;
  return DT_INVALID;
}

int64_t ElementBytes(mlir::Type t) {
  if (t.isIndex()) return 8;
  return (t.getIntOrFloatBitWidth() + 7) / 8;
}

class HostWalk {
 public:
  HostWalk(mlir::func::FuncOp func, GpuProgram* program) : func_(func), program_(*program) {}

  absl::Status BindArguments(const FunctionAbi& abi) {
    mlir::Block& body = func_.getBody().front();
    const size_t expected = abi.args.size() + abi.bound_constants.size() + abi.results.size() + abi.check_messages.size();
    if (body.getNumArguments() != expected) {
      return absl::InternalError(absl::StrCat("GPU: the function has ", body.getNumArguments(), " arguments, the ABI ", expected));
    }
    size_t a = 0;
    for (size_t i = 0; i < abi.args.size(); ++i, ++a) {
      GpuBuffer buf = Spec(GpuBuffer::Kind::kArg, i, abi.args[i].dtype, abi.args[i].shape);
      program_.arg_buffers.push_back(Add(body.getArgument(a), std::move(buf)));
    }
    for (size_t i = 0; i < abi.bound_constants.size(); ++i, ++a) {
      const Tensor& t = abi.bound_constants[i];
      GpuBuffer buf = Spec(GpuBuffer::Kind::kConstant, i, t.dtype(), t.shape());
      const char* data = static_cast<const char*>(t.raw_data());
      buf.constant_data.assign(data, data + t.byte_size());
      buf.bytes = static_cast<int64_t>(t.byte_size());
      Add(body.getArgument(a), std::move(buf));
    }
    for (size_t i = 0; i < abi.results.size(); ++i, ++a) {
      GpuBuffer buf = Spec(GpuBuffer::Kind::kResult, i, abi.results[i].dtype, abi.results[i].shape);
      program_.result_buffers.push_back(Add(body.getArgument(a), std::move(buf)));
    }
    // Run-time check flags (gather's out-of-range index): an int64 temp a kernel computes like
    // any result; the runtime reads it back and reports the message when the check failed.
    for (size_t i = 0; i < abi.check_messages.size(); ++i, ++a) {
      GpuCheck check;
      check.buffer = Add(body.getArgument(a), Spec(GpuBuffer::Kind::kTemp, i, DT_INT64, Shape({})));
      check.message = abi.check_messages[i];
      program_.checks.push_back(std::move(check));
    }
    return absl::OkStatus();
  }

  absl::Status Walk() {
    for (mlir::Operation& op : func_.getBody().front()) {
      absl::Status s = Visit(&op);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  static GpuBuffer Spec(GpuBuffer::Kind kind, size_t index, DType dtype, const Shape& shape) {
    GpuBuffer buf;
    buf.kind = kind;
    buf.index = static_cast<int>(index);
    buf.dtype = dtype;
    buf.shape = shape;
    // Bool is one byte in memory, like every other dtype's DTypeSize.
    buf.bytes = shape.num_elements() * static_cast<int64_t>(DTypeSize(dtype));
    return buf;
  }

  int Add(mlir::Value v, GpuBuffer buf) {
    program_.buffers.push_back(std::move(buf));
    const int index = static_cast<int>(program_.buffers.size()) - 1;
    buffers_[v.getAsOpaquePointer()] = index;
    return index;
  }

  absl::StatusOr<GpuBuffer> BufferOfType(mlir::Operation* op, mlir::Type type, GpuBuffer::Kind kind) {
    auto memref = mlir::dyn_cast<mlir::MemRefType>(type);
    if (!memref || !memref.hasStaticShape() || !memref.getLayout().isIdentity()) {
      return UnimplementedAt(op, absl::StrCat("GPU: ", Describe(op), " needs a buffer with a static shape and an identity layout"));
    }
    const DType dtype = DTypeOfElement(memref.getElementType());
    if (dtype == DT_INVALID) return UnimplementedAt(op, absl::StrCat("GPU: ", Describe(op), ": unsupported element type"));
    GpuBuffer buf;
    buf.kind = kind;
    buf.dtype = dtype;
    buf.shape = Shape(std::vector<int64_t>(memref.getShape().begin(), memref.getShape().end()));
    buf.bytes = memref.getNumElements() * ElementBytes(memref.getElementType());
    return buf;
  }

  absl::StatusOr<int> BufferOf(mlir::Operation* op, mlir::Value v) {
    auto it = buffers_.find(v.getAsOpaquePointer());
    if (it != buffers_.end()) return it->second;
    std::string what = "a value";
    if (mlir::Operation* def = v.getDefiningOp()) what = Describe(def);
    return UnimplementedAt(op, absl::StrCat("GPU: ", Describe(op), " uses ", what, " that is not a whole buffer"));
  }

  absl::Status Visit(mlir::Operation* op) {
    if (mlir::isa<mlir::arith::ConstantOp, mlir::memref::DeallocOp, mlir::func::ReturnOp>(op)) return absl::OkStatus();
    if (mlir::isa<mlir::memref::AllocOp, mlir::memref::AllocaOp>(op)) {
      absl::StatusOr<GpuBuffer> buf = BufferOfType(op, op->getResult(0).getType(), GpuBuffer::Kind::kTemp);
      if (!buf.ok()) return buf.status();
      Add(op->getResult(0), *std::move(buf));
      return absl::OkStatus();
    }
    if (auto get = mlir::dyn_cast<mlir::memref::GetGlobalOp>(op)) return VisitGlobal(get);
    // Contiguous reshapes and casts of a whole buffer are the same pointer.
    if (mlir::isa<mlir::memref::CollapseShapeOp, mlir::memref::ExpandShapeOp, mlir::memref::CastOp>(op)) {
      auto type = mlir::dyn_cast<mlir::MemRefType>(op->getResult(0).getType());
      if (!type || !type.getLayout().isIdentity()) {
        return UnimplementedAt(op, absl::StrCat("GPU: ", Describe(op), " makes a strided view the host cannot pass"));
      }
      absl::StatusOr<int> source = BufferOf(op, op->getOperand(0));
      if (!source.ok()) return source.status();
      buffers_[op->getResult(0).getAsOpaquePointer()] = *source;
      return absl::OkStatus();
    }
    if (auto copy = mlir::dyn_cast<mlir::memref::CopyOp>(op)) {
      absl::StatusOr<int> from = BufferOf(op, copy.getSource());
      if (!from.ok()) return from.status();
      absl::StatusOr<int> to = BufferOf(op, copy.getTarget());
      if (!to.ok()) return to.status();
      GpuStep step;
      step.kind = GpuStep::Kind::kCopy;
      step.copy_from = *from;
      step.copy_to = *to;
      program_.steps.push_back(std::move(step));
      return absl::OkStatus();
    }
    if (auto launch = mlir::dyn_cast<mlir::gpu::LaunchFuncOp>(op)) return VisitLaunch(launch);
    return UnimplementedAt(op, absl::StrCat("GPU: the host program cannot run ", Describe(op),
                                                 " (only buffers, copies and kernel launches)"));
  }

  absl::Status VisitGlobal(mlir::memref::GetGlobalOp get) {
    auto it = globals_.find(get.getName().str());
    if (it != globals_.end()) {
      buffers_[get.getResult().getAsOpaquePointer()] = it->second;
      return absl::OkStatus();
    }
    auto global = mlir::SymbolTable::lookupNearestSymbolFrom<mlir::memref::GlobalOp>(get, get.getNameAttr());
    if (!global) return absl::InternalError(absl::StrCat("GPU: no memref.global ", get.getName().str()));
    absl::StatusOr<GpuBuffer> buf = BufferOfType(get, get.getType(), GpuBuffer::Kind::kConstant);
    if (!buf.ok()) return buf.status();
    auto dense = mlir::dyn_cast_or_null<mlir::DenseElementsAttr>(global.getInitialValueAttr());
    if (!dense) return absl::UnimplementedError(absl::StrCat("GPU: constant ", get.getName().str(), " has no dense initial value"));
    if (dense.getElementType().isInteger(1)) {  // bit-packed in the attribute, one byte each in memory
      buf->constant_data.clear();
      for (bool v : dense.getValues<bool>()) buf->constant_data.push_back(v ? 1 : 0);
      if (static_cast<int64_t>(buf->constant_data.size()) != buf->bytes) {
        return absl::InternalError(absl::StrCat("GPU: bool constant ", get.getName().str(), " has the wrong size"));
      }
      buf->index = static_cast<int>(globals_.size());
      const int index = Add(get.getResult(), *std::move(buf));
      globals_[get.getName().str()] = index;
      return absl::OkStatus();
    }
    llvm::ArrayRef<char> raw = dense.getRawData();
    const int64_t elem = ElementBytes(dense.getElementType());
    buf->constant_data.resize(buf->bytes);
    if (dense.isSplat()) {
      for (int64_t off = 0; off + elem <= buf->bytes; off += elem) std::memcpy(buf->constant_data.data() + off, raw.data(), elem);
    } else if (static_cast<int64_t>(raw.size()) == buf->bytes) {
      std::memcpy(buf->constant_data.data(), raw.data(), raw.size());
    } else {
      return absl::InternalError(absl::StrCat("GPU: constant ", get.getName().str(), " has ", raw.size(), " bytes, expected ", buf->bytes));
    }
    buf->index = static_cast<int>(globals_.size());
    const int index = Add(get.getResult(), *std::move(buf));
    globals_[get.getName().str()] = index;
    return absl::OkStatus();
  }

  absl::Status VisitLaunch(mlir::gpu::LaunchFuncOp launch) {
    GpuStep step;
    step.kind = GpuStep::Kind::kLaunch;
    step.launch.kernel = launch.getKernelName().str();
    const mlir::Value grid[3] = {launch.getGridSizeX(), launch.getGridSizeY(), launch.getGridSizeZ()};
    const mlir::Value block[3] = {launch.getBlockSizeX(), launch.getBlockSizeY(), launch.getBlockSizeZ()};
    for (int d = 0; d < 3; ++d) {
      std::optional<int64_t> g = mlir::getConstantIntValue(grid[d]);
      std::optional<int64_t> t = mlir::getConstantIntValue(block[d]);
      if (!g || !t || *g <= 0 || *t <= 0 || *g > 0x7fffffff || *t > 1024) {
        return UnimplementedAt(launch, absl::StrCat("GPU: ", Describe(launch), " has a launch geometry that is not a valid constant"));
      }
      step.launch.grid[d] = static_cast<uint32_t>(*g);
      step.launch.block[d] = static_cast<uint32_t>(*t);
    }
    if (mlir::Value shared = launch.getDynamicSharedMemorySize()) {
      std::optional<int64_t> bytes = mlir::getConstantIntValue(shared);
      if (!bytes || *bytes < 0) return UnimplementedAt(launch, absl::StrCat("GPU: ", Describe(launch), " has a non-constant shared memory size"));
      step.launch.dynamic_shared_bytes = static_cast<uint32_t>(*bytes);
    }
    for (mlir::Value operand : launch.getKernelOperands()) {
      GpuKernelArg arg;
      if (mlir::isa<mlir::MemRefType>(operand.getType())) {
        absl::StatusOr<int> buffer = BufferOf(launch, operand);
        if (!buffer.ok()) return buffer.status();
        arg.kind = GpuKernelArg::Kind::kBuffer;
        arg.buffer = *buffer;
      } else if (std::optional<int64_t> value = mlir::getConstantIntValue(operand);
                 value && (operand.getType().isIndex() || operand.getType().isInteger(64))) {
        arg.kind = GpuKernelArg::Kind::kImmediate;
        arg.immediate = *value;
      } else {
        std::string type;
        llvm::raw_string_ostream os(type);
        os << operand.getType();
        return UnimplementedAt(launch, absl::StrCat("GPU: ", Describe(launch), " passes a ", type,
                                                     " kernel argument that is not a buffer or a 64-bit constant"));
      }
      step.launch.args.push_back(arg);
    }
    program_.steps.push_back(std::move(step));
    return absl::OkStatus();
  }

  mlir::func::FuncOp func_;
  GpuProgram& program_;
  absl::flat_hash_map<const void*, int> buffers_;
  absl::flat_hash_map<std::string, int> globals_;
};

}  // namespace

absl::StatusOr<GpuProgram> BuildHostProgram(mlir::func::FuncOp func, const FunctionAbi& abi) {
  GpuProgram program;
  program.name = func.getName().str();
  HostWalk walk(func, &program);
  absl::Status s = walk.BindArguments(abi);
  if (!s.ok()) return s;
  s = walk.Walk();
  if (!s.ok()) return s;
  return program;
}

}  // namespace strata::gpu
