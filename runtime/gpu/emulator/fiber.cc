#include "runtime/gpu/emulator/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#if defined(__x86_64__)
extern "C" {
// Pushes the callee-saved registers, MXCSR and the x87 control word on the current stack, stores
// the stack pointer in *save_sp, loads new_sp and pops the same from it: returns into whatever
// saved new_sp (or, for a fresh fiber, into strata_emu_fiber_start).
void strata_emu_fiber_switch(void** save_sp, void* new_sp);
// A fresh fiber's first return address: calls r13(r12), i.e. Fibers::Entry(fiber).
void strata_emu_fiber_start();
}

// System V: rbx, rbp, r12-r15 are callee-saved, as are MXCSR's control bits and the x87 control
// word; everything else is the caller's to save, which the C++ call to the switch already does.
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl strata_emu_fiber_switch\n"
    ".hidden strata_emu_fiber_switch\n"
    ".type strata_emu_fiber_switch,@function\n"
    "strata_emu_fiber_switch:\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  subq $16, %rsp\n"
    "  stmxcsr 8(%rsp)\n"
    "  fnstcw (%rsp)\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  fldcw (%rsp)\n"
    "  ldmxcsr 8(%rsp)\n"
    "  addq $16, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    ".size strata_emu_fiber_switch, .-strata_emu_fiber_switch\n"
    ".p2align 4\n"
    ".globl strata_emu_fiber_start\n"
    ".hidden strata_emu_fiber_start\n"
    ".type strata_emu_fiber_start,@function\n"
    "strata_emu_fiber_start:\n"
    "  .cfi_startproc\n"
    "  .cfi_undefined rip\n"  // the bottom of a fiber's stack: unwinders stop here
    "  movq %r12, %rdi\n"
    "  callq *%r13\n"
    "  ud2\n"  // Entry never returns
    "  .cfi_endproc\n"
    ".size strata_emu_fiber_start, .-strata_emu_fiber_start\n");
#endif

namespace strata::gpu::emu {
namespace {

size_t PageBytes() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

#if !defined(__x86_64__)
thread_local Fibers::Fiber* t_starting = nullptr;  // the fiber a first swapcontext enters
#endif

}  // namespace

Fibers::Fibers() : fibers_(kMaxFibers) {
#if !defined(__x86_64__)
  main_ucontext_ = new ucontext_t();
#endif
}

Fibers::~Fibers() {
  for (Fiber& f : fibers_) {
    if (f.mapping != nullptr) munmap(f.mapping, PageBytes() + kStackBytes);
#if !defined(__x86_64__)
    delete static_cast<ucontext_t*>(f.ucontext);
#endif
  }
#if !defined(__x86_64__)
  delete static_cast<ucontext_t*>(main_ucontext_);
#endif
}

absl::Status Fibers::MapStack(Fiber& fiber) {
  // A guard page below the stack: an overflow faults instead of corrupting the next stack.
  const size_t bytes = PageBytes() + kStackBytes;
  void* mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                       -1, 0);
  if (mapping == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("GPU emulator: cannot map a ", kStackBytes, "-byte fiber stack (fiber ", fiber.index, ")"));
  }
  if (mprotect(mapping, PageBytes(), PROT_NONE) != 0) {
    munmap(mapping, bytes);
    return absl::ResourceExhaustedError(
        absl::StrCat("GPU emulator: cannot protect the guard page of fiber stack ", fiber.index));
  }
  fiber.mapping = static_cast<char*>(mapping);
  return absl::OkStatus();
}

absl::Status Fibers::Reset(int count, Body body, void* arg) {
  if (count < 1 || count > kMaxFibers) {
    return absl::InvalidArgumentError(
        absl::StrCat("GPU emulator: ", count, " fibers requested; between 1 and ", kMaxFibers, " are supported"));
  }
  if (current_ != -1) return absl::FailedPreconditionError("GPU emulator: Fibers::Reset called from inside a fiber");
  body_ = body;
  arg_ = arg;
  count_ = count;
#if defined(__x86_64__)
  uint32_t mxcsr = 0;
  uint16_t fpu_control = 0;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(fpu_control));
#endif
  for (int i = 0; i < kMaxFibers; ++i) {
    Fiber& f = fibers_[static_cast<size_t>(i)];
    f.owner = this;
    f.index = i;
    f.done = i >= count;
    if (i >= count) continue;
    if (f.mapping == nullptr) {
      if (absl::Status s = MapStack(f); !s.ok()) return s;
    }
    char* top = f.mapping + PageBytes() + kStackBytes;  // page-aligned, so 16-byte aligned
#if defined(__x86_64__)
    // The frame strata_emu_fiber_switch pops (see its push order), returning into
    // strata_emu_fiber_start with rsp 16-byte aligned, as a call site needs it.
    uint64_t* frame = reinterpret_cast<uint64_t*>(top) - 9;
    frame[0] = fpu_control;
    frame[1] = mxcsr;
    frame[2] = 0;                                            // r15
    frame[3] = 0;                                            // r14
    frame[4] = reinterpret_cast<uint64_t>(&Fibers::Entry);   // r13
    frame[5] = reinterpret_cast<uint64_t>(&f);               // r12
    frame[6] = 0;                                            // rbx
    frame[7] = 0;                                            // rbp: ends backtraces
    frame[8] = reinterpret_cast<uint64_t>(&strata_emu_fiber_start);
    f.sp = frame;
#else
    if (f.ucontext == nullptr) f.ucontext = new ucontext_t();
    ucontext_t* uc = static_cast<ucontext_t*>(f.ucontext);
    getcontext(uc);
    uc->uc_stack.ss_sp = f.mapping + PageBytes();
    uc->uc_stack.ss_size = kStackBytes;
    uc->uc_link = nullptr;
    makecontext(uc, &Fibers::UcontextEntry, 0);
    (void)top;
#endif
  }
  return absl::OkStatus();
}

void Fibers::Resume(int index) {
  Fiber& f = fibers_[static_cast<size_t>(index)];
  if (f.done) return;
  current_ = index;
#if defined(__x86_64__)
  strata_emu_fiber_switch(&main_sp_, f.sp);
#else
  t_starting = &f;
  swapcontext(static_cast<ucontext_t*>(main_ucontext_), static_cast<ucontext_t*>(f.ucontext));
#endif
  current_ = -1;
}

void Fibers::Yield() {
  Fiber& f = fibers_[static_cast<size_t>(current_)];
#if defined(__x86_64__)
  strata_emu_fiber_switch(&f.sp, main_sp_);
#else
  swapcontext(static_cast<ucontext_t*>(f.ucontext), static_cast<ucontext_t*>(main_ucontext_));
#endif
}

void Fibers::Entry(Fiber* fiber) {
  Fibers* owner = fiber->owner;
  owner->body_(owner->arg_, fiber->index);
  fiber->done = true;
  // Leaves for good: a done fiber is never resumed, and the next Reset rebuilds its frame.
#if defined(__x86_64__)
  strata_emu_fiber_switch(&fiber->sp, owner->main_sp_);
#else
  setcontext(static_cast<ucontext_t*>(owner->main_ucontext_));
#endif
  __builtin_unreachable();
}

#if !defined(__x86_64__)
void Fibers::UcontextEntry() { Entry(t_starting); }
#endif

}  // namespace strata::gpu::emu
