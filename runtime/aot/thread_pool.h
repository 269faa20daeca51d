// Intra-op parallelism for AOT models: the injection interface and a small pool.
//
// A model's parallel loops split their work into chunks that the calling thread and helpers
// scheduled on the pool work through together; the call returns when every chunk is done and
// every helper has left. Bring your own pool by implementing ThreadPoolInterface (as tfcompile
// users hand in an Eigen device), or use strata::aot::ThreadPool. Do not call a model's Run()
// from inside a task of the pool that the model itself uses: the call waits for its helpers,
// which need a free thread of that pool.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::aot {

class ThreadPoolInterface {
 public:
  virtual ~ThreadPoolInterface() = default;
  // Threads that run scheduled tasks (the thread that calls Run works too and is not counted).
  virtual int NumWorkers() const = 0;
  // Runs fn(arg) on a worker soon. May be called from many threads at once.
  virtual void Schedule(void (*fn)(void* arg), void* arg) = 0;
};

// A fixed set of workers serving a bounded task ring (no allocation per task).
class ThreadPool final : public ThreadPoolInterface {
 public:
  // Total parallelism including the thread that calls Run: num_threads - 1 workers.
  // <= 0 means the number of hardware threads.
  explicit ThreadPool(int num_threads = 0);
  // Runs what is queued, then joins the workers.
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int NumWorkers() const override { return static_cast<int>(workers_.size()); }
  // Runs the task on the caller when the ring is full or there are no workers.
  void Schedule(void (*fn)(void*), void* arg) override;

 private:
  struct Task {
    void (*fn)(void*);
    void* arg;
  };
  static constexpr int kRingSize = 1024;

  void WorkerLoop();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_available_;
  Task ring_[kRingSize];  // guarded by mu_
  int head_ = 0, count_ = 0;
  bool stopping_ = false;
};

}  // namespace strata::aot
