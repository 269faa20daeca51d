// Variables (runtime/variables.h): VariableV2 values live in the Session across Run calls;
// Assign/AssignAdd/AssignSub update them; reading before initialization is an error naming the
// variable. Runs on both backends.
#include "runtime/variables.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/device_memory.h"
#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/session.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGraph[] = R"pb(
  node { name: "w" op: "VariableV2" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape { dim { size: 2 } } } } }
  node { name: "w_init" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 1 float_val: 2 } } } }
  node { name: "init" op: "Assign" input: "w" input: "w_init" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "one" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 1 } } } }
  node { name: "inc" op: "AssignAdd" input: "w" input: "one" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "dec" op: "AssignSub" input: "w" input: "one" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape { dim { size: 2 } } } } }
  node { name: "y" op: "Mul" input: "w" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "v" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape { dim { size: -1 } } } } }
  node { name: "set" op: "Assign" input: "w" input: "v" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "init_all" op: "NoOp" input: "^init" }
)pb";

std::vector<float> Floats(const Tensor& t) { return std::vector<float>(t.flat<float>().begin(), t.flat<float>().end()); }

class VariablesTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Session> NewSession() {
    absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(kGraph);
    EXPECT_TRUE(def.ok()) << def.status();
    SessionOptions options;
    options.backend = GetParam();
    absl::StatusOr<std::unique_ptr<Session>> s = Session::Create(*def, options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  void SetUp() override {
    if (!IsBackendAvailable(GetParam())) GTEST_SKIP() << "backend " << GetParam() << " not in this build";
  }
};

TEST_P(VariablesTest, ReadingBeforeInitializationNamesTheVariable) {
  std::unique_ptr<Session> s = NewSession();
  std::vector<Tensor> out;
  absl::Status st = s->Run({{"x", Tensor::FromVector<float>({1, 1})}}, {"y"}, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("Attempting to use uninitialized value w"));
  st = s->Run({}, {}, {"inc"}, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(out.empty());
}

TEST_P(VariablesTest, ValuesPersistAcrossRuns) {
  std::unique_ptr<Session> s = NewSession();
  std::vector<Tensor> out;
  ASSERT_TRUE(s->Run({}, {}, {"init_all"}, &out).ok());
  ASSERT_TRUE(s->Run({{"x", Tensor::FromVector<float>({3, 4})}}, {"y"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(3, 8));
  ASSERT_TRUE(s->Run({}, {}, {"inc"}, &out).ok());
  ASSERT_TRUE(s->Run({}, {"inc"}, &out).ok());  // fetching an update returns the new value
  EXPECT_THAT(Floats(out[0]), ElementsAre(3, 4));
  ASSERT_TRUE(s->Run({}, {}, {"dec"}, &out).ok());
  ASSERT_TRUE(s->Run({{"x", Tensor::FromVector<float>({3, 4})}}, {"y", "w"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(6, 12));
  EXPECT_THAT(Floats(out[1]), ElementsAre(2, 3));
  EXPECT_THAT(s->variables().Names(), ElementsAre("w"));

  // Another session on the same graph has its own variables.
  std::unique_ptr<Session> other = NewSession();
  EXPECT_EQ(other->Run({}, {"w"}, &out).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(VariablesTest, AssigningAWrongShapeOrDtypeIsAnError) {
  std::unique_ptr<Session> s = NewSession();
  std::vector<Tensor> out;
  absl::Status st = s->Run({{"v", Tensor::FromVector<float>({1, 2, 3})}}, {}, {"set"}, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  // Caught when the signature is specialized (shape inference merges [2] with [3]).
  EXPECT_THAT(std::string(st.message()), HasSubstr("node 'set' (Assign): Shapes [2] and [3] are incompatible"));
  // The failed assignment left the variable uninitialized.
  EXPECT_EQ(s->Run({}, {"w"}, &out).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(s->Run({{"v", Tensor::FromVector<float>({5, 6})}}, {}, {"set"}, &out).ok());
  ASSERT_TRUE(s->Run({}, {"w"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(5, 6));
}

// A value a GPU left on its device whose copy to the host fails (the device was lost): every
// host use of it is an error naming the device, not an abort.
class LostDeviceMemory : public DeviceMemory {
 public:
  const void* device() const override { return this; }
  uint64_t address() const override { return 0x1000; }
  std::string device_name() const override { return "GPU:3"; }
  absl::Status CopyToHost(void*, size_t) const override {
    return absl::InternalError("cuMemcpyDtoHAsync: CUDA_ERROR_ECC_UNCORRECTABLE");
  }
};

TEST_P(VariablesTest, AValueThatCannotLeaveItsDeviceIsAnErrorEverywhere) {
  std::unique_ptr<Session> s = NewSession();
  s->variables().Set("w", Tensor::OnDevice(DT_FLOAT, Shape{2}, std::make_shared<LostDeviceMemory>()));
  std::vector<Tensor> out;
  const absl::Status computed = s->Run({{"x", Tensor::FromVector<float>({1, 1})}}, {"y"}, &out);  // a cluster's argument
  const absl::Status fetched = s->Run({}, {"w"}, &out);
  const absl::Status added = s->Run({}, {}, {"inc"}, &out);  // read on the host
  const absl::Status saved = s->Save(::testing::TempDir() + "/lost_device.ckpt");
  for (const absl::Status& st : {computed, fetched, added, saved}) {
    EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
    EXPECT_THAT(std::string(st.message()), HasSubstr("copying a tensor from GPU:3 to the host")) << st;
    EXPECT_THAT(std::string(st.message()), HasSubstr("CUDA_ERROR_ECC_UNCORRECTABLE")) << st;
  }
  // Assigning a new value replaces it.
  ASSERT_TRUE(s->Run({{"v", Tensor::FromVector<float>({5, 6})}}, {}, {"set"}, &out).ok());
  ASSERT_TRUE(s->Run({}, {"w"}, &out).ok());
  EXPECT_THAT(Floats(out[0]), ElementsAre(5, 6));
}

INSTANTIATE_TEST_SUITE_P(Backends, VariablesTest, ::testing::Values("cpu", "reference"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace strata
