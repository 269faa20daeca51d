// Einsum (schema from tensorflow/core/ops/linalg_ops.cc, shape function after TF's
// EinsumShape in common_shape_fns.cc, semantics after kernels/linalg/einsum_op_impl.h).
//
// The equation is explicit, as TF's op requires: "in0,in1->out" or "in0->out", letters as
// labels and at most one "..." per subscript. Named labels must have equal sizes wherever they
// appear; the dims under "..." broadcast (NumPy rules) and are only allowed to be non-empty
// when the output has "..." too.
//
// The lowering, per input: a label repeated within the input takes the diagonal (a select
// against an iota equality and a sum), and a label found in no other subscript is summed out.
// One input then only needs a transpose. Two inputs become one dot_general: labels in both
// inputs and the output are batch dims, labels in both inputs only are contracted, the rest are
// free; a transpose puts the result in the output's order.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "graph/str_util.h"
#include "ops/lowering.h"
#include "ops/registry.h"

namespace strata {
namespace {

// A parsed subscript: its labels in order, '.' standing for the whole ellipsis.
struct Subscript {
  std::string labels;  // letters and at most one '.'
  bool has_ellipsis() const { return labels.find('.') != std::string::npos; }
  int num_named() const { return static_cast<int>(labels.size()) - (has_ellipsis() ? 1 : 0); }
  std::string ToString() const {
    std::string text;
    for (char ch : labels) {
      if (ch == '.') {
        text.append("...");
      } else {
        text.push_back(ch);
      }
    }
    return text;
  }
};

struct Equation {
  std::vector<Subscript> inputs;
  Subscript output;
};

bool IsLabel(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }

absl::StatusOr<Subscript> ParseSubscript(std::string_view text, std::string_view equation) {
  Subscript s;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (IsLabel(ch)) {
      s.labels.push_back(ch);
    } else if (ch == '.') {
      if (text.substr(i, 3) != "..." || s.has_ellipsis()) {
        return absl::InvalidArgumentError(absl::StrCat("einsum equation '", Absl(equation),
                                                       "': periods must form one ellipsis (...) per subscript, in '",
                                                       Absl(text), "'"));
      }
      s.labels.push_back('.');
      i += 2;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("einsum equation '", Absl(equation), "': invalid character '", std::string(1, ch), "'"));
    }
  }
  return s;
}

absl::StatusOr<Equation> ParseEquation(const std::string& equation, int num_inputs) {
  std::string text;
  for (char ch : equation) {
    if (ch != ' ') text.push_back(ch);
  }
  const size_t arrow = text.find("->");
  if (arrow == std::string::npos || text.find("->", arrow + 2) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("Expecting exactly one '->' in einsum equation: ", equation));
  }
  Equation eq;
  std::string_view lhs = std::string_view(text).substr(0, arrow);
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    absl::StatusOr<Subscript> s = ParseSubscript(lhs.substr(start, comma == std::string_view::npos ? lhs.npos : comma - start), equation);
    if (!s.ok()) return s.status();
    eq.inputs.push_back(*std::move(s));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (eq.inputs.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat("Expecting 1 or 2 input subscripts in equation '", equation,
                                                   "' but got: ", eq.inputs.size()));
  }
  if (static_cast<int>(eq.inputs.size()) != num_inputs) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected ", eq.inputs.size(), " inputs for equation ", equation, " but got: ", num_inputs));
  }
  absl::StatusOr<Subscript> out = ParseSubscript(std::string_view(text).substr(arrow + 2), equation);
  if (!out.ok()) return out.status();
  eq.output = *std::move(out);
  for (size_t i = 0; i < eq.output.labels.size(); ++i) {
    const char ch = eq.output.labels[i];
    if (ch != '.' && eq.output.labels.find(ch) != i) {
      return absl::InvalidArgumentError(
          absl::StrCat("einsum equation '", equation, "': output label '", std::string(1, ch), "' appears more than once"));
    }
    bool found = ch == '.';
    for (const Subscript& in : eq.inputs) found |= in.labels.find(ch) != std::string::npos;
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat("Einsum output subscripts for equation '", equation,
                                                     "' has label '", std::string(1, ch),
                                                     "' which is not present in the input subscripts"));
    }
  }
  return eq;
}

// Input i's dim for each entry of its labels (the ellipsis entry gets none), and the dims the
// ellipsis covers. `shape` must have a known rank.
struct Split {
  std::vector<int> label_axis;  // per label: the axis, or -1 for the ellipsis
  int ellipsis_begin = 0, ellipsis_end = 0;
};

absl::StatusOr<Split> SplitAxes(const Subscript& s, int rank, int input, const std::string& equation) {
  const int named = s.num_named();
  if (s.has_ellipsis() ? rank < named : rank != named) {
    return absl::InvalidArgumentError(absl::StrCat("input ", input, " has rank ", rank, " but its subscript '",
                                                   s.ToString(), "' in einsum equation '", equation, "' needs ",
                                                   s.has_ellipsis() ? "at least " : "", named));
  }
  Split split;
  int axis = 0;
  for (char ch : s.labels) {
    if (ch == '.') {
      split.ellipsis_begin = axis;
      axis += rank - named;
      split.ellipsis_end = axis;
      split.label_axis.push_back(-1);
    } else {
      split.label_axis.push_back(axis++);
    }
  }
  if (!s.has_ellipsis()) split.ellipsis_begin = split.ellipsis_end = axis;
  return split;
}

// ---- Shape function (TF's EinsumShape) --------------------------------------------------------

absl::Status EinsumShape(InferenceContext& c) {
  std::string equation;
  if (absl::Status s = c.GetAttr("equation", &equation); !s.ok()) return s;
  absl::StatusOr<Equation> eq = ParseEquation(equation, c.num_inputs());
  if (!eq.ok()) return eq.status();
  std::map<char, int64_t> label_dim;
  std::vector<Shape> bcast;
  for (int i = 0; i < c.num_inputs(); ++i) {
    const Subscript& sub = eq->inputs[i];
    const Shape& in = c.input(i);
    if (in.unknown_rank()) {
      for (char ch : sub.labels) {
        if (ch != '.' && !label_dim.count(ch)) label_dim[ch] = Shape::kUnknownDim;
      }
      bcast.push_back(sub.has_ellipsis() ? Shape::UnknownRank() : Shape::Scalar());
      continue;
    }
    absl::StatusOr<Split> split = SplitAxes(sub, in.rank(), i, equation);
    if (!split.ok()) return split.status();
    for (size_t l = 0; l < sub.labels.size(); ++l) {
      const char ch = sub.labels[l];
      if (ch == '.') continue;
      const int64_t d = in.dim(split->label_axis[l]);
      auto [it, inserted] = label_dim.emplace(ch, d);
      if (inserted) continue;
      int64_t merged;
      if (absl::Status s = c.MergeDims(it->second, d, &merged); !s.ok()) {
        return c.Error("%s for label '%c' in einsum equation '%s'", s.message(), ch, equation);
      }
      it->second = merged;
    }
    bcast.push_back(in.Subshape(split->ellipsis_begin, split->ellipsis_end));
  }
  Shape out_bcast = bcast[0];
  if (bcast.size() == 2) {
    absl::StatusOr<Shape> b = BroadcastShapes(bcast[0], bcast[1]);
    if (!b.ok()) {
      return c.Error("einsum equation '%s': the shapes under the ellipsis, %s and %s, do not broadcast", equation,
                     bcast[0].ToString(), bcast[1].ToString());
    }
    out_bcast = *b;
  }
  if (!eq->output.has_ellipsis()) {
    if (out_bcast.rank() > 0) {
      return c.Error("einsum equation '%s' has no ellipsis (...) in the output subscripts but the inputs' ellipsis "
                     "covers the non-empty shape %s", equation, out_bcast.ToString());
    }
  } else if (out_bcast.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  Shape out;
  for (char ch : eq->output.labels) {
    if (ch == '.') {
      out.AppendShape(out_bcast);
    } else {
      out.AddDim(label_dim[ch]);
    }
  }
  c.set_output(0, out);
  return absl::OkStatus();
}

// ---- Lowering -----------------------------------------------------------------------------------

// Labels as ints: letters are their char code; the dims under the ellipsis are kEllipsisBase +
// their position in the broadcast shape (right-aligned, as broadcasting aligns them).
constexpr int kEllipsisBase = 256;

// A value with one label per dim.
struct Labeled {
  Value value;
  std::vector<int> labels;
};

// Takes the diagonal of every label repeated within `x`: for dims a < b with one label,
// keeps the elements where their indices agree and sums out b.
Labeled TakeDiagonals(PrimitiveBuilder& b, Labeled x) {
  for (size_t a = 0; a < x.labels.size(); ++a) {
    for (size_t d = a + 1; d < x.labels.size();) {
      if (x.labels[d] != x.labels[a]) {
        ++d;
        continue;
      }
      const Shape& shape = x.value.shape;
      Value on_diagonal = b.Binary(BinaryKind::kEq, b.Iota(DT_INT32, shape, static_cast<int64_t>(a)),
                                   b.Iota(DT_INT32, shape, static_cast<int64_t>(d)));
      Value kept = b.Select(on_diagonal, x.value, b.Splat(x.value.dtype, shape, 0));
      x.value = b.Reduce(ReduceKind::kSum, kept, {static_cast<int64_t>(d)});
      x.labels.erase(x.labels.begin() + static_cast<int64_t>(d));
    }
  }
  return x;
}

// Sums out the dims whose labels no other subscript uses.
Labeled SumUnused(PrimitiveBuilder& b, Labeled x, const std::vector<int>& elsewhere) {
  std::vector<int64_t> dims;
  std::vector<int> kept;
  for (size_t d = 0; d < x.labels.size(); ++d) {
    if (std::find(elsewhere.begin(), elsewhere.end(), x.labels[d]) == elsewhere.end()) {
      dims.push_back(static_cast<int64_t>(d));
    } else {
      kept.push_back(x.labels[d]);
    }
  }
  if (dims.empty()) return x;
  return Labeled{b.Reduce(ReduceKind::kSum, x.value, dims), kept};
}

// The permutation that orders `labels` as `order` (same set of labels).
std::vector<int64_t> PermutationTo(const std::vector<int>& labels, const std::vector<int>& order) {
  std::vector<int64_t> perm;
  for (int l : order) perm.push_back(std::find(labels.begin(), labels.end(), l) - labels.begin());
  return perm;
}

int Position(const std::vector<int>& v, int x) { return static_cast<int>(std::find(v.begin(), v.end(), x) - v.begin()); }
bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

absl::Status EinsumLowering(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  std::string equation;
  if (absl::Status s = c.GetAttr("equation", &equation); !s.ok()) return s;
  absl::StatusOr<Equation> eq = ParseEquation(equation, c.num_inputs());
  if (!eq.ok()) return eq.status();
  const int n = c.num_inputs();
  for (int i = 0; i < n; ++i) {
    if (!c.input(i).valid()) return absl::OkStatus();
  }

  // Label every dim; check that named labels agree and that ellipsis dims broadcast.
  std::vector<Split> splits;
  int bcast_rank = 0;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Split> split = SplitAxes(eq->inputs[i], c.input(i).rank(), i, equation);
    if (!split.ok()) return split.status();
    bcast_rank = std::max(bcast_rank, split->ellipsis_end - split->ellipsis_begin);
    splits.push_back(*std::move(split));
  }
  std::map<int, int64_t> size;  // label -> size (the broadcast size for ellipsis dims)
  std::vector<Labeled> in(n);
  for (int i = 0; i < n; ++i) {
    const Value& v = c.input(i);
    const Split& split = splits[i];
    in[i].value = v;
    for (size_t l = 0; l < eq->inputs[i].labels.size(); ++l) {
      const char ch = eq->inputs[i].labels[l];
      if (ch == '.') {
        const int width = split.ellipsis_end - split.ellipsis_begin;
        for (int k = 0; k < width; ++k) {
          const int label = kEllipsisBase + bcast_rank - width + k;
          const int64_t d = v.dim(split.ellipsis_begin + k);
          auto [it, inserted] = size.emplace(label, d);
          if (!inserted && it->second != d && it->second != 1 && d != 1) {
            return absl::InvalidArgumentError(absl::StrCat("einsum equation '", equation,
                                                           "': the dims under the ellipsis do not broadcast: ",
                                                           c.input(0).shape.ToString(), " and ",
                                                           c.input(n - 1).shape.ToString()));
          }
          if (d != 1) it->second = d;
          in[i].labels.push_back(label);
        }
        continue;
      }
      const int64_t d = v.dim(split.label_axis[l]);
      auto [it, inserted] = size.emplace(static_cast<int>(ch), d);
      if (!inserted && it->second != d) {
        return absl::InvalidArgumentError(absl::StrCat("einsum equation '", equation, "': label '", std::string(1, ch),
                                                       "' has size ", it->second, " and ", d, " (inputs ",
                                                       c.input(0).shape.ToString(),
                                                       n == 2 ? absl::StrCat(", ", c.input(1).shape.ToString()) : "", ")"));
      }
      in[i].labels.push_back(ch);
    }
  }
  std::vector<int> out_labels;
  for (char ch : eq->output.labels) {
    if (ch != '.') {
      out_labels.push_back(ch);
      continue;
    }
    for (int k = 0; k < bcast_rank; ++k) out_labels.push_back(kEllipsisBase + k);
  }
  if (!eq->output.has_ellipsis() && bcast_rank > 0) {
    return absl::InvalidArgumentError(absl::StrCat("einsum equation '", equation,
                                                   "' has no ellipsis (...) in the output subscripts but the inputs' "
                                                   "ellipsis covers ", bcast_rank, " dims"));
  }

  // Per input: diagonals, then sum out what nobody else needs.
  for (int i = 0; i < n; ++i) {
    in[i] = TakeDiagonals(b, in[i]);
    std::vector<int> elsewhere = out_labels;
    if (n == 2) elsewhere.insert(elsewhere.end(), in[1 - i].labels.begin(), in[1 - i].labels.end());
    in[i] = SumUnused(b, in[i], elsewhere);
  }

  if (n == 1) {
    c.set_output(0, b.Transpose(in[0].value, PermutationTo(in[0].labels, out_labels)));
    return absl::OkStatus();
  }

  // Broadcast size-1 ellipsis dims shared with the other input, then one dot_general.
  for (int i = 0; i < 2; ++i) {
    Shape full = in[i].value.shape;
    for (size_t d = 0; d < in[i].labels.size(); ++d) {
      if (Contains(in[1 - i].labels, in[i].labels[d])) full.set_dim(static_cast<int>(d), size[in[i].labels[d]]);
    }
    if (full != in[i].value.shape) {
      std::vector<int64_t> identity(full.rank());
      for (int d = 0; d < full.rank(); ++d) identity[d] = d;
      in[i].value = b.BroadcastInDim(in[i].value, full, identity);
    }
  }
  DotDims dims;
  std::vector<int> result_labels, lhs_free, rhs_free;
  for (size_t d = 0; d < in[0].labels.size(); ++d) {
    const int label = in[0].labels[d];
    if (!Contains(in[1].labels, label)) {
      lhs_free.push_back(label);
      continue;
    }
    const int64_t rhs_dim = Position(in[1].labels, label);
    if (Contains(out_labels, label)) {
      dims.lhs_batch.push_back(static_cast<int64_t>(d));
      dims.rhs_batch.push_back(rhs_dim);
      result_labels.push_back(label);
    } else {
      dims.lhs_contracting.push_back(static_cast<int64_t>(d));
      dims.rhs_contracting.push_back(rhs_dim);
    }
  }
  for (int label : in[1].labels) {
    if (!Contains(in[0].labels, label)) rhs_free.push_back(label);
  }
  result_labels.insert(result_labels.end(), lhs_free.begin(), lhs_free.end());
  result_labels.insert(result_labels.end(), rhs_free.begin(), rhs_free.end());
  Value product = b.DotGeneral(in[0].value, in[1].value, dims);
  c.set_output(0, b.Transpose(product, PermutationTo(result_labels, out_labels)));
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("Einsum")
    .Input("inputs: N * T")
    .Output("output: T")
    .Attr("equation: string")
    .Attr("N: int >= 1")
    .Attr("T: type")
    .SetShapeFn(EinsumShape)
    .SetLowering(EinsumLowering);

}  // namespace strata
