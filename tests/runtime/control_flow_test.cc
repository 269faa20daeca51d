// TF1 control flow in a Session (runtime/control_flow_regions.h, control_flow_executor.h):
// conds (Switch/Merge), while loops as frames (Enter/Merge/Switch/LoopCond/NextIteration/Exit),
// nested loops, a loop in an untaken branch, TensorArrays and TensorLists inside loops, and the
// error paths. Graphs are built as NodeDefs the way tf.cond / tf.while_loop / tf.map_fn build
// them; expected values are computed by hand in each test.
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "graph/attr_value.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/control_flow_executor.h"
#include "runtime/control_flow_regions.h"
#include "runtime/session.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Attrs = std::map<std::string, tf::AttrValue>;
using Names = std::vector<std::string>;

// Appends NodeDefs; type attrs that follow from the inputs are inferred on import.
class Builder {
 public:
  std::string Op(const std::string& name, const std::string& op, Names inputs, Attrs attrs = {}) {
    tf::NodeDef* n = def.add_node();
    n->set_name(name);
    n->set_op(op);
    for (std::string& in : inputs) n->add_input(std::move(in));
    for (auto& [k, v] : attrs) (*n->mutable_attr())[k] = v;
    return name;
  }
  std::string Const(const std::string& name, const Tensor& value, Names control = {}) {
    return Op(name, "Const", std::move(control), {{"dtype", MakeAttr(value.dtype())}, {"value", MakeAttr(value)}});
  }
  std::string Int(const std::string& name, int32_t v, Names control = {}) {
    return Const(name, Tensor::Scalar<int32_t>(v), std::move(control));
  }
  std::string Placeholder(const std::string& name, DType dtype, const Shape& shape = Shape::UnknownRank()) {
    return Op(name, "Placeholder", {}, {{"dtype", MakeAttr(dtype)}, {"shape", MakeAttr(shape)}});
  }
  // Dimension 0 of x's shape, as an int32 scalar.
  std::string Dim0(const std::string& name, const std::string& x) {
    std::string shape = Op(name + "/shape", "Shape", {x});
    std::string b = Const(name + "/begin", Tensor::FromVector<int32_t>({0}));
    std::string e = Const(name + "/end", Tensor::FromVector<int32_t>({1}));
    std::string s = Const(name + "/strides", Tensor::FromVector<int32_t>({1}));
    return Op(name, "StridedSlice", {shape, b, e, s}, {{"shrink_axis_mask", MakeAttr(1)}});
  }

  tf::GraphDef def;
};

using CondFn = std::function<std::string(const Names& vars, const Names& invariants, const std::string& pivot)>;
using BodyFn = std::function<Names(const Names& vars, const Names& invariants, const std::string& pivot)>;

// tf.while_loop as TF1 builds it: per loop variable Enter -> Merge -> Switch(LoopCond) ->
// Identity (the body's input) / Exit, NextIteration -> Merge; invariants enter with
// is_constant. Constants inside cond and body take a control input from the pivot. Returns the
// Exit of each variable.
Names WhileLoop(Builder& b, const std::string& frame, const Names& vars, const std::vector<DType>& types,
                const Names& invariants, const CondFn& cond, const BodyFn& body) {
  Names merges, idents, exits, entered;
  for (size_t k = 0; k < invariants.size(); ++k) {
    entered.push_back(b.Op(absl::StrCat(frame, "/InvariantEnter_", k), "Enter", {invariants[k]},
                           {{"frame_name", MakeAttr(frame)}, {"is_constant", MakeAttr(true)}}));
  }
  for (size_t k = 0; k < vars.size(); ++k) {
    std::string enter = b.Op(absl::StrCat(frame, "/Enter_", k), "Enter", {vars[k]},
                             {{"frame_name", MakeAttr(frame)}, {"T", MakeAttr(types[k])}});
    merges.push_back(b.Op(absl::StrCat(frame, "/Merge_", k), "Merge", {enter, absl::StrCat(frame, "/NextIteration_", k)},
                          {{"T", MakeAttr(types[k])}, {"N", MakeAttr(2)}}));
  }
  const std::string c = cond(merges, entered, "^" + merges[0]);
  const std::string loop_cond = b.Op(frame + "/LoopCond", "LoopCond", {c});
  for (size_t k = 0; k < vars.size(); ++k) {
    std::string sw = b.Op(absl::StrCat(frame, "/Switch_", k), "Switch", {merges[k], loop_cond});
    idents.push_back(b.Op(absl::StrCat(frame, "/Identity_", k), "Identity", {sw + ":1"}));
    exits.push_back(b.Op(absl::StrCat(frame, "/Exit_", k), "Exit", {sw}));
  }
  const Names next = body(idents, entered, "^" + idents[0]);
  for (size_t k = 0; k < vars.size(); ++k) {
    b.Op(absl::StrCat(frame, "/NextIteration_", k), "NextIteration", {next[k]}, {{"T", MakeAttr(types[k])}});
  }
  return exits;
}

// i = 0; while i < n: i += 1   (the exit is "count/Exit_0")
void CountingLoop(Builder& b, const std::string& n) {
  const std::string zero = b.Int("zero", 0);
  WhileLoop(
      b, "count", {zero}, {DT_INT32}, {n},
      [&](const Names& v, const Names& inv, const std::string&) { return b.Op("count/Less", "Less", {v[0], inv[0]}); },
      [&](const Names& v, const Names&, const std::string& pivot) {
        return Names{b.Op("count/add", "AddV2", {v[0], b.Int("count/one", 1, {pivot})})};
      });
}

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.flat<float>().begin(), t.flat<float>().end());
}
std::vector<int32_t> Ints(const Tensor& t) {
  return std::vector<int32_t>(t.flat<int32_t>().begin(), t.flat<int32_t>().end());
}
Tensor Matrix(std::vector<float> v, int64_t rows, int64_t cols) {
  return Tensor::FromVector<float>(absl::MakeConstSpan(v), Shape{rows, cols});
}

class ControlFlowTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!IsBackendAvailable(GetParam())) GTEST_SKIP() << "backend " << GetParam() << " not in this build";
  }
  absl::StatusOr<std::unique_ptr<Session>> MakeSession(const tf::GraphDef& def) {
    SessionOptions options;
    options.backend = GetParam();
    return Session::Create(def, options);
  }
  std::unique_ptr<Session> MustMakeSession(const tf::GraphDef& def) {
    absl::StatusOr<std::unique_ptr<Session>> s = MakeSession(def);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
};

// y = p ? x * 2 : x + 10; then Neg(y) runs compiled after the cond.
TEST_P(ControlFlowTest, CondTakesEitherBranch) {
  Builder b;
  b.Placeholder("x", DT_FLOAT, Shape{});
  b.Placeholder("p", DT_BOOL, Shape{});
  b.Op("sw", "Switch", {"x", "p"});
  b.Op("t", "Mul", {"sw:1", b.Const("two", Tensor::Scalar<float>(2))});
  b.Op("f", "AddV2", {"sw:0", b.Const("ten", Tensor::Scalar<float>(10))});
  b.Op("merge", "Merge", {"f", "t"});
  b.Op("neg", "Neg", {"merge"});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  ASSERT_TRUE(s->Run({{"x", Tensor::Scalar<float>(3)}, {"p", Tensor::Scalar<bool>(true)}}, {"merge", "merge:1", "neg"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(6));
  EXPECT_THAT(Ints(out[1]), ElementsAre(1));
  EXPECT_THAT(Floats(out[2]), ElementsAre(-6));
  ASSERT_TRUE(s->Run({{"x", Tensor::Scalar<float>(3)}, {"p", Tensor::Scalar<bool>(false)}}, {"merge", "merge:1", "neg"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(13));
  EXPECT_THAT(Ints(out[1]), ElementsAre(0));
  EXPECT_THAT(Floats(out[2]), ElementsAre(-13));
}

TEST_P(ControlFlowTest, WhileLoopCountsToN) {
  Builder b;
  CountingLoop(b, b.Placeholder("n", DT_INT32, Shape{}));
  b.Op("twice", "AddV2", {"count/Exit_0", "count/Exit_0"});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  for (int n : {5, 1, 0, 37}) {
    std::vector<Tensor> out;
    ASSERT_TRUE(s->Run({{"n", Tensor::Scalar<int32_t>(n)}}, {"count/Exit_0", "twice"}, &out).ok()) << n;
    EXPECT_THAT(Ints(out[0]), ElementsAre(n));
    EXPECT_THAT(Ints(out[1]), ElementsAre(2 * n));
  }
}

// Region programs are shared: many threads run the same loop at once, each with its own state.
TEST_P(ControlFlowTest, ManyThreadsRunOneLoop) {
  Builder b;
  CountingLoop(b, b.Placeholder("n", DT_INT32, Shape{}));
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const int n = 3 * t + i;
        std::vector<Tensor> out;
        if (!s->Run({{"n", Tensor::Scalar<int32_t>(n)}}, {"count/Exit_0"}, &out).ok()) return;
        if (out[0].scalar<int32_t>() != n) return;
      }
      ok[t] = 1;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(ok, ElementsAre(1, 1, 1, 1));
}

// acc = 0; for i in range(n): acc += x   (x enters as a loop invariant) -> n * x
TEST_P(ControlFlowTest, WhileLoopAccumulatesWithLoopInvariant) {
  Builder b;
  b.Placeholder("x", DT_FLOAT, Shape{3});
  b.Placeholder("n", DT_INT32, Shape{});
  const Names exits = WhileLoop(
      b, "acc", {b.Int("i0", 0), b.Const("acc0", Tensor::FromVector<float>({0, 0, 0}))}, {DT_INT32, DT_FLOAT}, {"n", "x"},
      [&](const Names& v, const Names& inv, const std::string&) { return b.Op("acc/Less", "Less", {v[0], inv[0]}); },
      [&](const Names& v, const Names& inv, const std::string& pivot) {
        return Names{b.Op("acc/next_i", "AddV2", {v[0], b.Int("acc/one", 1, {pivot})}),
                     b.Op("acc/next_acc", "AddV2", {v[1], inv[1]})};
      });
  b.Op("scaled", "Mul", {exits[1], b.Const("half", Tensor::Scalar<float>(0.5f))});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  ASSERT_TRUE(s->Run({{"x", Tensor::FromVector<float>({1, 2, 3})}, {"n", Tensor::Scalar<int32_t>(4)}},
                     {exits[0], exits[1], "scaled"}, &out)
                  .ok());
  EXPECT_THAT(Ints(out[0]), ElementsAre(4));
  EXPECT_THAT(Floats(out[1]), ElementsAre(4, 8, 12));
  EXPECT_THAT(Floats(out[2]), ElementsAre(2, 4, 6));
}

// for i in range(m): for j in range(i): acc += 1   -> m * (m - 1) / 2
TEST_P(ControlFlowTest, NestedLoops) {
  Builder b;
  b.Placeholder("m", DT_INT32, Shape{});
  const Names exits = WhileLoop(
      b, "outer", {b.Int("i0", 0), b.Int("acc0", 0)}, {DT_INT32, DT_INT32}, {"m"},
      [&](const Names& v, const Names& inv, const std::string&) { return b.Op("outer/Less", "Less", {v[0], inv[0]}); },
      [&](const Names& v, const Names&, const std::string& pivot) {
        const Names inner = WhileLoop(
            b, "outer/inner", {b.Int("outer/j0", 0, {pivot}), v[1]}, {DT_INT32, DT_INT32}, {v[0]},
            [&](const Names& w, const Names& inv, const std::string&) {
              return b.Op("outer/inner/Less", "Less", {w[0], inv[0]});
            },
            [&](const Names& w, const Names&, const std::string& inner_pivot) {
              const std::string one = b.Int("outer/inner/one", 1, {inner_pivot});
              return Names{b.Op("outer/inner/next_j", "AddV2", {w[0], one}),
                           b.Op("outer/inner/next_acc", "AddV2", {w[1], one})};
            });
        return Names{b.Op("outer/next_i", "AddV2", {v[0], b.Int("outer/one", 1, {pivot})}), inner[1]};
      });
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  for (int m : {4, 0, 1, 7}) {
    std::vector<Tensor> out;
    ASSERT_TRUE(s->Run({{"m", Tensor::Scalar<int32_t>(m)}}, {exits[0], exits[1]}, &out).ok()) << m;
    EXPECT_THAT(Ints(out[0]), ElementsAre(m));
    EXPECT_THAT(Ints(out[1]), ElementsAre(m * (m - 1) / 2)) << m;
  }
}

// y = p ? (count to n) : 7. When p is false the loop's frame is dead: its Exit reaches the Merge
// as a dead tensor once the frame is done.
TEST_P(ControlFlowTest, LoopInUntakenBranchIsDead) {
  Builder b;
  b.Placeholder("p", DT_BOOL, Shape{});
  b.Placeholder("n", DT_INT32, Shape{});
  b.Op("pred_sw", "Switch", {"p", "p"});
  const std::string then_pivot = b.Op("then_pivot", "Identity", {"pred_sw:1"});
  const std::string else_pivot = b.Op("else_pivot", "Identity", {"pred_sw:0"});
  b.Op("n_sw", "Switch", {"n", "p"});
  const Names exits = WhileLoop(
      b, "then/loop", {b.Int("then/zero", 0, {"^" + then_pivot})}, {DT_INT32}, {"n_sw:1"},
      [&](const Names& v, const Names& inv, const std::string&) { return b.Op("then/loop/Less", "Less", {v[0], inv[0]}); },
      [&](const Names& v, const Names&, const std::string& pivot) {
        return Names{b.Op("then/loop/add", "AddV2", {v[0], b.Int("then/loop/one", 1, {pivot})})};
      });
  b.Op("merge", "Merge", {b.Int("else/seven", 7, {"^" + else_pivot}), exits[0]});
  b.Op("neg", "Neg", {"merge"});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  ASSERT_TRUE(s->Run({{"p", Tensor::Scalar<bool>(true)}, {"n", Tensor::Scalar<int32_t>(5)}}, {"merge", "neg"}, &out).ok());
  EXPECT_THAT(Ints(out[0]), ElementsAre(5));
  EXPECT_THAT(Ints(out[1]), ElementsAre(-5));
  absl::Status st = s->Run({{"p", Tensor::Scalar<bool>(false)}, {"n", Tensor::Scalar<int32_t>(5)}}, {"merge", "neg"}, &out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(Ints(out[0]), ElementsAre(7));
  EXPECT_THAT(Ints(out[1]), ElementsAre(-7));
}

// tf.map_fn(lambda r: r * 2, x) with TF1 TensorArrays: scatter the rows, read each in the loop,
// write the result, then size/gather/read after the loop (the Range between size and gather
// joins the region).
TEST_P(ControlFlowTest, TensorArrayMapInLoop) {
  Builder b;
  b.Placeholder("x", DT_FLOAT, Shape{-1, 2});
  const std::string n = b.Dim0("n", "x");
  const Attrs float_ta = {{"dtype", MakeAttr(DT_FLOAT)}};
  b.Op("ta_in", "TensorArrayV3", {n}, float_ta);
  const std::string zero = b.Int("zero", 0), one = b.Int("one", 1);
  b.Op("rows", "Range", {zero, n, one});
  b.Op("scatter", "TensorArrayScatterV3", {"ta_in", "rows", "x", "ta_in:1"});
  b.Op("ta_out", "TensorArrayV3", {n},
       {{"dtype", MakeAttr(DT_FLOAT)}, {"clear_after_read", MakeAttr(false)}, {"element_shape", MakeAttr(Shape{2})}});
  const Names exits = WhileLoop(
      b, "map", {zero, "ta_out:1"}, {DT_INT32, DT_FLOAT}, {n, "ta_in", "scatter", "ta_out"},
      [&](const Names& v, const Names& inv, const std::string&) { return b.Op("map/Less", "Less", {v[0], inv[0]}); },
      [&](const Names& v, const Names& inv, const std::string& pivot) {
        std::string row = b.Op("map/read", "TensorArrayReadV3", {inv[1], v[0], inv[2]}, float_ta);
        std::string y = b.Op("map/double", "Mul", {row, b.Const("map/two", Tensor::Scalar<float>(2), {pivot})});
        std::string w = b.Op("map/write", "TensorArrayWriteV3", {inv[3], v[0], y, v[1]});
        return Names{b.Op("map/next_i", "AddV2", {v[0], b.Int("map/one", 1, {pivot})}), w};
      });
  b.Op("size", "TensorArraySizeV3", {"ta_out", exits[1]});
  b.Op("indices", "Range", {zero, "size", one});
  b.Op("gathered", "TensorArrayGatherV3", {"ta_out", "indices", exits[1]},
       {{"dtype", MakeAttr(DT_FLOAT)}, {"element_shape", MakeAttr(Shape{2})}});
  b.Op("row1", "TensorArrayReadV3", {"ta_out", one, exits[1]}, float_ta);
  b.Op("total", "Sum", {"gathered", b.Const("axes", Tensor::FromVector<int32_t>({0, 1}))});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  absl::Status st = s->Run({{"x", Matrix({1, 2, 3, 4, 5, 6}, 3, 2)}}, {"gathered", "size", "row1", "total"}, &out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(out[0].shape(), Shape({3, 2}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(2, 4, 6, 8, 10, 12));
  EXPECT_THAT(Ints(out[1]), ElementsAre(3));
  EXPECT_THAT(Floats(out[2]), ElementsAre(6, 8));
  EXPECT_THAT(Floats(out[3]), ElementsAre(42));
  // Another row count (the region runs as a whole, so row1 must exist).
  st = s->Run({{"x", Matrix({-1, 0.5f, 3, -2}, 2, 2)}}, {"gathered", "size", "row1"}, &out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(Floats(out[0]), ElementsAre(-2, 1, 6, -4));
  EXPECT_THAT(Ints(out[1]), ElementsAre(2));
  EXPECT_THAT(Floats(out[2]), ElementsAre(6, -4));
}

// The same map with TF2's TensorLists: FromTensor, Reserve, GetItem/SetItem in the loop, Stack
// and Length after it.
TEST_P(ControlFlowTest, TensorListMapInLoop) {
  Builder b;
  b.Placeholder("x", DT_FLOAT, Shape{-1, 2});
  const std::string n = b.Dim0("n", "x");
  const std::string elem_shape = b.Const("elem_shape", Tensor::FromVector<int32_t>({2}));
  const Attrs float_list = {{"element_dtype", MakeAttr(DT_FLOAT)}};
  b.Op("list_in", "TensorListFromTensor", {"x", elem_shape}, float_list);
  b.Op("list_out", "TensorListReserve", {elem_shape, n}, float_list);
  const Names exits = WhileLoop(
      b, "map", {b.Int("zero", 0), "list_out"}, {DT_INT32, DT_VARIANT}, {n, "list_in"},
      [&](const Names& v, const Names& inv, const std::string&) { return b.Op("map/Less", "Less", {v[0], inv[0]}); },
      [&](const Names& v, const Names& inv, const std::string& pivot) {
        std::string shape = b.Const("map/shape", Tensor::FromVector<int32_t>({2}), {pivot});
        std::string row = b.Op("map/get", "TensorListGetItem", {inv[1], v[0], shape}, float_list);
        std::string y = b.Op("map/plus1", "AddV2", {row, b.Const("map/one_f", Tensor::Scalar<float>(1), {pivot})});
        std::string l = b.Op("map/set", "TensorListSetItem", {v[1], v[0], y}, float_list);
        return Names{b.Op("map/next_i", "AddV2", {v[0], b.Int("map/one", 1, {pivot})}), l};
      });
  b.Op("stacked", "TensorListStack", {exits[1], elem_shape}, float_list);
  b.Op("length", "TensorListLength", {exits[1]});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  absl::Status st = s->Run({{"x", Matrix({1, 2, 3, 4, 5, 6}, 3, 2)}}, {"stacked", "length"}, &out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(out[0].shape(), Shape({3, 2}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(2, 3, 4, 5, 6, 7));
  EXPECT_THAT(Ints(out[1]), ElementsAre(3));
}

// Not control flow, but what TF's detection post-processing does around it: Range(0, Sum(mask))
// has static input shapes and a value-dependent output shape, so the staged runner evaluates it
// on the host (runtime/control_flow_host_eval.h) between compiled clusters.
TEST_P(ControlFlowTest, ValueDependentShapeRunsOnTheHost) {
  Builder b;
  b.Placeholder("x", DT_FLOAT, Shape{5});
  b.Op("mask", "Greater", {"x", b.Const("zero_f", Tensor::Scalar<float>(0))});
  b.Op("where", "Where", {"mask"});  // a host op: the graph runs staged
  b.Op("mask_i", "Cast", {"mask"}, {{"DstT", MakeAttr(DT_INT32)}});
  b.Op("count", "Sum", {"mask_i", b.Int("axis", 0)});
  b.Op("r", "Range", {b.Int("zero", 0), "count", b.Int("one", 1)});
  b.Op("r_f", "Cast", {"r"}, {{"DstT", MakeAttr(DT_FLOAT)}});
  b.Op("y", "Mul", {"r_f", b.Const("two", Tensor::Scalar<float>(2))});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  absl::Status st = s->Run({{"x", Tensor::FromVector<float>({1, -2, 3, 0, 5})}}, {"where", "y"}, &out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(out[0].shape(), Shape({3, 1}));
  EXPECT_THAT(Floats(out[1]), ElementsAre(0, 2, 4));
  st = s->Run({{"x", Tensor::FromVector<float>({-1, -1, -1, -1, 2})}}, {"where", "y"}, &out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(Floats(out[1]), ElementsAre(0));
}

// ---- Errors ----

TEST_P(ControlFlowTest, LoopCondThatIsNotAScalarBoolFails) {
  Builder b;
  CountingLoop(b, b.Placeholder("n", DT_INT32));  // shape unknown until run time
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  absl::Status st = s->Run({{"n", Tensor::FromVector<int32_t>({1, 2})}}, {"count/Exit_0"}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("count/LoopCond"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("must be a scalar bool, got bool[2]"));

  // Known statically (the condition reads only a loop invariant of shape [2]): the Session
  // reports it when it is made.
  Builder b2;
  b2.Placeholder("n", DT_INT32, Shape{2});
  WhileLoop(
      b2, "count", {b2.Int("zero", 0)}, {DT_INT32}, {"n"},
      [&](const Names&, const Names& inv, const std::string&) { return b2.Op("count/Less", "Less", {inv[0], inv[0]}); },
      [&](const Names& v, const Names&, const std::string&) { return Names{v[0]}; });
  absl::StatusOr<std::unique_ptr<Session>> s2 = MakeSession(b2.def);
  ASSERT_FALSE(s2.ok());
  EXPECT_THAT(std::string(s2.status().message()), HasSubstr("count/LoopCond"));
  EXPECT_THAT(std::string(s2.status().message()), HasSubstr("rank 0"));
}

TEST_P(ControlFlowTest, NextIterationWithoutMergeFailsNamingIt) {
  Builder b;
  b.Op("enter", "Enter", {b.Int("x", 1)}, {{"frame_name", MakeAttr("loop")}});
  b.Op("next", "NextIteration", {"enter"});
  b.Op("after", "Identity", {"next"});
  absl::StatusOr<std::unique_ptr<Session>> s = MakeSession(b.def);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("node 'next' (NextIteration)"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("must feed a Merge node"));

  Builder b2;
  b2.Op("exit", "Exit", {b2.Int("x", 1)});
  s = MakeSession(b2.def);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("node 'exit' (Exit)"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("not inside a while loop"));
}

TEST_P(ControlFlowTest, RunawayLoopHitsTheIterationLimit) {
  Builder b;
  WhileLoop(
      b, "forever", {b.Int("zero", 0)}, {DT_INT32}, {},
      [&](const Names&, const Names&, const std::string& pivot) {
        return b.Const("forever/true", Tensor::Scalar<bool>(true), {pivot});
      },
      [&](const Names& v, const Names&, const std::string& pivot) {
        return Names{b.Op("forever/add", "AddV2", {v[0], b.Int("forever/one", 1, {pivot})})};
      });
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  SetMaxLoopIterations(50);
  std::vector<Tensor> out;
  absl::Status st = s->Run({}, {"forever/Exit_0"}, &out);
  SetMaxLoopIterations(0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(st.message()), HasSubstr("while loop 'forever' did not end after 50 iterations"));
}

TEST_P(ControlFlowTest, DeadTensorLeavingTheRegionFails) {
  Builder b;
  b.Placeholder("x", DT_FLOAT, Shape{});
  b.Placeholder("p", DT_BOOL, Shape{});
  b.Placeholder("q", DT_BOOL, Shape{});
  b.Op("sw_p", "Switch", {"x", "p"});
  b.Op("sw_q", "Switch", {"x", "q"});
  b.Op("merge", "Merge", {"sw_p:1", "sw_q:1"});  // live only if p or q
  b.Op("neg", "Neg", {"merge"});
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  auto feeds = [](bool p, bool q) {
    return std::vector<std::pair<std::string, Tensor>>{
        {"x", Tensor::Scalar<float>(2)}, {"p", Tensor::Scalar<bool>(p)}, {"q", Tensor::Scalar<bool>(q)}};
  };
  ASSERT_TRUE(s->Run(feeds(false, true), {"neg"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(-2));
  absl::Status st = s->Run(feeds(false, false), {"neg"}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("'merge' is dead"));
}

TEST_P(ControlFlowTest, TensorArrayErrorsNameTheNode) {
  Builder b;
  b.Op("ta", "TensorArrayV3", {b.Int("two", 2)}, {{"dtype", MakeAttr(DT_FLOAT)}});
  b.Op("write", "TensorArrayWriteV3", {"ta", b.Int("zero", 0), b.Const("v", Tensor::Scalar<float>(1)), "ta:1"});
  b.Op("read0", "TensorArrayReadV3", {"ta", "zero", "write"}, {{"dtype", MakeAttr(DT_FLOAT)}});
  // Without a loop the TensorArray ops still run on the host, as a region of their own.
  std::unique_ptr<Session> s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  absl::Status st = s->Run({}, {"read0"}, &out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(Floats(out[0]), ElementsAre(1));

  b.Op("read", "TensorArrayReadV3", {"ta", b.Int("one", 1), "write"}, {{"dtype", MakeAttr(DT_FLOAT)}});
  s = MustMakeSession(b.def);
  ASSERT_NE(s, nullptr);
  st = s->Run({}, {"read"}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("node 'read' (TensorArrayReadV3)"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("index 1 because it has not yet been written to"));
  // A second read of a clear_after_read element fails too.
  Builder b2;
  b2.Op("ta", "TensorArrayV3", {b2.Int("one", 1)}, {{"dtype", MakeAttr(DT_FLOAT)}});
  b2.Op("write", "TensorArrayWriteV3", {"ta", b2.Int("zero", 0), b2.Const("v", Tensor::Scalar<float>(1)), "ta:1"});
  b2.Op("read_a", "TensorArrayReadV3", {"ta", "zero", "write"}, {{"dtype", MakeAttr(DT_FLOAT)}});
  b2.Op("read_b", "TensorArrayReadV3", {"ta", "zero", "write", "^read_a"}, {{"dtype", MakeAttr(DT_FLOAT)}});
  s = MustMakeSession(b2.def);
  ASSERT_NE(s, nullptr);
  st = s->Run({}, {"read_b"}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("node 'read_b' (TensorArrayReadV3)"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("cleared after a previous read"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ControlFlowTest, ::testing::Values("reference", "cpu"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// The transform itself: a graph without control flow is left alone; a loop becomes one node.
TEST(ControlFlowRegionsTest, CollapsesOnlyWhatNeedsIt) {
  Builder plain;
  plain.Op("y", "Neg", {plain.Placeholder("x", DT_FLOAT, Shape{})});
  tf::GraphDef def = plain.def;
  absl::StatusOr<int> n = CollapseControlFlowRegions(&def, OpRegistry::Global());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(def.DebugString(), plain.def.DebugString());

  Builder b;
  CountingLoop(b, b.Placeholder("n", DT_INT32, Shape{}));
  b.Op("twice", "AddV2", {"count/Exit_0", "count/Exit_0"});
  def = b.def;
  n = CollapseControlFlowRegions(&def, OpRegistry::Global());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  std::vector<std::string> ops;
  for (const tf::NodeDef& nd : def.node()) ops.push_back(absl::StrCat(nd.name(), "=", nd.op()));
  // The constant 0 before the loop reads nothing and stays outside; the Exit keeps its name.
  EXPECT_THAT(ops, ElementsAre("n=Placeholder", "zero=Const", "count/control_flow_region=_ControlFlowRegion",
                               "count/Exit_0=Identity", "twice=AddV2"));
}

}  // namespace
}  // namespace strata
