// Reads the golden cases that tests/golden/coverage_goldens.py writes to
// tests/data/golden/coverage/ (Cumsum, Einsum, TopKV2, NMS, ...) and compares outputs with
// them. Shared by the reference tests (tests/ops) and the compiled ones (tests/compiler).
#pragma once

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "graph/attr_value.h"
#include "graph/npy.h"
#include "graph/tensor.h"
#include "gtest/gtest.h"

namespace strata::coverage_golden {

struct Case {
  std::string name, op;
  std::vector<Tensor> inputs, outputs;
  std::set<int> constants;  // inputs that must be graph constants
  AttrMap attrs;
};

inline std::string Dir() { return absl::StrCat(STRATA_SOURCE_DIR, "/tests/data/golden/coverage/"); }

// Parses one "ATTR=KIND:VALUE".
inline absl::Status ParseAttr(const std::string& spec, AttrMap* attrs) {
  const size_t eq = spec.find('='), colon = spec.find(':');
  if (eq == std::string::npos || colon != eq + 2) return absl::InvalidArgumentError("bad attr " + spec);
  const std::string key = spec.substr(0, eq), value = spec.substr(colon + 1);
  switch (spec[eq + 1]) {
    case 'b': (*attrs)[key] = MakeAttr(value == "true"); break;
    case 'i': (*attrs)[key] = MakeAttr(static_cast<int64_t>(std::stoll(value))); break;
    case 'f': (*attrs)[key] = MakeAttr(std::stof(value)); break;
    case 's': (*attrs)[key] = MakeAttr(value); break;
    case 't': {
      absl::StatusOr<DType> t = DTypeFromName(value);
      if (!t.ok()) return t.status();
      (*attrs)[key] = MakeAttr(*t);
      break;
    }
    default: return absl::InvalidArgumentError("bad attr kind in " + spec);
  }
  return absl::OkStatus();
}

// The cases of the given ops, with their tensors loaded (test failures for unreadable files).
inline std::vector<Case> ReadCases(const std::set<std::string>& ops) {
  std::vector<Case> cases;
  std::ifstream in(Dir() + "cases.txt");
  EXPECT_TRUE(in.good()) << "missing " << Dir() << "cases.txt; run tests/golden/coverage_goldens.py";
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Case c;
    int num_inputs = 0;
    std::string consts;
    fields >> c.name >> c.op >> num_inputs >> consts;
    if (!ops.count(c.op)) continue;
    if (consts != "-") {
      for (absl::string_view s : absl::StrSplit(consts, ',')) c.constants.insert(std::stoi(std::string(s)));
    }
    std::string attr;
    while (fields >> attr) EXPECT_TRUE(ParseAttr(attr, &c.attrs).ok()) << line;
    for (int i = 0; i < num_inputs; ++i) {
      absl::StatusOr<Tensor> t = ReadNpy(absl::StrCat(Dir(), c.name, ".in", i, ".npy"));
      EXPECT_TRUE(t.ok()) << t.status();
      c.inputs.push_back(t.ok() ? *t : Tensor());
    }
    for (int k = 0;; ++k) {
      const std::string path = absl::StrCat(Dir(), c.name, ".out", k, ".npy");
      if (!std::ifstream(path).good()) break;
      absl::StatusOr<Tensor> t = ReadNpy(path);
      EXPECT_TRUE(t.ok()) << t.status();
      c.outputs.push_back(t.ok() ? *t : Tensor());
    }
    cases.push_back(std::move(c));
  }
  EXPECT_FALSE(cases.empty()) << "no golden cases for these ops";
  return cases;
}

// Same dtype and shape; integers and bools equal; floats within atol + rtol * |want| (NaN
// matches NaN).
inline ::testing::AssertionResult Near(const Tensor& got, const Tensor& want, double rtol, double atol) {
  if (!got.valid() || !want.valid()) return ::testing::AssertionFailure() << "invalid tensor";
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) {
    return ::testing::AssertionFailure() << "got " << got.DebugString() << ", want " << want.DebugString();
  }
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    bool ok;
    if (IsFloatingDType(want.dtype())) {
      const double g = got.ElementAsDouble(i), w = want.ElementAsDouble(i);
      ok = (std::isnan(g) && std::isnan(w)) || g == w || std::abs(g - w) <= atol + rtol * std::abs(w);
    } else {
      ok = got.ElementAsInt64(i) == want.ElementAsInt64(i);
    }
    if (!ok) {
      return ::testing::AssertionFailure() << "element " << i << ": got " << got.ElementAsDouble(i) << ", want "
                                           << want.ElementAsDouble(i) << "\n got " << got.DebugString(40)
                                           << "\nwant " << want.DebugString(40);
    }
  }
  return ::testing::AssertionSuccess();
}

// Tolerances per op: exact for ops that only select or move values; a few float32 ulps scaled
// by the number of terms for sums and products (the goldens are exactly rounded, the op rounds
// along the way).
inline void Tolerance(const std::string& op, DType dtype, double* rtol, double* atol) {
  *rtol = 0;
  *atol = 0;
  if (!IsFloatingDType(dtype)) return;
  if (op == "TopKV2" || op == "ClipByValue" || op == "ScatterNd") return;
  const bool f64 = dtype == DT_DOUBLE;
  *rtol = f64 ? 1e-12 : 1e-5;
  *atol = f64 ? 1e-12 : 1e-5;
  if (op == "Cumsum" || op == "Cumprod" || op == "Einsum") *atol = f64 ? 1e-11 : 1e-4;
}

// Checks every output of a case against the goldens.
inline void ExpectOutputs(const Case& c, const std::vector<Tensor>& got) {
  ASSERT_EQ(got.size(), c.outputs.size()) << c.name;
  for (size_t k = 0; k < got.size(); ++k) {
    double rtol, atol;
    Tolerance(c.op, c.outputs[k].dtype(), &rtol, &atol);
    EXPECT_TRUE(Near(got[k], c.outputs[k], rtol, atol)) << c.name << " output " << k;
  }
}

}  // namespace strata::coverage_golden
