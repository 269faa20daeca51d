// C/C++ identifiers for AOT artifacts (declared in aot_compiler.h).
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "compiler/aot_compiler.h"

namespace strata {

namespace {

bool IsKeyword(const std::string& s) {
  static const std::set<std::string>* keywords = new std::set<std::string>{
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
      "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
      "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
      "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
      "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
      "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
      "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
      "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq"};
  return keywords->count(s) > 0;
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCppClass(const std::string& cpp_class) {
  std::vector<std::string> parts = absl::StrSplit(cpp_class, "::");
  for (const std::string& p : parts) {
    if (!IsIdentifier(p) || IsKeyword(p)) {
      return absl::InvalidArgumentError(absl::StrCat("compile: --cpp_class expects a C++ class name such as ns::Model, got '",
                                                     cpp_class, "' ('", p, "' is not an identifier, or is a keyword)"));
    }
  }
  return parts;
}

std::string SanitizeIdentifier(const std::string& tensor_name) {
  std::string name = tensor_name;
  if (name.size() > 2 && name.compare(name.size() - 2, 2, ":0") == 0) name.resize(name.size() - 2);
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9') || IsKeyword(out)) out = "_" + out;
  return out;
}

}  // namespace strata
