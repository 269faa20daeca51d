// `strata compile` ahead of time, through the real program: one-line errors naming the node for
// bad inputs; a graph compiled, linked by the system compiler at test time (object + runtime
// archive, and --out_library) and compared with Session::Run; libstrata_aot_runtime's
// dependencies. Also the hook for real models: STRATA_AOT_MODEL (see RealModelFromEnvironment).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/aot/aot_test_util.h"

namespace strata::aot_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kCli = STRATA_CLI_PATH;
const std::string kGraphs = AOT_GRAPHS_DIR;
const std::string kSource = STRATA_SOURCE_DIR;

// Graphs the errors need: a Cast to string (no lowering), a variable, an unknown op.
constexpr char kBadOpsModel[] = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: -1 } dim { size: 2 } } } } }
node { name: "to_string" op: "Cast" input: "x"
       attr { key: "SrcT" value { type: DT_FLOAT } } attr { key: "DstT" value { type: DT_STRING } } }
node { name: "w" op: "VariableV2" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 2 } dim { size: 2 } } } } }
node { name: "mm" op: "MatMul" input: "x" input: "w" }
node { name: "ok" op: "Relu" input: "x" }
)";

class AotCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("aot_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteFile(Path("bad_ops.pbtxt"), kBadOpsModel);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // `strata compile MODEL ARGS --cpp_class t::M --out_object ... --out_header ...`
  CommandResult Compile(const std::string& model, const std::string& args, const std::string& out = "m") {
    return RunCommand(absl::StrCat(ShellQuote(kCli), " compile ", ShellQuote(model), " ", args, " --cpp_class t::M",
                                   " --out_object ", ShellQuote(Path(out + ".o")), " --out_header ", ShellQuote(Path(out + ".h"))));
  }
  // Exit code 1, exactly one line "strata: error: ..." containing every piece.
  void ExpectOneLineError(const CommandResult& r, const std::vector<std::string>& pieces) {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_THAT(r.output, StartsWith("strata: error: "));
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    for (const std::string& p : pieces) EXPECT_THAT(r.output, HasSubstr(p));
    EXPECT_FALSE(fs::exists(Path("m.o")));
  }
  // Compiles the generic driver against HEADER in the test's folder with the system compiler.
  CommandResult BuildDriver(const std::string& header, const std::string& cpp_class, const std::string& link) {
    return aot_test::BuildDriver(AOT_CXX, dir_.string(), header, cpp_class, link);
  }
  fs::path dir_;
};

TEST_F(AotCliTest, UnfedPlaceholderNamesIt) {
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", "--fetch probs"), {"'x'", "fed"});
}

TEST_F(AotCliTest, UnknownFetchNamesIt) {
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", "--feed x:float32[1,100] --fetch no_such_node"), {"no_such_node"});
}

TEST_F(AotCliTest, UnsupportedOpNamesTheNode) {
  ExpectOneLineError(Compile(Path("bad_ops.pbtxt"), "--feed x:float32[1,2] --fetch to_string"), {"to_string", "Cast"});
  ExpectOneLineError(Compile(kSource + "/tests/data/tfunknownop.pbtxt", "--fetch z"), {"SomeUnknownOp", "node z"});
}

TEST_F(AotCliTest, InvalidShapesAreErrors) {
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", "--feed x:float32[1,99] --fetch probs"), {"x", "100"});
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", "--feed x:float32[-1,100] --fetch probs"), {"x:float32[-1,100]"});
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", "--feed x:int32[1,100] --fetch probs"), {"x", "float"});
  WriteFile(Path("unknown_dim.pbtxt"), "feed { id { node_name: \"x\" } shape { dim { size: -1 } dim { size: 100 } } }\n"
                                       "fetch { id { node_name: \"probs\" } }\n");
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", "--config " + Path("unknown_dim.pbtxt")), {"feed x", "unknown dim"});
}

TEST_F(AotCliTest, VariablesMustBeFrozen) {
  ExpectOneLineError(Compile(Path("bad_ops.pbtxt"), "--feed x:float32[1,2] --fetch mm"), {"'w' (VariableV2)", "freeze"});
}

TEST_F(AotCliTest, BadFlagsAreErrors) {
  const std::string feed = "--feed x:float32[1,100] --fetch probs";
  ExpectOneLineError(RunCommand(absl::StrCat(ShellQuote(kCli), " compile ", kGraphs, "/mlp.pb ", feed, " --cpp_class 9lives::M",
                                             " --out_object ", Path("m.o"), " --out_header ", Path("m.h"))),
                     {"9lives"});
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", feed + " --target_cpu pentium99"), {"pentium99"});
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", feed + " --weights external"), {"--out_weights"});
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", feed + " --weights inline"), {"inline"});
  ExpectOneLineError(RunCommand(absl::StrCat(ShellQuote(kCli), " compile ", kGraphs, "/mlp.pb ", feed, " --cpp_class t::M")),
                     {"--out_object"});
  ExpectOneLineError(Compile(kGraphs + "/mlp.pb", feed + " --config " + Path("none.pbtxt")), {"not both"});
}

TEST_F(AotCliTest, EmitStillPrintsIr) {
  CommandResult r = RunCommand(absl::StrCat(ShellQuote(kCli), " compile ", kGraphs, "/mlp.pb --feed x:float32[1,100] --fetch probs --emit=llvm"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("; ---- llvm ----"));
}

// Compiles multi.pb from flags, builds the generic driver with the system compiler against the
// object and the runtime archive, runs it and compares every fetch with Session::Run.
TEST_F(AotCliTest, ProgramBuiltWithTheSystemCompilerMatchesSessionRun) {
  CommandResult r = Compile(kGraphs + "/multi.pb",
                            "--feed a:float32[2,3] --feed b:float32[3] --feed idx:int32[4] --feed mask:bool[2,3] "
                            "--fetch sum --fetch gathered --fetch count --fetch both --fetch rows:1 --fetch a");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("strata_aot_t_M_run"));
  const std::string header = ReadFile(Path("m.h"));
  EXPECT_THAT(header, HasSubstr("namespace t {"));
  EXPECT_THAT(header, HasSubstr("class M {"));
  EXPECT_THAT(header, HasSubstr("static constexpr std::array<int64_t, 2> kArg_a_shape = {2, 3};"));
  EXPECT_THAT(header, HasSubstr("int32_t* arg_idx_data()"));
  EXPECT_THAT(header, HasSubstr("bool* arg_mask_data()"));
  EXPECT_THAT(header, HasSubstr("static constexpr int kResult_rows_1 = 4;"));
  EXPECT_THAT(header, HasSubstr("static constexpr int kResult_count_rank = 0;"));

  r = BuildDriver("m.h", "t::M", absl::StrCat(ShellQuote(Path("m.o")), " ", ShellQuote(AOT_RUNTIME_ARCHIVE)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::pair<std::string, Tensor>> feeds = {
      {"a", MakeInput(DT_FLOAT, Shape{2, 3}, 1)},
      {"b", MakeInput(DT_FLOAT, Shape{3}, 2)},
      {"idx", Tensor::FromVector<int32_t>({4, 0, 3, 3}, Shape{4})},
      {"mask", MakeInput(DT_BOOL, Shape{2, 3}, 3)}};
  std::vector<Tensor> args;
  for (const auto& [name, value] : feeds) args.push_back(value);
  WriteDriverArgs(dir_.string(), args);
  r = RunCommand(ShellQuote(Path("driver")) + " " + ShellQuote(dir_.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> fetches = {"sum", "gathered", "count", "both", "rows:1", "a"};
  absl::StatusOr<std::vector<Tensor>> expected = RunSession(kGraphs + "/multi.pb", feeds, fetches);
  ASSERT_TRUE(expected.ok()) << expected.status();
  for (size_t j = 0; j < fetches.size(); ++j) {
    const std::string got = ReadFile(Path(absl::StrCat("result", j, ".bin")));
    ASSERT_EQ(got.size(), (*expected)[j].byte_size()) << fetches[j];
    EXPECT_EQ(Compare(got.data(), (*expected)[j]), "") << fetches[j];
  }

  // An out-of-range gather index: the driver gets false from Run() and the node's message.
  const Tensor bad = Tensor::FromVector<int32_t>({0, 9, 0, 0}, Shape{4});
  WriteFile(Path("arg2.bin"), std::string(static_cast<const char*>(bad.raw_data()), bad.byte_size()));
  r = RunCommand(ShellQuote(Path("driver")) + " " + ShellQuote(dir_.string()));
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.output, HasSubstr("gathered"));
}

// The arena is measured by running the object in the compiler; for a CPU this host cannot run
// (sapphirerapids has AMX and AVX512-FP16, which few hosts have) the same optimized code is
// compiled for the host instead. Both give the plan the native build measures.
TEST_F(AotCliTest, ArenaPlanIsTheSameForEveryTargetCpu) {
  auto arena_of = [&](const std::string& cpu) {
    CommandResult r = Compile(kGraphs + "/cnn.pb", "--feed x:float32[32,24,24,1] --fetch probs --target_cpu " + cpu, cpu);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const size_t at = r.output.find(", arena ");
    return at == std::string::npos ? std::string("?") : r.output.substr(at, r.output.find(" per thread") - at);
  };
  const std::string native = arena_of("native");
  EXPECT_THAT(native, StartsWith(", arena "));
  EXPECT_NE(native, ", arena 0 + 0");
  EXPECT_EQ(arena_of("x86-64-v3"), native);
  EXPECT_EQ(arena_of("sapphirerapids"), native);
}

// --out_library with external weights: a shared library that exports the entry point and the
// runtime; a program linked against it alone runs the model.
TEST_F(AotCliTest, SharedLibraryWithExternalWeights) {
  CommandResult r = Compile(kGraphs + "/mlp.pb",
                            absl::StrCat("--feed x:float32[2,100] --fetch probs --target_cpu x86-64-v3 --weights external",
                                         " --out_weights ", ShellQuote(Path("m.weights")), " --out_library ",
                                         ShellQuote(Path("libm.so"))));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("x86-64-v3"));
  EXPECT_THAT(r.output, HasSubstr("external"));
  r = RunCommand("nm -D --defined-only " + ShellQuote(Path("libm.so")));
  EXPECT_THAT(r.output, HasSubstr(" T strata_aot_t_M_run"));
  EXPECT_THAT(r.output, HasSubstr("strata_aot_alloc"));

  r = BuildDriver("m.h", "t::M", ShellQuote(Path("libm.so")) + " -Wl,-rpath," + ShellQuote(dir_.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Tensor x = MakeInput(DT_FLOAT, Shape{2, 100}, 5);
  WriteFile(Path("arg0.bin"), std::string(static_cast<const char*>(x.raw_data()), x.byte_size()));
  r = RunCommand(ShellQuote(Path("driver")) + " " + ShellQuote(dir_.string()) + " " + ShellQuote(Path("m.weights")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<std::vector<Tensor>> expected = RunSession(kGraphs + "/mlp.pb", {{"x", x}}, {"probs"});
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(Compare(ReadFile(Path("result0.bin")).data(), (*expected)[0]), "");
  // A truncated weights file is an error message, not a crash.
  WriteFile(Path("short.weights"), ReadFile(Path("m.weights")).substr(0, 5000));
  r = RunCommand(ShellQuote(Path("driver")) + " " + ShellQuote(dir_.string()) + " " + ShellQuote(Path("short.weights")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.output, HasSubstr("truncated"));
}

// The runtime archive references nothing of MLIR, LLVM, protobuf or abseil, and a program that
// links artifacts needs only the C/C++ runtime libraries.
TEST(AotRuntimeDepsTest, RuntimeNeedsOnlyLibcLibstdcxxAndLibm) {
  CommandResult r = RunCommand(absl::StrCat("nm -u -C ", ShellQuote(AOT_RUNTIME_ARCHIVE)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pthread"));  // it did list something
  for (const char* forbidden : {"mlir", "llvm", "google::protobuf", "absl", "strata::Tensor", "strata::Graph"}) {
    EXPECT_THAT(r.output, Not(HasSubstr(forbidden))) << forbidden;
  }
  r = RunCommand(absl::StrCat("ldd ", ShellQuote(AOT_NO_ALLOC_CHECK)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::set<std::string> allowed = {"linux-vdso.so.1", "libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "libc.so.6"};
  for (absl::string_view line : absl::StrSplit(r.output, '\n', absl::SkipWhitespace())) {
    std::string lib(absl::StripLeadingAsciiWhitespace(line));
    lib = lib.substr(0, lib.find(' '));
    if (lib.find("ld-linux") != std::string::npos) continue;
    EXPECT_TRUE(allowed.count(lib)) << "unexpected dependency: " << line;
  }
}

TEST(AotNoAllocTest, RunAllocatesNothing) {
  CommandResult r = RunCommand(ShellQuote(AOT_NO_ALLOC_CHECK));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("OK: Run() allocated nothing"));
}

// The hook for real models (../shared/realmodels once the importer lands, the trained
// Fashion-MNIST models once training does): compiles any model, builds the generic driver,
// runs it on deterministic inputs and compares every fetch with Session::Run.
//   STRATA_AOT_MODEL=path/model.pb STRATA_AOT_FEEDS='x:float32[1,784];...'
//   STRATA_AOT_FETCHES='probs;...' [STRATA_AOT_TARGET_CPU=x86-64-v3] [STRATA_AOT_RTOL=1e-4]
//   (environment of aot_cli_test --gtest_filter=*RealModel*)
TEST_F(AotCliTest, RealModelFromEnvironment) {
  const char* model = std::getenv("STRATA_AOT_MODEL");
  if (model == nullptr) GTEST_SKIP() << "set STRATA_AOT_MODEL, STRATA_AOT_FEEDS and STRATA_AOT_FETCHES to compile a model";
  const char* feeds_env = std::getenv("STRATA_AOT_FEEDS");
  const char* fetches_env = std::getenv("STRATA_AOT_FETCHES");
  ASSERT_NE(fetches_env, nullptr) << "STRATA_AOT_FETCHES is required";
  const std::vector<std::string> feed_specs = absl::StrSplit(feeds_env ? feeds_env : "", ';', absl::SkipEmpty());
  const std::vector<std::string> fetches = absl::StrSplit(fetches_env, ';', absl::SkipEmpty());
  std::string args;
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < feed_specs.size(); ++i) {
    absl::StrAppend(&args, " --feed ", ShellQuote(feed_specs[i]));
    // NAME:DTYPE[d0,...]
    const std::string& spec = feed_specs[i];
    const size_t open = spec.find('['), colon = spec.rfind(':', open);
    absl::StatusOr<DType> dtype = DTypeFromName(spec.substr(colon + 1, open - colon - 1));
    ASSERT_TRUE(dtype.ok()) << spec;
    std::vector<int64_t> dims;
    for (absl::string_view d : absl::StrSplit(spec.substr(open + 1, spec.size() - open - 2), ',', absl::SkipEmpty())) {
      dims.push_back(std::stoll(std::string(d)));
    }
    feeds.emplace_back(spec.substr(0, colon), MakeInput(*dtype, Shape(dims), 42 + i));
  }
  for (const std::string& f : fetches) absl::StrAppend(&args, " --fetch ", ShellQuote(f));
  if (const char* cpu = std::getenv("STRATA_AOT_TARGET_CPU")) absl::StrAppend(&args, " --target_cpu ", cpu);
  CommandResult r = Compile(model, args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::printf("%s", r.output.c_str());
  r = BuildDriver("m.h", "t::M", absl::StrCat(ShellQuote(Path("m.o")), " ", ShellQuote(AOT_RUNTIME_ARCHIVE)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<Tensor> inputs;
  for (const auto& [name, value] : feeds) inputs.push_back(value);
  WriteDriverArgs(dir_.string(), inputs);
  r = RunCommand(ShellQuote(Path("driver")) + " " + ShellQuote(dir_.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<std::vector<Tensor>> expected = RunSession(model, feeds, fetches);
  ASSERT_TRUE(expected.ok()) << expected.status();
  const double rtol = std::getenv("STRATA_AOT_RTOL") ? std::atof(std::getenv("STRATA_AOT_RTOL")) : 1e-4;
  for (size_t j = 0; j < fetches.size(); ++j) {
    const std::string got = ReadFile(Path(absl::StrCat("result", j, ".bin")));
    ASSERT_EQ(got.size(), (*expected)[j].byte_size()) << fetches[j];
    EXPECT_EQ(Compare(got.data(), (*expected)[j], rtol, rtol), "") << fetches[j];
  }
}

}  // namespace
}  // namespace strata::aot_test
