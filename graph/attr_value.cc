#include "graph/attr_value.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/tensor.pb.h"
#include "proto/tensor_shape.pb.h"

namespace strata {
namespace {

using ListValue = tf::AttrValue::ListValue;

// The list field that a ListValue uses, named as in OpDef ("int" for list(int)); "" when
// every field is empty. `count` receives how many fields are non-empty.
std::string ListElementType(const ListValue& list, int* count) {
  std::string type;
  *count = 0;
  auto note = [&](int size, const char* name) {
    if (size == 0) return;
    if (++*count == 1) type = name;
  };
  note(list.s_size(), "string");
  note(list.i_size(), "int");
  note(list.f_size(), "float");
  note(list.b_size(), "bool");
  note(list.type_size(), "type");
  note(list.shape_size(), "shape");
  note(list.tensor_size(), "tensor");
  note(list.func_size(), "func");
  return type;
}

std::string ScalarTypeName(const tf::AttrValue& v) {
  switch (v.value_case()) {
    case tf::AttrValue::kS: return "string";
    case tf::AttrValue::kI: return "int";
    case tf::AttrValue::kF: return "float";
    case tf::AttrValue::kB: return "bool";
    case tf::AttrValue::kType: return "type";
    case tf::AttrValue::kShape: return "shape";
    case tf::AttrValue::kTensor: return "tensor";
    case tf::AttrValue::kFunc: return "func";
    case tf::AttrValue::kPlaceholder: return "placeholder";
    case tf::AttrValue::kList: return "list";
    case tf::AttrValue::VALUE_NOT_SET: return "<unset>";
  }
  return "<unset>";
}

bool IsAttrElementType(std::string_view t) {
  return t == "string" || t == "int" || t == "float" || t == "bool" || t == "type" ||
         t == "shape" || t == "tensor" || t == "func";
}

// As TensorFlow: a type attr must name a real, non-reference dtype.
absl::Status CheckTypeValue(int value) {
  if (value == DT_INVALID) return absl::InvalidArgumentError("AttrValue has invalid DataType");
  if (!IsKnownDType(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("AttrValue has unknown DataType enum value ", value));
  }
  if (IsRefDType(static_cast<DType>(value))) {
    return absl::InvalidArgumentError(
        absl::StrCat("AttrValue must not have reference type value of ",
                     DTypeName(static_cast<DType>(value))));
  }
  return absl::OkStatus();
}

// Finds attr `name` and checks that it holds `type`; errors name the attr.
absl::StatusOr<const tf::AttrValue*> FindTyped(const AttrMap& attrs, std::string_view name,
                                               std::string_view type) {
  auto it = attrs.find(name);
  if (it == attrs.end()) {
    return absl::NotFoundError(absl::StrCat("Attr '", std::string(name), "' not found"));
  }
  if (absl::Status s = CheckAttrValueType(it->second, type); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attr '", std::string(name), "': ", s.message()));
  }
  return &it->second;
}

absl::Status Int64ToInt(std::string_view name, int64_t value, int* out) {
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attr '", std::string(name), "' value ", value, " does not fit in int32"));
  }
  *out = static_cast<int>(value);
  return absl::OkStatus();
}

std::string ShapeProtoToString(const tf::TensorShapeProto& proto) {
  absl::StatusOr<Shape> shape = Shape::FromProto(proto);
  return shape.ok() ? shape->ToString() : "<invalid shape>";
}

std::string TensorProtoToString(const tf::TensorProto& proto) {
  absl::StatusOr<Tensor> t = Tensor::FromProto(proto);
  if (!t.ok()) return absl::StrCat("<tensor: ", t.status().message(), ">");
  return t->DebugString(3);
}

std::string QuotedString(const std::string& s) {
  return absl::StrCat("\"", absl::CEscape(s), "\"");
}

std::string FuncToString(const tf::NameAttrList& func) {
  if (func.attr().empty()) return func.name();
  // proto maps are unordered; sort for a stable rendering.
  AttrMap sorted;
  for (const auto& [key, value] : func.attr()) sorted.emplace(key, value);
  std::vector<std::string> parts;
  for (const auto& [key, value] : sorted) {
    parts.push_back(absl::StrCat(key, "=", AttrValueToString(value)));
  }
  return absl::StrCat(func.name(), "[", absl::StrJoin(parts, ", "), "]");
}

std::string ListToString(const ListValue& list) {
  std::vector<std::string> parts;
  for (const std::string& s : list.s()) parts.push_back(QuotedString(s));
  for (int64_t i : list.i()) parts.push_back(absl::StrCat(i));
  for (float f : list.f()) parts.push_back(absl::StrCat(f));
  for (bool b : list.b()) parts.push_back(b ? "true" : "false");
  for (int t : list.type()) parts.push_back(DTypeName(static_cast<DType>(t)));
  for (const auto& s : list.shape()) parts.push_back(ShapeProtoToString(s));
  for (const auto& t : list.tensor()) parts.push_back(TensorProtoToString(t));
  for (const auto& f : list.func()) parts.push_back(FuncToString(f));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

}  // namespace

// ---------------------------------------------------------------------------------------
// MakeAttr

tf::AttrValue MakeAttr(int64_t v) {
  tf::AttrValue a;
  a.set_i(v);
  return a;
}

tf::AttrValue MakeAttr(float v) {
  tf::AttrValue a;
  a.set_f(v);
  return a;
}

tf::AttrValue MakeAttr(bool v) {
  tf::AttrValue a;
  a.set_b(v);
  return a;
}

tf::AttrValue MakeAttr(std::string_view v) {
  tf::AttrValue a;
  a.set_s(std::string(v));
  return a;
}

tf::AttrValue MakeAttr(DType v) {
  tf::AttrValue a;
  a.set_type(static_cast<tf::DataType>(v));
  return a;
}

tf::AttrValue MakeAttr(const Shape& v) {
  tf::AttrValue a;
  v.ToProto(a.mutable_shape());
  return a;
}

tf::AttrValue MakeAttr(const Tensor& v) {
  tf::AttrValue a;
  v.ToProto(a.mutable_tensor());
  return a;
}

tf::AttrValue MakeAttr(const std::vector<int64_t>& v) {
  tf::AttrValue a;
  a.mutable_list()->mutable_i()->Add(v.begin(), v.end());
  return a;
}

tf::AttrValue MakeAttr(const std::vector<int>& v) {
  tf::AttrValue a;
  ListValue* list = a.mutable_list();
  for (int x : v) list->add_i(x);
  return a;
}

tf::AttrValue MakeAttr(const std::vector<float>& v) {
  tf::AttrValue a;
  a.mutable_list()->mutable_f()->Add(v.begin(), v.end());
  return a;
}

tf::AttrValue MakeAttr(const std::vector<bool>& v) {
  tf::AttrValue a;
  ListValue* list = a.mutable_list();
  for (bool x : v) list->add_b(x);
  return a;
}

tf::AttrValue MakeAttr(const std::vector<std::string>& v) {
  tf::AttrValue a;
  ListValue* list = a.mutable_list();
  for (const std::string& x : v) list->add_s(x);
  return a;
}

tf::AttrValue MakeAttr(const std::vector<DType>& v) {
  tf::AttrValue a;
  ListValue* list = a.mutable_list();
  for (DType x : v) list->add_type(static_cast<tf::DataType>(x));
  return a;
}

tf::AttrValue MakeAttr(const std::vector<Shape>& v) {
  tf::AttrValue a;
  ListValue* list = a.mutable_list();
  for (const Shape& x : v) x.ToProto(list->add_shape());
  return a;
}

// ---------------------------------------------------------------------------------------
// GetAttr

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, int64_t* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "int");
  if (!a.ok()) return a.status();
  *v = (*a)->i();
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, int* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "int");
  if (!a.ok()) return a.status();
  return Int64ToInt(name, (*a)->i(), v);
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, float* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "float");
  if (!a.ok()) return a.status();
  *v = (*a)->f();
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, bool* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "bool");
  if (!a.ok()) return a.status();
  *v = (*a)->b();
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, std::string* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "string");
  if (!a.ok()) return a.status();
  *v = (*a)->s();
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, DType* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "type");
  if (!a.ok()) return a.status();
  *v = static_cast<DType>((*a)->type());
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, Shape* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "shape");
  if (!a.ok()) return a.status();
  absl::StatusOr<Shape> shape = Shape::FromProto((*a)->shape());
  if (!shape.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attr '", std::string(name), "': ", shape.status().message()));
  }
  *v = *std::move(shape);
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, Tensor* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "tensor");
  if (!a.ok()) return a.status();
  absl::StatusOr<Tensor> t = Tensor::FromProto((*a)->tensor());
  if (!t.ok()) {
    return absl::Status(t.status().code(),
                        absl::StrCat("Attr '", std::string(name), "': ", t.status().message()));
  }
  *v = *std::move(t);
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, std::vector<int64_t>* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "list(int)");
  if (!a.ok()) return a.status();
  v->assign((*a)->list().i().begin(), (*a)->list().i().end());
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, std::vector<int>* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "list(int)");
  if (!a.ok()) return a.status();
  std::vector<int> out;
  out.reserve((*a)->list().i_size());
  for (int64_t x : (*a)->list().i()) {
    int narrowed = 0;
    if (absl::Status s = Int64ToInt(name, x, &narrowed); !s.ok()) return s;
    out.push_back(narrowed);
  }
  *v = std::move(out);
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, std::vector<float>* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "list(float)");
  if (!a.ok()) return a.status();
  v->assign((*a)->list().f().begin(), (*a)->list().f().end());
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, std::vector<std::string>* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "list(string)");
  if (!a.ok()) return a.status();
  v->assign((*a)->list().s().begin(), (*a)->list().s().end());
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, std::vector<DType>* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "list(type)");
  if (!a.ok()) return a.status();
  v->clear();
  for (int t : (*a)->list().type()) v->push_back(static_cast<DType>(t));
  return absl::OkStatus();
}

absl::Status GetAttr(const AttrMap& attrs, std::string_view name, std::vector<Shape>* v) {
  absl::StatusOr<const tf::AttrValue*> a = FindTyped(attrs, name, "list(shape)");
  if (!a.ok()) return a.status();
  std::vector<Shape> out;
  for (int i = 0; i < (*a)->list().shape_size(); ++i) {
    absl::StatusOr<Shape> shape = Shape::FromProto((*a)->list().shape(i));
    if (!shape.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("Attr '", std::string(name), "' element ", i,
                                                     ": ", shape.status().message()));
    }
    out.push_back(*std::move(shape));
  }
  *v = std::move(out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Types and printing

std::string AttrValueTypeName(const tf::AttrValue& v) {
  if (v.value_case() != tf::AttrValue::kList) return ScalarTypeName(v);
  int count = 0;
  const std::string element = ListElementType(v.list(), &count);
  return element.empty() ? "list(*)" : absl::StrCat("list(", element, ")");
}

absl::Status CheckAttrValueType(const tf::AttrValue& v, std::string_view type) {
  std::string_view element = type;
  const bool want_list = type.starts_with("list(") && type.ends_with(")");
  if (want_list) element = type.substr(5, type.size() - 6);
  if (!IsAttrElementType(element)) {
    return absl::InvalidArgumentError(absl::StrCat("Unknown attr type '", std::string(type), "'"));
  }

  if (v.value_case() == tf::AttrValue::kList) {
    int count = 0;
    const std::string held = ListElementType(v.list(), &count);
    if (count > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "AttrValue list holds values of more than one type (", held, " and others)"));
    }
    if (!want_list) {
      return absl::InvalidArgumentError(absl::StrCat("AttrValue had value with type '",
                                                     AttrValueTypeName(v), "' when '",
                                                     std::string(type), "' expected"));
    }
    // An empty list matches every list type.
    if (count == 1 && held != element) {
      return absl::InvalidArgumentError(absl::StrCat("AttrValue had value with type 'list(", held,
                                                     ")' when '", std::string(type), "' expected"));
    }
    for (int t : v.list().type()) {
      if (absl::Status s = CheckTypeValue(t); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  if (v.value_case() == tf::AttrValue::VALUE_NOT_SET) {
    return absl::InvalidArgumentError(
        absl::StrCat("AttrValue missing value with expected type '", std::string(type), "'"));
  }
  const std::string held = ScalarTypeName(v);
  if (want_list || held != element) {
    return absl::InvalidArgumentError(absl::StrCat("AttrValue had value with type '", held,
                                                   "' when '", std::string(type), "' expected"));
  }
  if (v.value_case() == tf::AttrValue::kType) return CheckTypeValue(v.type());
  return absl::OkStatus();
}

std::string AttrValueToString(const tf::AttrValue& v) {
  switch (v.value_case()) {
    case tf::AttrValue::kS: return QuotedString(v.s());
    case tf::AttrValue::kI: return absl::StrCat(v.i());
    case tf::AttrValue::kF: return absl::StrCat(v.f());
    case tf::AttrValue::kB: return v.b() ? "true" : "false";
    case tf::AttrValue::kType: return DTypeName(static_cast<DType>(v.type()));
    case tf::AttrValue::kShape: return ShapeProtoToString(v.shape());
    case tf::AttrValue::kTensor: return TensorProtoToString(v.tensor());
    case tf::AttrValue::kList: return ListToString(v.list());
    case tf::AttrValue::kFunc: return FuncToString(v.func());
    case tf::AttrValue::kPlaceholder: return absl::StrCat("$", v.placeholder());
    case tf::AttrValue::VALUE_NOT_SET: break;
  }
  return "<unset>";
}

}  // namespace strata
