// Model persistence: the model directory (graph.pb + variables.ckpt + model.meta), weights-only
// checkpoints, and the frozen inference GraphDef.
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "frontends/keras/model.h"
#include "frontends/keras/model_state.h"
#include "google/protobuf/text_format.h"
#include "graph/file_util.h"

namespace strata::keras {
namespace {

constexpr char kMagic[] = "strata-keras-model 1";

std::string DimsString(const Shape& s) {
  std::vector<std::string> dims;
  for (int64_t d : s.dims()) dims.push_back(absl::StrCat(d));
  return absl::StrJoin(dims, ",");
}

absl::StatusOr<Shape> ParseDims(absl::string_view text) {
  std::vector<int64_t> dims;
  if (!text.empty()) {
    for (absl::string_view part : absl::StrSplit(text, ',')) {
      int64_t d = 0;
      if (!absl::SimpleAtoi(part, &d)) return absl::InvalidArgumentError(absl::StrCat("bad dims '", std::string(text), "'"));
      dims.push_back(d);
    }
  }
  return Shape(dims);
}

absl::StatusOr<DType> ParseDType(absl::string_view text) {
  int v = 0;
  if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError(absl::StrCat("bad dtype '", std::string(text), "'"));
  return static_cast<DType>(v);
}

std::string SerializeMeta(const std::string& name, bool sequential, const ModelSignature& sig,
                          const std::vector<SummaryRow>& rows) {
  std::vector<std::string> lines = {kMagic, absl::StrCat("name\t", name), absl::StrCat("sequential\t", sequential ? 1 : 0)};
  for (size_t i = 0; i < sig.input_names.size(); ++i) {
    lines.push_back(absl::StrCat("input\t", sig.input_names[i], "\t", static_cast<int>(sig.input_dtypes[i]), "\t",
                                 DimsString(sig.input_shapes[i])));
  }
  for (size_t i = 0; i < sig.output_names.size(); ++i) {
    lines.push_back(absl::StrCat("output\t", sig.output_names[i], "\t", DimsString(sig.output_shapes[i])));
  }
  for (const std::string& w : sig.weight_names) lines.push_back(absl::StrCat("weight\t", w));
  if (sig.compiled) {
    lines.push_back(absl::StrCat("train_op\t", sig.train_op));
    for (size_t i = 0; i < sig.target_names.size(); ++i) {
      lines.push_back(absl::StrCat("target\t", sig.target_names[i], "\t", static_cast<int>(sig.target_dtypes[i])));
    }
    for (size_t i = 0; i < sig.metric_names.size(); ++i) {
      lines.push_back(absl::StrCat("metric\t", sig.metric_names[i], "\t", sig.train_metrics[i], "\t", sig.eval_metrics[i]));
    }
  }
  for (const SummaryRow& r : rows) {
    lines.push_back(absl::StrCat("layer\t", r.name, "\t", r.class_name, "\t", r.output_shape, "\t", r.params, "\t",
                                 r.trainable_params, "\t", r.connected_to));
  }
  return absl::StrJoin(lines, "\n") + "\n";
}

}  // namespace

absl::Status Model::Save(const std::string& dir) {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("save: cannot create directory '", dir, "': ", ec.message()));
  tf::GraphDef def;
  if (graph_ != nullptr) {
    if (absl::Status s = graph_->root.ToGraphDef(&def); !s.ok()) return s;
  } else {
    def = loaded_def_;
  }
  if (absl::Status s = WriteFileAtomically(dir + "/graph.pb", def.SerializeAsString()); !s.ok()) return s;
  if (absl::Status s = (*session)->Save(dir + "/variables.ckpt"); !s.ok()) return s;
  return WriteFileAtomically(dir + "/model.meta", SerializeMeta(name_, sequential_, signature_, summary_));
}

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& dir, const SessionOptions& options) {
  absl::StatusOr<std::string> meta = ReadFileToString(dir + "/model.meta");
  if (!meta.ok()) return meta.status();
  std::vector<std::string> lines = absl::StrSplit(*meta, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kMagic) {
    return absl::InvalidArgumentError(absl::StrCat("load: '", dir, "/model.meta' is not a strata Keras model"));
  }
  std::unique_ptr<Model> model(new Model("model"));
  ModelSignature& sig = model->signature_;
  auto bad = [&](const std::string& line) {
    return absl::InvalidArgumentError(absl::StrCat("load: bad line in '", dir, "/model.meta': ", line));
  };
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], '\t');
    const std::string& key = f[0];
    if (key == "name" && f.size() == 2) {
      model->name_ = f[1];
    } else if (key == "sequential" && f.size() == 2) {
      model->sequential_ = f[1] == "1";
    } else if (key == "input" && f.size() == 4) {
      absl::StatusOr<DType> dt = ParseDType(f[2]);
      absl::StatusOr<Shape> shape = ParseDims(f[3]);
      if (!dt.ok() || !shape.ok()) return bad(lines[i]);
      sig.input_names.push_back(f[1]);
      sig.input_dtypes.push_back(*dt);
      sig.input_shapes.push_back(*shape);
    } else if (key == "output" && f.size() == 3) {
      absl::StatusOr<Shape> shape = ParseDims(f[2]);
      if (!shape.ok()) return bad(lines[i]);
      sig.output_names.push_back(f[1]);
      sig.output_shapes.push_back(*shape);
    } else if (key == "weight" && f.size() == 2) {
      sig.weight_names.push_back(f[1]);
    } else if (key == "train_op" && f.size() == 2) {
      sig.compiled = true;
      sig.train_op = f[1];
    } else if (key == "target" && f.size() == 3) {
      absl::StatusOr<DType> dt = ParseDType(f[2]);
      if (!dt.ok()) return bad(lines[i]);
      sig.target_names.push_back(f[1]);
      sig.target_dtypes.push_back(*dt);
    } else if (key == "metric" && f.size() == 4) {
      sig.metric_names.push_back(f[1]);
      sig.train_metrics.push_back(f[2]);
      sig.eval_metrics.push_back(f[3]);
    } else if (key == "layer" && f.size() == 7) {
      SummaryRow r{f[1], f[2], f[3], 0, 0, f[6]};
      if (!absl::SimpleAtoi(f[4], &r.params) || !absl::SimpleAtoi(f[5], &r.trainable_params)) return bad(lines[i]);
      model->summary_.push_back(r);
    } else {
      return bad(lines[i]);
    }
  }
  if (sig.input_names.empty() || sig.output_names.empty()) return bad("(no inputs or outputs)");
  absl::StatusOr<std::string> graph = ReadFileToString(dir + "/graph.pb");
  if (!graph.ok()) return graph.status();
  if (!model->loaded_def_.ParseFromString(*graph)) {
    return absl::InvalidArgumentError(absl::StrCat("load: '", dir, "/graph.pb' is not a GraphDef"));
  }
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(model->loaded_def_, options);
  if (!session.ok()) return session.status();
  if (absl::Status s = (*session)->Restore(dir + "/variables.ckpt"); !s.ok()) return s;
  model->session_ = *std::move(session);
  model->session_options_ = options;
  model->session_stale_ = false;
  model->built_ = true;
  return model;
}

absl::Status Model::SaveWeights(const std::string& path) {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  return (*session)->Save(path, signature_.weight_names);
}

absl::Status Model::LoadWeights(const std::string& path) {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  return (*session)->Restore(path, signature_.weight_names);
}

absl::StatusOr<tf::GraphDef> Model::FrozenGraphDef() {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  return (*session)->Freeze(signature_.output_names);
}

absl::Status Model::ExportFrozen(const std::string& path) {
  absl::StatusOr<tf::GraphDef> def = FrozenGraphDef();
  if (!def.ok()) return def.status();
  std::string bytes;
  if (path.size() >= 6 && path.substr(path.size() - 6) == ".pbtxt") {
    google::protobuf::TextFormat::PrintToString(*def, &bytes);
  } else {
    bytes = def->SerializeAsString();
  }
  return WriteFileAtomically(path, bytes);
}

}  // namespace strata::keras
