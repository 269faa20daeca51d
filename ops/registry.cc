// The op registry and the parser for TensorFlow's op spec syntax (see registry.h).
#include "ops/registry.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "graph/str_util.h"
#include "absl/strings/strip.h"
#include "graph/attr_value.h"
#include "graph/dtype.h"
#include "graph/shape_inference.h"

namespace strata {

OpRegistry& OpRegistry::Global() {
  static OpRegistry* registry = new OpRegistry();
  return *registry;
}

absl::Status OpRegistry::Register(OpRegistration reg) {
  absl::MutexLock lock(&mu_);
  const std::string name = reg.def.name();
  if (name.empty()) return absl::InvalidArgumentError("cannot register an op without a name");
  if (ops_.count(name)) return absl::AlreadyExistsError(absl::StrCat("op '", name, "' is registered twice"));
  if (!reg.shape_fn) reg.shape_fn = UnknownShapes;
  if (auto pending = pending_grads_.find(name); pending != pending_grads_.end()) {
    if (reg.grad) return absl::AlreadyExistsError(absl::StrCat("op '", name, "' has two gradient functions"));
    reg.grad = std::move(pending->second);
    pending_grads_.erase(pending);
  }
  ops_.emplace(name, std::make_unique<OpRegistration>(std::move(reg)));
  return absl::OkStatus();
}

const OpRegistration* OpRegistry::Find(std::string_view op) const {
  absl::MutexLock lock(&mu_);
  auto it = ops_.find(op);
  return it == ops_.end() ? nullptr : it->second.get();
}

absl::StatusOr<const OpRegistration*> OpRegistry::Lookup(std::string_view op) const {
  const OpRegistration* r = Find(op);
  if (r == nullptr) return absl::NotFoundError(absl::StrCat("Op type not registered '", Absl(op), "'"));
  return r;
}

std::vector<std::string> OpRegistry::ListOps() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, reg] : ops_) names.push_back(name);
  return names;
}

absl::Status OpRegistry::RegisterGradient(std::string_view op, GradFn fn) {
  absl::MutexLock lock(&mu_);
  if (!fn) return absl::InvalidArgumentError(absl::StrCat("null gradient function for op '", Absl(op), "'"));
  auto it = ops_.find(op);
  GradFn* slot = it != ops_.end() ? &it->second->grad : &pending_grads_[std::string(op)];
  if (*slot) return absl::AlreadyExistsError(absl::StrCat("op '", Absl(op), "' has two gradient functions"));
  *slot = std::move(fn);
  return absl::OkStatus();
}

std::vector<std::string> OpRegistry::GradientsWithoutOps() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, fn] : pending_grads_) names.push_back(name);
  return names;
}

OpDefBuilder::OpDefBuilder(std::string op_name) : name_(std::move(op_name)) {}
OpDefBuilder& OpDefBuilder::Input(std::string spec) { inputs_.push_back(std::move(spec)); return *this; }
OpDefBuilder& OpDefBuilder::Output(std::string spec) { outputs_.push_back(std::move(spec)); return *this; }
OpDefBuilder& OpDefBuilder::Attr(std::string spec) { attrs_.push_back(std::move(spec)); return *this; }
OpDefBuilder& OpDefBuilder::SetShapeFn(ShapeFn fn) { shape_fn_ = std::move(fn); return *this; }
OpDefBuilder& OpDefBuilder::SetLowering(LowerFn fn) { lower_ = std::move(fn); return *this; }
OpDefBuilder& OpDefBuilder::SetGradient(GradFn fn) { grad_ = std::move(fn); return *this; }
OpDefBuilder& OpDefBuilder::SetHostKernel(HostKernelFn fn) { host_kernel_ = std::move(fn); return *this; }
OpDefBuilder& OpDefBuilder::SetIsStateful() { stateful_ = true; return *this; }
OpDefBuilder& OpDefBuilder::SetIsCommutative() { commutative_ = true; return *this; }
OpDefBuilder& OpDefBuilder::SetIsAggregate() { aggregate_ = true; return *this; }
OpDefBuilder& OpDefBuilder::SetAllowsUninitializedInput() { uninit_ = true; return *this; }
OpDefBuilder& OpDefBuilder::Doc(std::string summary) { summary_ = std::move(summary); return *this; }

namespace {

// Splits "a, b, 'c, d'" on commas that are outside quotes and brackets.
std::vector<std::string> SplitTopLevel(absl::string_view s) {
  std::vector<std::string> parts;
  int depth = 0;
  char quote = 0;
  std::string cur;
  for (char ch : s) {
    if (quote) {
      cur += ch;
      if (ch == quote) quote = 0;
      continue;
    }
    if (ch == '\'' || ch == '"') quote = ch;
    if (ch == '[' || ch == '{' || ch == '(') ++depth;
    if (ch == ']' || ch == '}' || ch == ')') --depth;
    if (ch == ',' && depth == 0) {
      parts.push_back(std::string(absl::StripAsciiWhitespace(cur)));
      cur.clear();
      continue;
    }
    cur += ch;
  }
  std::string last(absl::StripAsciiWhitespace(cur));
  if (!last.empty() || !parts.empty()) parts.push_back(last);
  return parts;
}

bool Unquote(absl::string_view s, std::string* out) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    *out = std::string(s.substr(1, s.size() - 2));
    return true;
  }
  return false;
}

// Parses one scalar default of attr type `type` ("int", "float", ...) into `v`.
absl::Status ParseScalarValue(absl::string_view type, absl::string_view text, tf::AttrValue* v) {
  text = absl::StripAsciiWhitespace(text);
  if (type == "string") {
    std::string s;
    if (!Unquote(text, &s)) return absl::InvalidArgumentError(absl::StrCat("expected a quoted string, got ", text));
    v->set_s(s);
  } else if (type == "int") {
    int64_t i;
    if (!absl::SimpleAtoi(text, &i)) return absl::InvalidArgumentError(absl::StrCat("expected an int, got ", text));
    v->set_i(i);
  } else if (type == "float") {
    float f;
    if (!absl::SimpleAtof(text, &f)) return absl::InvalidArgumentError(absl::StrCat("expected a float, got ", text));
    v->set_f(f);
  } else if (type == "bool") {
    if (text == "true") v->set_b(true);
    else if (text == "false") v->set_b(false);
    else return absl::InvalidArgumentError(absl::StrCat("expected true/false, got ", text));
  } else if (type == "type") {
    absl::StatusOr<DType> t = DTypeFromName(Std(text));
    if (!t.ok()) return t.status();
    v->set_type(static_cast<tf::DataType>(*t));
  } else if (type == "shape") {
    std::string compact = absl::StrReplaceAll(text, {{" ", ""}});
    if (compact == "{unknown_rank:true}") {
      v->mutable_shape()->set_unknown_rank(true);
    } else if (absl::ConsumePrefix(&text, "[") && absl::ConsumeSuffix(&text, "]")) {
      tf::TensorShapeProto* sp = v->mutable_shape();
      for (const std::string& d : SplitTopLevel(text)) {
        if (d.empty()) continue;
        int64_t n = -1;
        if (d != "?" && !absl::SimpleAtoi(d, &n)) return absl::InvalidArgumentError(absl::StrCat("bad dim ", d));
        sp->add_dim()->set_size(n);
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("bad shape default ", text));
    }
  } else {
    return absl::UnimplementedError(absl::StrCat("defaults of attr type ", type, " are not supported"));
  }
  return absl::OkStatus();
}

void AppendToList(const tf::AttrValue& scalar, tf::AttrValue::ListValue* list) {
  switch (scalar.value_case()) {
    case tf::AttrValue::kS: list->add_s(scalar.s()); break;
    case tf::AttrValue::kI: list->add_i(scalar.i()); break;
    case tf::AttrValue::kF: list->add_f(scalar.f()); break;
    case tf::AttrValue::kB: list->add_b(scalar.b()); break;
    case tf::AttrValue::kType: list->add_type(scalar.type()); break;
    case tf::AttrValue::kShape: *list->add_shape() = scalar.shape(); break;
    default: break;
  }
}

// Parses "name: type_spec [>= min] [= default]" into an AttrDef.
absl::Status ParseAttrSpec(absl::string_view spec, tf::OpDef::AttrDef* attr) {
  size_t colon = spec.find(':');
  if (colon == absl::string_view::npos) return absl::InvalidArgumentError("missing ':'");
  attr->set_name(std::string(absl::StripAsciiWhitespace(spec.substr(0, colon))));
  absl::string_view rest = absl::StripAsciiWhitespace(spec.substr(colon + 1));

  // Split off "= default" (an '=' outside quotes/brackets that is not part of ">=").
  absl::string_view type_part = rest, default_part;
  {
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i < rest.size(); ++i) {
      char ch = rest[i];
      if (quote) { if (ch == quote) quote = 0; continue; }
      if (ch == '\'' || ch == '"') quote = ch;
      else if (ch == '[' || ch == '{' || ch == '(') ++depth;
      else if (ch == ']' || ch == '}' || ch == ')') --depth;
      else if (ch == '=' && depth == 0 && (i == 0 || rest[i - 1] != '>')) {
        type_part = absl::StripAsciiWhitespace(rest.substr(0, i));
        default_part = absl::StripAsciiWhitespace(rest.substr(i + 1));
        break;
      }
    }
  }
  // Minimum: "int >= 2", "list(int) >= 1".
  size_t ge = type_part.find(">=");
  if (ge != absl::string_view::npos) {
    int64_t min;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(type_part.substr(ge + 2)), &min)) {
      return absl::InvalidArgumentError("bad minimum");
    }
    attr->set_has_minimum(true);
    attr->set_minimum(min);
    type_part = absl::StripAsciiWhitespace(type_part.substr(0, ge));
  }

  bool is_list = false;
  absl::string_view inner = type_part;
  if (absl::ConsumePrefix(&inner, "list(")) {
    if (!absl::ConsumeSuffix(&inner, ")")) return absl::InvalidArgumentError("unbalanced list(");
    is_list = true;
  }
  std::string base;
  if (absl::StartsWith(inner, "{")) {
    // Allowed values: types or quoted strings.
    absl::string_view body = inner;
    absl::ConsumePrefix(&body, "{");
    if (!absl::ConsumeSuffix(&body, "}")) return absl::InvalidArgumentError("unbalanced {");
    std::vector<std::string> items = SplitTopLevel(body);
    if (items.empty()) return absl::InvalidArgumentError("empty allowed-values set");
    std::string tmp;
    base = Unquote(items[0], &tmp) ? "string" : "type";
    tf::AttrValue::ListValue* allowed = attr->mutable_allowed_values()->mutable_list();
    for (const std::string& item : items) {
      tf::AttrValue v;
      absl::Status s = ParseScalarValue(base, item, &v);
      if (!s.ok()) return s;
      AppendToList(v, allowed);
    }
  } else {
    base = std::string(inner);
    static const char* kKnown[] = {"string", "int", "float", "bool", "type", "shape", "tensor", "func"};
    bool known = false;
    for (const char* k : kKnown) known |= base == k;
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown attr type '", base, "'"));
  }
  attr->set_type(is_list ? absl::StrCat("list(", base, ")") : base);

  if (!default_part.empty()) {
    tf::AttrValue* def = attr->mutable_default_value();
    if (is_list) {
      absl::string_view body = default_part;
      if (!absl::ConsumePrefix(&body, "[") || !absl::ConsumeSuffix(&body, "]")) {
        return absl::InvalidArgumentError(absl::StrCat("list default must be [...], got ", default_part));
      }
      tf::AttrValue::ListValue* list = def->mutable_list();
      for (const std::string& item : SplitTopLevel(body)) {
        if (item.empty()) continue;
        tf::AttrValue v;
        absl::Status s = ParseScalarValue(base, item, &v);
        if (!s.ok()) return s;
        AppendToList(v, list);
      }
    } else {
      absl::Status s = ParseScalarValue(base, default_part, def);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

const tf::OpDef::AttrDef* FindAttrDef(const tf::OpDef& def, absl::string_view name) {
  for (const auto& a : def.attr()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

// Parses "name: [N *] type_or_attr" or "name: Ref(...)" into an ArgDef (attrs must be parsed).
absl::Status ParseArgSpec(absl::string_view spec, const tf::OpDef& def, tf::OpDef::ArgDef* arg) {
  size_t colon = spec.find(':');
  if (colon == absl::string_view::npos) return absl::InvalidArgumentError("missing ':'");
  arg->set_name(std::string(absl::StripAsciiWhitespace(spec.substr(0, colon))));
  absl::string_view rest = absl::StripAsciiWhitespace(spec.substr(colon + 1));
  if (absl::ConsumePrefix(&rest, "Ref(")) {
    if (!absl::ConsumeSuffix(&rest, ")")) return absl::InvalidArgumentError("unbalanced Ref(");
    arg->set_is_ref(true);
  }
  size_t star = rest.find('*');
  if (star != absl::string_view::npos) {
    std::string number(absl::StripAsciiWhitespace(rest.substr(0, star)));
    const tf::OpDef::AttrDef* n = FindAttrDef(def, number);
    if (n == nullptr || n->type() != "int") {
      return absl::InvalidArgumentError(absl::StrCat("'", number, "' must be an int attr"));
    }
    arg->set_number_attr(number);
    rest = absl::StripAsciiWhitespace(rest.substr(star + 1));
  }
  if (const tf::OpDef::AttrDef* a = FindAttrDef(def, rest)) {
    if (a->type() == "type") {
      arg->set_type_attr(std::string(rest));
    } else if (a->type() == "list(type)" && arg->number_attr().empty()) {
      arg->set_type_list_attr(std::string(rest));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("attr '", rest, "' has type ", a->type(),
                                                     ", expected type or list(type)"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<DType> t = DTypeFromName(Std(rest));
  if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("'", rest, "' is neither a type nor an attr"));
  arg->set_type(static_cast<tf::DataType>(*t));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OpRegistration> OpDefBuilder::Finalize() const {
  OpRegistration reg;
  tf::OpDef& def = reg.def;
  def.set_name(name_);
  auto fail = [&](const std::string& what, const std::string& spec, const absl::Status& s) {
    return absl::InvalidArgumentError(
        absl::StrCat("op ", name_, ": bad ", what, " spec '", spec, "': ", s.message()));
  };
  for (const std::string& spec : attrs_) {
    absl::Status s = ParseAttrSpec(spec, def.add_attr());
    if (!s.ok()) return fail("attr", spec, s);
  }
  for (const std::string& spec : inputs_) {
    absl::Status s = ParseArgSpec(spec, def, def.add_input_arg());
    if (!s.ok()) return fail("input", spec, s);
  }
  for (const std::string& spec : outputs_) {
    absl::Status s = ParseArgSpec(spec, def, def.add_output_arg());
    if (!s.ok()) return fail("output", spec, s);
  }
  def.set_is_stateful(stateful_);
  def.set_is_commutative(commutative_);
  def.set_is_aggregate(aggregate_);
  def.set_allows_uninitialized_input(uninit_);
  def.set_summary(summary_);
  reg.shape_fn = shape_fn_;
  reg.lower = lower_;
  reg.grad = grad_;
  reg.host_kernel = host_kernel_;
  return reg;
}

OpRegisterer::OpRegisterer(const OpDefBuilder& builder) {
  absl::StatusOr<OpRegistration> reg = builder.Finalize();
  absl::Status s = reg.ok() ? OpRegistry::Global().Register(*std::move(reg)) : reg.status();
  if (!s.ok()) {
    std::fprintf(stderr, "strata: invalid op registration: %s\n", std::string(s.message()).c_str());
    std::abort();
  }
}

GradientRegisterer::GradientRegisterer(std::string_view op, GradFn fn) {
  absl::Status s = OpRegistry::Global().RegisterGradient(op, std::move(fn));
  if (!s.ok()) {
    std::fprintf(stderr, "strata: invalid gradient registration: %s\n", std::string(s.message()).c_str());
    std::abort();
  }
}

}  // namespace strata
