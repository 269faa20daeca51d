// What a generated AOT header's class is built on: the static description of one compiled
// model (ModelSpec, emitted as constants into the header) and one runnable instance of it
// (ModelInstance: argument, result and scratch buffers plus the arena, all allocated up front).
//
// Instances are independent: each owns its buffers and arena, so many may run at once on
// different threads. One instance runs one Run() at a time. Run() allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/aot/abi.h"
#include "runtime/aot/arena.h"
#include "runtime/aot/thread_pool.h"
#include "runtime/aot/weights_file.h"

namespace strata::aot {

struct ModelSpec {
  const char* name;  // the C++ class, for messages
  StrataAotEntry entry;
  int num_args;
  const int64_t* arg_bytes;
  const char* const* arg_names;
  int num_results;
  const int64_t* result_bytes;
  const char* const* result_names;
  int64_t scratch_bytes;
  // The arena plan made at compile time (arena.h).
  int64_t main_arena_bytes;
  int64_t chunk_arena_bytes;
  // Weights: embedded in the object, or an external file of this size and checksum.
  bool external_weights;
  int64_t weights_bytes;
  uint64_t weights_checksum;
  // One message per run-time check; "{}" stands for the offending value.
  int num_checks;
  const char* const* check_messages;
  // Where each block of the main region goes (lifetimes packed at compile time); none: the main
  // region is a stack of main_arena_bytes.
  uint64_t num_planned_blocks;
  const PlannedBlock* planned_blocks;
};

class ModelInstance {
 public:
  // Allocates the buffers and the arena for the pool's threads (pool may be null: serial).
  explicit ModelInstance(const ModelSpec& spec, ThreadPoolInterface* pool = nullptr);
  ModelInstance(const ModelInstance&) = delete;
  ModelInstance& operator=(const ModelInstance&) = delete;

  // Runs parallel loops on `pool` (null: on the calling thread) from now on. Grows the arena
  // to one chunk region per thread; returns false (see error_msg()) if that memory is missing.
  bool set_thread_pool(ThreadPoolInterface* pool);
  ThreadPoolInterface* thread_pool() const { return pool_; }

  // External weights: maps and verifies the file (see WeightsFile::Open). Instances may share
  // one WeightsFile; it must stay alive while they run (the shared_ptr sees to that).
  bool LoadWeights(const std::string& path);
  bool set_weights(std::shared_ptr<const WeightsFile> weights);
  // Opens a weights file checked against this model's expectations; null with *error set.
  static std::shared_ptr<const WeightsFile> OpenWeights(const ModelSpec& spec, const std::string& path,
                                                        std::string* error);

  // The instance's own buffers unless set_arg_data pointed the argument elsewhere.
  void* arg_data(int index) const { return args_[index]; }
  void set_arg_data(int index, const void* data) { args_[index] = const_cast<void*>(data); }
  void* result_data(int index) const { return results_[index]; }

  // Runs the model. Returns false with error_msg() set when the instance is unusable (memory,
  // missing weights) or a run-time check failed (e.g. a gather index out of range).
  bool Run();
  const char* error_msg() const { return error_; }

  // Arena bytes reserved, and bytes the code had to take from the heap in the last Run because
  // the arena was too small (0 as long as the compile-time plan holds).
  uint64_t arena_bytes() const { return arena_.bytes(); }
  int64_t heap_fallback_bytes() const { return arena_.heap_fallback_bytes(); }

 private:
  void SetError(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  const ModelSpec& spec_;
  ThreadPoolInterface* pool_ = nullptr;
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, FreeDeleter> buffers_;  // owned args, results and scratch
  std::unique_ptr<void*[]> args_;
  std::unique_ptr<void*[]> results_;
  void* scratch_ = nullptr;
  Arena arena_;
  std::shared_ptr<const WeightsFile> weights_;
  bool usable_ = true;
  char error_[512] = "";
};

}  // namespace strata::aot
