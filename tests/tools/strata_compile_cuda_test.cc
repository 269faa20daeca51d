// `strata compile --target cuda`: runs the real binary (STRATA_CLI_PATH) on a MatMul -> BiasAdd
// -> Relu model and checks the PTX, the cubin (when ptxas is present), the summary line and the
// one-line errors for bad flag combinations.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ptxas_util.h"
#include "tests/tools/cli_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing_util::CliResult;
using testing_util::ReadFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kDenseModel[] = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: -1 } dim { size: 4 } } } } }
node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 4 } dim { size: 3 } }
         float_val: 1 float_val: 2 float_val: 3 float_val: 4 float_val: 5 float_val: 6
         float_val: 7 float_val: 8 float_val: 9 float_val: 10 float_val: 11 float_val: 12 } } } }
node { name: "b" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } }
         float_val: -1 float_val: 0 float_val: 1 } } } }
node { name: "mm" op: "MatMul" input: "x" input: "w" }
node { name: "ba" op: "BiasAdd" input: "mm" input: "b" }
node { name: "y" op: "Relu" input: "ba" }
)";

// Two fed matrices: big enough (M, N >= 32) for the tiled contraction kernel.
constexpr char kMatMulModel[] = R"(
node { name: "a" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "b" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "y" op: "MatMul" input: "a" input: "b" }
)";

class GpuCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "strata_gpu_cli_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(Path("dense.pbtxt")) << kDenseModel;
    std::ofstream(Path("matmul.pbtxt")) << kMatMulModel;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  // `strata compile dense.pbtxt args...`, with `env` assignments in front when given.
  CliResult Run(const std::vector<std::string>& args, const std::string& env = "", const std::string& model = "dense.pbtxt") {
    std::vector<std::string> all = {"compile", Path(model)};
    all.insert(all.end(), args.begin(), args.end());
    return testing_util::RunCli(STRATA_CLI_PATH, all, dir_, env);
  }

  std::string dir_;
};

const std::vector<std::string> kSignature = {"--feed", "x:float32[8,4]", "--fetch", "y"};

std::vector<std::string> With(std::vector<std::string> extra) {
  std::vector<std::string> args = kSignature;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST_F(GpuCliTest, WritesPtxForTheArchAndPrintsASummary) {
  for (const char* arch : {"sm_80", "sm_90"}) {
    CliResult r = Run(With({"--target", "cuda", "--cuda_arch", arch, "--out_ptx", Path("m.ptx")}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string ptx = ReadFile(Path("m.ptx"));
    EXPECT_THAT(ptx, HasSubstr(absl::StrCat(".target ", arch)));
    EXPECT_THAT(ptx, HasSubstr(".entry main_kernels_k0("));
    EXPECT_THAT(r.out, HasSubstr(" kernels, "));
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("PTX ", ptx.size(), " bytes for ", arch)));
  }
}

// --allow_tf32: the matmul's kernel on tensor cores (mma.sync with TF32 inputs); without it, none.
TEST_F(GpuCliTest, AllowTf32PutsTheMatMulOnTensorCores) {
  for (bool tf32 : {false, true}) {
    std::vector<std::string> args = {"--feed", "a:float32[128,96]", "--feed", "b:float32[96,160]", "--fetch", "y",
                                     "--target", "cuda", "--cuda_arch", "sm_80", "--out_ptx", Path("mm.ptx")};
    if (tf32) args.push_back("--allow_tf32");
    CliResult r = Run(args, "", "matmul.pbtxt");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string ptx = ReadFile(Path("mm.ptx"));
    EXPECT_EQ(ptx.find("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32") != std::string::npos, tf32) << ptx.size();
  }
}

TEST_F(GpuCliTest, CubinThroughPtxas) {
  if (testing_util::FindPtxas().empty()) GTEST_SKIP() << "no ptxas";
  CliResult r = Run(With({"--target", "cuda", "--out_ptx", Path("m.ptx"), "--out_cubin", Path("m.cubin")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cubin = ReadFile(Path("m.cubin"));
  ASSERT_GE(cubin.size(), 4u);
  EXPECT_EQ(cubin.substr(0, 4), "\x7f" "ELF");
}

TEST_F(GpuCliTest, MissingPtxasIsAClearError) {
  CliResult r = Run(With({"--target", "cuda", "--out_ptx", Path("m.ptx"), "--out_cubin", Path("m.cubin")}),
                    "STRATA_PTXAS=" + Path("no_such_ptxas"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("strata: error: "));
  EXPECT_THAT(r.err, HasSubstr("no_such_ptxas"));
  EXPECT_FALSE(fs::exists(Path("m.cubin")));
}

TEST_F(GpuCliTest, BadCombinationsAreOneLineErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string what;
  };
  const std::vector<Case> cases = {
      {With({"--target", "cuda", "--cuda_arch", "sm_75", "--out_ptx", Path("m.ptx")}), "sm_75"},
      {With({"--target", "cuda", "--out_ptx", Path("m.ptx"), "--out_object", Path("m.o")}), "--out_object does not go with --target cuda"},
      {With({"--target", "cuda", "--out_ptx", Path("m.ptx"), "--emit", "mlir"}), "--emit does not go with --target cuda"},
      {With({"--target", "tpu", "--out_ptx", Path("m.ptx")}), "--target expects cpu or cuda, got 'tpu'"},
      {With({"--out_ptx", Path("m.ptx")}), "--out_ptx needs --target cuda"},
      {With({"--allow_tf32"}), "--allow_tf32 needs --target cuda"},
      {With({"--target", "cuda"}), "--target cuda needs --out_ptx"},
  };
  for (const Case& c : cases) {
    CliResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.what;
    EXPECT_EQ(r.out, "") << c.what;
    EXPECT_THAT(r.err, StartsWith("strata: error: ")) << c.what;
    EXPECT_THAT(r.err, HasSubstr(c.what));
  }
}

}  // namespace
}  // namespace strata
