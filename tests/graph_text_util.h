// GraphDef text for tests that write their graphs as text (ParseGraphDefText).
#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace strata::testing_util {

// A Placeholder of `dtype` (as GraphDef text spells it); `dims` is the body of its shape attr
// ("dim { size: 4 }"), by default an unknown rank (any fed shape).
inline std::string PlaceholderText(const std::string& name, const std::string& dims = "unknown_rank: true",
                                   const std::string& dtype = "DT_FLOAT") {
  return absl::StrCat(R"(node { name: ")", name, R"(" op: "Placeholder" attr { key: "dtype" value { type: )", dtype,
                      " } } ", R"(attr { key: "shape" value { shape { )", dims, " } } } }\n");
}

// A node with `inputs`, on `device` ("" = none), with `attrs` (by default T = DT_FLOAT).
inline std::string NodeText(const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
                            const std::string& device = "",
                            const std::string& attrs = R"(attr { key: "T" value { type: DT_FLOAT } })") {
  std::string text = absl::StrCat(R"(node { name: ")", name, R"(" op: ")", op, R"(")");
  for (const std::string& in : inputs) absl::StrAppend(&text, R"( input: ")", in, R"(")");
  if (!device.empty()) absl::StrAppend(&text, R"( device: ")", device, R"(")");
  return absl::StrCat(text, " ", attrs, " }\n");
}

}  // namespace strata::testing_util
