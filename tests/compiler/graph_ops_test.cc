// Real TF ops compiled through their lowerings, checked against hand-computed values and
// against the reference evaluator (runtime/reference) on shapes that exercise broadcasting,
// negative axes, odd sizes, size-0 dims, NHWC and NCHW. Ops that have no lowering yet are
// reported as skipped, not failed.
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::Pattern;
using testing_util::I32;
using testing_util::Values;
using ::testing::ElementsAre;

using Feeds = std::vector<std::pair<Output, Tensor>>;

Tensor Rand(Shape s, int seed, float scale = 1.0f) { return F32(Pattern(s.num_elements(), seed, scale), s); }

struct OpCase {
  std::string name;
  // Builds the graph, adds feeds, returns fetches.
  std::function<std::vector<Output>(GraphBuilder&, Feeds&)> build;
  double rtol = 1e-5, atol = 1e-5;
};

// A placeholder fed with `value`.
Output Feed(GraphBuilder& g, Feeds& feeds, const std::string& name, const Tensor& value) {
  Output o = g.Placeholder(name, value.dtype(), value.shape());
  feeds.push_back({o, value});
  return o;
}

AttrMap A(std::initializer_list<std::pair<const std::string, tf::AttrValue>> a) { return AttrMap(a); }

std::vector<OpCase> Cases() {
  std::vector<OpCase> cases;
  auto unary = [&](const std::string& op, float scale = 2.0f, bool positive = false) {
    cases.push_back({op, [=](GraphBuilder& g, Feeds& f) {
                       std::vector<float> v = Pattern(2 * 3 * 37, 3, scale);
                       if (positive)
                         for (float& x : v) x = std::fabs(x) + 0.01f;
                       return std::vector<Output>{g.Add("y", op, {Feed(g, f, "x", F32(v, {2, 3, 37}))})};
                     }});
  };
  for (const char* op : {"Relu", "Relu6", "Sigmoid", "Tanh", "Exp", "Neg", "Abs", "Square", "Floor", "Ceil", "Round",
                         "Sign", "Softplus", "Elu", "Selu", "Erf", "Sin", "Cos", "Reciprocal"}) {
    unary(op, 4.0f);
  }
  for (const char* op : {"Log", "Sqrt", "Rsqrt", "Log1p"}) unary(op, 3.0f, true);
  cases.push_back({"LeakyRelu", [](GraphBuilder& g, Feeds& f) {
                     return std::vector<Output>{g.Add("y", "LeakyRelu", {Feed(g, f, "x", Rand({4, 9}, 1))}, A({{"alpha", MakeAttr(0.1f)}}))};
                   }});

  auto binary = [&](const std::string& op, Shape sa, Shape sb, DType dt = DT_FLOAT) {
    cases.push_back({op + sa.ToString() + sb.ToString(), [=](GraphBuilder& g, Feeds& f) {
                       Tensor a = Rand(sa, 1, 5), b = Rand(sb, 2, 5);
                       if (dt != DT_FLOAT) {
                         a = *a.Cast(dt);
                         b = *b.Cast(dt);
                       }
                       return std::vector<Output>{g.Add("z", op, {Feed(g, f, "a", a), Feed(g, f, "b", b)})};
                     }});
  };
  for (const char* op : {"Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "FloorDiv",
                         "FloorMod", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"}) {
    binary(op, {2, 3, 5}, {5});
    binary(op, {4, 1}, {1, 7});
  }
  for (const char* op : {"Add", "Sub", "Mul", "FloorDiv", "FloorMod", "Div", "Maximum"}) binary(op, {3, 4}, {4}, DT_INT32);
  binary("Pow", {3, 4}, {4});
  binary("Add", {0, 3}, {3});

  cases.push_back({"AddN", [](GraphBuilder& g, Feeds& f) {
                     return std::vector<Output>{g.Add("s", "AddN", {Feed(g, f, "a", Rand({3, 5}, 1)), Feed(g, f, "b", Rand({3, 5}, 2)),
                                                                    Feed(g, f, "c", Rand({3, 5}, 3))})};
                   }});
  cases.push_back({"SelectV2", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({3, 4}, 1)), b = Feed(g, f, "b", Rand({4}, 2));
                     Output c = g.Add("c", "Greater", {a, b});
                     return std::vector<Output>{g.Add("s", "SelectV2", {c, a, b})};
                   }});
  cases.push_back({"LogicalOps", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({10}, 1)), b = Feed(g, f, "b", Rand({10}, 2));
                     Output p = g.Add("p", "Less", {a, b}), q = g.Add("q", "Greater", {a, g.Const("z", Tensor::Scalar<float>(0))});
                     Output r = g.Add("r", "LogicalAnd", {p, q}), s = g.Add("s", "LogicalOr", {p, q});
                     return std::vector<Output>{r, s, g.Add("t", "LogicalNot", {r})};
                   }});
  cases.push_back({"Cast", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({13}, 1, 10));
                     Output i = g.Add("i", "Cast", {a}, A({{"DstT", MakeAttr(DT_INT32)}}));
                     Output h = g.Add("h", "Cast", {a}, A({{"DstT", MakeAttr(DT_HALF)}}));
                     return std::vector<Output>{i, g.Add("b", "Cast", {i}, A({{"DstT", MakeAttr(DT_BOOL)}})), h};
                   }});

  // Matmul family.
  auto matmul = [&](int64_t m, int64_t k, int64_t n, bool ta, bool tb) {
    cases.push_back({absl::StrCat("MatMul", m, "x", k, "x", n, ta ? "T" : "", tb ? "T" : ""), [=](GraphBuilder& g, Feeds& f) {
                       Output a = Feed(g, f, "a", Rand(ta ? Shape({k, m}) : Shape({m, k}), 1));
                       Output b = Feed(g, f, "b", Rand(tb ? Shape({n, k}) : Shape({k, n}), 2));
                       return std::vector<Output>{g.Add("mm", "MatMul", {a, b}, A({{"transpose_a", MakeAttr(ta)}, {"transpose_b", MakeAttr(tb)}}))};
                     }, 1e-4, 1e-4});
  };
  matmul(1, 784, 10, false, false);
  matmul(17, 33, 65, false, false);
  matmul(8, 9, 10, true, true);
  matmul(6, 7, 5, false, true);
  cases.push_back({"BatchMatMulV2", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({2, 1, 3, 4}, 1)), b = Feed(g, f, "b", Rand({3, 4, 5}, 2));
                     return std::vector<Output>{g.Add("mm", "BatchMatMulV2", {a, b})};
                   }, 1e-4, 1e-4});
  cases.push_back({"BiasAddNHWCandNCHW", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({2, 3, 4, 5}, 1)), b5 = Feed(g, f, "b5", Rand({5}, 2)), b3 = Feed(g, f, "b3", Rand({3}, 3));
                     return std::vector<Output>{g.Add("y", "BiasAdd", {x, b5}),
                                                g.Add("z", "BiasAdd", {x, b3}, A({{"data_format", MakeAttr("NCHW")}}))};
                   }});

  // Convolutions and pooling.
  auto conv = [&](const std::string& tag, Shape in, Shape filter, std::vector<int> strides, const char* padding,
                  const char* format = "NHWC", std::vector<int> dilations = {1, 1, 1, 1}) {
    cases.push_back({"Conv2D" + tag, [=](GraphBuilder& g, Feeds& f) {
                       Output x = Feed(g, f, "x", Rand(in, 1)), w = Feed(g, f, "w", Rand(filter, 2));
                       return std::vector<Output>{g.Add("c", "Conv2D", {x, w},
                                                        A({{"strides", MakeAttr(strides)}, {"padding", MakeAttr(padding)},
                                                           {"data_format", MakeAttr(format)}, {"dilations", MakeAttr(dilations)}}))};
                     }, 1e-4, 1e-4});
  };
  conv("Same", {2, 9, 11, 3}, {3, 3, 3, 8}, {1, 1, 1, 1}, "SAME");
  conv("ValidStride2", {1, 10, 9, 4}, {3, 2, 4, 6}, {1, 2, 2, 1}, "VALID");
  conv("Dilated", {1, 10, 10, 2}, {3, 3, 2, 5}, {1, 1, 1, 1}, "SAME", "NHWC", {1, 2, 2, 1});
  conv("NCHW", {1, 3, 8, 7}, {3, 3, 3, 4}, {1, 1, 1, 1}, "SAME", "NCHW");
  cases.push_back({"DepthwiseConv2dNative", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({1, 7, 8, 3}, 1)), w = Feed(g, f, "w", Rand({3, 3, 3, 2}, 2));
                     return std::vector<Output>{g.Add("c", "DepthwiseConv2dNative", {x, w},
                                                      A({{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")}}))};
                   }, 1e-4, 1e-4});
  auto pool = [&](const char* op, const char* padding, const char* format) {
    cases.push_back({absl::StrCat(op, padding, format), [=](GraphBuilder& g, Feeds& f) {
                       Shape s = std::string(format) == "NHWC" ? Shape({2, 7, 9, 3}) : Shape({2, 3, 7, 9});
                       std::vector<int> k = std::string(format) == "NHWC" ? std::vector<int>{1, 3, 3, 1} : std::vector<int>{1, 1, 3, 3};
                       std::vector<int> st = std::string(format) == "NHWC" ? std::vector<int>{1, 2, 2, 1} : std::vector<int>{1, 1, 2, 2};
                       return std::vector<Output>{g.Add("p", op, {Feed(g, f, "x", Rand(s, 1))},
                                                        A({{"ksize", MakeAttr(k)}, {"strides", MakeAttr(st)}, {"padding", MakeAttr(padding)},
                                                           {"data_format", MakeAttr(format)}}))};
                     }});
  };
  for (const char* op : {"MaxPool", "AvgPool"})
    for (const char* padding : {"SAME", "VALID"}) pool(op, padding, "NHWC");
  pool("MaxPool", "SAME", "NCHW");
  cases.push_back({"Softmax", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({5, 10}, 1, 8));
                     return std::vector<Output>{g.Add("s", "Softmax", {x}), g.Add("l", "LogSoftmax", {x})};
                   }});
  cases.push_back({"FusedBatchNormV3Inference", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({2, 3, 3, 4}, 1));
                     Output scale = g.Const("scale", Rand({4}, 2)), offset = g.Const("offset", Rand({4}, 3));
                     Output mean = g.Const("mean", Rand({4}, 4)), var = g.Const("var", F32({0.5f, 1, 2, 3}, {4}));
                     return std::vector<Output>{g.Add("bn", "FusedBatchNormV3", {x, scale, offset, mean, var}, A({{"is_training", MakeAttr(false)}}))};
                   }, 1e-4, 1e-5});

  // Reductions (negative axes, keep_dims) and arg reductions.
  for (const char* op : {"Sum", "Mean", "Max", "Min", "Prod"}) {
    cases.push_back({absl::StrCat(op, "NegAxisKeepDims"), [=](GraphBuilder& g, Feeds& f) {
                       Output x = Feed(g, f, "x", Rand({3, 4, 5}, 1));
                       Output r = g.Add("r", op, {x, g.Const("axes", Tensor::FromVector<int32_t>({-1, 0}))}, A({{"keep_dims", MakeAttr(true)}}));
                       Output s = g.Add("s", op, {x, g.Const("axis", Tensor::Scalar<int32_t>(1))});
                       return std::vector<Output>{r, s};
                     }, 1e-4, 1e-5});
  }
  for (const char* op : {"ArgMax", "ArgMin"}) {
    cases.push_back({op, [=](GraphBuilder& g, Feeds& f) {
                       Output x = Feed(g, f, "x", Rand({4, 7}, 1));
                       return std::vector<Output>{g.Add("a", op, {x, g.Const("d", Tensor::Scalar<int32_t>(-1))})};
                     }});
  }

  // Data movement.
  cases.push_back({"ReshapeTransposeConcat", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({2, 3, 4}, 1));
                     Output r = g.Add("r", "Reshape", {x, g.Const("s", Tensor::FromVector<int32_t>({4, -1}))});
                     Output t = g.Add("t", "Transpose", {x, g.Const("p", Tensor::FromVector<int32_t>({2, 0, 1}))});
                     Output c = g.Add("c", "ConcatV2", {x, x, g.Const("a", Tensor::Scalar<int32_t>(-1))});
                     return std::vector<Output>{r, t, c};
                   }});
  cases.push_back({"PackUnpackSqueezeExpandDims", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({3, 1, 4}, 1)), y = Feed(g, f, "y", Rand({3, 1, 4}, 2));
                     Output p = g.Add("p", "Pack", {x, y}, A({{"axis", MakeAttr(1)}}));
                     Output u = g.Add("u", "Unpack", {x}, A({{"num", MakeAttr(3)}}), 2);
                     Output s = g.Add("s", "Squeeze", {x}, A({{"squeeze_dims", MakeAttr(std::vector<int>{1})}}));
                     Output e = g.Add("e", "ExpandDims", {s, g.Const("d", Tensor::Scalar<int32_t>(-1))});
                     return std::vector<Output>{p, u, e};
                   }});
  cases.push_back({"SliceStridedSlicePad", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({5, 6}, 1));
                     Output s = g.Add("s", "Slice", {x, g.Const("b", Tensor::FromVector<int32_t>({1, 2})), g.Const("z", Tensor::FromVector<int32_t>({3, -1}))});
                     Output ss = g.Add("ss", "StridedSlice",
                                       {x, g.Const("b2", Tensor::FromVector<int32_t>({4, 0})), g.Const("e2", Tensor::FromVector<int32_t>({0, 6})),
                                        g.Const("st", Tensor::FromVector<int32_t>({-2, 2}))});
                     Output p = g.Add("p", "Pad", {x, g.Const("pd", Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{1, 2, 0, 3}), Shape({2, 2})))});
                     Output m = g.Add("m", "MirrorPad", {x, g.Const("pm", Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{1, 1, 2, 0}), Shape({2, 2})))},
                                      A({{"mode", MakeAttr("REFLECT")}}));
                     return std::vector<Output>{s, ss, p, m};
                   }});
  cases.push_back({"TileBroadcastToFillRangeOneHot", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({2, 3}, 1));
                     Output t = g.Add("t", "Tile", {x, g.Const("m", Tensor::FromVector<int32_t>({2, 3}))});
                     Output b = g.Add("b", "BroadcastTo", {x, g.Const("s", Tensor::FromVector<int32_t>({4, 2, 3}))});
                     Output fl = g.Add("fl", "Fill", {g.Const("fs", Tensor::FromVector<int32_t>({2, 2})), g.Const("fv", Tensor::Scalar<float>(1.5f))});
                     Output r = g.Add("r", "Range", {g.Const("r0", Tensor::Scalar<int32_t>(3)), g.Const("r1", Tensor::Scalar<int32_t>(11)),
                                                     g.Const("r2", Tensor::Scalar<int32_t>(3))});
                     Output idx = Feed(g, f, "idx", I32({0, 2, -1, 5}, {4}));
                     Output oh = g.Add("oh", "OneHot", {idx, g.Const("depth", Tensor::Scalar<int32_t>(3)), g.Const("on", Tensor::Scalar<float>(1)),
                                                        g.Const("off", Tensor::Scalar<float>(0))});
                     return std::vector<Output>{t, b, fl, r, oh};
                   }});
  cases.push_back({"GatherV2AndGatherNd", [](GraphBuilder& g, Feeds& f) {
                     Output p = Feed(g, f, "p", Rand({5, 3}, 1));
                     Output i = Feed(g, f, "i", I32({4, 0, 2, 2}, {2, 2}));
                     Output gv = g.Add("g", "GatherV2", {p, i, g.Const("ax", Tensor::Scalar<int32_t>(0))});
                     Output gn = g.Add("gn", "GatherNd", {p, i});
                     return std::vector<Output>{gv, gn};
                   }});
  cases.push_back({"SplitAndSplitV", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({4, 6}, 1));
                     Output s = g.Add("s", "Split", {g.Const("d", Tensor::Scalar<int32_t>(1)), x}, A({{"num_split", MakeAttr(3)}}), 1);
                     Output v = g.Add("v", "SplitV", {x, g.Const("sz", Tensor::FromVector<int32_t>({1, -1})), g.Const("d2", Tensor::Scalar<int32_t>(0))},
                                      A({{"num_split", MakeAttr(2)}}), 1);
                     return std::vector<Output>{s, v};
                   }});
  cases.push_back({"ResizeAndDepthToSpace", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({1, 4, 6, 8}, 1));
                     Output rb = g.Add("rb", "ResizeBilinear", {x, g.Const("sz", Tensor::FromVector<int32_t>({7, 5}))});
                     Output rn = g.Add("rn", "ResizeNearestNeighbor", {x, g.Const("sz2", Tensor::FromVector<int32_t>({8, 12}))});
                     Output d2s = g.Add("d2s", "DepthToSpace", {x}, A({{"block_size", MakeAttr(2)}}));
                     Output s2d = g.Add("s2d", "SpaceToDepth", {x}, A({{"block_size", MakeAttr(2)}}));
                     return std::vector<Output>{rb, rn, d2s, s2d};
                   }, 1e-4, 1e-5});
  return cases;
}

class GraphOpsTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(GraphOpsTest, MatchesReferenceEvaluator) {
  const OpCase& c = GetParam();
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> fetches = c.build(g, feeds);
  if (!g.status().ok()) GTEST_SKIP() << "cannot build: " << g.status();
  for (const Output& o : fetches) ASSERT_TRUE(o.valid());
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, fetches);
  if (run.status().code() == absl::StatusCode::kUnimplemented) GTEST_SKIP() << run.status();
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, fetches);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(run->results.size(), want->size());
  for (size_t i = 0; i < want->size(); ++i) {
    EXPECT_TRUE(AllClose(run->results[i], (*want)[i], c.rtol, c.atol)) << "fetch " << i << " (" << fetches[i].name() << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, GraphOpsTest, ::testing::ValuesIn(Cases()), [](const ::testing::TestParamInfo<OpCase>& info) {
  std::string n = info.param.name;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

// Hand-computed values, independent of the reference evaluator.
TEST(GraphOpsHandTest, MlpLayer) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", F32({1, 2, -1, 0}, {2, 2}));
  Output w = g.Const("w", F32({1, -1, 2, 0.5f}, {2, 2}));
  Output b = g.Const("b", F32({0.5f, -3}, {2}));
  Output y = g.Add("relu", "Relu", {g.Add("ba", "BiasAdd", {g.Add("mm", "MatMul", {x, w}), b})});
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {y});
  if (run.status().code() == absl::StatusCode::kUnimplemented) GTEST_SKIP() << run.status();
  ASSERT_TRUE(run.ok()) << run.status();
  // [1,2]x[[1,-1],[2,.5]] = [5, 0] + b = [5.5, -3] -> relu [5.5, 0]; [-1,0] -> [-1, 1] + b = [-.5, -2] -> [0, 0]
  EXPECT_THAT(Values<float>(run->results[0]), ElementsAre(5.5f, 0, 0, 0));
}

TEST(GraphOpsHandTest, SoftmaxRowsSumToOne) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", F32({1, 2, 3, 1000, 1000, 1000}, {2, 3}));
  Output s = g.Add("s", "Softmax", {x});
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {s});
  if (run.status().code() == absl::StatusCode::kUnimplemented) GTEST_SKIP() << run.status();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(AllClose(run->results[0], F32({0.09003057f, 0.24472847f, 0.66524096f, 1 / 3.f, 1 / 3.f, 1 / 3.f}, {2, 3})));
}

TEST(GraphOpsHandTest, FetchingAFedTensorAndAConstant) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", F32({1, 2}, {2}));
  Output c = g.Const("c", F32({7, 8, 9}, {3}));
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {x, c, x});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_THAT(Values<float>(run->results[0]), ElementsAre(1, 2));
  EXPECT_THAT(Values<float>(run->results[1]), ElementsAre(7, 8, 9));
  EXPECT_THAT(Values<float>(run->results[2]), ElementsAre(1, 2));
}

TEST(GraphOpsHandTest, UnfedPlaceholderIsInvalidArgument) {
  GraphBuilder g;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({2}));
  Output y = g.Placeholder("y", DT_FLOAT, Shape({2}));
  Output z = g.Add("z", "Add", {x, y});
  Feeds feeds = {{x, F32({1, 2}, {2})}};
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {z});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(run.status().message(), ::testing::HasSubstr("'y'"));
}

TEST(GraphOpsHandTest, GatherOutOfRangeAtRunTimeNamesTheNode) {
  GraphBuilder g;
  Feeds feeds;
  Output p = Feed(g, feeds, "params", F32({1, 2, 3}, {3}));
  Output i = Feed(g, feeds, "indices", I32({0, 7}, {2}));
  Output gv = g.Add("lookup", "GatherV2", {p, i, g.Const("ax", Tensor::Scalar<int32_t>(0))});
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {gv});
  if (run.status().code() == absl::StatusCode::kUnimplemented) GTEST_SKIP() << run.status();
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(run.status().message(), ::testing::HasSubstr("lookup"));
}

}  // namespace
}  // namespace strata
