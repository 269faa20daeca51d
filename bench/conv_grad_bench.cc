// The backward ops of the Fashion-MNIST CNN (examples/fashion_mnist/cnn.cpp), each compiled and
// run alone at the CNN's shapes beside the forward Conv2D it belongs to (the same FLOPs, also in
// float16), so a slow lowering shows up as a slow row rather than as a slow training step.
//
//   conv_grad_bench [--threads=1] [--seconds=1] [--only=substring]
//
// Each case is its own Session (so its first Run compiles exactly one op); "compile ms" is the
// session's compile figure, run ms the median wall time of Session::Run (feed copies included).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "frontends/cc/const_op.h"
#include "frontends/cc/ops.h"
#include "frontends/cc/scope.h"
#include "runtime/session.h"

namespace strata::bench {
namespace {

struct ConvShape {
  const char* name;
  int64_t n, h, w, c_in, c_out;  // 3x3 VALID stride 1
  int64_t oh() const { return h - 2; }
  int64_t ow() const { return w - 2; }
  double flops() const { return 2.0 * n * oh() * ow() * 9 * c_in * c_out; }
};

// One op in a graph of its own: fed placeholders, one fetch.
struct Case {
  std::string name;
  double flops = 0;  // 0: not a contraction (no GFLOP/s column)
  Scope root = Scope::NewRootScope();
  std::vector<FeedItem> feeds;
  Output fetch;
};

Output Feed(Case& c, const char* name, const Shape& shape, uint64_t seed, DType dtype = DT_FLOAT) {
  Output p = ops::Placeholder(c.root.WithOpName(name), dtype, ops::Placeholder::Shape(shape));
  absl::StatusOr<Tensor> value = RandomFloatTensor(shape, seed, 1.0f).Cast(dtype);
  c.feeds.push_back({p, value.ok() ? *value : Tensor()});
  return p;
}

std::vector<std::unique_ptr<Case>> BuildCases() {
  const std::vector<ConvShape> convs = {
      {"conv1", 64, 28, 28, 1, 32}, {"conv2", 64, 13, 13, 32, 64}, {"conv3", 64, 5, 5, 64, 64}};
  std::vector<std::unique_ptr<Case>> cases;
  auto add = [&](std::string name, double flops) {
    cases.push_back(std::make_unique<Case>());
    cases.back()->name = std::move(name);
    cases.back()->flops = flops;
    return cases.back().get();
  };
  for (const ConvShape& s : convs) {
    const Shape x_shape{s.n, s.h, s.w, s.c_in}, f_shape{3, 3, s.c_in, s.c_out};
    const Shape dy_shape{s.n, s.oh(), s.ow(), s.c_out};
    Case* c = add(absl::StrCat(s.name, " Conv2D"), s.flops());
    c->fetch = ops::Conv2D(c->root, Feed(*c, "x", x_shape, 1), Feed(*c, "f", f_shape, 2), {1, 1, 1, 1}, "VALID");
    // The same in float16 (f32 sums; the operands are widened once, before the loops).
    c = add(absl::StrCat(s.name, " Conv2D float16"), s.flops());
    c->fetch = ops::Conv2D(c->root, Feed(*c, "x", x_shape, 1, DT_HALF), Feed(*c, "f", f_shape, 2, DT_HALF), {1, 1, 1, 1},
                           "VALID");
    c = add(absl::StrCat(s.name, " Conv2DBackpropFilter"), s.flops());
    const int c_in = static_cast<int>(s.c_in), c_out = static_cast<int>(s.c_out);
    c->fetch = ops::Conv2DBackpropFilter(c->root, Feed(*c, "x", x_shape, 1), ops::Const(c->root, {3, 3, c_in, c_out}),
                                         Feed(*c, "dy", dy_shape, 3), {1, 1, 1, 1}, "VALID");
    c = add(absl::StrCat(s.name, " Conv2DBackpropInput"), s.flops());
    c->fetch = ops::Conv2DBackpropInput(
        c->root, ops::Const(c->root, {static_cast<int>(s.n), static_cast<int>(s.h), static_cast<int>(s.w), c_in}),
        Feed(*c, "f", f_shape, 2), Feed(*c, "dy", dy_shape, 3), {1, 1, 1, 1}, "VALID");
    c = add(absl::StrCat(s.name, " BiasAddGrad+ReluGrad"), 0);
    Output relu_grad = ops::ReluGrad(c->root, Feed(*c, "dy", dy_shape, 3), Feed(*c, "y", dy_shape, 4));
    c->fetch = ops::BiasAddGrad(c->root, relu_grad);
  }
  // The two 2x2 pools: after conv1 ([64,26,26,32]) and conv2 ([64,11,11,64], floor to 5).
  for (const Shape& in : {Shape{64, 26, 26, 32}, Shape{64, 11, 11, 64}}) {
    const Shape out{in.dim(0), in.dim(1) / 2, in.dim(2) / 2, in.dim(3)};
    Case* c = add(absl::StrCat("MaxPool ", in.ToString()), 0);
    c->fetch = ops::MaxPool(c->root, Feed(*c, "x", in, 1), {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID");
    c = add(absl::StrCat("MaxPoolGrad ", in.ToString()), 0);
    Output x = Feed(*c, "x", in, 1);
    Output y = ops::MaxPool(c->root, x, {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID");
    c->fetch = ops::MaxPoolGrad(c->root, x, y, Feed(*c, "g", out, 5), {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID");
  }
  return cases;
}

absl::Status Main(int argc, char** argv) {
  absl::StatusOr<Flags> flags = Flags::Parse(argc, argv, {"threads", "seconds", "only"});
  if (!flags.ok()) return flags.status();
  absl::StatusOr<int> threads = flags->GetInt("threads", 1);
  if (!threads.ok()) return threads.status();
  absl::StatusOr<double> seconds = flags->GetDouble("seconds", 1.0);
  if (!seconds.ok()) return seconds.status();
  const std::string only = flags->Get("only", "");
  TimeBox box;
  box.seconds = *seconds;

  std::printf("%s\n%s, %d thread(s), load average %s\n", CommandLine(argc, argv).c_str(), MachineSummary().c_str(),
              *threads, LoadAverage().c_str());
  std::printf("%-42s %11s %9s %9s %8s\n", "op", "compile ms", "run ms", "p90 ms", "GFLOP/s");
  for (const std::unique_ptr<Case>& c : BuildCases()) {
    if (!only.empty() && c->name.find(only) == std::string::npos) continue;
    if (!c->root.ok()) return c->root.status();
    SessionOptions options;
    options.num_threads = *threads;
    absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*c->root.graph(), options);
    if (!session.ok()) return session.status();
    std::vector<Tensor> out;
    auto run = [&] { return (*session)->Run(c->feeds, {c->fetch}, &out); };
    if (absl::Status s = run(); !s.ok()) return absl::Status(s.code(), absl::StrCat(c->name, ": ", s.message()));
    const double compile_ms = (*session)->stats().last_compile_ms;
    absl::StatusOr<std::vector<double>> times = TimeRuns(box, run);
    if (!times.ok()) return times.status();
    const double median_ms = Median(*times) * 1e3;
    const std::string gflops = c->flops > 0 ? absl::StrFormat("%8.1f", c->flops / (median_ms * 1e6)) : "       -";
    std::printf("%-42s %11.0f %9.3f %9.3f %s\n", c->name.c_str(), compile_ms, median_ms,
                Percentile(*times, 0.9) * 1e3, gflops.c_str());
    std::fflush(stdout);
  }
  std::printf("load average after: %s\n", LoadAverage().c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  absl::Status s = strata::bench::Main(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "conv_grad_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
