// `strata run`: runs the real binary (STRATA_CLI_PATH) on a small model and .npy feeds written
// here, and checks what it prints, the .npy files it writes and its one-line errors.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/npy.h"
#include "graph/tensor.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing_util::CliResult;
using testing_util::ReadFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// y = 2 * x + [1, 2, 3] for x: float32[?, 3]; sq = x * x; twice_i = i + i for i: int32 scalar;
// done runs after y; unused is a placeholder nothing above needs.
constexpr char kModel[] = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: -1 } dim { size: 3 } } } } }
node { name: "two" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 2 } } } }
node { name: "b" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } }
                                            float_val: 1 float_val: 2 float_val: 3 } } } }
node { name: "mul" op: "Mul" input: "x" input: "two" }
node { name: "y" op: "AddV2" input: "mul" input: "b" }
node { name: "sq" op: "Square" input: "x" }
node { name: "i" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "shape" value { shape {} } } }
node { name: "twice_i" op: "AddV2" input: "i" input: "i" }
node { name: "unused" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "z" op: "Neg" input: "unused" }
node { name: "done" op: "NoOp" input: "^y" }
)";

std::vector<float> Floats(const Tensor& t) {
  auto f = t.flat<float>();
  return std::vector<float>(f.begin(), f.end());
}

class StrataRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "strata_run_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    model_ = Path("model.pbtxt");
    std::ofstream(model_) << kModel;
    x_ = Path("x.npy");
    ASSERT_TRUE(WriteNpy(Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3}), x_).ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  CliResult Run(const std::vector<std::string>& args) { return testing_util::RunCli(STRATA_CLI_PATH, args, dir_); }

  std::string dir_, model_, x_;
};

// Exit code 1, nothing on stdout, one stderr line "strata: error: ..." containing `what`.
void ExpectOneLineError(const CliResult& r, const std::string& what) {
  EXPECT_FALSE(r.crashed) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("strata: error: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(absl::AsciiStrToLower(r.err), HasSubstr(absl::AsciiStrToLower(what)));
}

TEST_F(StrataRunTest, PrintsAndWritesFetchesInOrder) {
  const std::string out_dir = Path("results/nested");
  CliResult r = Run({"run", model_, "--feed", "x=" + x_, "--fetch", "y", "--fetch=sq:0", "--out", out_dir,
                     "--backend", "reference", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, absl::StrCat("y: float32[2,3] {3, 6, 9, 9, 12, 15}\n", "  written to ", out_dir, "/output_0.npy\n",
                                "sq:0: float32[2,3] {1, 4, 9, 16, 25, 36}\n", "  written to ", out_dir,
                                "/output_1.npy\n"));
  absl::StatusOr<Tensor> y = ReadNpy(out_dir + "/output_0.npy");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DT_FLOAT);
  EXPECT_EQ(y->shape(), (Shape{2, 3}));
  EXPECT_THAT(Floats(*y), ElementsAre(3, 6, 9, 9, 12, 15));
  absl::StatusOr<Tensor> sq = ReadNpy(out_dir + "/output_1.npy");
  ASSERT_TRUE(sq.ok()) << sq.status();
  EXPECT_THAT(Floats(*sq), ElementsAre(1, 4, 9, 16, 25, 36));
  EXPECT_FALSE(fs::exists(out_dir + "/output_2.npy"));
}

TEST_F(StrataRunTest, ScalarIntFeedAndFetchOfAFedTensor) {
  ASSERT_TRUE(WriteNpy(Tensor::Scalar<int32_t>(21), Path("i.npy")).ok());
  CliResult r = Run({"run", model_, "--feed=i=" + Path("i.npy"), "--fetch", "twice_i", "--fetch", "i", "--out",
                     dir_, "--backend=reference"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("twice_i: int32[] {42}\n"));
  EXPECT_THAT(r.out, HasSubstr("i: int32[] {21}\n"));
  absl::StatusOr<Tensor> t = ReadNpy(Path("output_0.npy"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), DT_INT32);
  EXPECT_EQ(t->shape(), Shape{});
  EXPECT_EQ(t->scalar<int32_t>(), 42);
}

TEST_F(StrataRunTest, LongOutputsArePrintedShortened) {
  std::vector<float> values(30 * 3, 1.0f);
  ASSERT_TRUE(WriteNpy(Tensor::FromVector<float>(absl::MakeConstSpan(values), Shape{30, 3}), x_).ok());
  CliResult r = Run({"run", model_, "--feed", "x=" + x_, "--fetch", "y", "--backend", "reference"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "y: float32[30,3] {3, 4, 5, 3, 4, 5, 3, 4, 5, 3, ...}\n");
}

TEST_F(StrataRunTest, TargetsRun) {
  CliResult r = Run({"run", model_, "--feed", "x=" + x_, "--target", "done", "--backend", "reference"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ran done\n");
}

TEST_F(StrataRunTest, CpuBackendAgreesWhenItCanRunTheModel) {
  CliResult r = Run({"run", model_, "--feed", "x=" + x_, "--fetch", "y", "--backend", "cpu"});
  if (r.exit_code != 0) {
    // A build without the CPU backend, or one that cannot compile these ops yet: still one line.
    ExpectOneLineError(r, "");
    GTEST_SKIP() << "cpu backend unavailable: " << r.err;
  }
  EXPECT_EQ(r.out, "y: float32[2,3] {3, 6, 9, 9, 12, 15}\n");
}

TEST_F(StrataRunTest, HelpDescribesTheVerb) {
  CliResult r = Run({"help", "run"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("usage: strata run MODEL --feed NAME=FILE.npy"));
  EXPECT_THAT(r.out, HasSubstr("--out DIR"));
  CliResult r2 = Run({"run", "--help"});
  EXPECT_EQ(r2.out, r.out);
  CliResult list = Run({"help"});
  EXPECT_THAT(list.out, HasSubstr("  run "));
}

TEST_F(StrataRunTest, ErrorsAreOneLine) {
  const std::string ref = "--backend=reference";
  ExpectOneLineError(Run({"run", "--fetch", "y"}), "missing MODEL");
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + x_, ref}), "at least one --fetch");
  ExpectOneLineError(Run({"run", model_, "--feed", x_, "--fetch", "y", ref}), "NAME=FILE.npy");
  ExpectOneLineError(Run({"run", model_, "--feed", "x=", "--fetch", "y", ref}), "NAME=FILE.npy");
  ExpectOneLineError(Run({"run", model_, "--fetch"}), "'--fetch' needs a value");
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + Path("missing.npy"), "--fetch", "y", ref}), "missing.npy");
  ExpectOneLineError(Run({"run", Path("missing.pbtxt"), "--feed", "x=" + x_, "--fetch", "y", ref}), "missing.pbtxt");
  ExpectOneLineError(Run({"run", model_, "--feed", "nope=" + x_, "--fetch", "y", ref}), "feed 'nope'");
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + x_, "--fetch", "nope", ref}), "fetch 'nope'");
  ExpectOneLineError(Run({"run", model_, "--fetch", "y", ref}), "placeholder 'x' (float32[?,3]) must be fed");
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + x_, "--fetch", "y", "--backend", "tpu"}), "unknown backend 'tpu'");
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + x_, "--fetch", "y", "--threads", "many", ref}), "--threads");
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + x_, "--fetch", "y", "--bogus", ref}), "unknown flag '--bogus'");

  ASSERT_TRUE(WriteNpy(Tensor::FromVector<int32_t>({1, 2, 3}, Shape{1, 3}), Path("xi.npy")).ok());
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + Path("xi.npy"), "--fetch", "y", ref}),
                     "expected dtype float32, got int32");
  ASSERT_TRUE(WriteNpy(Tensor::FromVector<float>({1, 2, 3, 4}, Shape{2, 2}), Path("x22.npy")).ok());
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + Path("x22.npy"), "--fetch", "y", ref}),
                     "dim 1 is 2, expected 3");
  std::ofstream(Path("garbage.npy")) << "not an npy file";
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + Path("garbage.npy"), "--fetch", "y", ref}), "garbage.npy");
  // --out naming a file, not a directory.
  std::ofstream(Path("a_file")) << "x";
  ExpectOneLineError(Run({"run", model_, "--feed", "x=" + x_, "--fetch", "y", "--out", Path("a_file"), ref}),
                     "cannot create output directory");
}

}  // namespace
}  // namespace strata
