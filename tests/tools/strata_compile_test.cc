// `strata compile`: runs the real binary (STRATA_CLI_PATH) on tests/data/tfadd.pbtxt and on a
// MatMul -> BiasAdd -> Relu model written here, and checks the IR it prints or writes for each
// --emit and its one-line errors.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing_util::CliResult;
using testing_util::ReadFile;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kTfAdd = STRATA_SOURCE_DIR "/tests/data/tfadd.pbtxt";

// y = relu(x @ w + b) for x: float32[?, 4], w: 4x3, b: [3]; "unfed" is a placeholder that only
// "needs_unfed" reads.
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
node { name: "unfed" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 3 } } } } }
node { name: "needs_unfed" op: "AddV2" input: "y" input: "unfed" }
node { name: "to_string" op: "Cast" input: "x"
       attr { key: "SrcT" value { type: DT_FLOAT } } attr { key: "DstT" value { type: DT_STRING } } }
)";

// The text between `marker` and the next "---- " marker (or the end).
std::string Section(const std::string& ir, const std::string& marker) {
  const size_t start = ir.find(marker);
  if (start == std::string::npos) return "";
  const size_t body = start + marker.size();
  const size_t next = ir.find("---- ", body);
  return ir.substr(body, next == std::string::npos ? std::string::npos : next - body);
}

class StrataCompileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "strata_compile_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    model_ = Path("dense.pbtxt");
    std::ofstream(model_) << kDenseModel;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  CliResult Run(const std::vector<std::string>& args) { return testing_util::RunCli(STRATA_CLI_PATH, args, dir_); }

  std::string dir_, model_;
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

TEST_F(StrataCompileTest, DenseModelEmitsMlirOfEachStage) {
  CliResult r = Run({"compile", model_, "--feed", "x:float32[2,4]", "--fetch", "y", "--emit=mlir"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, StartsWith("// ---- lowered ----\n"));
  const std::string lowered = Section(r.out, "// ---- lowered ----");
  const std::string fused = Section(r.out, "// ---- fused ----");
  const std::string bufferized = Section(r.out, "// ---- bufferized ----");
  // As lowered: one function on tensors, the matmul as linalg with the fed static shape.
  EXPECT_THAT(lowered, HasSubstr("func.func"));
  EXPECT_THAT(lowered, HasSubstr("linalg"));
  EXPECT_THAT(lowered, HasSubstr("2x4xf32"));
  EXPECT_THAT(lowered, HasSubstr("4x3xf32"));
  EXPECT_THAT(fused, HasSubstr("func.func"));
  EXPECT_NE(fused, lowered);  // the pipeline ran between the two
  // After bufferization the code works on memrefs.
  EXPECT_THAT(bufferized, HasSubstr("func.func"));
  EXPECT_THAT(bufferized, HasSubstr("memref"));
  EXPECT_THAT(r.out, Not(HasSubstr("; ---- llvm ----")));
}

TEST_F(StrataCompileTest, SpecializesToTheFedShape) {
  CliResult r = Run({"compile", model_, "--feed", "x:0:float32[5,4]", "--fetch", "y:0", "--emit", "mlir"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Section(r.out, "// ---- lowered ----"), HasSubstr("5x4xf32"));
  EXPECT_THAT(r.out, Not(HasSubstr("2x4xf32")));
}

TEST_F(StrataCompileTest, DenseModelEmitsLlvm) {
  CliResult r = Run({"compile", model_, "--feed", "x:float32[2,4]", "--fetch", "y", "--emit=llvm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("; ---- llvm ----\n"));
  EXPECT_THAT(r.out, HasSubstr("define "));
  EXPECT_THAT(r.out, Not(HasSubstr("// ---- lowered ----")));
  EXPECT_THAT(r.out, Not(HasSubstr("func.func")));
}

TEST_F(StrataCompileTest, TfAddEmitsMlirAndLlvm) {
  // x_const fed: the add is computed, not folded.
  CliResult r = Run({"compile", kTfAdd, "--feed", "x_const:int32[1]", "--fetch", "x_y_sum", "--emit=mlir"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string lowered = Section(r.out, "// ---- lowered ----");
  EXPECT_THAT(lowered, HasSubstr("func.func"));
  EXPECT_THAT(lowered, HasSubstr("linalg"));
  EXPECT_THAT(lowered, HasSubstr("1xi32"));
  EXPECT_THAT(r.out, HasSubstr("// ---- fused ----"));
  EXPECT_THAT(r.out, HasSubstr("// ---- bufferized ----"));

  CliResult llvm = Run({"compile", kTfAdd, "--feed", "x_const:int32[1]", "--fetch", "x_y_sum", "--emit=llvm"});
  ASSERT_EQ(llvm.exit_code, 0) << llvm.err;
  EXPECT_THAT(llvm.out, HasSubstr("define "));
}

TEST_F(StrataCompileTest, FullyFoldedModelStillHasIr) {
  // Nothing fed: the sum is a compile-time constant, yet there is a function to look at.
  CliResult r = Run({"compile", kTfAdd, "--fetch", "x_y_sum", "--emit=mlir"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string lowered = Section(r.out, "// ---- lowered ----");
  EXPECT_THAT(lowered, HasSubstr("func.func"));
  EXPECT_THAT(lowered, HasSubstr("dense<3> : tensor<1xi32>"));  // 1 + 2, folded
  EXPECT_THAT(r.out, HasSubstr("// ---- bufferized ----"));
}

TEST_F(StrataCompileTest, OutputFlagWritesTheFile) {
  const std::string out = Path("dense.ll");
  CliResult r = Run({"compile", model_, "--feed", "x:float32[2,4]", "--fetch", "y", "--emit=llvm", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  const std::string written = ReadFile(out);
  EXPECT_THAT(written, StartsWith("; ---- llvm ----\n"));
  EXPECT_THAT(written, HasSubstr("define "));

  const std::string mlir = Path("dense.mlir");
  CliResult m = Run({"compile", model_, "--feed", "x:float32[2,4]", "--fetch", "y", "--emit=mlir", "--out", mlir});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(m.out, "");
  EXPECT_THAT(ReadFile(mlir), HasSubstr("func.func"));
}

TEST_F(StrataCompileTest, HelpDescribesTheVerb) {
  CliResult r = Run({"help", "compile"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("usage: strata compile MODEL"));
  EXPECT_THAT(r.out, HasSubstr("--emit"));
  CliResult r2 = Run({"compile", "--help"});
  EXPECT_EQ(r2.out, r.out);
  CliResult list = Run({"help"});
  EXPECT_THAT(list.out, HasSubstr("  compile "));
}

TEST_F(StrataCompileTest, ErrorsAreOneLine) {
  const std::string feed = "x:float32[2,4]";
  ExpectOneLineError(Run({"compile", "--fetch", "y", "--emit=mlir"}), "missing MODEL");
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--fetch", "y"}), "missing --emit");
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--fetch", "y", "--emit=asm"}), "--emit expects mlir or llvm, got 'asm'");
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--emit=mlir"}), "at least one --fetch");
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--fetch", "nope", "--emit=mlir"}), "nope");
  ExpectOneLineError(Run({"compile", model_, "--fetch", "y", "--emit=mlir"}), "'x'");
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--fetch", "needs_unfed", "--emit=mlir"}), "unfed");
  ExpectOneLineError(Run({"compile", model_, "--feed", "x=float32[2,4]", "--fetch", "y", "--emit=mlir"}),
                     "NAME:DTYPE[d0,d1,...]");
  ExpectOneLineError(Run({"compile", model_, "--feed", "x:float32", "--fetch", "y", "--emit=mlir"}),
                     "NAME:DTYPE[d0,d1,...]");
  ExpectOneLineError(Run({"compile", model_, "--feed", "x:float32[2,a]", "--fetch", "y", "--emit=mlir"}), "dim 'a'");
  ExpectOneLineError(Run({"compile", model_, "--feed", "x:float32[2,-1]", "--fetch", "y", "--emit=mlir"}), "dim '-1'");
  ExpectOneLineError(Run({"compile", model_, "--feed", "x:float99[2,4]", "--fetch", "y", "--emit=mlir"}),
                     "unknown dtype 'float99'");
  ExpectOneLineError(Run({"compile", model_, "--feed", "x:int32[2,4]", "--fetch", "y", "--emit=mlir"}), "feed 'x'");
  ExpectOneLineError(Run({"compile", model_, "--feed", "x:float32[2,5]", "--fetch", "y", "--emit=mlir"}), "feed 'x'");
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--fetch"}), "'--fetch' needs a value");
  // A Cast to string has no lowering: the error names the node.
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--fetch", "to_string", "--emit=mlir"}),
                     "node 'to_string' (Cast)");
  ExpectOneLineError(Run({"compile", Path("missing.pbtxt"), "--fetch", "y", "--emit=mlir"}), "missing.pbtxt");
  ExpectOneLineError(Run({"compile", model_, "--feed", feed, "--fetch", "y", "--emit=mlir", "-o", Path("no/such/dir/x")}),
                     "no/such/dir/x");
}

}  // namespace
}  // namespace strata
