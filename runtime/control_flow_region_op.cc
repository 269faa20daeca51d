// _ControlFlowRegion: the host op that one collapsed control-flow region becomes
// (runtime/control_flow_regions.h). Its kernel runs the region's body with the dataflow
// executor (runtime/control_flow_executor.h). The op is internal: the Session makes it, users
// do not.
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "graph/attr_value.h"
#include "graph/shape_inference.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"
#include "runtime/control_flow_executor.h"
#include "runtime/control_flow_regions.h"

namespace strata {
namespace {

// The shapes inferred for the region's outputs before it was collapsed.
absl::Status RegionShape(InferenceContext& c) {
  std::vector<Shape> shapes;
  if (absl::Status s = c.GetAttr("output_shapes", &shapes); !s.ok()) return s;
  if (static_cast<int>(shapes.size()) != c.num_outputs()) {
    return c.Error("output_shapes has %d shapes for %d outputs", static_cast<int>(shapes.size()), c.num_outputs());
  }
  for (int i = 0; i < c.num_outputs(); ++i) c.set_output(i, shapes[i]);
  return absl::OkStatus();
}

// Parsed bodies, by their attrs, so that runs after the first skip parsing and analysis.
class ProgramCache {
 public:
  static ProgramCache& Get() {
    static ProgramCache* cache = new ProgramCache();
    return *cache;
  }

  absl::StatusOr<std::shared_ptr<const ControlFlowProgram>> Lookup(const std::string& body,
                                                                   const std::vector<std::string>& inputs,
                                                                   const std::vector<std::string>& outputs) {
    std::string key = absl::StrCat(absl::StrJoin(inputs, ","), ";", absl::StrJoin(outputs, ","), ";", body);
    {
      absl::MutexLock lock(&mu_);
      auto it = programs_.find(key);
      if (it != programs_.end()) return it->second;
    }
    tf::GraphDef def;
    if (!def.ParseFromString(body)) return absl::InvalidArgumentError("the region's body is not a serialized GraphDef");
    absl::StatusOr<std::unique_ptr<ControlFlowProgram>> program =
        ControlFlowProgram::Create(def, inputs, outputs, &OpRegistry::Global());
    if (!program.ok()) return program.status();
    std::shared_ptr<const ControlFlowProgram> shared = *std::move(program);
    absl::MutexLock lock(&mu_);
    if (programs_.size() >= kMaxPrograms) programs_.clear();  // running programs stay alive (shared)
    programs_.emplace(std::move(key), shared);
    return shared;
  }

 private:
  static constexpr size_t kMaxPrograms = 64;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const ControlFlowProgram>> programs_;
};

absl::Status RegionKernel(HostKernelContext& c) {
  std::string body;
  std::vector<std::string> input_names, output_names;
  if (absl::Status s = c.GetAttr("body", &body); !s.ok()) return s;
  if (absl::Status s = c.GetAttr("input_names", &input_names); !s.ok()) return s;
  if (absl::Status s = c.GetAttr("output_names", &output_names); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<const ControlFlowProgram>> program =
      ProgramCache::Get().Lookup(body, input_names, output_names);
  if (!program.ok()) return program.status();
  std::vector<Tensor> inputs;
  for (int i = 0; i < c.num_inputs(); ++i) inputs.push_back(c.input(i));
  absl::StatusOr<std::vector<Tensor>> outputs = (*program)->Run(inputs);
  if (!outputs.ok()) return outputs.status();
  if (static_cast<int>(outputs->size()) != c.num_outputs()) {
    return absl::InternalError(absl::StrCat("the region returned ", outputs->size(), " tensors for ", c.num_outputs(), " outputs"));
  }
  for (int i = 0; i < c.num_outputs(); ++i) c.set_output(i, std::move((*outputs)[i]));
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP(kControlFlowRegionOp)
    .Input("inputs: Tin")
    .Output("outputs: Tout")
    .Attr("Tin: list(type) >= 0")
    .Attr("Tout: list(type) >= 0")
    .Attr("body: string")
    .Attr("input_names: list(string)")
    .Attr("output_names: list(string)")
    .Attr("output_shapes: list(shape)")
    .SetIsStateful()
    .SetShapeFn(RegionShape)
    .SetHostKernel(RegionKernel)
    .Doc("Runs a TF1 control-flow region (conds, while loops, TensorArrays) on the host.");

}  // namespace strata
