// Staged execution (runtime/staged.h): graphs with host-kernel ops whose output shapes depend on
// the data (Where) run as compiled clusters and host ops in turn, through a plain Session.
#include "runtime/staged.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/session.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// x -> Greater(x, 0) -> Where -> Reshape [-1] -> GatherV2(x * 3) -> Neg ; Sum
// The gather's shape is known only once Where has run.
constexpr char kPositiveGather[] = R"pb(
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape { dim { size: -1 } } } } }
  node { name: "zero" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 0 } } } }
  node { name: "three" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 3 } } } }
  node { name: "mask" op: "Greater" input: "x" input: "zero" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "where" op: "Where" input: "mask" attr { key: "T" value { type: DT_BOOL } } }
  node { name: "flat_shape" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
         attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: -1 } } } }
  node { name: "idx" op: "Reshape" input: "where" input: "flat_shape"
         attr { key: "T" value { type: DT_INT64 } } attr { key: "Tshape" value { type: DT_INT32 } } }
  node { name: "x3" op: "Mul" input: "x" input: "three" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
         attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 0 } } } }
  node { name: "picked" op: "GatherV2" input: "x3" input: "idx" input: "axis"
         attr { key: "Tparams" value { type: DT_FLOAT } } attr { key: "Tindices" value { type: DT_INT64 } }
         attr { key: "Taxis" value { type: DT_INT32 } } }
  node { name: "neg" op: "Neg" input: "picked" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "sum" op: "Sum" input: "neg" input: "axis"
         attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } } }
)pb";

Tensor Vec(std::vector<float> v) { return Tensor::FromVector<float>(v); }

std::vector<float> Floats(const Tensor& t) {
  std::vector<float> v(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) v[i] = t.flat<float>()[i];
  return v;
}

class StagedTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!IsBackendAvailable(GetParam())) GTEST_SKIP() << "backend " << GetParam() << " not in this build";
    absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(kPositiveGather);
    ASSERT_TRUE(def.ok()) << def.status();
    SessionOptions options;
    options.backend = GetParam();
    options.num_threads = 2;
    absl::StatusOr<std::unique_ptr<Session>> s = Session::Create(*def, options);
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }
  std::unique_ptr<Session> session_;
};

TEST_P(StagedTest, DataDependentShapesRunBetweenCompiledClusters) {
  std::vector<Tensor> out;
  ASSERT_TRUE(session_->Run({{"x", Vec({1, -2, 3, 0, 5})}}, {"where", "neg", "sum"}, &out).ok());
  // Where gives the int64 coordinates of the true elements: rows 0, 2, 4.
  ASSERT_EQ(out[0].shape(), Shape({3, 1}));
  EXPECT_THAT(std::vector<int64_t>(out[0].flat<int64_t>().begin(), out[0].flat<int64_t>().end()), ElementsAre(0, 2, 4));
  EXPECT_THAT(Floats(out[1]), ElementsAre(-3, -9, -15));
  EXPECT_THAT(Floats(out[2]), ElementsAre(-27));

  // Same feed shape, other data: another count of positives, so the cluster after Where is
  // specialized again (including to an empty gather).
  ASSERT_TRUE(session_->Run({{"x", Vec({-1, 2, -3, -4, -5})}}, {"neg", "sum"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(-6));
  EXPECT_THAT(Floats(out[1]), ElementsAre(-6));
  const int64_t compiles = session_->stats().compiles;
  ASSERT_TRUE(session_->Run({{"x", Vec({-1, -2, -3, -4, -5})}}, {"neg", "sum"}, &out).ok());
  EXPECT_EQ(out[0].shape(), Shape({0}));
  EXPECT_THAT(Floats(out[1]), ElementsAre(0));
  // The same Session signature: planned once at the session level, whatever Where returns.
  EXPECT_EQ(session_->stats().compiles, compiles);
}

TEST_P(StagedTest, ManyThreadsRunOneStagedSignature) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::vector<float> x(7, -1.0f);
        for (int k = 0; k <= (t + i) % 7; ++k) x[k] = static_cast<float>(k + 1);
        std::vector<Tensor> out;
        if (!session_->Run({{"x", Vec(x)}}, {"sum"}, &out).ok()) return;
        const int n = (t + i) % 7 + 1;
        if (Floats(out[0])[0] != -3.0f * n * (n + 1) / 2) return;
      }
      ok[t] = 1;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(ok, ElementsAreArray({1, 1, 1, 1}));
}

TEST_P(StagedTest, FetchingOnlyTheStaticPartNeedsNoHostStage) {
  std::vector<Tensor> out;
  ASSERT_TRUE(session_->Run({{"x", Vec({1, -2})}}, {"x3"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(3, -6));
}

TEST_P(StagedTest, HostKernelErrorsNameTheNode) {
  // A wrong feed dtype is still caught before anything runs.
  std::vector<Tensor> out;
  absl::Status s = session_->Run({{"x", Tensor::FromVector<int32_t>({1})}}, {"sum"}, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("x"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StagedTest, ::testing::Values("cpu", "reference"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace strata
