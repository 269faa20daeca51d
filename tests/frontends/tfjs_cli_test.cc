// The `strata` CLI (STRATA_CLI_PATH) on a TF.js graph model: inspect, convert to .pb and
// .pbtxt, run from model.json and from the converted .pb, and the one-line errors for a
// broken model.
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "graph/npy.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// y = x * w + b with w = [2, -1] (float16) and b = [0.5, 1.5] (uint8: v * 0.5 + 0.5).
constexpr char kModelJson[] = R"({"format": "graph-model", "modelTopology": {"node": [
  {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"},
    "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}}},
  {"name": "w", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"},
    "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}]}}}}},
  {"name": "b", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"},
    "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}]}}}}},
  {"name": "xw", "op": "Mul", "input": ["x", "w"], "attr": {"T": {"type": "DT_FLOAT"}}},
  {"name": "y", "op": "AddV2", "input": ["xw", "b"], "attr": {"T": {"type": "DT_FLOAT"}}}],
  "versions": {"producer": 808}},
 "weightsManifest": [{"paths": ["weights.bin"], "weights": [
  {"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}},
  {"name": "b", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": 0.5}}]}]})";

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TfjsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "tfjs_cli_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(Path("model.json")) << kModelJson;
    const uint16_t w[] = {0x4000, 0xBC00};  // 2, -1
    const uint8_t b[] = {0, 2};             // 0.5, 1.5
    std::ofstream bin(Path("weights.bin"), std::ios::binary);
    bin.write(reinterpret_cast<const char*>(w), sizeof(w));
    bin.write(reinterpret_cast<const char*>(b), sizeof(b));
    bin.close();
    ASSERT_TRUE(WriteNpy(Tensor::FromVector<float>({1, 2, 3, 4}, Shape{2, 2}), Path("x.npy")).ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  CliResult Cli(const std::string& args) const {
    const std::string out = Path("stdout.txt"), err = Path("stderr.txt");
    const std::string cmd = absl::StrCat(STRATA_CLI_PATH, " ", args, " >", out, " 2>", err);
    CliResult r;
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  std::vector<float> Output(const std::string& out_dir) const {
    absl::StatusOr<Tensor> t = ReadNpy((fs::path(out_dir) / "output_0.npy").string());
    if (!t.ok()) return {};
    auto f = t->flat<float>();
    return std::vector<float>(f.begin(), f.end());
  }

  std::string dir_;
};

TEST_F(TfjsCliTest, InspectReadsModelJson) {
  CliResult r = Cli(Path("model.json"));  // no verb: usage error, not a crash
  EXPECT_NE(r.exit_code, 0);
  r = Cli(absl::StrCat("inspect ", Path("model.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nodes: 5"));
  EXPECT_THAT(r.out, HasSubstr("x  float32 [?,2]  (Placeholder)"));
  EXPECT_THAT(r.out, HasSubstr("y  float32 [?,2]  (AddV2)"));
}

TEST_F(TfjsCliTest, RunFromJsonAndFromTheConvertedPbAgree) {
  // y = [1, 2, 3, 4] * [2, -1] + [0.5, 1.5] = [2.5, -0.5, 6.5, -2.5]
  CliResult r = Cli(absl::StrCat("run ", Path("model.json"), " --feed x=", Path("x.npy"), " --fetch y --out ",
                                 Path("from_json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Output(Path("from_json")), ::testing::ElementsAre(2.5f, -0.5f, 6.5f, -2.5f));

  r = Cli(absl::StrCat("convert ", Path("model.json"), " -o ", Path("model.pb")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(5 nodes)"));
  // The .pb is a frozen GraphDef: the weights are in it, the shards are not needed.
  fs::remove(Path("weights.bin"));
  absl::StatusOr<tf::GraphDef> pb = ReadGraphDefFile(Path("model.pb"));
  ASSERT_TRUE(pb.ok()) << pb.status();
  EXPECT_EQ(pb->node(1).name(), "w");
  EXPECT_TRUE(pb->node(1).attr().at("value").tensor().has_tensor_shape());
  r = Cli(absl::StrCat("run ", Path("model.pb"), " --feed x=", Path("x.npy"), " --fetch y --out ", Path("from_pb"),
                       " --backend reference"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Output(Path("from_pb")), ::testing::ElementsAre(2.5f, -0.5f, 6.5f, -2.5f));

  r = Cli(absl::StrCat("convert ", Path("model.json"), " -o ", Path("model.json.out")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot tell the format"));
}

TEST_F(TfjsCliTest, BrokenModelsFailWithOneLineErrors) {
  fs::resize_file(Path("weights.bin"), 5);
  CliResult r = Cli(absl::StrCat("convert ", Path("model.json"), " -o ", Path("model.pb")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("strata: error: "));
  EXPECT_THAT(r.err, HasSubstr("weight 'b' (float32[2]) needs 2 bytes at offset 4 but only 1 are left"));
  EXPECT_FALSE(fs::exists(Path("model.pb")));

  fs::remove(Path("weights.bin"));
  r = Cli(absl::StrCat("inspect ", Path("model.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot open weight shard"));

  std::ofstream(Path("empty.json")).close();
  r = Cli(absl::StrCat("inspect ", Path("empty.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("empty.json' is empty, not a TF.js model"));
}

}  // namespace
}  // namespace strata
