// fit()'s progress display: on a terminal a Keras-style bar redrawn in place
//   Epoch 1/5
//   412/938 [===========>..................] - ETA: 21s - loss: 0.5123 - accuracy: 0.8150
// and elsewhere (logs, pipes) one plain line per epoch:
//   938/938 - 45s 48ms/step - loss: 0.4870 - accuracy: 0.8266 - val_loss: 0.3951 - val_accuracy: 0.8571
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "frontends/keras/logs.h"

namespace strata::keras {

class ProgressBar {
 public:
  // verbose: -1 auto (bar on a TTY, lines otherwise), 0 silent, 1 bar, 2 lines.
  ProgressBar(int verbose, std::FILE* out = stdout);
  bool interactive() const { return mode_ == 1; }

  void StartEpoch(int epoch, int epochs, int64_t steps);
  // After `step` (1-based) of the epoch's steps, with the running averages.
  void Update(int64_t step, const Logs& logs);
  // The epoch's final line with every log (val_* included).
  void EndEpoch(const Logs& logs);

  // "loss: 0.4870 - accuracy: 0.8266"
  static std::string FormatLogs(const Logs& logs);

 private:
  int mode_;  // 0 silent, 1 bar, 2 lines
  std::FILE* out_;
  int64_t steps_ = 0;
  int64_t step_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace strata::keras
