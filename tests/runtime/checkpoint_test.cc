// Checkpoints and freezing (runtime/checkpoint.h, Session::Save/Restore/Freeze): round trips,
// and every damaged-file and mismatch case leaves the variables untouched.
#include "runtime/checkpoint.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/file_util.h"
#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "runtime/session.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// w [2] float, b [] float, step [] int64; y = w * x + b.
constexpr char kGraph[] = R"pb(
  node { name: "w" op: "VariableV2" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape { dim { size: 2 } } } } }
  node { name: "b" op: "VariableV2" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape {} } } }
  node { name: "step" op: "VariableV2" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "shape" value { shape {} } } }
  node { name: "wv" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape { dim { size: 2 } } } } }
  node { name: "bv" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape {} } } }
  node { name: "sv" op: "Placeholder" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "shape" value { shape {} } } }
  node { name: "set_w" op: "Assign" input: "w" input: "wv" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "set_b" op: "Assign" input: "b" input: "bv" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "set_step" op: "Assign" input: "step" input: "sv" attr { key: "T" value { type: DT_INT64 } } }
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape { dim { size: 2 } } } } }
  node { name: "wx" op: "Mul" input: "w" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "y" op: "Add" input: "wx" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
)pb";

std::unique_ptr<Session> NewSession() {
  absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(kGraph);
  EXPECT_TRUE(def.ok()) << def.status();
  return std::make_unique<Session>(*def);
}

void Set(Session& s, std::vector<float> w, float b, int64_t step) {
  std::vector<Tensor> out;
  absl::Status st = s.Run({{"wv", Tensor::FromVector<float>(w)}, {"bv", Tensor::FromVector<float>({b}, Shape{})},
                           {"sv", Tensor::FromVector<int64_t>({step}, Shape{})}},
                          {}, {"set_w", "set_b", "set_step"}, &out);
  ASSERT_TRUE(st.ok()) << st;
}

std::vector<float> Y(Session& s) {
  std::vector<Tensor> out;
  absl::Status st = s.Run({{"x", Tensor::FromVector<float>({10, 100})}}, {"y"}, &out);
  EXPECT_TRUE(st.ok()) << st;
  return st.ok() ? std::vector<float>(out[0].flat<float>().begin(), out[0].flat<float>().end()) : std::vector<float>{};
}

class CheckpointTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) { return ::testing::TempDir() + "/strata_ckpt_" + name; }
};

TEST_F(CheckpointTest, RoundTripAllAndNamedVariables) {
  auto a = NewSession();
  Set(*a, {1, 2}, 3, 7);
  ASSERT_TRUE(a->Save(Path("all")).ok());
  ASSERT_TRUE(a->Save(Path("w_only"), {"w"}).ok());

  auto b = NewSession();
  ASSERT_TRUE(b->Restore(Path("all")).ok());
  EXPECT_THAT(Y(*b), ElementsAre(13, 203));
  std::vector<Tensor> out;
  ASSERT_TRUE(b->Run({}, {"step"}, &out).ok());
  EXPECT_EQ(out[0].scalar<int64_t>(), 7);

  Set(*b, {0, 0}, 1, 0);
  ASSERT_TRUE(b->Restore(Path("w_only")).ok());  // w back, b untouched
  EXPECT_THAT(Y(*b), ElementsAre(11, 201));
}

TEST_F(CheckpointTest, DamagedFilesAreErrorsAndChangeNothing) {
  auto a = NewSession();
  Set(*a, {1, 2}, 3, 7);
  ASSERT_TRUE(a->Save(Path("good")).ok());
  absl::StatusOr<std::string> bytes = ReadFileToString(Path("good"));
  ASSERT_TRUE(bytes.ok());

  auto b = NewSession();
  Set(*b, {5, 6}, 0, 1);
  // Truncated anywhere.
  for (size_t cut : {size_t{3}, size_t{20}, bytes->size() / 2, bytes->size() - 1}) {
    ASSERT_TRUE(WriteFileAtomically(Path("cut"), bytes->substr(0, cut)).ok());
    absl::Status s = b->Restore(Path("cut"));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << cut << ": " << s;
  }
  // A flipped data byte fails the checksum, naming the tensor.
  std::string flipped = *bytes;
  flipped[flipped.size() - 2] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomically(Path("flip"), flipped).ok());
  absl::Status s = b->Restore(Path("flip"));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("checksum"));
  EXPECT_EQ(b->Restore(Path("missing")).code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Y(*b), ElementsAre(50, 600)) << "failed restores must not change the variables";
}

TEST_F(CheckpointTest, MismatchesNameTheVariable) {
  // A checkpoint of a graph whose w has another shape.
  VariableStore other;
  other.Set("w", Tensor::FromVector<float>({1, 2, 3}));
  ASSERT_TRUE(SaveCheckpoint(other, Path("shape")).ok());
  auto b = NewSession();
  absl::Status s = b->Restore(Path("shape"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("variable w is float32[3] but the graph declares float32[2]"));
  other.Set("w", Tensor::FromVector<float>({1, 2}));
  other.Set("stranger", Tensor::FromVector<float>({1}));
  ASSERT_TRUE(SaveCheckpoint(other, Path("extra")).ok());
  s = b->Restore(Path("extra"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("stranger"));
  EXPECT_EQ(b->Restore(Path("extra"), {"nope"}).code(), absl::StatusCode::kNotFound);
  // Saving a variable without a value.
  s = b->Save(Path("none"), {"w"});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

TEST_F(CheckpointTest, FreezeGivesTheSameOutputs) {
  auto a = NewSession();
  absl::StatusOr<tf::GraphDef> early = a->Freeze({"y"});
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  Set(*a, {1, 2}, 3, 7);
  absl::StatusOr<tf::GraphDef> frozen = a->Freeze({"y"});
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  for (const tf::NodeDef& n : frozen->node()) {
    EXPECT_NE(n.op(), "VariableV2") << n.name();
    EXPECT_NE(n.op(), "Assign") << n.name();
  }
  Session f(*frozen);
  ASSERT_TRUE(f.status().ok()) << f.status();
  EXPECT_THAT(Y(f), ElementsAre(13, 203));
  EXPECT_EQ(a->Freeze({"set_w"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->Freeze({"nope"}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace strata
