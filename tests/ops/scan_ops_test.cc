// Cumsum and Cumprod (ops/scan_ops.cc) through the reference evaluator: TF's documented examples
// for exclusive / reverse, NumPy goldens (tests/golden/coverage_goldens.py) over several shapes,
// axes, dtypes, size-0 and odd lengths, and the errors.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ops/array_lowering_test_util.h"
#include "tests/ops/coverage_golden_util.h"
#include "tests/ops/op_test_util.h"

namespace strata {
namespace {

using ::strata::array_testing::ExpectValues;
using ::strata::array_testing::F32;
using ::strata::array_testing::I32;
using ::strata::array_testing::RunLoweringUnchecked;
using ::strata::array_testing::T;
using ::strata::testing::InferShapeStrings;
using ::strata::testing::OpInput;
using ::strata::testing::RunOp;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename T>
std::string Message(const absl::StatusOr<T>& s) {
  return s.ok() ? "OK" : std::string(s.status().message());
}

AttrMap Flags(bool exclusive, bool reverse) {
  return {{"exclusive", MakeAttr(exclusive)}, {"reverse", MakeAttr(reverse)}};
}

Tensor Axis(int axis) { return I32({}, {static_cast<double>(axis)}); }

TEST(ScanOpsTest, ShapeIsUnchanged) {
  EXPECT_THAT(*InferShapeStrings("Cumsum", {testing::F32(Shape{-1, 3}), testing::ScalarI32(1)}), ElementsAre("[?,3]"));
  EXPECT_THAT(*InferShapeStrings("Cumprod", {testing::I64(Shape{2}), testing::I32(Shape{})}), ElementsAre("[2]"));
}

// tf.cumsum([a, b, c]) and its exclusive / reverse variants, from TF's op documentation.
TEST(ScanOpsTest, DocumentedExamples) {
  const Tensor abc = F32({3}, {1, 2, 4});
  ExpectValues(RunOp("Cumsum", {abc, Axis(0)}, Flags(false, false), {1}), 0, F32({3}, {1, 3, 7}));
  ExpectValues(RunOp("Cumsum", {abc, Axis(0)}, Flags(true, false), {1}), 0, F32({3}, {0, 1, 3}));
  ExpectValues(RunOp("Cumsum", {abc, Axis(0)}, Flags(false, true), {1}), 0, F32({3}, {7, 6, 4}));
  ExpectValues(RunOp("Cumsum", {abc, Axis(0)}, Flags(true, true), {1}), 0, F32({3}, {6, 4, 0}));
  const Tensor xyz = F32({3}, {2, 3, 5});
  ExpectValues(RunOp("Cumprod", {xyz, Axis(0)}, Flags(false, false), {1}), 0, F32({3}, {2, 6, 30}));
  ExpectValues(RunOp("Cumprod", {xyz, Axis(0)}, Flags(true, false), {1}), 0, F32({3}, {1, 2, 6}));
  ExpectValues(RunOp("Cumprod", {xyz, Axis(0)}, Flags(false, true), {1}), 0, F32({3}, {30, 15, 5}));
  ExpectValues(RunOp("Cumprod", {xyz, Axis(0)}, Flags(true, true), {1}), 0, F32({3}, {15, 5, 1}));
}

TEST(ScanOpsTest, MatrixAxesAndNegativeAxis) {
  const Tensor m = I32({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectValues(RunOp("Cumsum", {m, Axis(0)}, {}, {1}), 0, I32({2, 3}, {1, 2, 3, 5, 7, 9}));
  ExpectValues(RunOp("Cumsum", {m, Axis(-1)}, {}, {1}), 0, I32({2, 3}, {1, 3, 6, 4, 9, 15}));
  ExpectValues(RunOp("Cumprod", {m, Axis(-2)}, Flags(true, false), {1}), 0, I32({2, 3}, {1, 1, 1, 1, 2, 3}));
  // Length 9 takes four doubling steps (1, 2, 4, 8).
  ExpectValues(RunOp("Cumsum", {I32({9}, {1, 1, 1, 1, 1, 1, 1, 1, 1}), Axis(0)}, {}, {1}), 0,
               I32({9}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ExpectValues(RunOp("Cumsum", {T(DT_HALF, {4}, {0.5, 0.25, 1, 2}), Axis(0)}, {}, {1}), 0,
               T(DT_HALF, {4}, {0.5, 0.75, 1.75, 3.75}));
}

TEST(ScanOpsTest, Goldens) {
  for (const coverage_golden::Case& c : coverage_golden::ReadCases({"Cumsum", "Cumprod"})) {
    SCOPED_TRACE(c.name);
    auto out = RunOp(c.op, c.inputs, c.attrs, c.constants);
    ASSERT_TRUE(out.ok()) << out.status();
    coverage_golden::ExpectOutputs(c, *out);
  }
}

TEST(ScanOpsTest, Errors) {
  const Tensor m = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto range = RunOp("Cumsum", {m, Axis(2)}, {}, {1});
  EXPECT_THAT(Message(range), AllOf(HasSubstr("node 'op' (Cumsum)"), HasSubstr("Expected scan axis in the range [-2, 2), but got 2")));
  EXPECT_THAT(Message(RunOp("Cumprod", {m, Axis(-3)}, {}, {1})), HasSubstr("but got -3"));
  EXPECT_THAT(Message(RunOp("Cumsum", {F32({}, {1}), Axis(0)}, {}, {1})), HasSubstr("range [0, 0)"));
  auto vector_axis = RunLoweringUnchecked("Cumsum", {m, I32({1}, {0})});
  EXPECT_THAT(Message(vector_axis), HasSubstr("axis must be a scalar"));
  auto strings = InferShapeStrings("Cumsum", {OpInput::Var(DT_BOOL, Shape{2}), testing::ScalarI32(0)});
  EXPECT_FALSE(strings.ok());  // bool is not a numbertype
}

}  // namespace
}  // namespace strata
