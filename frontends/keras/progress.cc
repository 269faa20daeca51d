#include "frontends/keras/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strata::keras {
namespace {

std::string FormatDuration(double seconds) {
  if (seconds >= 3600) return absl::StrFormat("%d:%02d:%02d", int(seconds) / 3600, (int(seconds) / 60) % 60, int(seconds) % 60);
  if (seconds >= 60) return absl::StrFormat("%d:%02d", int(seconds) / 60, int(seconds) % 60);
  return absl::StrFormat("%ds", static_cast<int>(std::lround(seconds)));
}

}  // namespace

ProgressBar::ProgressBar(int verbose, std::FILE* out) : out_(out) {
  if (verbose < 0) {
    mode_ = isatty(fileno(out)) ? 1 : 2;
  } else {
    mode_ = std::min(verbose, 2);
  }
}

std::string ProgressBar::FormatLogs(const Logs& logs) {
  std::string s;
  for (const auto& [name, value] : logs.values()) {
    absl::StrAppend(&s, s.empty() ? "" : " - ", name, ": ", absl::StrFormat("%.4f", value));
  }
  return s;
}

void ProgressBar::StartEpoch(int epoch, int epochs, int64_t steps) {
  steps_ = steps;
  step_ = 0;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  if (mode_ == 0) return;
  std::fprintf(out_, "Epoch %d/%d\n", epoch + 1, epochs);
  std::fflush(out_);
}

void ProgressBar::Update(int64_t step, const Logs& logs) {
  step_ = step;
  if (mode_ != 1) return;
  auto now = std::chrono::steady_clock::now();
  // Redraw at most ~20 times a second (and always on the last step).
  if (step < steps_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const int width = 30;
  const int done = steps_ > 0 ? static_cast<int>(width * step / steps_) : width;
  std::string bar(static_cast<size_t>(std::max(0, done - (step < steps_ ? 1 : 0))), '=');
  if (step < steps_) bar += '>';
  bar.resize(width, '.');
  const double eta = step > 0 ? elapsed / static_cast<double>(step) * static_cast<double>(steps_ - step) : 0;
  std::string digits = absl::StrCat(steps_);
  std::fprintf(out_, "\r%*lld/%lld [%s] - ETA: %s - %s\033[K", static_cast<int>(digits.size()),
               static_cast<long long>(step), static_cast<long long>(steps_), bar.c_str(), FormatDuration(eta).c_str(),
               FormatLogs(logs).c_str());
  std::fflush(out_);
}

void ProgressBar::EndEpoch(const Logs& logs) {
  if (mode_ == 0) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double per_step_ms = step_ > 0 ? 1000.0 * elapsed / static_cast<double>(step_) : 0;
  std::string line = absl::StrFormat("%lld/%lld", static_cast<long long>(step_), static_cast<long long>(steps_));
  if (mode_ == 1) line += " [" + std::string(30, '=') + "]";
  absl::StrAppend(&line, " - ", FormatDuration(elapsed), " ", absl::StrFormat("%.0fms/step", per_step_ms));
  if (!logs.empty()) absl::StrAppend(&line, " - ", FormatLogs(logs));
  std::fprintf(out_, "%s%s\n", mode_ == 1 ? "\r" : "", line.c_str());
  if (mode_ == 1) std::fprintf(out_, "\033[K");
  std::fflush(out_);
}

}  // namespace strata::keras
