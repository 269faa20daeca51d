// fit's progress display: the Keras bar (terminal) and the plain per-epoch lines (logs, pipes).
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>

#include "frontends/keras/progress.h"

namespace strata::keras {
namespace {

std::string Render(int verbose) {
  std::FILE* f = std::tmpfile();
  {
    ProgressBar bar(verbose, f);
    bar.StartEpoch(0, 2, 3);
    Logs running;
    running.Set("loss", 0.5);
    running.Set("accuracy", 0.25);
    for (int step = 1; step <= 3; ++step) bar.Update(step, running);
    Logs end = running;
    end.Set("val_loss", 0.75);
    bar.EndEpoch(end);
  }
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

TEST(ProgressBarTest, PlainLinesWhenNotATerminal) {
  const std::string out = Render(2);
  EXPECT_TRUE(std::regex_match(
      out, std::regex("Epoch 1/2\n3/3 - 0s [0-9]+ms/step - loss: 0.5000 - accuracy: 0.2500 - val_loss: 0.7500\n")))
      << out;
  // verbose -1 on a file (not a TTY) is the same.
  EXPECT_EQ(Render(-1).substr(0, 14), "Epoch 1/2\n3/3 ");
}

TEST(ProgressBarTest, BarRedrawnInPlace) {
  const std::string out = Render(1);
  EXPECT_NE(out.find("\r3/3 [==============================] - ETA: 0s - loss: 0.5000 - accuracy: 0.2500"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("val_loss: 0.7500\n"), std::string::npos) << out;
}

TEST(ProgressBarTest, SilentPrintsNothing) { EXPECT_EQ(Render(0), ""); }

}  // namespace
}  // namespace strata::keras
