#include "runtime/aot/model.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace strata::aot {

namespace {

constexpr uint64_t kBufferAlignment = 64;

uint64_t AlignUp(uint64_t n) { return (n + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment; }

}  // namespace

void ModelInstance::FreeDeleter::operator()(void* p) const { std::free(p); }

ModelInstance::ModelInstance(const ModelSpec& spec, ThreadPoolInterface* pool) : spec_(spec) {
  uint64_t total = 0;
  for (int i = 0; i < spec.num_args; ++i) total += AlignUp(spec.arg_bytes[i]);
  for (int i = 0; i < spec.num_results; ++i) total += AlignUp(spec.result_bytes[i]);
  total += AlignUp(spec.scratch_bytes);
  args_.reset(new void*[spec.num_args > 0 ? spec.num_args : 1]);
  results_.reset(new void*[spec.num_results > 0 ? spec.num_results : 1]);
  buffers_.reset(std::aligned_alloc(kBufferAlignment, total > 0 ? total : kBufferAlignment));
  if (buffers_ == nullptr) {
    usable_ = false;
    SetError("%s: cannot allocate %" PRIu64 " bytes of buffers", spec.name, total);
    return;
  }
  std::memset(buffers_.get(), 0, total);
  char* p = static_cast<char*>(buffers_.get());
  for (int i = 0; i < spec.num_args; ++i) {
    args_[i] = p;
    p += AlignUp(spec.arg_bytes[i]);
  }
  for (int i = 0; i < spec.num_results; ++i) {
    results_[i] = p;
    p += AlignUp(spec.result_bytes[i]);
  }
  scratch_ = p;
  set_thread_pool(pool);
}

bool ModelInstance::set_thread_pool(ThreadPoolInterface* pool) {
  if (buffers_ == nullptr) return false;
  pool_ = pool;
  const int slots = 1 + (pool != nullptr ? pool->NumWorkers() : 0);
  if (!arena_.Reserve(spec_.main_arena_bytes, spec_.chunk_arena_bytes, slots)) {
    usable_ = false;
    SetError("%s: cannot allocate the %" PRId64 "-byte arena for %d threads", spec_.name,
             spec_.main_arena_bytes + spec_.chunk_arena_bytes * slots, slots);
    return false;
  }
  arena_.main().SetPlan(spec_.planned_blocks, spec_.num_planned_blocks);
  usable_ = true;
  return true;
}

std::shared_ptr<const WeightsFile> ModelInstance::OpenWeights(const ModelSpec& spec, const std::string& path,
                                                              std::string* error) {
  if (!spec.external_weights) {
    if (error != nullptr) *error = std::string(spec.name) + ": the weights are embedded in the object; there is no file to load";
    return nullptr;
  }
  return WeightsFile::Open(path, static_cast<uint64_t>(spec.weights_bytes), spec.weights_checksum, error);
}

bool ModelInstance::LoadWeights(const std::string& path) {
  std::string error;
  std::shared_ptr<const WeightsFile> w = OpenWeights(spec_, path, &error);
  if (w == nullptr) {
    SetError("%s", error.c_str());
    return false;
  }
  weights_ = std::move(w);
  return true;
}

bool ModelInstance::set_weights(std::shared_ptr<const WeightsFile> weights) {
  if (weights == nullptr || weights->bytes() != static_cast<uint64_t>(spec_.weights_bytes) ||
      weights->checksum() != spec_.weights_checksum) {
    SetError("%s: these weights belong to a different model", spec_.name);
    return false;
  }
  weights_ = std::move(weights);
  return true;
}

bool ModelInstance::Run() {
  if (!usable_) return false;
  const void* weights = nullptr;
  if (spec_.external_weights) {
    if (weights_ == nullptr) {
      SetError("%s: no weights: call LoadWeights(path) before Run()", spec_.name);
      return false;
    }
    weights = weights_->data();
  }
  arena_.ResetHeapFallback();
  int64_t bad_value = 0;
  int failed;
  {
    ScopedRunContext context(&arena_, pool_);
    failed = spec_.entry(args_.get(), results_.get(), weights, scratch_, &bad_value);
  }
  arena_.Clear();
  if (failed == 0) {
    error_[0] = '\0';
    return true;
  }
  // The check's message with "{}" replaced by the value, without allocating.
  const char* message = failed - 1 < spec_.num_checks ? spec_.check_messages[failed - 1] : "run-time check failed ({})";
  const char* hole = std::strstr(message, "{}");
  if (hole == nullptr) {
    SetError("%s", message);
  } else {
    SetError("%.*s%" PRId64 "%s", static_cast<int>(hole - message), message, bad_value, hole + 2);
  }
  return false;
}

void ModelInstance::SetError(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(error_, sizeof(error_), fmt, args);
  va_end(args);
}

}  // namespace strata::aot
