#include "runtime/aot/thread_pool.h"

namespace strata::aot {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(num_threads - 1);
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_available_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Schedule(void (*fn)(void*), void* arg) {
  if (!workers_.empty()) {
    std::unique_lock<std::mutex> lock(mu_);
    if (count_ < kRingSize) {
      ring_[(head_ + count_) % kRingSize] = Task{fn, arg};
      ++count_;
      lock.unlock();
      work_available_.notify_one();
      return;
    }
  }
  fn(arg);
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_available_.wait(lock, [this] { return stopping_ || count_ > 0; });
      if (count_ == 0) return;  // stopping, and everything queued has run
      task = ring_[head_];
      head_ = (head_ + 1) % kRingSize;
      --count_;
    }
    task.fn(task.arg);
  }
}

}  // namespace strata::aot
