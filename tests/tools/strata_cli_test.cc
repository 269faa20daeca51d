// Runs the real `strata` binary (STRATA_CLI_PATH) as a user would and checks what it prints,
// what it writes and its exit code. Broken inputs are generated here, not committed.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing_util::CliResult;
using testing_util::ReadFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kTfAdd = STRATA_SOURCE_DIR "/tests/data/tfadd.pbtxt";
const std::string kScalarInput = STRATA_SOURCE_DIR "/tests/data/scalar_input.pbtxt";
const std::string kUnknownOp = STRATA_SOURCE_DIR "/tests/data/tfunknownop.pbtxt";

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class StrataCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "strata_cli_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  CliResult Run(const std::vector<std::string>& args) { return testing_util::RunCli(STRATA_CLI_PATH, args, dir_); }

  // A binary .pb of the TensorFlow test graph, written with strata's own writer.
  std::string TfAddBinary() {
    absl::StatusOr<tf::GraphDef> def = ReadGraphDefFile(kTfAdd);
    EXPECT_TRUE(def.ok()) << def.status();
    std::string path = Path("tfadd.pb");
    EXPECT_TRUE(WriteGraphDefFile(*def, path).ok());
    return path;
  }

  std::string dir_;
};

// Exit code 1, nothing on stdout, and exactly one stderr line "strata: error: ..." that
// contains `what` (case-insensitive).
void ExpectOneLineError(const CliResult& r, const std::string& what) {
  EXPECT_FALSE(r.crashed) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("strata: error: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(absl::EndsWith(r.err, "\n")) << r.err;
  EXPECT_THAT(absl::AsciiStrToLower(r.err), HasSubstr(absl::AsciiStrToLower(what)));
}

// --- help ---

TEST_F(StrataCliTest, NoArgumentsPrintsUsage) {
  CliResult r = Run({});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("usage: strata <command>"));
  EXPECT_THAT(r.out, HasSubstr("  inspect "));
  EXPECT_THAT(r.out, HasSubstr("  convert "));
  EXPECT_EQ(r.err, "");
}

TEST_F(StrataCliTest, HelpSpellingsPrintTheSameUsage) {
  std::string usage = Run({}).out;
  EXPECT_EQ(Run({"help"}).out, usage);
  EXPECT_EQ(Run({"--help"}).out, usage);
  EXPECT_EQ(Run({"-h"}).out, usage);
}

TEST_F(StrataCliTest, VerbHelp) {
  CliResult r = Run({"help", "inspect"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("usage: strata inspect MODEL"));
  EXPECT_THAT(r.out, HasSubstr("--dot"));
  EXPECT_EQ(Run({"inspect", "--help"}).out, r.out);
  CliResult c = Run({"convert", "-h"});
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_THAT(c.out, StartsWith("usage: strata convert IN -o OUT"));
}

TEST_F(StrataCliTest, UnknownCommand) { ExpectOneLineError(Run({"frobnicate"}), "unknown command 'frobnicate'"); }
TEST_F(StrataCliTest, UnknownTopLevelFlag) { ExpectOneLineError(Run({"--frobnicate"}), "'--frobnicate'"); }
TEST_F(StrataCliTest, HelpForUnknownCommand) { ExpectOneLineError(Run({"help", "nope"}), "'nope'"); }

// --- inspect ---

TEST_F(StrataCliTest, InspectTensorFlowTfAdd) {
  CliResult r = Run({"inspect", kTfAdd});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "model: " + kTfAdd + "\n" +
                       "nodes: 3\n"
                       "ops (2 distinct):\n"
                       "  Const  2\n"
                       "  Add    1\n"
                       "inputs (0): none\n"
                       "outputs (1):\n"
                       "  x_y_sum  int32 [1]  (Add)\n");
}

TEST_F(StrataCliTest, InspectPlaceholderGraphWithShapes) {
  CliResult r = Run({"inspect", kScalarInput, "--shapes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nodes: 3\n"));
  EXPECT_THAT(r.out, HasSubstr("ops (3 distinct):\n  IdentityN    1\n  Placeholder  1\n  Relu         1\n"));
  EXPECT_THAT(r.out, HasSubstr("inputs (1):\n  input  float32 [1]  (Placeholder)\n"));
  EXPECT_THAT(r.out, HasSubstr("outputs (1):\n  out    float32 [1]  (IdentityN)\n"
                               "  out:1  float32 [1]  (IdentityN)\n"));
  EXPECT_THAT(r.out, HasSubstr("shapes:\n"
                               "  input  Placeholder  float32 [1]\n"
                               "  Relu   Relu         float32 [1]\n"
                               "  out    IdentityN    float32 [1], float32 [1]\n"));
}

TEST_F(StrataCliTest, InspectBinaryModelMatchesText) {
  std::string pb = TfAddBinary();
  CliResult text = Run({"inspect", kTfAdd});
  CliResult binary = Run({"inspect", pb});
  ASSERT_EQ(binary.exit_code, 0) << binary.err;
  // Identical apart from the first line, which names the file.
  EXPECT_EQ(binary.out.substr(binary.out.find('\n')), text.out.substr(text.out.find('\n')));
}

TEST_F(StrataCliTest, InspectWritesDot) {
  std::string dot = Path("graph.dot");
  CliResult r = Run({"inspect", kTfAdd, "--dot", dot});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = ReadFile(dot);
  EXPECT_THAT(text, StartsWith("digraph"));
  EXPECT_THAT(text, HasSubstr("[label=\"x_y_sum\\nAdd\"]"));
  EXPECT_THAT(text, HasSubstr("[label=\"[1]\"]"));
  // --dot=FILE spelling too.
  std::string dot2 = Path("graph2.dot");
  ASSERT_EQ(Run({"inspect", "--dot=" + dot2, kTfAdd}).exit_code, 0);
  EXPECT_EQ(ReadFile(dot2), text);
}

TEST_F(StrataCliTest, InspectDotToUnwritablePath) {
  ExpectOneLineError(Run({"inspect", kTfAdd, "--dot", Path("no_such_dir/graph.dot")}), "no_such_dir/graph.dot");
}

// --- convert ---

TEST_F(StrataCliTest, ConvertRoundTripIsIdentical) {
  std::string a_pb = Path("a.pb"), b_txt = Path("b.pbtxt"), c_pb = Path("c.pb"), d_txt = Path("d.pbtxt");
  CliResult r = Run({"convert", kTfAdd, "-o", a_pb});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + a_pb + " (3 nodes)\n");
  ASSERT_EQ(Run({"convert", a_pb, "-o", b_txt}).exit_code, 0);
  ASSERT_EQ(Run({"convert", b_txt, "--output", c_pb}).exit_code, 0);
  ASSERT_EQ(Run({"convert", kTfAdd, "-o", d_txt}).exit_code, 0);

  // pbtxt -> pb -> pbtxt gives the same text as pbtxt -> pbtxt, and pb -> pbtxt -> pb the same bytes.
  std::string b = ReadFile(b_txt);
  EXPECT_EQ(b, ReadFile(d_txt));
  EXPECT_EQ(ReadFile(a_pb), ReadFile(c_pb));
  EXPECT_THAT(b, HasSubstr("name: \"x_y_sum\""));
  // Text really is text and binary really is binary.
  absl::StatusOr<tf::GraphDef> from_text = ParseGraphDefText(b);
  ASSERT_TRUE(from_text.ok()) << from_text.status();
  EXPECT_EQ(from_text->node_size(), 3);
  absl::StatusOr<tf::GraphDef> from_binary = ParseGraphDefBinary(ReadFile(a_pb));
  ASSERT_TRUE(from_binary.ok()) << from_binary.status();
  EXPECT_EQ(from_binary->node_size(), 3);
  EXPECT_EQ(from_binary->versions().producer(), 15);
}

TEST_F(StrataCliTest, ConvertNeedsOutput) { ExpectOneLineError(Run({"convert", kTfAdd}), "-o OUT"); }
TEST_F(StrataCliTest, ConvertNeedsInput) { ExpectOneLineError(Run({"convert", "-o", Path("x.pb")}), "missing IN"); }

TEST_F(StrataCliTest, ConvertRejectsUnknownOutputExtension) {
  ExpectOneLineError(Run({"convert", kTfAdd, "-o", Path("out.model")}), "out.model");
  EXPECT_FALSE(fs::exists(Path("out.model")));
}

TEST_F(StrataCliTest, ConvertValidatesUnlessTold) {
  std::string out = Path("out.pb");
  ExpectOneLineError(Run({"convert", kUnknownOp, "-o", out}), "SomeUnknownOp");
  EXPECT_FALSE(fs::exists(out));
  CliResult r = Run({"convert", kUnknownOp, "-o", out, "--no-validate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<tf::GraphDef> def = ParseGraphDefBinary(ReadFile(out));
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->node_size(), 5);
}

// --- errors: each one line, exit 1, naming the problem ---

TEST_F(StrataCliTest, MissingFile) {
  std::string path = Path("missing.pb");
  ExpectOneLineError(Run({"inspect", path}), path);
  ExpectOneLineError(Run({"convert", path, "-o", Path("x.pbtxt")}), path);
}

TEST_F(StrataCliTest, Directory) { ExpectOneLineError(Run({"inspect", dir_}), dir_); }

TEST_F(StrataCliTest, EmptyFiles) {
  for (const char* name : {"empty.pb", "empty.pbtxt"}) {
    WriteFile(Path(name), "");
    ExpectOneLineError(Run({"inspect", Path(name)}), "empty");
  }
}

TEST_F(StrataCliTest, TruncatedBinary) {
  std::string full = ReadFile(TfAddBinary());
  std::string half = full.substr(0, full.size() / 2);
  ASSERT_FALSE(ParseGraphDefBinary(half).ok()) << "cut point happens to be a message boundary";
  WriteFile(Path("truncated.pb"), half);
  ExpectOneLineError(Run({"inspect", Path("truncated.pb")}), "truncated.pb");
}

TEST_F(StrataCliTest, RandomBytes) {
  std::mt19937 rng(20240601);
  std::string bytes(512, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  ASSERT_FALSE(ParseGraphDefBinary(bytes).ok()) << "these bytes happen to parse";
  WriteFile(Path("random.pb"), bytes);
  ExpectOneLineError(Run({"inspect", Path("random.pb")}), "random.pb");
  ExpectOneLineError(Run({"convert", Path("random.pb"), "-o", Path("r.pbtxt")}), "random.pb");
}

TEST_F(StrataCliTest, TextSyntaxError) {
  WriteFile(Path("bad.pbtxt"), "node {\n  name: \"a\"\n  op: \"Const\"\n  attr {\n");
  ExpectOneLineError(Run({"inspect", Path("bad.pbtxt")}), "bad.pbtxt");
  WriteFile(Path("bad2.pbtxt"), "node { name: \"a\" op: \"NoOp\" }\nbogus_field: 3\n");
  ExpectOneLineError(Run({"inspect", Path("bad2.pbtxt")}), "bad2.pbtxt");
}

TEST_F(StrataCliTest, UnknownOpIsNamed) {
  ExpectOneLineError(Run({"inspect", kUnknownOp}), "SomeUnknownOp");
}

TEST_F(StrataCliTest, DanglingInputIsNamed) {
  WriteFile(Path("dangling.pbtxt"),
            "node { name: \"r\" op: \"Relu\" input: \"nowhere\" attr { key: \"T\" value { type: DT_FLOAT } } }\n");
  CliResult r = Run({"inspect", Path("dangling.pbtxt")});
  ExpectOneLineError(r, "nowhere");
  EXPECT_THAT(r.err, HasSubstr("dangling.pbtxt"));
}

TEST_F(StrataCliTest, CycleIsRejected) {
  WriteFile(Path("cycle.pbtxt"), R"pb(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "a" op: "Add" input: "x" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "b" op: "Identity" input: "a" attr { key: "T" value { type: DT_FLOAT } } }
  )pb");
  ExpectOneLineError(Run({"inspect", Path("cycle.pbtxt")}), "cycle");
}

TEST_F(StrataCliTest, UnknownFlag) {
  ExpectOneLineError(Run({"inspect", kTfAdd, "--bogus"}), "unknown flag '--bogus'");
  ExpectOneLineError(Run({"convert", kTfAdd, "-o", Path("x.pb"), "-x"}), "unknown flag '-x'");
}

TEST_F(StrataCliTest, MissingArguments) {
  ExpectOneLineError(Run({"inspect"}), "missing MODEL");
  ExpectOneLineError(Run({"inspect", kTfAdd, "--dot"}), "'--dot' needs a value");
  ExpectOneLineError(Run({"convert", kTfAdd, "-o"}), "'-o' needs a value");
  ExpectOneLineError(Run({"inspect", kTfAdd, "extra"}), "unexpected argument 'extra'");
  ExpectOneLineError(Run({"inspect", kTfAdd, "--shapes=yes"}), "takes no value");
}

}  // namespace
}  // namespace strata
