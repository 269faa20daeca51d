// GraphDef <-> Graph, and GraphDef files (binary .pb, text .pbtxt).
#include "graph/graph_def_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "graph/file_util.h"
#include "graph/shape_inference.h"

namespace strata {

namespace {

struct ParsedInputs {
  std::vector<TensorName> data;
  std::vector<std::string> control;
};

absl::StatusOr<ParsedInputs> ParseNodeInputs(const tf::NodeDef& nd) {
  ParsedInputs p;
  for (int i = 0; i < nd.input_size(); ++i) {
    absl::StatusOr<TensorName> t = ParseTensorName(nd.input(i));
    if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("node '", nd.name(), "': input ", i, ": ", t.status().message()));
    if (t->is_control) {
      p.control.push_back(t->node);
    } else {
      if (!p.control.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("node '", nd.name(), "': data input '", nd.input(i),
                                                       "' comes after a control input"));
      }
      p.data.push_back(*t);
    }
  }
  return p;
}

bool IsBackEdge(const std::string& src_op, const std::string& dst_op) {
  return src_op == "NextIteration" && (dst_op == "Merge" || dst_op == "RefMerge");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Graph>> GraphFromGraphDef(const tf::GraphDef& def, const ImportOptions& options) {
  auto graph = std::make_unique<Graph>(options.registry ? options.registry : &OpRegistry::Global());
  graph->versions() = def.versions();
  graph->library() = def.library();

  // Names, unknown ops (all listed at once) and input syntax.
  std::map<std::string, int> index_of;
  std::map<std::string, std::vector<std::string>> unknown_ops;
  std::vector<ParsedInputs> parsed(def.node_size());
  for (int i = 0; i < def.node_size(); ++i) {
    const tf::NodeDef& nd = def.node(i);
    if (nd.name().empty()) return absl::InvalidArgumentError(absl::StrCat("node #", i, " has no name"));
    if (!index_of.emplace(nd.name(), i).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate node name '", nd.name(), "'"));
    }
    if (graph->registry().Find(nd.op()) == nullptr) unknown_ops[nd.op()].push_back(nd.name());
    absl::StatusOr<ParsedInputs> p = ParseNodeInputs(nd);
    if (!p.ok()) return p.status();
    parsed[i] = *std::move(p);
  }
  if (!unknown_ops.empty()) {
    std::vector<std::string> parts;
    for (const auto& [op, nodes] : unknown_ops) {
      std::vector<std::string> shown(nodes.begin(), nodes.begin() + std::min<size_t>(nodes.size(), 3));
      std::string more = nodes.size() > 3 ? absl::StrCat(", ... ", nodes.size() - 3, " more") : "";
      parts.push_back(absl::StrCat(op.empty() ? "<empty op>" : op, " (node ", absl::StrJoin(shown, ", "), more, ")"));
    }
    return absl::UnimplementedError(absl::StrCat(unknown_ops.size(), " unsupported op type",
                                                 unknown_ops.size() > 1 ? "s" : "", ": ", absl::StrJoin(parts, "; ")));
  }

  // Dangling inputs, then creation in dependency order (loop back edges patched afterwards).
  std::vector<std::vector<int>> consumers(def.node_size());
  std::vector<int> pending(def.node_size(), 0);
  for (int i = 0; i < def.node_size(); ++i) {
    const tf::NodeDef& nd = def.node(i);
    auto edge = [&](const std::string& src, const std::string& spelled) -> absl::Status {
      auto it = index_of.find(src);
      if (it == index_of.end()) {
        return absl::InvalidArgumentError(absl::StrCat("node '", nd.name(), "': input '", spelled,
                                                       "' refers to a node that does not exist"));
      }
      if (IsBackEdge(def.node(it->second).op(), nd.op())) return absl::OkStatus();
      consumers[it->second].push_back(i);
      ++pending[i];
      return absl::OkStatus();
    };
    for (const TensorName& t : parsed[i].data) {
      absl::Status s = edge(t.node, t.index == 0 ? t.node : absl::StrCat(t.node, ":", t.index));
      if (!s.ok()) return s;
    }
    for (const std::string& c : parsed[i].control) {
      absl::Status s = edge(c, "^" + c);
      if (!s.ok()) return s;
    }
  }
  std::vector<int> order;
  std::vector<int> ready;
  for (int i = def.node_size() - 1; i >= 0; --i) if (pending[i] == 0) ready.push_back(i);
  while (!ready.empty()) {
    int i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (int j : consumers[i]) if (--pending[j] == 0) ready.push_back(j);
  }
  if (static_cast<int>(order.size()) != def.node_size()) {
    std::vector<std::string> stuck;
    for (int i = 0; i < def.node_size() && stuck.size() < 5; ++i) if (pending[i] > 0) stuck.push_back(def.node(i).name());
    return absl::InvalidArgumentError(absl::StrCat("graph has a cycle through node(s) ", absl::StrJoin(stuck, ", ")));
  }

  struct BackEdge { Node* node; int input; TensorName src; };
  std::vector<BackEdge> back_edges;
  std::vector<Node*> created(def.node_size(), nullptr);
  for (int i : order) {
    const tf::NodeDef& nd = def.node(i);
    NodeSpec spec;
    spec.name = nd.name();
    spec.op = nd.op();
    spec.device = nd.device();
    for (const auto& [k, v] : nd.attr()) spec.attrs[k] = v;
    std::vector<int> deferred;
    for (size_t k = 0; k < parsed[i].data.size(); ++k) {
      const TensorName& t = parsed[i].data[k];
      Node* src = created[index_of[t.node]];
      if (src == nullptr) {  // a loop back edge: stand in with a forward input, patched below
        deferred.push_back(static_cast<int>(k));
        spec.inputs.push_back(Output());
        continue;
      }
      if (t.index >= src->num_outputs()) {
        return absl::InvalidArgumentError(absl::StrCat("node '", nd.name(), "': input '", t.node, ":", t.index, "' but ",
                                                       src->Describe(), " has ", src->num_outputs(), " outputs"));
      }
      spec.inputs.push_back(Output(src, t.index));
    }
    if (!deferred.empty()) {
      Output stand_in;
      for (const Output& o : spec.inputs) if (o.valid()) { stand_in = o; break; }
      if (!stand_in.valid()) {
        return absl::InvalidArgumentError(absl::StrCat("node '", nd.name(), "': loop merge has no forward input"));
      }
      for (int k : deferred) spec.inputs[k] = stand_in;
    }
    for (const std::string& c : parsed[i].control) spec.control_inputs.push_back(created[index_of[c]]);
    absl::StatusOr<Node*> node = graph->AddNode(std::move(spec));
    if (!node.ok()) return node.status();
    created[i] = *node;
    for (int k : deferred) back_edges.push_back({*node, k, parsed[i].data[k]});
  }
  for (const BackEdge& e : back_edges) {
    Node* src = created[index_of[e.src.node]];
    if (e.src.index >= src->num_outputs()) {
      return absl::InvalidArgumentError(absl::StrCat(e.node->Describe(), ": input ", e.input, " refers to a missing output of ",
                                                     src->Describe()));
    }
    absl::Status s = graph->ReplaceInput(e.node, e.input, Output(src, e.src.index));
    if (!s.ok()) return s;
  }
  absl::Status s = graph->ReorderNodes(created);
  if (!s.ok()) return s;
  if (options.infer_shapes) {
    s = InferShapes(graph.get());
    if (!s.ok()) return s;
  }
  return graph;
}

namespace {
bool SameAttrValue(const tf::AttrValue& a, const tf::AttrValue& b) {
  std::string sa, sb;
  google::protobuf::io::StringOutputStream oa(&sa), ob(&sb);
  {
    google::protobuf::io::CodedOutputStream ca(&oa), cb(&ob);
    ca.SetSerializationDeterministic(true);
    cb.SetSerializationDeterministic(true);
    a.SerializeToCodedStream(&ca);
    b.SerializeToCodedStream(&cb);
  }
  return sa == sb;
}
}  // namespace

tf::GraphDef GraphToGraphDef(const Graph& graph, const ExportOptions& options) {
  tf::GraphDef def;
  for (const auto& n : graph.nodes()) {
    tf::NodeDef* nd = def.add_node();
    nd->set_name(n->name());
    nd->set_op(n->op());
    for (const Output& in : n->inputs()) nd->add_input(in.name());
    for (const Node* c : n->control_inputs()) nd->add_input("^" + c->name());
    nd->set_device(n->device());
    for (const auto& [k, v] : n->attrs()) {
      if (options.attrs == ExportOptions::Attrs::kAsGiven && n->IsDefaultFilledAttr(k)) continue;
      if (options.attrs == ExportOptions::Attrs::kStripDefaults) {
        bool is_default = false;
        for (const auto& a : n->op_def().attr()) {
          if (a.name() == k && a.has_default_value() && SameAttrValue(a.default_value(), v)) is_default = true;
        }
        if (is_default) continue;
      }
      (*nd->mutable_attr())[k] = v;
    }
  }
  *def.mutable_versions() = graph.versions();
  if (graph.library().function_size() > 0 || graph.library().gradient_size() > 0 ||
      graph.library().registered_gradients_size() > 0) {
    *def.mutable_library() = graph.library();
  }
  return def;
}

void CanonicalizeGraphDef(tf::GraphDef* def) {
  for (tf::NodeDef& nd : *def->mutable_node()) {
    std::vector<std::string> data, control;
    for (const std::string& in : nd.input()) {
      if (!in.empty() && in[0] == '^') control.push_back(in);
      else if (absl::EndsWith(in, ":0")) data.push_back(in.substr(0, in.size() - 2));
      else data.push_back(in);
    }
    std::sort(control.begin(), control.end());
    nd.clear_input();
    for (auto& s : data) nd.add_input(s);
    for (auto& s : control) nd.add_input(s);
  }
  std::sort(def->mutable_node()->begin(), def->mutable_node()->end(),
            [](const tf::NodeDef& a, const tf::NodeDef& b) { return a.name() < b.name(); });
}

std::string SerializeGraphDef(const tf::GraphDef& def) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream os(&out);
    google::protobuf::io::CodedOutputStream cos(&os);
    cos.SetSerializationDeterministic(true);
    def.SerializeToCodedStream(&cos);
  }
  return out;
}

absl::StatusOr<tf::GraphDef> ParseGraphDefBinary(std::string_view bytes) {
  tf::GraphDef def;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(std::min<size_t>(bytes.size(), INT_MAX)));
  in.SetTotalBytesLimit(INT_MAX);
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("GraphDef is larger than 2 GiB, the protobuf limit");
  }
  if (!def.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid binary GraphDef (", bytes.size(),
                                                   " bytes; truncated or corrupt)"));
  }
  // Random bytes can parse as a message made only of unknown fields; a GraphDef has none.
  if (!def.GetReflection()->GetUnknownFields(def).empty()) {
    return absl::InvalidArgumentError("not a valid binary GraphDef (unknown top-level fields; wrong file type?)");
  }
  return def;
}

namespace {
class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first.empty()) first = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  std::string first;
};
}  // namespace

absl::StatusOr<tf::GraphDef> ParseGraphDefText(std::string_view text) {
  tf::GraphDef def;
  google::protobuf::TextFormat::Parser parser;
  CollectErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &def)) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid text GraphDef: ", errors.first));
  }
  return def;
}

std::string GraphDefToText(const tf::GraphDef& def) {
  std::string out;
  google::protobuf::TextFormat::Printer printer;
  printer.PrintToString(def, &out);
  return out;
}

namespace {
enum class Format { kBinary, kText, kUnknown };
Format FormatOf(const std::string& path) {
  if (absl::EndsWith(path, ".pbtxt") || absl::EndsWith(path, ".pbtext") || absl::EndsWith(path, ".txt")) {
    return Format::kText;
  }
  if (absl::EndsWith(path, ".pb")) return Format::kBinary;
  return Format::kUnknown;
}
}  // namespace

absl::StatusOr<tf::GraphDef> ReadGraphDefFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return absl::DataLossError(absl::StrCat("error reading '", path, "'"));
  std::string bytes = ss.str();
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat("'", path, "' is empty"));
  auto annotate = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("'", path, "': ", s.message()));
  };
  Format format = FormatOf(path);
  if (format == Format::kText) {
    auto r = ParseGraphDefText(bytes);
    if (!r.ok()) return annotate(r.status());
    return r;
  }
  auto bin = ParseGraphDefBinary(bytes);
  if (bin.ok() || format == Format::kBinary) {
    if (!bin.ok()) return annotate(bin.status());
    return bin;
  }
  auto text = ParseGraphDefText(bytes);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is neither a binary nor a text GraphDef (",
                                                   text.status().message(), ")"));
  }
  return text;
}

absl::Status WriteGraphDefFile(const tf::GraphDef& def, const std::string& path) {
  std::string bytes = FormatOf(path) == Format::kText ? GraphDefToText(def) : SerializeGraphDef(def);
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<std::unique_ptr<Graph>> LoadGraph(const std::string& path, const ImportOptions& options) {
  absl::StatusOr<tf::GraphDef> def = ReadGraphDefFile(path);
  if (!def.ok()) return def.status();
  auto g = GraphFromGraphDef(*def, options);
  if (!g.ok()) return absl::Status(g.status().code(), absl::StrCat("'", path, "': ", g.status().message()));
  return g;
}

}  // namespace strata
