// The op cases of the GPU tests: small graphs covering the foundation op list (Cases) and more
// of what the CPU path's tests cover (MoreCases). tests/compiler/gpu_ptx_test.cc compiles each
// to PTX for ptxas; tests/runtime/gpu_emulator_ops_test.cc runs each on the GPU emulator and
// compares with the CPU backend.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/graph.h"
#include "tests/compiler/graph_test_util.h"

namespace strata::testing_util {

using Feeds = std::vector<std::pair<Output, Tensor>>;

inline Tensor Rand(Shape s, int seed, float scale = 1.0f) { return F32(Pattern(s.num_elements(), seed, scale), s); }
inline Output Feed(GraphBuilder& g, Feeds& feeds, const std::string& name, const Tensor& value) {
  Output o = g.Placeholder(name, value.dtype(), value.shape());
  feeds.push_back({o, value});
  return o;
}
inline AttrMap A(std::initializer_list<std::pair<const std::string, tf::AttrValue>> a) { return AttrMap(a); }

struct OpCase {
  std::string name;
  std::function<std::vector<Output>(GraphBuilder&, Feeds&)> build;
};

inline std::vector<OpCase> Cases() {
  std::vector<OpCase> cases;
  auto unary = [&](const std::string& op) {
    cases.push_back({op, [=](GraphBuilder& g, Feeds& f) {
                       return std::vector<Output>{g.Add("y", op, {Feed(g, f, "x", Rand({2, 3, 37}, 3, 2))})};
                     }});
  };
  for (const char* op : {"Neg", "Abs", "Exp", "Log", "Sqrt", "Rsqrt", "Tanh", "Sigmoid", "Relu", "Relu6", "Elu", "Selu",
                         "Softplus", "Erf", "Square"}) {
    unary(op);
  }
  auto binary = [&](const std::string& op, Shape sa, Shape sb) {
    cases.push_back({op + sa.ToString() + sb.ToString(), [=](GraphBuilder& g, Feeds& f) {
                       return std::vector<Output>{g.Add("z", op, {Feed(g, f, "a", Rand(sa, 1, 5)), Feed(g, f, "b", Rand(sb, 2, 5))})};
                     }});
  };
  for (const char* op : {"Add", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "Pow", "SquaredDifference"}) {
    binary(op, {2, 3, 5}, {5});
  }
  binary("Add", {4, 1}, {1, 7});
  cases.push_back({"Gelu", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({64}, 1, 3));
                     Output e = g.Add("e", "Erf", {g.Add("xs", "Mul", {x, g.Const("r", Tensor::Scalar<float>(0.70710678f))})});
                     Output h = g.Add("h", "Mul", {x, g.Const("half", Tensor::Scalar<float>(0.5f))});
                     return std::vector<Output>{g.Add("y", "Mul", {h, g.Add("e1", "Add", {e, g.Const("one", Tensor::Scalar<float>(1))})})};
                   }});
  cases.push_back({"CastFloatInt", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({13}, 1, 10));
                     Output i = g.Add("i", "Cast", {a}, A({{"DstT", MakeAttr(DT_INT32)}}));
                     return std::vector<Output>{i, g.Add("back", "Cast", {i}, A({{"DstT", MakeAttr(DT_FLOAT)}}))};
                   }});
  cases.push_back({"CompareSelect", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({3, 4}, 1)), b = Feed(g, f, "b", Rand({3, 4}, 2));
                     Output gt = g.Add("gt", "Greater", {a, b}), lt = g.Add("lt", "Less", {a, b}), eq = g.Add("eq", "Equal", {a, b});
                     return std::vector<Output>{g.Add("s", "Select", {gt, a, b}), lt, eq};
                   }});
  cases.push_back({"BiasAdd", [](GraphBuilder& g, Feeds& f) {
                     return std::vector<Output>{g.Add("y", "BiasAdd", {Feed(g, f, "x", Rand({2, 3, 4, 5}, 1)), Feed(g, f, "b", Rand({5}, 2))})};
                   }});
  auto matmul = [&](int64_t m, int64_t k, int64_t n, bool ta, bool tb) {
    cases.push_back({absl::StrCat("MatMul", m, "x", k, "x", n, ta ? "Ta" : "", tb ? "Tb" : ""), [=](GraphBuilder& g, Feeds& f) {
                       Output a = Feed(g, f, "a", Rand(ta ? Shape({k, m}) : Shape({m, k}), 1));
                       Output b = Feed(g, f, "b", Rand(tb ? Shape({n, k}) : Shape({k, n}), 2));
                       return std::vector<Output>{g.Add("mm", "MatMul", {a, b}, A({{"transpose_a", MakeAttr(ta)}, {"transpose_b", MakeAttr(tb)}}))};
                     }});
  };
  matmul(17, 33, 65, false, false);
  matmul(8, 9, 10, true, false);
  matmul(6, 7, 5, false, true);
  matmul(8, 9, 10, true, true);
  cases.push_back({"BatchMatMulV2", [](GraphBuilder& g, Feeds& f) {
                     return std::vector<Output>{g.Add("mm", "BatchMatMulV2", {Feed(g, f, "a", Rand({2, 1, 3, 4}, 1)), Feed(g, f, "b", Rand({3, 4, 5}, 2))})};
                   }});
  auto conv = [&](const std::string& tag, Shape in, Shape filter, std::vector<int> strides, const char* padding) {
    cases.push_back({"Conv2D" + tag, [=](GraphBuilder& g, Feeds& f) {
                       return std::vector<Output>{g.Add("c", "Conv2D", {Feed(g, f, "x", Rand(in, 1)), Feed(g, f, "w", Rand(filter, 2))},
                                                        A({{"strides", MakeAttr(strides)}, {"padding", MakeAttr(padding)}}))};
                     }});
  };
  conv("Same", {2, 9, 11, 3}, {3, 3, 3, 8}, {1, 1, 1, 1}, "SAME");
  conv("ValidStride2", {1, 10, 9, 4}, {3, 2, 4, 6}, {1, 2, 2, 1}, "VALID");
  cases.push_back({"DepthwiseConv2dNative", [](GraphBuilder& g, Feeds& f) {
                     return std::vector<Output>{g.Add("c", "DepthwiseConv2dNative", {Feed(g, f, "x", Rand({1, 7, 8, 3}, 1)), Feed(g, f, "w", Rand({3, 3, 3, 2}, 2))},
                                                      A({{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")}}))};
                   }});
  for (const char* op : {"MaxPool", "AvgPool"}) {
    for (const char* padding : {"SAME", "VALID"}) {
      cases.push_back({absl::StrCat(op, padding), [=](GraphBuilder& g, Feeds& f) {
                         return std::vector<Output>{g.Add("p", op, {Feed(g, f, "x", Rand({2, 7, 9, 3}, 1))},
                                                          A({{"ksize", MakeAttr(std::vector<int>{1, 3, 3, 1})},
                                                             {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})}, {"padding", MakeAttr(padding)}}))};
                       }});
    }
  }
  for (const char* op : {"Sum", "Mean", "Max", "Min", "Prod"}) {
    cases.push_back({op, [=](GraphBuilder& g, Feeds& f) {
                       Output x = Feed(g, f, "x", Rand({3, 4, 5}, 1));
                       Output r = g.Add("r", op, {x, g.Const("axes", Tensor::FromVector<int32_t>({-1, 0}))}, A({{"keep_dims", MakeAttr(true)}}));
                       Output s = g.Add("s", op, {x, g.Const("axis", Tensor::Scalar<int32_t>(1))});
                       Output all = g.Add("all", op, {x, g.Const("all_axes", Tensor::FromVector<int32_t>({0, 1, 2}))});
                       return std::vector<Output>{r, s, all};
                     }});
  }
  cases.push_back({"ArgMax", [](GraphBuilder& g, Feeds& f) {
                     return std::vector<Output>{g.Add("a", "ArgMax", {Feed(g, f, "x", Rand({4, 7}, 1)), g.Const("d", Tensor::Scalar<int32_t>(-1))})};
                   }});
  cases.push_back({"SoftmaxLogSoftmax", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({5, 10}, 1, 8));
                     return std::vector<Output>{g.Add("s", "Softmax", {x}), g.Add("l", "LogSoftmax", {x})};
                   }});
  cases.push_back({"ReshapeTransposeConcat", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({2, 3, 4}, 1));
                     Output r = g.Add("r", "Reshape", {x, g.Const("s", Tensor::FromVector<int32_t>({4, -1}))});
                     Output t = g.Add("t", "Transpose", {x, g.Const("p", Tensor::FromVector<int32_t>({2, 0, 1}))});
                     Output c = g.Add("c", "ConcatV2", {x, x, g.Const("a", Tensor::Scalar<int32_t>(-1))});
                     return std::vector<Output>{g.Add("r2", "Neg", {r}), t, c};
                   }});
  cases.push_back({"PackSqueezeExpandDims", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({3, 1, 4}, 1)), y = Feed(g, f, "y", Rand({3, 1, 4}, 2));
                     Output p = g.Add("p", "Pack", {x, y}, A({{"axis", MakeAttr(1)}}));
                     Output s = g.Add("s", "Squeeze", {x}, A({{"squeeze_dims", MakeAttr(std::vector<int>{1})}}));
                     Output e = g.Add("e", "ExpandDims", {g.Add("sq", "Square", {s}), g.Const("d", Tensor::Scalar<int32_t>(-1))});
                     return std::vector<Output>{p, e};
                   }});
  cases.push_back({"SliceStridedSlicePad", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({5, 6}, 1));
                     Output s = g.Add("s", "Slice", {x, g.Const("b", Tensor::FromVector<int32_t>({1, 2})), g.Const("z", Tensor::FromVector<int32_t>({3, -1}))});
                     Output ss = g.Add("ss", "StridedSlice",
                                       {x, g.Const("b2", Tensor::FromVector<int32_t>({4, 0})), g.Const("e2", Tensor::FromVector<int32_t>({0, 6})),
                                        g.Const("st", Tensor::FromVector<int32_t>({-2, 2}))});
                     Output p = g.Add("p", "Pad", {x, g.Const("pd", Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{1, 2, 0, 3}), Shape({2, 2})))});
                     return std::vector<Output>{s, ss, p};
                   }});
  cases.push_back({"TileOneHot", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({2, 3}, 1));
                     Output t = g.Add("t", "Tile", {x, g.Const("m", Tensor::FromVector<int32_t>({2, 3}))});
                     Output idx = Feed(g, f, "idx", I32({0, 2, -1, 5}, {4}));
                     Output oh = g.Add("oh", "OneHot", {idx, g.Const("depth", Tensor::Scalar<int32_t>(3)), g.Const("on", Tensor::Scalar<float>(1)),
                                                        g.Const("off", Tensor::Scalar<float>(0))});
                     return std::vector<Output>{t, oh};
                   }});
  cases.push_back({"GatherV2", [](GraphBuilder& g, Feeds& f) {
                     Output p = Feed(g, f, "p", Rand({5, 3}, 1));
                     Output i = Feed(g, f, "i", I32({4, 0, 2, 2}, {2, 2}));
                     return std::vector<Output>{g.Add("g", "GatherV2", {p, i, g.Const("ax", Tensor::Scalar<int32_t>(0))})};
                   }});
  cases.push_back({"FusedBatchNormInference", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({2, 3, 3, 4}, 1));
                     Output scale = g.Const("scale", Rand({4}, 2)), offset = g.Const("offset", Rand({4}, 3));
                     Output mean = g.Const("mean", Rand({4}, 4)), var = g.Const("var", F32({0.5f, 1, 2, 3}, {4}));
                     return std::vector<Output>{g.Add("bn", "FusedBatchNorm", {x, scale, offset, mean, var}, A({{"is_training", MakeAttr(false)}}))};
                   }});
  return cases;
}

// Beyond the foundation list: more of what the CPU path's graph_ops_test covers.
inline std::vector<OpCase> MoreCases() {
  std::vector<OpCase> cases;
  for (const char* op : {"Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Reciprocal", "Log1p"}) {
    cases.push_back({op, [=](GraphBuilder& g, Feeds& f) {
                       return std::vector<Output>{g.Add("y", op, {Feed(g, f, "x", Rand({5, 37}, 3, 0.9f))})};
                     }});
  }
  cases.push_back({"LeakyReluAddN", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({3, 5}, 1)), b = Feed(g, f, "b", Rand({3, 5}, 2));
                     Output l = g.Add("l", "LeakyRelu", {a}, A({{"alpha", MakeAttr(0.1f)}}));
                     return std::vector<Output>{g.Add("s", "AddN", {l, b, a})};
                   }});
  cases.push_back({"LogicalOps", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({10}, 1)), b = Feed(g, f, "b", Rand({10}, 2));
                     Output p = g.Add("p", "Less", {a, b}), q = g.Add("q", "Greater", {a, g.Const("z", Tensor::Scalar<float>(0))});
                     Output r = g.Add("r", "LogicalAnd", {p, q});
                     return std::vector<Output>{r, g.Add("t", "LogicalNot", {g.Add("o", "LogicalOr", {p, q})})};
                   }});
  cases.push_back({"IntArithmetic", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", I32({7, -7, 9, 3}, {4})), b = Feed(g, f, "b", I32({2, 3, -4, 5}, {4}));
                     return std::vector<Output>{g.Add("fd", "FloorDiv", {a, b}), g.Add("fm", "FloorMod", {a, b}), g.Add("m", "Mul", {a, b}),
                                                g.Add("mx", "Maximum", {a, b})};
                   }});
  cases.push_back({"CastHalfBool", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({13}, 1, 10));
                     Output h = g.Add("h", "Cast", {a}, A({{"DstT", MakeAttr(DT_HALF)}}));
                     return std::vector<Output>{h, g.Add("b", "Cast", {a}, A({{"DstT", MakeAttr(DT_BOOL)}}))};
                   }});
  cases.push_back({"BoolConstant", [](GraphBuilder& g, Feeds& f) {
                     Output a = Feed(g, f, "a", Rand({4}, 1));
                     Tensor mask = *F32({1, 0, 0, 1}, {4}).Cast(DT_BOOL);
                     return std::vector<Output>{g.Add("s", "Select", {g.Const("mask", mask), a, g.Add("n", "Neg", {a})})};
                   }});
  cases.push_back({"MirrorPadFillRangeBroadcastTo", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({5, 6}, 1));
                     Output m = g.Add("m", "MirrorPad", {x, g.Const("pm", Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{1, 1, 2, 0}), Shape({2, 2})))},
                                      A({{"mode", MakeAttr("REFLECT")}}));
                     Output b = g.Add("b", "BroadcastTo", {x, g.Const("s", Tensor::FromVector<int32_t>({4, 5, 6}))});
                     Output r = g.Add("r", "Range", {g.Const("r0", Tensor::Scalar<int32_t>(3)), g.Const("r1", Tensor::Scalar<int32_t>(11)),
                                                     g.Const("r2", Tensor::Scalar<int32_t>(3))});
                     return std::vector<Output>{m, g.Add("bn", "Neg", {b}), r};
                   }});
  cases.push_back({"GatherNdSplitUnpack", [](GraphBuilder& g, Feeds& f) {
                     Output p = Feed(g, f, "p", Rand({5, 3}, 1));
                     Output i = Feed(g, f, "i", I32({4, 0, 2, 2}, {2, 2}));
                     Output gn = g.Add("gn", "GatherNd", {p, i});
                     Output x = Feed(g, f, "x", Rand({4, 6}, 1));
                     Output s = g.Add("s", "Split", {g.Const("d", Tensor::Scalar<int32_t>(1)), x}, A({{"num_split", MakeAttr(3)}}), 1);
                     Output u = g.Add("u", "Unpack", {x}, A({{"num", MakeAttr(4)}}), 2);
                     return std::vector<Output>{gn, s, u};
                   }});
  cases.push_back({"ResizeDepthToSpace", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({1, 4, 6, 8}, 1));
                     Output rb = g.Add("rb", "ResizeBilinear", {x, g.Const("sz", Tensor::FromVector<int32_t>({7, 5}))});
                     Output rn = g.Add("rn", "ResizeNearestNeighbor", {x, g.Const("sz2", Tensor::FromVector<int32_t>({8, 12}))});
                     Output d2s = g.Add("d2s", "DepthToSpace", {x}, A({{"block_size", MakeAttr(2)}}));
                     return std::vector<Output>{rb, rn, d2s};
                   }});
  cases.push_back({"Conv2DNchwDilatedMaxPoolNchwArgMin", [](GraphBuilder& g, Feeds& f) {
                     Output x = Feed(g, f, "x", Rand({1, 3, 8, 7}, 1)), w = Feed(g, f, "w", Rand({3, 3, 3, 4}, 2));
                     Output c = g.Add("c", "Conv2D", {x, w}, A({{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")},
                                                               {"data_format", MakeAttr("NCHW")}, {"dilations", MakeAttr(std::vector<int>{1, 1, 2, 2})}}));
                     Output p = g.Add("p", "MaxPool", {c}, A({{"ksize", MakeAttr(std::vector<int>{1, 1, 3, 3})}, {"strides", MakeAttr(std::vector<int>{1, 1, 2, 2})},
                                                              {"padding", MakeAttr("SAME")}, {"data_format", MakeAttr("NCHW")}}));
                     return std::vector<Output>{p, g.Add("am", "ArgMin", {x, g.Const("d", Tensor::Scalar<int32_t>(-1))})};
                   }});
  cases.push_back({"LongReductionsOfOtherDtypes", [](GraphBuilder& g, Feeds& f) {
                     Tensor x = Rand({3, 300}, 1, 4);
                     Output i = Feed(g, f, "i", *x.Cast(DT_INT32)), d = Feed(g, f, "d", *x.Cast(DT_DOUBLE)), h = Feed(g, f, "h", *x.Cast(DT_HALF));
                     Output axis = g.Const("axis", Tensor::Scalar<int32_t>(1));
                     return std::vector<Output>{g.Add("si", "Sum", {i, axis}), g.Add("md", "Max", {d, axis}), g.Add("sh", "Sum", {h, axis}),
                                                g.Add("pi", "Prod", {i, axis})};
                   }});
  return cases;
}


inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

}  // namespace strata::testing_util
