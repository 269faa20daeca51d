// Einsum (ops/einsum_op.cc): the shape function on partial shapes, hand-checked products,
// diagonals and traces, NumPy goldens (tests/golden/coverage_goldens.py: batch and attention
// contractions, ellipsis broadcasting, repeated labels, size-0 dims, int32), and the errors for
// malformed equations and mismatched inputs.
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

AttrMap Eq(const std::string& equation) { return {{"equation", MakeAttr(equation)}}; }

absl::StatusOr<std::vector<std::string>> Shapes(const std::string& equation, std::vector<Shape> shapes) {
  std::vector<OpInput> inputs;
  for (Shape& s : shapes) inputs.push_back(testing::F32(std::move(s)));
  return InferShapeStrings("Einsum", inputs, Eq(equation));
}

TEST(EinsumTest, ShapeFunction) {
  EXPECT_THAT(*Shapes("ij,jk->ik", {Shape{-1, 3}, Shape{3, 5}}), ElementsAre("[?,5]"));
  EXPECT_THAT(*Shapes("ij,jk->ik", {Shape{2, -1}, Shape{4, 5}}), ElementsAre("[2,5]"));
  EXPECT_THAT(*Shapes("ii->i", {Shape{-1, 4}}), ElementsAre("[4]"));
  EXPECT_THAT(*Shapes("bqhd,bkhd->bhqk", {Shape{2, 3, 4, 8}, Shape{2, 5, 4, 8}}), ElementsAre("[2,4,3,5]"));
  EXPECT_THAT(*Shapes("...ij,...jk->...ik", {Shape{2, 1, 3, 4}, Shape{5, 4, 2}}), ElementsAre("[2,5,3,2]"));
  EXPECT_THAT(*Shapes("...ij,jk->...ik", {Shape{3, 4}, Shape{4, 2}}), ElementsAre("[3,2]"));
  EXPECT_THAT(*Shapes("...i->...i", {Shape::UnknownRank()}), ElementsAre("<unknown>"));
  EXPECT_THAT(*Shapes("ij->", {Shape::UnknownRank()}), ElementsAre("[]"));
  EXPECT_THAT(*Shapes("i , j -> ij", {Shape{2}, Shape{3}}), ElementsAre("[2,3]"));  // spaces are ignored
}

TEST(EinsumTest, HandCheckedValues) {
  const Tensor a = F32({2, 2}, {1, 2, 3, 4}), b = F32({2, 2}, {5, 6, 7, 8});
  ExpectValues(RunOp("Einsum", {a, b}, Eq("ij,jk->ik")), 0, F32({2, 2}, {19, 22, 43, 50}));
  ExpectValues(RunOp("Einsum", {a, b}, Eq("ij,jk->ki")), 0, F32({2, 2}, {19, 43, 22, 50}));
  ExpectValues(RunOp("Einsum", {a, b}, Eq("ij,ij->")), 0, F32({}, {70}));
  ExpectValues(RunOp("Einsum", {a}, Eq("ij->ji")), 0, F32({2, 2}, {1, 3, 2, 4}));
  ExpectValues(RunOp("Einsum", {a}, Eq("ii->i")), 0, F32({2}, {1, 4}));
  ExpectValues(RunOp("Einsum", {a}, Eq("ii->")), 0, F32({}, {5}));
  ExpectValues(RunOp("Einsum", {a}, Eq("ij->i")), 0, F32({2}, {3, 7}));
  ExpectValues(RunOp("Einsum", {I32({3}, {1, 2, 3}), I32({2}, {10, 100})}, Eq("i,j->ji")), 0,
               I32({2, 3}, {10, 20, 30, 100, 200, 300}));
  // A repeated label over three dims: the diagonal x[i, i, i].
  std::vector<double> cube(27);
  for (int i = 0; i < 27; ++i) cube[i] = i;
  ExpectValues(RunOp("Einsum", {F32({3, 3, 3}, cube)}, Eq("iii->i")), 0, F32({3}, {0, 13, 26}));
}

TEST(EinsumTest, Goldens) {
  for (const coverage_golden::Case& c : coverage_golden::ReadCases({"Einsum"})) {
    SCOPED_TRACE(c.name);
    auto out = RunOp(c.op, c.inputs, c.attrs);
    ASSERT_TRUE(out.ok()) << out.status();
    coverage_golden::ExpectOutputs(c, *out);
  }
}

TEST(EinsumTest, MalformedEquations) {
  const std::vector<Shape> two = {Shape{2, 3}, Shape{3, 4}};
  EXPECT_THAT(Message(Shapes("ij,jk", two)), AllOf(HasSubstr("node 'op' (Einsum)"), HasSubstr("exactly one '->'")));
  EXPECT_THAT(Message(Shapes("ij,jk->ik->i", two)), HasSubstr("exactly one '->'"));
  EXPECT_THAT(Message(Shapes("i,j,k->ijk", {Shape{1}, Shape{1}, Shape{1}})), HasSubstr("Expecting 1 or 2 input subscripts"));
  EXPECT_THAT(Message(Shapes("ij->ij", two)), HasSubstr("Expected 1 inputs for equation ij->ij but got: 2"));
  EXPECT_THAT(Message(Shapes("i1,jk->ik", two)), HasSubstr("invalid character '1'"));
  EXPECT_THAT(Message(Shapes("...i...,jk->ik", two)), HasSubstr("one ellipsis"));
  EXPECT_THAT(Message(Shapes("..i,jk->ik", two)), HasSubstr("one ellipsis"));
  EXPECT_THAT(Message(Shapes("ij,jk->iz", two)), HasSubstr("has label 'z' which is not present in the input subscripts"));
  EXPECT_THAT(Message(Shapes("ij,jk->ii", two)), HasSubstr("output label 'i' appears more than once"));
}

TEST(EinsumTest, MismatchedInputs) {
  EXPECT_THAT(Message(Shapes("ij,jk->ik", {Shape{2, 3, 1}, Shape{3, 4}})),
              HasSubstr("input 0 has rank 3 but its subscript 'ij'"));
  EXPECT_THAT(Message(Shapes("...ijk->i", {Shape{2, 3}})), HasSubstr("needs at least 3"));
  EXPECT_THAT(Message(Shapes("ij,jk->ik", {Shape{2, 3}, Shape{4, 5}})), HasSubstr("label 'j'"));
  EXPECT_THAT(Message(Shapes("ii->i", {Shape{2, 3}})), HasSubstr("label 'i'"));
  EXPECT_THAT(Message(Shapes("...ij->ij", {Shape{5, 2, 3}})), HasSubstr("no ellipsis (...) in the output"));
  EXPECT_THAT(Message(Shapes("...i,...i->...i", {Shape{2, 3}, Shape{4, 3}})), HasSubstr("do not broadcast"));
  // The lowering checks the same when shapes were unknown to shape inference.
  auto late = RunLoweringUnchecked("Einsum", {F32({2, 3}, {1, 2, 3, 4, 5, 6}), F32({2, 2}, {1, 2, 3, 4})}, Eq("ij,jk->ik"));
  EXPECT_THAT(Message(late), AllOf(HasSubstr("node 'op' (Einsum)"), HasSubstr("label 'j' has size 3 and 2")));
  auto bcast = RunLoweringUnchecked("Einsum", {F32({2, 1}, {1, 2}), F32({3, 1}, {1, 2, 3})}, Eq("...i,...i->...i"));
  EXPECT_THAT(Message(bcast), HasSubstr("do not broadcast"));
  auto no_ellipsis = RunLoweringUnchecked("Einsum", {F32({1, 2}, {1, 2})}, Eq("...i->i"));
  EXPECT_THAT(Message(no_ellipsis), HasSubstr("no ellipsis (...) in the output"));
  auto bools = RunOp("Einsum", {array_testing::Bool({2}, {1, 0}), array_testing::Bool({2}, {1, 1})}, Eq("i,i->"));
  EXPECT_THAT(Message(bools), HasSubstr("node 'op' (Einsum)"));
}

}  // namespace
}  // namespace strata
