// The GPU compiler (compiler/gpu/gpu_backend.h): every op of the foundation list compiles to
// PTX for sm_80 and sm_90 and ptxas accepts it; the PTX and the GpuProgram have the structure
// the runtime relies on (targets, entries, bare-pointer params, fma, geometry, buffer sizes,
// constants); bad options and ops without a GPU lowering are errors that name the problem.
// No GPU is needed: kernels are run by the runtime tests on a GPU machine.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "compiler/gpu/gpu_backend.h"
#include "gmock/gmock.h"
#include "graph/shape_inference.h"
#include "gtest/gtest.h"
#include "tests/compiler/gpu_op_cases.h"
#include "tests/compiler/graph_test_util.h"
#include "tests/ptxas_util.h"

namespace strata {
namespace {

using testing_util::Count;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::I32;
using testing_util::Pattern;
using ::testing::HasSubstr;

using testing_util::A;
using testing_util::Feed;
using testing_util::Feeds;
using testing_util::OpCase;
using testing_util::Rand;
using testing_util::Cases;
using testing_util::MoreCases;

absl::StatusOr<gpu::GpuProgram> CompileWith(GraphBuilder& g, const Feeds& feeds, const std::vector<Output>& fetches,
                                            const GpuCompileOptions& options, GpuCompileInfo* info = nullptr) {
  if (!g.status().ok()) return g.status();
  absl::Status s = InferShapes(&g.graph());
  if (!s.ok()) return s;
  CompileRequest request;
  request.graph = &g.graph();
  for (const auto& [o, t] : feeds) request.args.push_back(o);
  request.results = fetches;
  return CompileGpuProgram(request, options, info);
}

// With the default options for `arch`.
absl::StatusOr<gpu::GpuProgram> Compile(GraphBuilder& g, const Feeds& feeds, const std::vector<Output>& fetches,
                                        const std::string& arch = "sm_90", GpuCompileInfo* info = nullptr) {
  GpuCompileOptions options;
  options.cuda_arch = arch;
  return CompileWith(g, feeds, fetches, options, info);
}

using testing_util::FindPtxas;

// Runs ptxas on `ptx`; returns its diagnostics on failure.
::testing::AssertionResult PtxasAccepts(const std::string& ptxas, const std::string& ptx, const std::string& arch,
                                        const std::string& tag) {
  const testing_util::PtxasRun run = testing_util::RunPtxas(ptxas, ptx, arch, tag);
  if (run.exit_code != 0) {
    return ::testing::AssertionFailure() << run.command << " failed (" << run.exit_code << "):\n" << run.output;
  }
  return ::testing::AssertionSuccess();
}

// The .param lines of entry `kernel`.
int EntryParams(const std::string& ptx, const std::string& kernel) {
  const size_t at = ptx.find(absl::StrCat(".entry ", kernel, "("));
  if (at == std::string::npos) return -1;
  const size_t end = ptx.find(')', at);
  return Count(ptx.substr(at, end - at), ".param");
}

int64_t Launches(const gpu::GpuProgram& p) {
  int64_t n = 0;
  for (const gpu::GpuStep& s : p.steps) n += s.kind == gpu::GpuStep::Kind::kLaunch;
  return n;
}

// Structure every program must have: the target, one .entry per launched kernel, one kernel
// param per launch arg, buffers in range with positive sizes.
void ExpectWellFormed(const gpu::GpuProgram& p, const std::string& arch) {
  EXPECT_THAT(p.ptx, HasSubstr(absl::StrCat(".target ", arch)));
  EXPECT_EQ(p.cuda_arch, arch);
  for (const gpu::GpuStep& s : p.steps) {
    if (s.kind != gpu::GpuStep::Kind::kLaunch) continue;
    EXPECT_EQ(Count(p.ptx, absl::StrCat(".entry ", s.launch.kernel, "(")), 1) << s.launch.kernel;
    EXPECT_EQ(EntryParams(p.ptx, s.launch.kernel), static_cast<int>(s.launch.args.size())) << s.launch.kernel;
    for (const gpu::GpuKernelArg& a : s.launch.args) {
      if (a.kind == gpu::GpuKernelArg::Kind::kBuffer) {
        EXPECT_GE(a.buffer, 0);
        EXPECT_LT(a.buffer, static_cast<int>(p.buffers.size()));
      }
    }
    for (int d = 0; d < 3; ++d) {
      EXPECT_GE(s.launch.grid[d], 1u);
      EXPECT_GE(s.launch.block[d], 1u);
    }
  }
  for (const gpu::GpuBuffer& b : p.buffers) {
    if (b.kind == gpu::GpuBuffer::Kind::kConstant) {
      EXPECT_EQ(static_cast<int64_t>(b.constant_data.size()), b.bytes);
    }
  }
}

// A 784-256-128-10 MLP with weights as constants (they become constant buffers).
std::vector<Output> BuildMlp(GraphBuilder& g, Feeds& f, int64_t batch) {
  Output x = Feed(g, f, "x", Rand({batch, 784}, 1));
  Output h = x;
  const int64_t dims[] = {784, 256, 128, 10};
  for (int l = 0; l < 3; ++l) {
    Output w = g.Const(absl::StrCat("w", l), Rand({dims[l], dims[l + 1]}, 10 + l, 0.05f));
    Output b = g.Const(absl::StrCat("b", l), Rand({dims[l + 1]}, 20 + l, 0.1f));
    h = g.Add(absl::StrCat("ba", l), "BiasAdd", {g.Add(absl::StrCat("mm", l), "MatMul", {h, w}), b});
    if (l < 2) h = g.Add(absl::StrCat("relu", l), "Relu", {h});
  }
  return {g.Add("softmax", "Softmax", {h})};
}

std::vector<Output> BuildCnn(GraphBuilder& g, Feeds& f, int64_t batch) {
  Output x = Feed(g, f, "x", Rand({batch, 28, 28, 1}, 1));
  Output w = g.Const("cw", Rand({3, 3, 1, 8}, 2, 0.3f));
  Output c = g.Add("conv", "Conv2D", {x, w}, A({{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")}}));
  Output r = g.Add("relu", "Relu", {g.Add("cb", "BiasAdd", {c, g.Const("cbias", Rand({8}, 3, 0.1f))})});
  Output p = g.Add("pool", "MaxPool", {r}, A({{"ksize", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                                            {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})}, {"padding", MakeAttr("VALID")}}));
  Output flat = g.Add("flat", "Reshape", {p, g.Const("fs", Tensor::FromVector<int32_t>({static_cast<int32_t>(batch), 14 * 14 * 8}))});
  Output logits = g.Add("fc", "BiasAdd", {g.Add("fcmm", "MatMul", {flat, g.Const("fw", Rand({14 * 14 * 8, 10}, 4, 0.02f))}),
                                          g.Const("fb", Rand({10}, 5, 0.1f))});
  return {g.Add("softmax", "Softmax", {logits})};
}


class GpuOpsTest : public ::testing::TestWithParam<std::tuple<OpCase, std::string>> {};

TEST_P(GpuOpsTest, CompilesToPtxThatPtxasAccepts) {
  const auto& [c, arch] = GetParam();
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> fetches = c.build(g, feeds);
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, fetches, arch);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_GE(Launches(*p), 1);
  ExpectWellFormed(*p, arch);
  EXPECT_EQ(p->arg_buffers.size(), feeds.size());
  EXPECT_EQ(p->result_buffers.size(), fetches.size());
  const std::string ptxas = FindPtxas();
  if (ptxas.empty()) GTEST_SKIP() << "no ptxas ($STRATA_PTXAS, PATH, /usr/local/cuda/bin): PTX not assembled";
  EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, arch, c.name + arch));
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<OpCase, std::string>>& info) {
  std::string n = std::get<0>(info.param).name + "_" + std::get<1>(info.param);
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Ops, GpuOpsTest,
                         ::testing::Combine(::testing::ValuesIn(Cases()), ::testing::Values("sm_80", "sm_90")), CaseName);
INSTANTIATE_TEST_SUITE_P(MoreOps, GpuOpsTest,
                         ::testing::Combine(::testing::ValuesIn(MoreCases()), ::testing::Values("sm_80", "sm_90")), CaseName);

class GpuModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GpuModelTest, MlpAndCnnCompileAndAssemble) {
  const std::string arch = GetParam();
  for (const char* model : {"mlp", "cnn"}) {
    GraphBuilder g;
    Feeds feeds;
    std::vector<Output> fetches = std::string(model) == "mlp" ? BuildMlp(g, feeds, 8) : BuildCnn(g, feeds, 4);
    GpuCompileInfo info;
    absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, fetches, arch, &info);
    ASSERT_TRUE(p.ok()) << model << ": " << p.status();
    ExpectWellFormed(*p, arch);
    int constants = 0;
    for (const gpu::GpuBuffer& b : p->buffers) constants += b.kind == gpu::GpuBuffer::Kind::kConstant;
    EXPECT_EQ(constants, std::string(model) == "mlp" ? 6 : 4) << model;
    std::printf("[ %s %s ] %lld launches, %zu buffers, PTX %zu bytes, compile %.0f ms\n", model, arch.c_str(),
                static_cast<long long>(Launches(*p)), p->buffers.size(), p->ptx.size(), info.total_ms);
    const std::string ptxas = FindPtxas();
    if (ptxas.empty()) GTEST_SKIP() << "no ptxas: PTX not assembled";
    EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, arch, std::string(model) + arch));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, GpuModelTest, ::testing::Values("sm_80", "sm_90"));

TEST(GpuPtxTest, MultiplyAddBecomesFma) {
  GraphBuilder g;
  Feeds feeds;
  Output a = Feed(g, feeds, "a", Rand({1000}, 1)), b = Feed(g, feeds, "b", Rand({1000}, 2)), c = Feed(g, feeds, "c", Rand({1000}, 3));
  Output y = g.Add("y", "Add", {g.Add("ab", "Mul", {a, b}), c});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {y});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->ptx, HasSubstr("fma.rn.f32"));
  EXPECT_EQ(Count(p->ptx, "mul.f32"), 0);
  EXPECT_EQ(Count(p->ptx, "add.f32"), 0);
}

TEST(GpuPtxTest, ElementwiseKernelTakesBarePointersAndCoversTheProblem) {
  GraphBuilder g;
  Feeds feeds;
  Output a = Feed(g, feeds, "a", Rand({1000}, 1)), b = Feed(g, feeds, "b", Rand({1000}, 2));
  Output y = g.Add("y", "Add", {a, b});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {y});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->steps.size(), 1u);
  const gpu::GpuLaunch& l = p->steps[0].launch;
  ASSERT_EQ(p->steps[0].kind, gpu::GpuStep::Kind::kLaunch);
  // a, b, y: three pointers, no memref descriptors (which would be 5 params per 1-D memref).
  ASSERT_EQ(l.args.size(), 3u);
  EXPECT_EQ(EntryParams(p->ptx, l.kernel), 3);
  EXPECT_EQ(Count(p->ptx, ".param .u64"), 3);
  std::set<int> buffers;
  for (const gpu::GpuKernelArg& arg : l.args) {
    ASSERT_EQ(arg.kind, gpu::GpuKernelArg::Kind::kBuffer);
    buffers.insert(arg.buffer);
  }
  EXPECT_EQ(buffers, (std::set<int>{p->arg_buffers[0], p->arg_buffers[1], p->result_buffers[0]}));
  const uint64_t threads = uint64_t{l.grid[0]} * l.grid[1] * l.grid[2] * l.block[0] * l.block[1] * l.block[2];
  EXPECT_GE(threads, 1000u);
  EXPECT_LT(threads, 1000u + 256u);  // one partial block at most
  // Out-of-range threads of the last block are guarded: a compare against 1000 (or > 999).
  EXPECT_THAT(p->ptx, ::testing::ContainsRegex("setp\\.[a-z]+\\.[us]64[^\\n]*(999|1000)"));
}

TEST(GpuPtxTest, FullReductionIsABlockWithWarpShuffles) {
  for (const char* op : {"Sum", "Max", "Mean"}) {
    GraphBuilder g;
    Feeds feeds;
    Output x = Feed(g, feeds, "x", Rand({32, 32}, 1));
    Output r = g.Add("r", op, {g.Add("sq", "Square", {x}), g.Const("axes", Tensor::FromVector<int32_t>({0, 1}))});
    absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {r});
    ASSERT_TRUE(p.ok()) << op << ": " << p.status();
    EXPECT_THAT(p->ptx, HasSubstr("shfl.sync")) << op;
    // The reduction over 1024 elements runs on one block of 256 threads, not on one thread.
    bool block_reduce = false;
    for (const gpu::GpuStep& s : p->steps) {
      block_reduce |= s.kind == gpu::GpuStep::Kind::kLaunch && s.launch.block[0] == 256 && s.launch.grid[0] == 1;
    }
    EXPECT_TRUE(block_reduce) << op;
    const std::string ptxas = FindPtxas();
    if (!ptxas.empty()) {
      EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, "sm_90", std::string("reduce") + op));
    }
  }
}

TEST(GpuPtxTest, WideRowReductionsAreOneBlockPerRow) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", Rand({4, 1000}, 1));
  Output sum = g.Add("rowsum", "Sum", {x, g.Const("axis", Tensor::Scalar<int32_t>(1))});
  Output colmax = g.Add("colmax", "Max", {g.Add("t", "Transpose", {x, g.Const("p", Tensor::FromVector<int32_t>({1, 0}))}),
                                          g.Const("axis0", Tensor::Scalar<int32_t>(0))});
  Output sm = g.Add("sm", "Softmax", {x});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {sum, colmax, sm});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->ptx, HasSubstr("shfl.sync"));
  // Row sum, column max over the transpose, softmax's max and sum: 4 blocks (rows) of 256.
  int row_blocks = 0;
  for (const gpu::GpuStep& s : p->steps) {
    row_blocks += s.kind == gpu::GpuStep::Kind::kLaunch && s.launch.grid[0] == 4 && s.launch.block[0] == 256;
  }
  EXPECT_EQ(row_blocks, 4);
  ExpectWellFormed(*p, "sm_90");
  const std::string ptxas = FindPtxas();
  if (!ptxas.empty()) {
    EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, "sm_90", "rowreduce"));
  }
}

TEST(GpuPtxTest, MatVecIsOneBlockPerOutput) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", Rand({1, 784}, 1));
  Output y = g.Add("mm", "MatMul", {x, g.Const("w", Rand({784, 10}, 2))});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {y});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->ptx, HasSubstr("shfl.sync"));
  int blocks_per_output = 0;
  for (const gpu::GpuStep& s : p->steps) {
    blocks_per_output += s.kind == gpu::GpuStep::Kind::kLaunch && s.launch.grid[0] == 10 && s.launch.block[0] == 256;
  }
  EXPECT_EQ(blocks_per_output, 1);
  // The zero fill of the result is folded into thread 0's store: one launch in all.
  EXPECT_EQ(Launches(*p), 1);
}

TEST(GpuPtxTest, BuffersHaveTheirByteSizes) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", Rand({8, 16}, 1));
  Output w = g.Const("w", Rand({16, 4}, 2));
  Output i = Feed(g, feeds, "i", I32({1, 2, 3}, {3}));
  Output mm = g.Add("mm", "MatMul", {x, w});
  Output sm = g.Add("sm", "Softmax", {mm});
  Output ci = g.Add("ci", "Cast", {i}, A({{"DstT", MakeAttr(DT_FLOAT)}}));
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {sm, ci});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->arg_buffers.size(), 2u);
  ASSERT_EQ(p->result_buffers.size(), 2u);
  const gpu::GpuBuffer& xb = p->buffers[p->arg_buffers[0]];
  EXPECT_EQ(xb.kind, gpu::GpuBuffer::Kind::kArg);
  EXPECT_EQ(xb.index, 0);
  EXPECT_EQ(xb.bytes, 8 * 16 * 4);
  EXPECT_EQ(p->buffers[p->arg_buffers[1]].bytes, 3 * 4);
  EXPECT_EQ(p->buffers[p->arg_buffers[1]].dtype, DT_INT32);
  const gpu::GpuBuffer& rb = p->buffers[p->result_buffers[0]];
  EXPECT_EQ(rb.kind, gpu::GpuBuffer::Kind::kResult);
  EXPECT_EQ(rb.bytes, 8 * 4 * 4);
  EXPECT_EQ(p->buffers[p->result_buffers[1]].index, 1);
  EXPECT_EQ(p->buffers[p->result_buffers[1]].bytes, 3 * 4);
  // The weights: one constant buffer with exactly their bytes.
  int constants = 0;
  for (const gpu::GpuBuffer& b : p->buffers) {
    if (b.kind != gpu::GpuBuffer::Kind::kConstant) continue;
    ++constants;
    ASSERT_EQ(b.bytes, 16 * 4 * 4);
    std::vector<float> want = Pattern(64, 2);
    std::vector<float> got(64);
    std::memcpy(got.data(), b.constant_data.data(), 64 * 4);
    EXPECT_EQ(got, want);
  }
  EXPECT_EQ(constants, 1);
  for (const gpu::GpuBuffer& b : p->buffers) {
    if (b.kind == gpu::GpuBuffer::Kind::kTemp) {
      EXPECT_EQ(b.bytes, b.shape.num_elements() * static_cast<int64_t>(DTypeSize(b.dtype)));
    }
  }
}

TEST(GpuPtxTest, KernelsReadBuffersWrittenByEarlierLaunches) {
  // Steps run in order: every temp buffer a launch reads was written by an earlier launch.
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> fetches = BuildMlp(g, feeds, 2);
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, fetches);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_GE(Launches(*p), 3);
  std::set<int> temps;
  for (size_t i = 0; i < p->buffers.size(); ++i) {
    if (p->buffers[i].kind == gpu::GpuBuffer::Kind::kTemp) temps.insert(static_cast<int>(i));
  }
  std::set<int> seen;
  for (const gpu::GpuStep& s : p->steps) {
    if (s.kind == gpu::GpuStep::Kind::kLaunch) {
      for (const gpu::GpuKernelArg& a : s.launch.args) {
        if (a.kind == gpu::GpuKernelArg::Kind::kBuffer) seen.insert(a.buffer);
      }
    }
  }
  for (int t : temps) EXPECT_TRUE(seen.contains(t)) << "temp buffer " << t << " is never used";
}

TEST(GpuPtxTest, GatherIndexCheckIsAProgramCheck) {
  // The out-of-range flag the gather kernel computes is listed in `checks`, so the runtime
  // reads it back and reports it (as the CPU path does from abi.check_messages).
  GraphBuilder g;
  Feeds feeds;
  Output p = Feed(g, feeds, "p", Rand({5, 3}, 1));
  Output i = Feed(g, feeds, "i", I32({4, 0, 2, 2}, {2, 2}));
  Output gathered = g.Add("gathered", "GatherV2", {p, i, g.Const("ax", Tensor::Scalar<int32_t>(0))});
  absl::StatusOr<gpu::GpuProgram> program = Compile(g, feeds, {gathered});
  ASSERT_TRUE(program.ok()) << program.status();
  ASSERT_EQ(program->checks.size(), 1u);
  const gpu::GpuCheck& check = program->checks[0];
  ASSERT_GE(check.buffer, 0);
  ASSERT_LT(check.buffer, static_cast<int>(program->buffers.size()));
  const gpu::GpuBuffer& flag = program->buffers[check.buffer];
  EXPECT_EQ(flag.dtype, DT_INT64);
  EXPECT_EQ(flag.shape, Shape({}));
  EXPECT_EQ(flag.bytes, 8);
  EXPECT_EQ(flag.kind, gpu::GpuBuffer::Kind::kTemp);
  EXPECT_THAT(check.message, HasSubstr("gathered"));
  EXPECT_THAT(check.message, HasSubstr("gather index out of range"));
  EXPECT_THAT(check.message, HasSubstr("{}"));
  // A kernel writes the flag.
  bool written = false;
  for (const gpu::GpuStep& s : program->steps) {
    if (s.kind != gpu::GpuStep::Kind::kLaunch) continue;
    for (const gpu::GpuKernelArg& a : s.launch.args) written |= a.kind == gpu::GpuKernelArg::Kind::kBuffer && a.buffer == check.buffer;
  }
  EXPECT_TRUE(written);
  // A graph without a gather has none.
  GraphBuilder g2;
  Feeds feeds2;
  Output x = Feed(g2, feeds2, "x", Rand({4}, 2));
  absl::StatusOr<gpu::GpuProgram> plain = Compile(g2, feeds2, {g2.Add("r", "Relu", {x})});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->checks.empty());
}

// ---- tile_contractions: matmul through shared memory, epilogue fused (gpu_contraction_tiling.h)

// The tiled kernel alone (no split-K: these tests check one launch per contraction).
GpuCompileOptions Tiled(const std::string& arch) {
  GpuCompileOptions options;
  options.cuda_arch = arch;
  options.tile_contractions = true;
  options.split_k = false;
  return options;
}

// `ptxas -v` on `ptx`: its resource report (registers, spills, shared memory per entry).
std::string PtxasVerbose(const std::string& ptxas, const std::string& ptx, const std::string& arch, const std::string& tag) {
  const testing_util::PtxasRun run = testing_util::RunPtxas(ptxas, ptx, arch, "v_" + tag, "-v");
  return run.exit_code == 0 ? run.output : "";
}

// The PTX text of entry `kernel` (up to the next entry).
std::string EntryText(const std::string& ptx, const std::string& kernel) {
  const size_t at = ptx.find(absl::StrCat(".entry ", kernel, "("));
  if (at == std::string::npos) return "";
  const size_t end = ptx.find(".entry ", at + 1);
  return ptx.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// Bytes of the static .shared arrays declared in `ptx_part`.
int64_t SharedBytes(const std::string& ptx_part) {
  static const std::regex decl(R"(\.shared\s+\.align\s+\d+\s+\.b8\s+[\w$.]+\[(\d+)\])");
  int64_t bytes = 0;
  for (std::sregex_iterator it(ptx_part.begin(), ptx_part.end(), decl), end; it != end; ++it) bytes += std::stoll((*it)[1]);
  return bytes;
}

// The launches of the tiled kernel: 256 threads, grid = N tiles x M tiles x batch.
std::vector<const gpu::GpuLaunch*> TiledLaunches(const gpu::GpuProgram& p) {
  std::vector<const gpu::GpuLaunch*> out;
  for (const gpu::GpuStep& s : p.steps) {
    if (s.kind == gpu::GpuStep::Kind::kLaunch && Count(EntryText(p.ptx, s.launch.kernel), "bar.sync") > 0 &&
        Count(EntryText(p.ptx, s.launch.kernel), "shfl.sync") == 0) {
      out.push_back(&s.launch);
    }
  }
  return out;
}

struct TiledCase {
  std::string name;
  std::function<std::vector<Output>(GraphBuilder&, Feeds&)> build;
  int64_t m, n, batch;  // the tiled contraction; m == 0: not tiled (too small)
  int64_t launches;     // in the whole program, with the flag on
  bool ta = false, tb = false;  // operands read transposed
  int64_t tile = 64;            // the f32 kernel's tile of C: 128 x 128 where there are >= 64 of those
};

// The f32 kernel's shared tiles (gpu_fma_contraction.h): two buffers each of A [k][m] and
// B [k][n], rows padded by 4 floats; K 8 per step with 128 x 128 tiles, 16 with 64 x 64.
int64_t F32TileBytes(const TiledCase& c) {
  const int64_t tk = c.tile == 128 ? 8 : 16;
  return 2 * 2 * tk * (c.tile + 4) * 4;
}

TiledCase MatMulCase(int64_t m, int64_t k, int64_t n, bool ta = false, bool tb = false, int64_t launches = 1) {
  return {absl::StrCat("MatMul", m, "x", k, "x", n, ta ? "Ta" : "", tb ? "Tb" : ""),
          [=](GraphBuilder& g, Feeds& f) {
            Output a = Feed(g, f, "a", Rand(ta ? Shape({k, m}) : Shape({m, k}), 1));
            Output b = Feed(g, f, "b", Rand(tb ? Shape({n, k}) : Shape({k, n}), 2));
            return std::vector<Output>{g.Add("mm", "MatMul", {a, b}, A({{"transpose_a", MakeAttr(ta)}, {"transpose_b", MakeAttr(tb)}}))};
          },
          m >= 32 && n >= 32 ? m : 0, n, 1, launches, ta, tb, (m + 127) / 128 * ((n + 127) / 128) >= 64 ? 128 : 64};
}

std::vector<TiledCase> TiledCases() {
  std::vector<TiledCase> cases = {MatMulCase(1024, 1024, 1024), MatMulCase(1000, 1000, 1000), MatMulCase(64, 784, 512),
                                  MatMulCase(1, 784, 10),
                                  // the transposes are folded into the tile loads: one kernel
                                  MatMulCase(200, 96, 130, true, false), MatMulCase(200, 96, 130, false, true),
                                  MatMulCase(200, 96, 130, true, true)};
  cases.push_back({"BatchMatMulV2", [](GraphBuilder& g, Feeds& f) {
                     return std::vector<Output>{g.Add("mm", "BatchMatMulV2", {Feed(g, f, "a", Rand({4, 128, 64}, 1)),
                                                                              Feed(g, f, "b", Rand({4, 64, 96}, 2))})};
                   },
                   128, 96, 4, 1});
  // Bias + Relu after the matmul: one fused generic, computed in the matmul kernel's epilogue.
  cases.push_back({"MatMulBiasRelu", [](GraphBuilder& g, Feeds& f) {
                     Output mm = g.Add("mm", "MatMul", {Feed(g, f, "x", Rand({100, 300}, 1)), g.Const("w", Rand({300, 70}, 2, 0.1f))});
                     return std::vector<Output>{g.Add("relu", "Relu", {g.Add("ba", "BiasAdd", {mm, g.Const("b", Rand({70}, 3))})})};
                   },
                   100, 70, 1, 1});
  return cases;
}

void PrintTo(const TiledCase& c, std::ostream* os) { *os << c.name; }

class GpuTiledMatmulTest : public ::testing::TestWithParam<std::tuple<TiledCase, std::string>> {};

TEST_P(GpuTiledMatmulTest, SharedMemoryTilesThatPtxasAccepts) {
  const auto& [c, arch] = GetParam();
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> fetches = c.build(g, feeds);
  GpuCompileInfo info;
  absl::StatusOr<gpu::GpuProgram> p = CompileWith(g, feeds, fetches, Tiled(arch), &info);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectWellFormed(*p, arch);
  EXPECT_EQ(Launches(*p), c.launches);
  std::vector<const gpu::GpuLaunch*> tiled = TiledLaunches(*p);
  if (c.m == 0) {
    EXPECT_TRUE(tiled.empty());  // too small for a 64x64 tile: the block reduction as before
    EXPECT_THAT(p->ptx, HasSubstr("shfl.sync"));
  } else {
    ASSERT_EQ(tiled.size(), 1u);
    const gpu::GpuLaunch& l = *tiled[0];
    EXPECT_EQ(l.grid[0], static_cast<uint32_t>((c.n + c.tile - 1) / c.tile));
    EXPECT_EQ(l.grid[1], static_cast<uint32_t>((c.m + c.tile - 1) / c.tile));
    EXPECT_EQ(l.grid[2], static_cast<uint32_t>(c.batch));
    EXPECT_EQ(l.block[0], 256u);
    EXPECT_EQ(l.block[1], 1u);
    EXPECT_EQ(l.block[2], 1u);
    EXPECT_EQ(l.dynamic_shared_bytes, 0u);
    const std::string text = EntryText(p->ptx, l.kernel);
    // Double-buffered: one barrier after the first tiles, one per step.
    EXPECT_EQ(Count(text, "bar.sync"), 2);
    // Every shared read is a 16-byte vector (4 values of A or B per thread and K); every
    // operand here has a row-major source whose rows are 16-byte multiples but B in 200x96x130
    // (130 floats), so each kernel has 16-byte global loads.
    EXPECT_EQ(Count(text, "ld.shared.f32"), 0);
    EXPECT_GE(Count(text, "ld.shared.v4.f32"), (c.tile / 64) * 2 * (c.tile == 128 ? 8 : 16));
    EXPECT_GE(Count(text, "ld.global.v4.f32"), 1);
    EXPECT_GE(Count(text, "st.shared"), 1);
    // (tile / 16)^2 outputs per thread: 512 fmas per K step of 8, 256 per K step of 16.
    EXPECT_GE(Count(text, "fma.rn.f32"), c.tile == 128 ? 512 : 256);
    // Two A and two B tiles: 16.5 / 17 KiB, well within the 48 KiB of static shared memory.
    EXPECT_EQ(SharedBytes(p->ptx), F32TileBytes(c));
    EXPECT_LE(SharedBytes(p->ptx), 48 * 1024);
    // Operands are read from the feeds / weights themselves (a transpose is not a kernel of its
    // own) and the result is stored to the fetched buffer: no temp goes through memory.
    for (const gpu::GpuKernelArg& a : l.args) EXPECT_NE(p->buffers[a.buffer].kind, gpu::GpuBuffer::Kind::kTemp);
  }
  std::printf("[ %s %s ] %lld launches, PTX %zu bytes, compile %.0f ms\n", c.name.c_str(), arch.c_str(),
              static_cast<long long>(Launches(*p)), p->ptx.size(), info.total_ms);
  const std::string ptxas = FindPtxas();
  if (ptxas.empty()) GTEST_SKIP() << "no ptxas: PTX not assembled";
  EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, arch, "tiled" + c.name + arch));
  if (c.m != 0) {
    // The 16 or 64 accumulators and the staged values fit in registers: no local-memory spills.
    const std::string log = PtxasVerbose(ptxas, p->ptx, arch, "tiledv" + c.name + arch);
    ASSERT_FALSE(log.empty());
    const std::string kernel = tiled[0]->kernel;
    const size_t at = log.find(absl::StrCat("'", kernel, "'"));
    ASSERT_NE(at, std::string::npos) << log;
    const std::string entry = log.substr(at, log.find("Compiling entry", at + 1) - at);
    EXPECT_THAT(entry, HasSubstr("0 bytes spill stores")) << entry;
    EXPECT_THAT(entry, HasSubstr(absl::StrCat(F32TileBytes(c), " bytes smem"))) << entry;
    std::smatch regs;
    ASSERT_TRUE(std::regex_search(entry, regs, std::regex("Used (\\d+) registers"))) << entry;
    std::printf("[ %s %s ] tiled kernel: %s registers\n", c.name.c_str(), arch.c_str(), regs[1].str().c_str());
    if (c.tile == 128) {
      // Two blocks of 256 threads per SM: at most 128 registers, which .minnctapersm asks of ptxas.
      EXPECT_THAT(EntryText(p->ptx, kernel), HasSubstr(".minnctapersm 2"));
      EXPECT_LE(std::stoi(regs[1].str()), 128) << entry;
    }
  }
}

std::string TiledCaseName(const ::testing::TestParamInfo<std::tuple<TiledCase, std::string>>& info) {
  return std::get<0>(info.param).name + "_" + std::get<1>(info.param);
}

INSTANTIATE_TEST_SUITE_P(Tiled, GpuTiledMatmulTest,
                         ::testing::Combine(::testing::ValuesIn(TiledCases()), ::testing::Values("sm_80", "sm_90")),
                         TiledCaseName);

TEST(GpuTiledMatmulTest, EpilogueIsFusedIntoTheMatmulKernel) {
  GraphBuilder g;
  Feeds feeds;
  Output mm = g.Add("mm", "MatMul", {Feed(g, feeds, "x", Rand({128, 256}, 1)), g.Const("w", Rand({256, 192}, 2, 0.1f))});
  Output y = g.Add("relu", "Relu", {g.Add("ba", "BiasAdd", {mm, g.Const("b", Rand({192}, 3))})});
  GpuCompileOptions untiled = Tiled("sm_90");
  untiled.tile_contractions = false;
  absl::StatusOr<gpu::GpuProgram> off = CompileWith(g, feeds, {y}, untiled);
  ASSERT_TRUE(off.ok()) << off.status();
  absl::StatusOr<gpu::GpuProgram> on = CompileWith(g, feeds, {y}, Tiled("sm_90"));
  ASSERT_TRUE(on.ok()) << on.status();
  // Untiled: one thread per output runs the fill, its dot product and the bias + relu (adjacent
  // loops over the same space, gpu_fuse_parallel_loops.h), the product through a temp buffer.
  EXPECT_EQ(Launches(*off), 1);
  bool off_has_temp = false;
  for (const gpu::GpuBuffer& b : off->buffers) off_has_temp |= b.kind == gpu::GpuBuffer::Kind::kTemp;
  EXPECT_TRUE(off_has_temp);
  ASSERT_EQ(Launches(*on), 1);
  const gpu::GpuLaunch& l = on->steps[0].launch;
  // x, w, b, y: the matmul result never goes to memory (no temp buffer at all).
  EXPECT_EQ(l.args.size(), 4u);
  for (const gpu::GpuBuffer& b : on->buffers) EXPECT_NE(b.kind, gpu::GpuBuffer::Kind::kTemp);
  EXPECT_EQ(l.args.back().buffer, on->result_buffers[0]);
  // Relu is a max with 0 in the epilogue.
  EXPECT_THAT(EntryText(on->ptx, l.kernel), ::testing::ContainsRegex("max\\.f32|max\\.NaN\\.f32|setp"));
}

TEST(GpuTiledMatmulTest, EpilogueIsNotFusedWhenTheProductIsAlsoNeeded) {
  // The product is fetched too (it must be stored), or read transposed by its consumer (another
  // thread's element): the consumer stays a kernel of its own, after the tiled one.
  for (int variant = 0; variant < 2; ++variant) {
    GraphBuilder g;
    Feeds feeds;
    Output mm = g.Add("mm", "MatMul", {Feed(g, feeds, "x", Rand({128, 128}, 1)), Feed(g, feeds, "w", Rand({128, 128}, 2))});
    std::vector<Output> fetches;
    if (variant == 0) {
      fetches = {mm, g.Add("relu", "Relu", {g.Add("ba", "BiasAdd", {mm, g.Const("b", Rand({128}, 3))})})};
    } else {
      Output t = g.Add("t", "Transpose", {mm, g.Const("p", Tensor::FromVector<int32_t>({1, 0}))});
      fetches = {g.Add("y", "Add", {mm, t})};
    }
    absl::StatusOr<gpu::GpuProgram> p = CompileWith(g, feeds, fetches, Tiled("sm_90"));
    ASSERT_TRUE(p.ok()) << p.status();
    ExpectWellFormed(*p, "sm_90");
    EXPECT_EQ(Launches(*p), 2) << variant;
    std::vector<const gpu::GpuLaunch*> tiled = TiledLaunches(*p);
    ASSERT_EQ(tiled.size(), 1u) << variant;
    EXPECT_EQ(tiled[0], &p->steps[0].launch) << variant;
    EXPECT_EQ(tiled[0]->args.size(), 3u) << variant;  // x, w, the product
    if (variant == 0) {
      EXPECT_EQ(tiled[0]->args.back().buffer, p->result_buffers[0]);
    }
    const std::string ptxas = FindPtxas();
    if (!ptxas.empty()) {
      EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, "sm_90", absl::StrCat("nofuse", variant)));
    }
  }
}

TEST(GpuTiledMatmulTest, EveryOpCaseAndModelStillCompilesWithTheFlag) {
  // The flag changes only contractions: every other case compiles and assembles as before.
  const std::string ptxas = FindPtxas();
  std::vector<OpCase> all = Cases();
  for (const OpCase& c : MoreCases()) all.push_back(c);
  all.push_back({"mlp", [](GraphBuilder& g, Feeds& f) { return BuildMlp(g, f, 8); }});
  all.push_back({"cnn", [](GraphBuilder& g, Feeds& f) { return BuildCnn(g, f, 4); }});
  int tiled = 0;
  for (const OpCase& c : all) {
    GraphBuilder g;
    Feeds feeds;
    std::vector<Output> fetches = c.build(g, feeds);
    absl::StatusOr<gpu::GpuProgram> p = CompileWith(g, feeds, fetches, Tiled("sm_90"));
    ASSERT_TRUE(p.ok()) << c.name << ": " << p.status();
    ExpectWellFormed(*p, "sm_90");
    tiled += !TiledLaunches(*p).empty();
    if (!ptxas.empty()) {
      EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, "sm_90", "flag" + std::to_string(tiled) + "_" + std::to_string(&c - all.data())))
          << c.name;
    }
  }
  std::printf("[ %zu cases with tile_contractions, %d of them with a tiled kernel ]\n", all.size(), tiled);
}

TEST(GpuTiledMatmulTest, FlagOffKeepsTheUntiledKernels) {
  GraphBuilder g;
  Feeds feeds;
  Output mm = g.Add("mm", "MatMul", {Feed(g, feeds, "a", Rand({256, 256}, 1)), Feed(g, feeds, "b", Rand({256, 256}, 2))});
  GpuCompileOptions untiled = Tiled("sm_90");
  untiled.tile_contractions = false;
  absl::StatusOr<gpu::GpuProgram> off = CompileWith(g, feeds, {mm}, untiled);
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(Count(off->ptx, ".shared"), 0);
  EXPECT_EQ(Count(off->ptx, "bar.sync"), 0);
  EXPECT_TRUE(TiledLaunches(*off).empty());
}

// A 784-512-512-10 MLP, batch 64, weights as constants: the two hidden layers are tiled with
// bias + relu fused; the 64x512x10 logits stay a block reduction (N < 32).
std::vector<Output> BuildMlp512(GraphBuilder& g, Feeds& f, int64_t batch) {
  Output h = Feed(g, f, "x", Rand({batch, 784}, 1));
  const int64_t dims[] = {784, 512, 512, 10};
  for (int l = 0; l < 3; ++l) {
    Output w = g.Const(absl::StrCat("w", l), Rand({dims[l], dims[l + 1]}, 10 + l, 0.05f));
    Output b = g.Const(absl::StrCat("b", l), Rand({dims[l + 1]}, 20 + l, 0.1f));
    h = g.Add(absl::StrCat("ba", l), "BiasAdd", {g.Add(absl::StrCat("mm", l), "MatMul", {h, w}), b});
    if (l < 2) h = g.Add(absl::StrCat("relu", l), "Relu", {h});
  }
  return {h};
}

// Large elementwise kernels (gpu_vectorize_elementwise.h): 4 consecutive elements per thread,
// same-shape and innermost-broadcast operands through 16-byte accesses; a column broadcast or a
// transposed read stays 4 scalar loads; an innermost dimension not divisible by 4, or a small
// tensor, keeps one element per thread.
TEST(GpuVectorizedElementwiseTest, LargeLoopsMoveFourElementsPerThread) {
  struct Case {
    const char* name;
    Shape shape;      // of x and y; c is [inner], col [rows, 1]
    bool transposed;  // x is read through a Transpose of a [inner, rows] feed
    int v4_loads, v4_stores, scalar_loads;
  };
  // x, y and c are 16-byte loads; col[r, 0] is one scalar (the same for the 4 elements: CSE).
  const Case cases[] = {{"row bias", Shape{256, 512}, false, 3, 1, 1},
                        {"transposed x", Shape{256, 512}, true, 2, 1, 5},  // x: 4 scalars
                        {"inner 257", Shape{1000, 257}, false, 0, 0, 4},
                        {"small", Shape{64, 64}, false, 0, 0, 4}};
  for (const Case& c : cases) {
    GraphBuilder g;
    Feeds feeds;
    const int64_t rows = c.shape.dim(0), inner = c.shape.dim(1);
    Output x = c.transposed ? g.Add("t", "Transpose", {Feed(g, feeds, "xt", Rand(Shape{inner, rows}, 1)),
                                                       g.Const("p", Tensor::FromVector<int32_t>({1, 0}))})
                            : Feed(g, feeds, "x", Rand(c.shape, 1));
    Output y = Feed(g, feeds, "y", Rand(c.shape, 2));
    Output bias = Feed(g, feeds, "c", Rand(Shape{inner}, 3));
    Output col = Feed(g, feeds, "col", Rand(Shape{rows, 1}, 4));
    Output out = g.Add("out", "Mul", {g.Add("s", "Add", {g.Add("xy", "Add", {x, y}), bias}), col});
    absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {out});
    ASSERT_TRUE(p.ok()) << c.name << ": " << p.status();
    ExpectWellFormed(*p, "sm_90");
    // One kernel, which writes the fetched buffer itself: fusion computes the result as
    // [rows, 1, inner] (col's shape), and the reshape goes onto the destination
    // (MoveReshapesOntoDestinations) instead of a copy kernel after it.
    ASSERT_EQ(Launches(*p), 1) << c.name;
    const gpu::GpuLaunch& l = p->steps.front().launch;
    const int64_t per_thread = c.v4_stores > 0 ? 4 : 1;
    EXPECT_EQ(static_cast<int64_t>(l.grid[0]) * l.block[0], (rows * inner / per_thread + 255) / 256 * 256) << c.name;
    const std::string text = EntryText(p->ptx, l.kernel);
    EXPECT_EQ(Count(text, "ld.global.v4.f32"), c.v4_loads) << c.name << "\n" << text;
    EXPECT_EQ(Count(text, "st.global.v4.f32"), c.v4_stores) << c.name;
    EXPECT_EQ(Count(text, "ld.global.f32"), c.scalar_loads) << c.name;
    const std::string ptxas = FindPtxas();
    if (!ptxas.empty()) {
      EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, "sm_90", absl::StrCat("vec", &c - cases)));
    }
  }
}

class GpuTiledMlpTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GpuTiledMlpTest, Mlp784x512x512x10) {
  const std::string arch = GetParam();
  int64_t launches[2] = {0, 0};
  for (bool tile : {false, true}) {
    GraphBuilder g;
    Feeds feeds;
    std::vector<Output> fetches = BuildMlp512(g, feeds, 64);
    GpuCompileOptions options = Tiled(arch);
    options.tile_contractions = tile;
    GpuCompileInfo info;
    absl::StatusOr<gpu::GpuProgram> p = CompileWith(g, feeds, fetches, options, &info);
    ASSERT_TRUE(p.ok()) << p.status();
    ExpectWellFormed(*p, arch);
    launches[tile] = Launches(*p);
    std::printf("[ mlp784-512-512-10 b64 %s tile_contractions=%d ] %lld launches, %zu buffers, PTX %zu bytes, compile %.0f ms\n",
                arch.c_str(), tile, static_cast<long long>(Launches(*p)), p->buffers.size(), p->ptx.size(), info.total_ms);
    for (const gpu::GpuStep& s : p->steps) {
      if (s.kind != gpu::GpuStep::Kind::kLaunch) continue;
      std::printf("    %s grid %u,%u,%u block %u args %zu\n", s.launch.kernel.c_str(), s.launch.grid[0], s.launch.grid[1],
                  s.launch.grid[2], s.launch.block[0], s.launch.args.size());
    }
    if (tile) {
      // The hidden layers: tiled, each with its bias (a 512-float constant) read in the epilogue.
      std::vector<const gpu::GpuLaunch*> tiled = TiledLaunches(*p);
      ASSERT_EQ(tiled.size(), 2u);
      for (const gpu::GpuLaunch* l : tiled) {
        EXPECT_EQ(l->grid[0], 512u / 64);
        EXPECT_EQ(l->grid[1], 1u);
        bool reads_bias = false;
        for (const gpu::GpuKernelArg& a : l->args) {
          const gpu::GpuBuffer& b = p->buffers[a.buffer];
          reads_bias |= b.kind == gpu::GpuBuffer::Kind::kConstant && b.bytes == 512 * 4;
        }
        EXPECT_TRUE(reads_bias) << l->kernel;
        // h, w, b, the activation: the shared zero init (fill + copy) and Relu's broadcast
        // zero are constants in the kernel, not buffers it reads.
        EXPECT_EQ(l->args.size(), 4u) << l->kernel;
      }
      // The two tiled layers and the logits' block reduction with its bias in thread 0's
      // store (gpu_epilogue.h): nothing else.
      EXPECT_EQ(Launches(*p), 3);
    }
    const std::string ptxas = FindPtxas();
    if (ptxas.empty()) GTEST_SKIP() << "no ptxas: PTX not assembled";
    EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, arch, absl::StrCat("mlp512_", tile, arch)));
  }
  // Untiled, each layer's fill, dot products and bias + relu are one kernel too (the hidden
  // layers' as one block per output, the logits' as one thread per output).
  EXPECT_LE(launches[1], launches[0]);
}

// Split-K (gpu_contraction_tiling.h): the MLP's batch-64 layers are 8 tiles each, so K = 784 is
// split into 10 ranges of 80 and K = 512 into 8 of 64 (grid z); each layer gets a second kernel
// that adds the ranges up and applies the bias + relu.
TEST_P(GpuTiledMlpTest, SplitKForSmallGrids) {
  const std::string arch = GetParam();
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> fetches = BuildMlp512(g, feeds, 64);
  GpuCompileOptions options = Tiled(arch);
  options.split_k = true;
  absl::StatusOr<gpu::GpuProgram> p = CompileWith(g, feeds, fetches, options);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectWellFormed(*p, arch);
  std::vector<const gpu::GpuLaunch*> tiled = TiledLaunches(*p);
  ASSERT_EQ(tiled.size(), 2u);
  const unsigned splits[] = {10, 8};
  for (int layer = 0; layer < 2; ++layer) {
    EXPECT_EQ(tiled[layer]->grid[0], 512u / 64);
    EXPECT_EQ(tiled[layer]->grid[1], 1u);
    EXPECT_EQ(tiled[layer]->grid[2], splits[layer]) << tiled[layer]->kernel;
  }
  // Two tiled layers, their two reductions (64 x 512 outputs: 128 blocks of 256), the logits'
  // block reduction with its bias.
  EXPECT_EQ(Launches(*p), 5);
  int reductions = 0;
  for (const gpu::GpuStep& s : p->steps) {
    reductions += s.kind == gpu::GpuStep::Kind::kLaunch && s.launch.grid[0] == 128 && s.launch.block[0] == 256;
  }
  EXPECT_EQ(reductions, 2);
  const std::string ptxas = FindPtxas();
  if (ptxas.empty()) GTEST_SKIP() << "no ptxas: PTX not assembled";
  EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, arch, absl::StrCat("mlp512_splitk_", arch)));
}

// allow_tf32: the tensor-core kernel (gpu_mma_contraction.h). 1000 x 1000 x 1000 takes 128 x 128
// tiles (8 x 8 blocks of 256 threads); 64 x 784 x 512 takes 64-row tiles (8 x 1 blocks), K split
// as for f32. Per 16 of K a warp issues 2 k-steps x its 4 x 4 (128-wide) or 2 x 4 (64-row)
// m16n8k8 tiles, reading each k-step's fragments as 16-byte slots (4 A tiles + 2 B slot pairs,
// or 2 + 2); the shared tiles are two buffers of (tm + tn) x 16 words; each thread stages
// tm / 64 + tn / 64 slots per step as 16-byte stores, in the loop and once before it.
TEST_P(GpuTiledMlpTest, Tf32TensorCoreTiles) {
  const std::string arch = GetParam();
  struct Case {
    int64_t m, k, n;
    unsigned grid_x, grid_y;
    int mma;  // mma.sync instructions in the tiled kernel (the K loop unrolled once)
    int64_t shared;
    int fragment_loads, slot_stores;
  };
  for (const Case& c : {Case{1000, 1000, 1000, 8, 8, 32, 2 * (128 + 128) * 16 * 4, 2 * (4 + 2), 2 * (2 + 2)},
                        Case{64, 784, 512, 4, 1, 16, 2 * (64 + 128) * 16 * 4, 2 * (2 + 2), 2 * (1 + 2)}}) {
    GraphBuilder g;
    Feeds feeds;
    Output a = Feed(g, feeds, "a", Rand(Shape({c.m, c.k}), 1));
    Output b = Feed(g, feeds, "b", Rand(Shape({c.k, c.n}), 2));
    GpuCompileOptions options = Tiled(arch);
    options.allow_tf32 = true;
    absl::StatusOr<gpu::GpuProgram> p = CompileWith(g, feeds, {g.Add("mm", "MatMul", {a, b})}, options);
    ASSERT_TRUE(p.ok()) << p.status();
    ExpectWellFormed(*p, arch);
    std::vector<const gpu::GpuLaunch*> tiled = TiledLaunches(*p);
    ASSERT_EQ(tiled.size(), 1u);
    EXPECT_EQ(tiled[0]->grid[0], c.grid_x);
    EXPECT_EQ(tiled[0]->grid[1], c.grid_y);
    EXPECT_EQ(tiled[0]->block[0], 256u);
    const std::string kernel = EntryText(p->ptx, tiled[0]->kernel);
    EXPECT_EQ(Count(kernel, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"), c.mma) << c.m;
    EXPECT_EQ(Count(kernel, "fma.rn.f32"), 0) << "the products go to the tensor cores";
    EXPECT_GT(Count(kernel, "-8192;"), 0) << "f32 operands are rounded to TF32 (mask 0xFFFFE000)";
    EXPECT_EQ(SharedBytes(kernel), c.shared);
    EXPECT_EQ(Count(kernel, "ld.shared.v4."), c.fragment_loads) << c.m;
    EXPECT_EQ(Count(kernel, "st.shared.v4."), c.slot_stores) << c.m;
    EXPECT_EQ(Count(kernel, ".shared."), Count(kernel, ".shared.v4.")) << c.m << ": no scalar shared access";
    EXPECT_EQ(Count(kernel, "bar.sync"), 2) << c.m << ": double-buffered, one barrier per step";
    const std::string ptxas = FindPtxas();
    if (ptxas.empty()) continue;
    const std::string report = PtxasVerbose(ptxas, p->ptx, arch, absl::StrCat("tf32_", c.m, "_", arch));
    ASSERT_FALSE(report.empty()) << "ptxas rejected the TF32 kernel for " << arch;
    EXPECT_THAT(report, HasSubstr(" 0 bytes spill stores"));
  }
}

// Float16 and bfloat16 MatMuls take the 16-bit tensor-core instruction (m16n8k16) without
// allow_tf32: 16-bit loads from global memory, no widening and no TF32 rounding, the shared
// tiles holding K pairs as 32-bit words that go straight into the fragment registers.
TEST_P(GpuTiledMlpTest, HalfOperandsTakeTheTensorCores) {
  const std::string arch = GetParam();
  for (DType dtype : {DT_HALF, DT_BFLOAT16}) {
    const std::string name = DTypeName(dtype), ptx_type = dtype == DT_HALF ? "f16" : "bf16";
    GraphBuilder g;
    Feeds feeds;
    Output a = Feed(g, feeds, "a", *Rand(Shape({256, 128}), 1).Cast(dtype));
    Output b = Feed(g, feeds, "b", *Rand(Shape({128, 256}), 2).Cast(dtype));
    absl::StatusOr<gpu::GpuProgram> p =
        CompileWith(g, feeds, {g.Add("mm", "MatMul", {a, b}, A({{"T", MakeAttr(dtype)}}))}, Tiled(arch));
    ASSERT_TRUE(p.ok()) << p.status();
    ExpectWellFormed(*p, arch);
    std::vector<const gpu::GpuLaunch*> tiled = TiledLaunches(*p);
    ASSERT_EQ(tiled.size(), 1u) << name;
    EXPECT_EQ(tiled[0]->grid[0], 2u);
    EXPECT_EQ(tiled[0]->grid[1], 2u);
    const std::string kernel = EntryText(p->ptx, tiled[0]->kernel);
    // Per 32 of K: 2 instructions of K 16 for each of a warp's 4 x 4 tiles of 16 x 8.
    EXPECT_EQ(Count(kernel, absl::StrCat("mma.sync.aligned.m16n8k16.row.col.f32.", ptx_type, ".", ptx_type, ".f32")), 32)
        << name;
    EXPECT_EQ(Count(kernel, "tf32"), 0) << name;
    EXPECT_EQ(Count(kernel, "fma.rn.f32"), 0) << name;
    EXPECT_EQ(Count(kernel, "-8192;"), 0) << name << ": nothing is rounded";
    EXPECT_EQ(Count(kernel, "cvt.f32.f16"), 0) << name << ": nothing is widened before the tensor cores";
    EXPECT_GT(Count(kernel, "ld.global.nc.b16") + Count(kernel, "ld.global.nc.u16") + Count(kernel, "ld.global.b16") +
                  Count(kernel, "ld.global.u16"),
              0)
        << name << ": the operands are read as 16-bit elements";
    // Fragments: one 16-byte slot per A tile (4) and per pair of B tiles (2), per instruction's
    // K; no scalar shared access; each thread stores 2 + 2 slots of 16 bytes per step (and
    // before the loop).
    EXPECT_EQ(Count(kernel, "ld.shared.v4."), 2 * (4 + 2)) << name;
    EXPECT_EQ(Count(kernel, "st.shared.v4."), 2 * (2 + 2)) << name;
    EXPECT_EQ(Count(kernel, ".shared."), Count(kernel, ".shared.v4.")) << name << ": no scalar shared access";
    EXPECT_EQ(Count(kernel, "bar.sync"), 2) << name << ": double-buffered, one barrier per step";
    // Two buffers of two 128-row tiles of 16 words.
    EXPECT_EQ(SharedBytes(kernel), 2 * 2 * 128 * 16 * 4) << name;
    const std::string ptxas = FindPtxas();
    if (ptxas.empty()) continue;
    const std::string report = PtxasVerbose(ptxas, p->ptx, arch, absl::StrCat("half_mm_", name, "_", arch));
    ASSERT_FALSE(report.empty()) << "ptxas rejected the 16-bit kernel for " << arch;
    EXPECT_THAT(report, HasSubstr(" 0 bytes spill stores")) << name;
    // Two blocks of 256 threads per SM: at most 128 registers, which .minnctapersm asks of ptxas.
    EXPECT_THAT(kernel, HasSubstr(".minnctapersm 2")) << name;
    std::smatch regs;
    ASSERT_TRUE(std::regex_search(report, regs, std::regex("Used (\\d+) registers"))) << report;
    EXPECT_LE(std::stoi(regs[1].str()), 128) << report;
  }
}

// A 16-bit convolution keeps its operands 16-bit (the op's lowering sums them in f32 without
// widening them first): im2col gathers them into a 16-bit column buffer and its matmul runs on
// the 16-bit tensor cores, as does the convolution of its input gradient.
TEST_P(GpuTiledMlpTest, HalfConvolutionsTakeTheTensorCores) {
  const std::string arch = GetParam();
  for (DType dtype : {DT_HALF, DT_BFLOAT16}) {
    const std::string name = DTypeName(dtype), ptx_type = dtype == DT_HALF ? "f16" : "bf16";
    GraphBuilder g;
    Feeds feeds;
    Output x = Feed(g, feeds, "x", *Rand(Shape({2, 16, 16, 32}), 1).Cast(dtype));
    Output w = Feed(g, feeds, "w", *Rand(Shape({3, 3, 32, 64}), 2).Cast(dtype));
    Output dy = Feed(g, feeds, "dy", *Rand(Shape({2, 8, 8, 64}), 3).Cast(dtype));
    const AttrMap conv_attrs = A({{"T", MakeAttr(dtype)},
                                  {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                                  {"padding", MakeAttr("SAME")}});
    Output y = g.Add("conv", "Conv2D", {x, w}, conv_attrs);
    Output sizes = g.Const("sizes", Tensor::FromVector<int32_t>({2, 16, 16, 32}));
    Output dx = g.Add("dx", "Conv2DBackpropInput", {sizes, w, dy}, conv_attrs);
    absl::StatusOr<gpu::GpuProgram> p = CompileWith(g, feeds, {y, dx}, Tiled(arch));
    ASSERT_TRUE(p.ok()) << p.status();
    ExpectWellFormed(*p, arch);
    int mma_kernels = 0;
    for (const gpu::GpuStep& s : p->steps) {
      if (s.kind != gpu::GpuStep::Kind::kLaunch) continue;
      const std::string kernel = EntryText(p->ptx, s.launch.kernel);
      if (Count(kernel, absl::StrCat("mma.sync.aligned.m16n8k16.row.col.f32.", ptx_type, ".", ptx_type, ".f32")) > 0) {
        ++mma_kernels;
      }
      EXPECT_EQ(Count(kernel, "tf32"), 0) << name << ": " << s.launch.kernel;
    }
    EXPECT_EQ(mma_kernels, 2) << name << ": the convolution and its input gradient";
    const std::string ptxas = FindPtxas();
    if (ptxas.empty()) continue;
    EXPECT_TRUE(PtxasAccepts(ptxas, p->ptx, arch, absl::StrCat("half_conv_", name, "_", arch)));
  }
}

// Adjacent loops over the same space become one kernel (gpu_fuse_parallel_loops.h) unless an
// iteration would read what another one writes. A 2-layer classifier at batch 1 (K 6 and 5:
// one thread per output): each layer's fill, dot product and bias (+ relu) is one launch, the
// softmax's row max, exp, row sum and division (spaces 1 and 1 x 3) four.
TEST(GpuLoopFusionTest, SmallDenseLayersAreOneKernelEach) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", Rand({1, 6}, 1));
  Output h = g.Add("relu", "Relu", {g.Add("ba1", "BiasAdd", {g.Add("mm1", "MatMul", {x, g.Const("w1", Rand({6, 5}, 2))}), g.Const("b1", Rand({5}, 3))})});
  Output logits = g.Add("ba2", "BiasAdd", {g.Add("mm2", "MatMul", {h, g.Const("w2", Rand({5, 3}, 4))}), g.Const("b2", Rand({3}, 5))});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {g.Add("sm", "Softmax", {logits})});
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectWellFormed(*p, "sm_90");
  EXPECT_EQ(Launches(*p), 2 + 4);
  const std::string first = EntryText(p->ptx, p->steps.front().launch.kernel);
  // The bias load and the relu (a compare and select, or a max) in the first layer's kernel.
  EXPECT_THAT(first, ::testing::ContainsRegex("max\\.f32|max\\.NaN\\.f32|selp\\.f32")) << first;
  EXPECT_EQ(Count(first, "fma.rn.f32"), 6) << first;
  // The dot product's accumulator stays in a register across K (gpu_promote_accumulators.h):
  // the product and the activation are stored once each, not once per K step.
  EXPECT_EQ(Count(first, "st.global.f32"), 2) << first;
}

// A batch-1 dense layer with K >= 128 is a block reduction (one block per output); its bias +
// relu is applied by the thread that stores the total (gpu_epilogue.h): one launch, and the
// product is never stored (no temp buffer). Values: GpuModelsTest.MlpMatchesTheCpu at batch 1.
TEST(GpuBlockReductionTest, ThreadZeroAppliesTheElementwiseConsumer) {
  GraphBuilder g;
  Feeds feeds;
  Output mm = g.Add("mm", "MatMul", {Feed(g, feeds, "x", Rand({1, 784}, 1)), g.Const("w", Rand({784, 512}, 2, 0.05f))});
  Output y = g.Add("relu", "Relu", {g.Add("ba", "BiasAdd", {mm, g.Const("b", Rand({512}, 3))})});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {y});
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectWellFormed(*p, "sm_90");
  ASSERT_EQ(Launches(*p), 1);
  const gpu::GpuLaunch& l = p->steps.front().launch;
  EXPECT_EQ(l.grid[0], 512u);
  const std::string kernel = EntryText(p->ptx, l.kernel);
  EXPECT_GT(Count(kernel, "shfl.sync"), 0) << "a block reduction";
  EXPECT_THAT(kernel, ::testing::ContainsRegex("max\\.f32|max\\.NaN\\.f32|selp\\.f32")) << "the relu";
  for (const gpu::GpuBuffer& b : p->buffers) EXPECT_NE(b.kind, gpu::GpuBuffer::Kind::kTemp);
  EXPECT_EQ(l.args.back().buffer, p->result_buffers[0]);
}

// y = x + 1 (fetched) and its transpose: the same 64 x 64 space, but iteration (i, j) of the
// transpose reads element (j, i): two launches (the emulator test of the same graph,
// GpuModelsTest.TransposedReadOfAFetchedResult, checks the values).
TEST(GpuLoopFusionTest, LoopsReadingOtherIterationsElementsStayApart) {
  GraphBuilder g;
  Feeds feeds;
  Output y = g.Add("y", "Add", {Feed(g, feeds, "x", Rand({64, 64}, 1)), g.Const("one", Tensor::FromVector<float>({1.0f}))});
  Output t = g.Add("t", "Transpose", {y, g.Const("p", Tensor::FromVector<int32_t>({1, 0}))});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {t, y});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Launches(*p), 2);
}

INSTANTIATE_TEST_SUITE_P(Models, GpuTiledMlpTest, ::testing::Values("sm_80", "sm_90"));

// sm_90a: the tensor-core kernels on warpgroup MMAs. Per 32 of K, each of the two warpgroups
// issues 2 wgmma.mma_async of K 16 (f16/bf16) or 4 of K 8 (TF32), N = 128 on 128 x 128 tiles
// (64 where the tile is 64 rows and the warpgroups split its columns), between wgmma.fence and
// one commit; the wait comes after the next tiles' global loads. The MMAs read the tiles
// themselves (no ld.shared); the stores are fenced for the async proxy. Tiles: 8-row groups of
// core matrices, 160 words per 8 rows (K pairs, 4 core matrices 40 words apart) or 288 (TF32: 8
// of them 36 words apart), 16-byte aligned. The same graph for plain sm_90 keeps mma.sync.
TEST(GpuWgmmaTest, Sm90aTensorCoreKernelsUseWarpgroupMmas) {
  struct Case {
    DType dtype;
    int64_t m, k, n;
    std::string instruction;
    int mmas;
    int64_t shared;
  };
  for (const Case& c : {Case{DT_HALF, 256, 128, 256, "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16", 2, 2 * 16 * 160 * 4},
                        Case{DT_BFLOAT16, 256, 128, 256, "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16", 2, 2 * 16 * 160 * 4},
                        Case{DT_HALF, 64, 256, 256, "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16", 2, (8 + 16) * 160 * 4},
                        Case{DT_FLOAT, 256, 128, 256, "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32", 4, 2 * 16 * 288 * 4}}) {
    const std::string name = absl::StrCat(DTypeName(c.dtype), " ", c.m, "x", c.k, "x", c.n);
    for (const std::string arch : {"sm_90a", "sm_90"}) {
      GraphBuilder g;
      Feeds feeds;
      Output a = Feed(g, feeds, "a", *Rand(Shape({c.m, c.k}), 1).Cast(c.dtype));
      Output b = Feed(g, feeds, "b", *Rand(Shape({c.k, c.n}), 2).Cast(c.dtype));
      GpuCompileOptions options = Tiled(arch);
      options.allow_tf32 = c.dtype == DT_FLOAT;
      absl::StatusOr<gpu::GpuProgram> p =
          CompileWith(g, feeds, {g.Add("mm", "MatMul", {a, b}, A({{"T", MakeAttr(c.dtype)}}))}, options);
      ASSERT_TRUE(p.ok()) << p.status();
      ExpectWellFormed(*p, arch);
      std::vector<const gpu::GpuLaunch*> tiled = TiledLaunches(*p);
      ASSERT_EQ(tiled.size(), 1u) << name;
      const std::string kernel = EntryText(p->ptx, tiled[0]->kernel);
      if (arch == "sm_90") {
        EXPECT_EQ(Count(kernel, "wgmma"), 0) << name << ": wgmma is sm_90a's only";
        EXPECT_GT(Count(kernel, "mma.sync.aligned"), 0) << name;
        continue;
      }
      EXPECT_EQ(tiled[0]->block[0], 256u) << name;
      EXPECT_EQ(Count(kernel, c.instruction), c.mmas) << name;
      EXPECT_EQ(Count(kernel, "wgmma.mma_async"), c.mmas) << name;
      EXPECT_EQ(Count(kernel, "mma.sync"), 0) << name;
      EXPECT_EQ(Count(kernel, "wgmma.fence.sync.aligned;"), 1) << name;
      EXPECT_EQ(Count(kernel, "wgmma.commit_group.sync.aligned;"), 1) << name;
      EXPECT_EQ(Count(kernel, "wgmma.wait_group.sync.aligned 0;"), 1) << name;
      EXPECT_EQ(Count(kernel, "fence.proxy.async.shared::cta;"), 1) << name;
      EXPECT_EQ(Count(kernel, "ld.shared"), 0) << name << ": the MMAs read the tiles themselves";
      EXPECT_EQ(Count(kernel, "fma.rn.f32"), 0) << name;
      // The wait follows the next tiles' global loads: the MMAs overlap them.
      const size_t commit = kernel.find("wgmma.commit_group"), wait = kernel.find("wgmma.wait_group");
      ASSERT_NE(commit, std::string::npos);
      ASSERT_NE(wait, std::string::npos);
      EXPECT_GT(Count(kernel.substr(commit, wait - commit), "ld.global"), 0) << name;
      EXPECT_EQ(SharedBytes(kernel), c.shared) << name;
      EXPECT_EQ(Count(p->ptx, ".shared .align 16"), 2) << name;
      const std::string ptxas = FindPtxas();
      if (ptxas.empty()) continue;
      const std::string report = PtxasVerbose(ptxas, p->ptx, arch, absl::StrCat("wgmma_", c.m, "_", DTypeName(c.dtype)));
      ASSERT_FALSE(report.empty()) << "ptxas rejected the wgmma kernel: " << name;
      EXPECT_THAT(report, HasSubstr(" 0 bytes spill stores"));
    }
  }
}

TEST(GpuPtxErrorTest, BadArchIsNamed) {
  GraphBuilder g;
  Feeds feeds;
  Output y = g.Add("y", "Neg", {Feed(g, feeds, "x", Rand({4}, 1))});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {y}, "sm_75x");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("sm_75x"));
  EXPECT_THAT(p.status().message(), HasSubstr("sm_90"));
}

TEST(GpuPtxErrorTest, BadFeaturesAndBlockSize) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", Rand({4}, 1));
  Output y = g.Add("y", "Neg", {x});
  ASSERT_TRUE(InferShapes(&g.graph()).ok());
  CompileRequest request;
  request.graph = &g.graph();
  request.args = {x};
  request.results = {y};
  GpuCompileOptions options;
  options.ptx_features = "ptx80";
  absl::StatusOr<gpu::GpuProgram> p = CompileGpuProgram(request, options);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("ptx80"));
  options = {};
  options.block_size = 100;
  p = CompileGpuProgram(request, options);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("block_size 100"));
}

TEST(GpuPtxErrorTest, NonStaticShapeIsInvalidArgument) {
  GraphBuilder g;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({-1, 4}));
  Output y = g.Add("y", "Relu", {x});
  ASSERT_TRUE(InferShapes(&g.graph()).ok());
  CompileRequest request;
  request.graph = &g.graph();
  request.args = {x};
  request.results = {y};
  absl::StatusOr<gpu::GpuProgram> p = CompileGpuProgram(request, GpuCompileOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("non-static shape"));
  EXPECT_THAT(p.status().message(), HasSubstr("x"));
}

TEST(GpuPtxErrorTest, OpWithoutGpuLoweringNamesTheNode) {
  GraphBuilder g;
  Feeds feeds;
  Output s = Feed(g, feeds, "s", Tensor::Strings({"abc"}, Shape({})));
  Output n = g.Add("length", "StringLength", {s});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {n});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("length"));
}

TEST(GpuPtxErrorTest, F64TranscendentalIsUnimplementedNamingTheNode) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", *Rand({8}, 1).Cast(DT_DOUBLE));
  Output y = g.Add("exp_f64", "Exp", {x});
  absl::StatusOr<gpu::GpuProgram> p = Compile(g, feeds, {y});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnimplemented) << p.status();
  EXPECT_THAT(p.status().message(), HasSubstr("exp_f64"));
}

}  // namespace
}  // namespace strata
