// ScatterNd, TensorScatterUpdate and SparseToDense (ops/scatter_ops.cc): shape functions, host
// kernels through the reference evaluator with TF's documented examples, duplicate indices
// (ScatterNd accumulates, TensorScatterUpdate keeps the last), validate_indices, a NumPy golden
// (tests/golden/coverage_goldens.py), size-0 shapes, and out-of-range indices, which are
// InvalidArgument naming the node and the index.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ops/registry.h"
#include "tests/ops/array_lowering_test_util.h"
#include "tests/ops/coverage_golden_util.h"
#include "tests/ops/op_test_util.h"

namespace strata {
namespace {

using ::strata::array_testing::Bool;
using ::strata::array_testing::ExpectValues;
using ::strata::array_testing::F32;
using ::strata::array_testing::I32;
using ::strata::array_testing::I32s;
using ::strata::array_testing::I64;
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

TEST(ScatterOpsTest, RegisteredAsHostKernels) {
  for (const char* op : {"ScatterNd", "TensorScatterUpdate", "SparseToDense"}) {
    const OpRegistration* reg = OpRegistry::Global().Find(op);
    ASSERT_NE(reg, nullptr) << op;
    EXPECT_TRUE(reg->host_kernel) << op;
  }
}

TEST(ScatterOpsTest, ShapeFunctions) {
  EXPECT_THAT(*InferShapeStrings("ScatterNd", {testing::I32(Shape{4, 1}), testing::F32(Shape{4}), testing::ConstI32({8})}),
              ElementsAre("[8]"));
  EXPECT_THAT(*InferShapeStrings("ScatterNd", {testing::I32(Shape{-1, 1}), testing::F32(Shape{-1, 4, 4}),
                                               testing::I32(Shape{3})}),
              ElementsAre("[?,?,?]"));
  auto outer = InferShapeStrings("ScatterNd", {testing::I32(Shape{4, 1}), testing::F32(Shape{3}), testing::ConstI32({8})});
  EXPECT_THAT(Message(outer), AllOf(HasSubstr("node 'op' (ScatterNd)"), HasSubstr("outer 1 dimensions of indices.shape=[4,1]")));
  auto inner = InferShapeStrings("ScatterNd", {testing::I32(Shape{2, 1}), testing::F32(Shape{2, 5}), testing::ConstI32({8, 4})});
  EXPECT_THAT(Message(inner), HasSubstr("inner 1 dimensions of output.shape=[8,4]"));
  auto empty = InferShapeStrings("ScatterNd", {testing::I32(Shape{2, 1}), testing::F32(Shape{2}), testing::ConstI32({0})});
  EXPECT_THAT(Message(empty), HasSubstr("Indices and updates specified for empty output shape"));
  EXPECT_THAT(*InferShapeStrings("TensorScatterUpdate", {testing::F32(Shape{4, 3}), testing::I32(Shape{2, 1}),
                                                         testing::F32(Shape{2, 3})}),
              ElementsAre("[4,3]"));
  EXPECT_THAT(*InferShapeStrings("SparseToDense", {testing::I64(Shape{3, 2}), testing::ConstI64({5, 6}),
                                                   testing::F32(Shape{3}), testing::F32(Shape{})}),
              ElementsAre("[5,6]"));
}

// TF's tf.scatter_nd examples: elements into a vector, and slices into a 3-D tensor.
TEST(ScatterOpsTest, ScatterNdDocumentedExamples) {
  auto vec = RunOp("ScatterNd", {I32({4, 1}, {4, 3, 1, 7}), F32({4}, {9, 10, 11, 12}), I32s({8})});
  ExpectValues(vec, 0, F32({8}, {0, 11, 0, 10, 9, 0, 0, 12}));
  std::vector<double> updates;
  for (int s = 0; s < 2; ++s) {
    for (int v : {5, 6, 7, 8}) {
      for (int j = 0; j < 4; ++j) updates.push_back(v);
    }
  }
  auto slices = RunOp("ScatterNd", {I32({2, 1}, {0, 2}), F32({2, 4, 4}, updates), I32s({4, 4, 4})});
  ASSERT_TRUE(slices.ok()) << slices.status();
  const Tensor& out = (*slices)[0];
  EXPECT_EQ(out.shape().ToString(), "[4,4,4]");
  EXPECT_EQ(out.ElementAsDouble(0), 5);       // [0, 0, 0]
  EXPECT_EQ(out.ElementAsDouble(16), 0);      // [1, 0, 0]
  EXPECT_EQ(out.ElementAsDouble(32 + 15), 8); // [2, 3, 3]
  EXPECT_EQ(out.ElementAsDouble(48), 0);      // [3, 0, 0]
}

TEST(ScatterOpsTest, ScatterNdAccumulatesDuplicates) {
  ExpectValues(RunOp("ScatterNd", {I64({3, 1}, {1, 1, 0}), I32({3, 2}, {5, 6, 7, 8, -1, -2}), I64({2}, {3, 2})}), 0,
               I32({3, 2}, {-1, -2, 12, 14, 0, 0}));
  ExpectValues(RunOp("ScatterNd", {I32({3, 2}, {0, 1, 0, 1, 1, 0}), Bool({3}, {1, 0, 1}), I32s({2, 2})}), 0,
               Bool({2, 2}, {0, 1, 1, 0}));
  // Index vectors of length 0 address the whole output: every update adds to all of it.
  ExpectValues(RunOp("ScatterNd", {I32({2, 0}, {}), F32({2, 3}, {1, 2, 3, 10, 20, 30}), I32s({3})}), 0,
               F32({3}, {11, 22, 33}));
  ExpectValues(RunOp("ScatterNd", {I32({0, 1}, {}), F32({0}, {}), I32s({3})}), 0, F32({3}, {0, 0, 0}));
}

TEST(ScatterOpsTest, TensorScatterUpdate) {
  const Tensor tensor = F32({4, 2}, {1, 1, 2, 2, 3, 3, 4, 4});
  ExpectValues(RunOp("TensorScatterUpdate", {tensor, I32({2, 1}, {3, 0}), F32({2, 2}, {9, 8, 7, 6})}), 0,
               F32({4, 2}, {7, 6, 2, 2, 3, 3, 9, 8}));
  // Duplicates: the last update wins (TF's CPU order).
  ExpectValues(RunOp("TensorScatterUpdate", {tensor, I32({2, 2}, {1, 1, 1, 1}), F32({2}, {5, 6})}), 0,
               F32({4, 2}, {1, 1, 2, 6, 3, 3, 4, 4}));
  ExpectValues(RunOp("TensorScatterUpdate", {tensor, T(DT_UINT16, {1, 1}, {2}), F32({1, 2}, {0, 0})}), 0,
               F32({4, 2}, {1, 1, 2, 2, 0, 0, 4, 4}));
}

TEST(ScatterOpsTest, SparseToDense) {
  // Scalar values broadcast; unset elements take the default.
  ExpectValues(RunOp("SparseToDense", {I64({3, 2}, {0, 1, 1, 0, 2, 3}), I64({2}, {3, 4}), F32({}, {5}), F32({}, {-1})}), 0,
               F32({3, 4}, {-1, 5, -1, -1, 5, -1, -1, -1, -1, -1, -1, 5}));
  // A vector of 1-D indices, and a scalar index.
  ExpectValues(RunOp("SparseToDense", {I32s({0, 3}), I32s({5}), I32s({7, 8}), I32({}, {0})}), 0, I32s({7, 0, 0, 8, 0}));
  ExpectValues(RunOp("SparseToDense", {I32({}, {2}), I32s({3}), F32({}, {1}), F32({}, {0})}), 0, F32({3}, {0, 0, 1}));
  ExpectValues(RunOp("SparseToDense", {I32({0, 2}, {}), I32s({2, 0}), F32({0}, {}), F32({}, {3})}), 0, F32({2, 0}, {}));
  // Without validation, unsorted and repeated indices are accepted (the last repeat wins).
  AttrMap no_validation{{"validate_indices", MakeAttr(false)}};
  ExpectValues(RunOp("SparseToDense", {I32s({3, 1, 3}), I32s({4}), I32s({1, 2, 3}), I32({}, {0})}, no_validation), 0,
               I32s({0, 2, 0, 3}));
}

TEST(ScatterOpsTest, Goldens) {
  for (const coverage_golden::Case& c : coverage_golden::ReadCases({"ScatterNd"})) {
    SCOPED_TRACE(c.name);
    auto out = RunOp(c.op, c.inputs, c.attrs);
    ASSERT_TRUE(out.ok()) << out.status();
    coverage_golden::ExpectOutputs(c, *out);
  }
}

TEST(ScatterOpsTest, OutOfRangeIndicesNameTheNodeAndIndex) {
  auto scatter = RunOp("ScatterNd", {I32({2, 2}, {0, 1, 2, 0}), F32({2}, {1, 2}), I32s({2, 2})});
  EXPECT_THAT(Message(scatter), AllOf(HasSubstr("node 'op' (ScatterNd)"), HasSubstr("indices[1] = [2, 0] does not index into shape [2,2]")));
  auto negative = RunOp("ScatterNd", {I32({1, 1}, {-1}), F32({1}, {1}), I32s({2})});
  EXPECT_THAT(Message(negative), HasSubstr("[-1] does not index into shape [2]"));
  auto update = RunOp("TensorScatterUpdate", {F32({2}, {0, 0}), I32({1, 1}, {5}), F32({1}, {1})});
  EXPECT_THAT(Message(update), AllOf(HasSubstr("node 'op' (TensorScatterUpdate)"), HasSubstr("[5] does not index")));
  auto bounds = RunOp("SparseToDense", {I32s({0, 4}), I32s({4}), F32({}, {1}), F32({}, {0})});
  EXPECT_THAT(Message(bounds), AllOf(HasSubstr("node 'op' (SparseToDense)"),
                                     HasSubstr("indices[1] = [4] is out of bounds: need 0 <= index < [4]")));
  AttrMap no_validation{{"validate_indices", MakeAttr(false)}};
  auto unvalidated = RunOp("SparseToDense", {I32s({0, 4}), I32s({4}), F32({}, {1}), F32({}, {0})}, no_validation);
  EXPECT_THAT(Message(unvalidated), HasSubstr("out of bounds"));
}

TEST(ScatterOpsTest, OtherErrors) {
  auto order = RunOp("SparseToDense", {I32s({2, 1}), I32s({4}), F32({}, {1}), F32({}, {0})});
  EXPECT_THAT(Message(order), HasSubstr("indices[1] = [1] is out of order"));
  auto repeated = RunOp("SparseToDense", {I32({2, 2}, {1, 1, 1, 1}), I32s({2, 2}), F32({}, {1}), F32({}, {0})});
  EXPECT_THAT(Message(repeated), HasSubstr("indices[1] = [1, 1] is repeated"));
  auto values = RunOp("SparseToDense", {I32s({0, 1}), I32s({4}), F32({3}, {1, 2, 3}), F32({}, {0})});
  EXPECT_THAT(Message(values), HasSubstr("sparse_values has incorrect shape [3], should be [] or [2]"));
  auto dims = RunOp("SparseToDense", {I32({1, 2}, {0, 0}), I32s({4}), F32({}, {1}), F32({}, {0})});
  EXPECT_THAT(Message(dims), HasSubstr("output_shape has incorrect number of elements: 1 should be: 2"));
  auto default_value = RunOp("SparseToDense", {I32s({0}), I32s({4}), F32({}, {1}), F32({1}, {0})});
  EXPECT_THAT(Message(default_value), HasSubstr("default_value should be a scalar"));
  auto negative_shape = RunLoweringUnchecked("ScatterNd", {I32({1, 1}, {0}), F32({1}, {1}), I32s({-2})});
  EXPECT_THAT(Message(negative_shape), HasSubstr("shape[0] = -2 must be non-negative"));
  auto updates = RunLoweringUnchecked("ScatterNd", {I32({2, 1}, {0, 1}), F32({3}, {1, 2, 3}), I32s({4})});
  EXPECT_THAT(Message(updates), HasSubstr("Must have updates.shape = indices.shape[:-1] + output.shape[1:] = [2]"));
  auto too_long = RunLoweringUnchecked("ScatterNd", {I32({1, 3}, {0, 0, 0}), F32({1}, {1}), I32s({4, 4})});
  EXPECT_THAT(Message(too_long), HasSubstr("Index innermost dimension length must be <= output rank"));
}

}  // namespace
}  // namespace strata
