// Cooperative fibers on one OS thread: the GPU emulator runs each thread of a lockstep block as a
// fiber and switches between them at barriers and shuffles.
//
// The switch is a small hand-written routine on x86-64 (System V: it saves rsp, the callee-saved
// registers, MXCSR and the x87 control word, and makes no syscall; glibc's swapcontext does a
// sigprocmask per switch); other architectures fall back to ucontext.
//
// Stacks are allocated on first need and kept for the life of the Fibers object, so a launch
// after the first allocates nothing. A fiber that never finishes (the runner stopped on an error)
// is simply abandoned: its stack is reused by the next Reset. Fiber bodies must therefore not
// hold resources across a yield that they expect to release (compiled GPU kernels hold none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"

namespace strata::gpu::emu {

class Fibers {
 public:
  static constexpr int kMaxFibers = 1024;                // the most threads a CUDA block has
  static constexpr size_t kStackBytes = 64 * 1024;       // usable stack per fiber
  using Body = void (*)(void* arg, int index);

  Fibers();
  ~Fibers();  // unmaps the stacks; no fiber may be running
  Fibers(const Fibers&) = delete;
  Fibers& operator=(const Fibers&) = delete;

  // Prepares `count` fresh fibers, fiber i to run body(arg, i) when first resumed; any earlier
  // fibers are abandoned. InvalidArgument for a count outside [1, kMaxFibers], ResourceExhausted
  // when a stack cannot be mapped.
  absl::Status Reset(int count, Body body, void* arg);

  // From the thread's own (non-fiber) context: runs fiber `index` until it yields or its body
  // returns. A finished fiber is not resumed again (the call returns at once).
  void Resume(int index);
  // From inside the running fiber: back to the Resume that entered it.
  void Yield();

  bool done(int index) const { return fibers_[static_cast<size_t>(index)].done; }
  int count() const { return count_; }
  // The fiber that is running (between Resume and its return), -1 when none.
  int current() const { return current_; }

  // One fiber's saved context and stack (internal; public for fiber.cc's entry routine).
  struct Fiber {
    void* sp = nullptr;       // x86-64: the saved stack pointer while switched out
    void* ucontext = nullptr; // elsewhere: its ucontext_t
    char* mapping = nullptr;  // the stack mapping, a guard page at its low end
    Fibers* owner = nullptr;
    int index = 0;
    bool done = true;
  };

 private:
  absl::Status MapStack(Fiber& fiber);
  // Where every fiber starts: runs the body, marks the fiber done and switches back for good.
  static void Entry(Fiber* fiber);
#if !defined(__x86_64__)
  static void UcontextEntry();
#endif

  std::vector<Fiber> fibers_;  // kMaxFibers entries; stacks mapped on demand
  void* main_sp_ = nullptr;        // x86-64: the Resume caller's stack pointer
  void* main_ucontext_ = nullptr;  // elsewhere: its ucontext_t
  Body body_ = nullptr;
  void* arg_ = nullptr;
  int count_ = 0;
  int current_ = -1;
};

}  // namespace strata::gpu::emu
