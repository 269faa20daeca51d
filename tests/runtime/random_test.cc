// Random ops (ops/random_ops.cc, runtime/random_kernels.h) in a Session: ranges and moments,
// reproducible with seeds across Sessions, new values each run, errors for bad bounds.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/session.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::GraphBuilder;

struct Moments {
  double mean = 0, stddev = 0, min = 1e300, max = -1e300;
};
Moments Of(const Tensor& t) {
  Moments m;
  auto v = t.flat<float>();
  for (float x : v) {
    m.mean += x;
    m.min = std::min<double>(m.min, x);
    m.max = std::max<double>(m.max, x);
  }
  m.mean /= v.size();
  for (float x : v) m.stddev += (x - m.mean) * (x - m.mean);
  m.stddev = std::sqrt(m.stddev / v.size());
  return m;
}

Output Random(GraphBuilder& g, const std::string& name, const std::string& op, int64_t n, int seed, int seed2 = 0) {
  return g.Add(name, op, {g.Const(name + "/shape", Tensor::FromVector<int32_t>({static_cast<int32_t>(n)}))},
               {{"dtype", MakeAttr(DT_FLOAT)}, {"seed", MakeAttr(seed)}, {"seed2", MakeAttr(seed2)}});
}

Tensor Draw(Session& s, const std::string& fetch) {
  std::vector<Tensor> out;
  absl::Status st = s.Run({}, {fetch}, &out);
  EXPECT_TRUE(st.ok()) << st;
  return st.ok() ? out[0] : Tensor();
}

bool Same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::equal(a.flat<float>().begin(), a.flat<float>().end(), b.flat<float>().begin());
}

TEST(RandomTest, DistributionsHaveTheirRangesAndMoments) {
  GraphBuilder g;
  Random(g, "u", "RandomUniform", 20000, 7);
  Random(g, "n", "RandomStandardNormal", 20000, 7);
  Random(g, "t", "TruncatedNormal", 20000, 7);
  Session s(g.graph());
  Moments u = Of(Draw(s, "u")), n = Of(Draw(s, "n")), t = Of(Draw(s, "t"));
  EXPECT_GE(u.min, 0.0);
  EXPECT_LT(u.max, 1.0);
  EXPECT_NEAR(u.mean, 0.5, 0.01);
  EXPECT_NEAR(u.stddev, std::sqrt(1.0 / 12), 0.01);
  EXPECT_NEAR(n.mean, 0.0, 0.03);
  EXPECT_NEAR(n.stddev, 1.0, 0.03);
  EXPECT_GE(t.min, -2.0);
  EXPECT_LE(t.max, 2.0);
  EXPECT_NEAR(t.stddev, 0.8796, 0.03);  // standard normal truncated at +-2
}

TEST(RandomTest, SeededSequencesRepeatAcrossSessionsAndChangePerRun) {
  GraphBuilder g;
  Random(g, "a", "RandomUniform", 64, 3, 5);
  Random(g, "b", "RandomUniform", 64, 3, 6);
  Random(g, "free", "RandomUniform", 64, 0, 0);
  Session s1(g.graph()), s2(g.graph());
  Tensor a1 = Draw(s1, "a"), a2 = Draw(s1, "a");
  EXPECT_FALSE(Same(a1, a2)) << "each run draws new values";
  EXPECT_TRUE(Same(a1, Draw(s2, "a")));
  EXPECT_TRUE(Same(a2, Draw(s2, "a")));
  EXPECT_FALSE(Same(a1, Draw(s1, "b"))) << "seed2 selects another stream";
  EXPECT_FALSE(Same(Draw(s1, "free"), Draw(s2, "free"))) << "unseeded ops differ between sessions";
}

TEST(RandomTest, UniformIntegersAndBadBounds) {
  GraphBuilder g;
  Output shape = g.Const("shape", Tensor::FromVector<int32_t>({5000}));
  g.Add("ints", "RandomUniformInt",
        {shape, g.Const("lo", Tensor::FromVector<int64_t>({3}, Shape{})), g.Const("hi", Tensor::FromVector<int64_t>({7}, Shape{}))},
        {{"seed", MakeAttr(1)}});
  g.Add("bad", "RandomUniformInt",
        {shape, g.Const("lo2", Tensor::FromVector<int64_t>({7}, Shape{})), g.Const("hi2", Tensor::FromVector<int64_t>({7}, Shape{}))},
        {{"seed", MakeAttr(1)}});
  ASSERT_TRUE(g.status().ok()) << g.status();
  Session s(g.graph());
  std::vector<Tensor> out;
  ASSERT_TRUE(s.Run({}, {"ints"}, &out).ok());
  std::set<int64_t> seen(out[0].flat<int64_t>().begin(), out[0].flat<int64_t>().end());
  EXPECT_EQ(seen, (std::set<int64_t>{3, 4, 5, 6}));
  absl::Status st = s.Run({}, {"bad"}, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("'bad'"));
}

TEST(RandomTest, InitializesAVariable) {
  GraphBuilder g;
  Output w = g.Add("w", "VariableV2", {}, {{"shape", MakeAttr(Shape({100}))}, {"dtype", MakeAttr(DT_FLOAT)}});
  g.Add("init", "Assign", {w, Random(g, "r", "TruncatedNormal", 100, 9)});
  ASSERT_TRUE(g.status().ok()) << g.status();
  Session s(g.graph());
  std::vector<Tensor> out;
  ASSERT_TRUE(s.Run({}, {}, {"init"}, &out).ok());
  Moments m = Of(Draw(s, "w"));
  EXPECT_LE(m.max, 2.0);
  EXPECT_GT(m.stddev, 0.5);
}

}  // namespace
}  // namespace strata
