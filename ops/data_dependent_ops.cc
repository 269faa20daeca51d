// Ops whose output shapes depend on input values: Where (coordinates of the true elements) and
// NonMaxSuppressionV3/V4/V5 (the boxes that survive suppression). No static-shape lowering can
// express them, so each has a host kernel (ops/host_kernel.h) and no lowering; their shape
// functions give an unknown dim (-1) where TensorFlow does.
//
// Schemas: tensorflow/core/ops/array_ops.cc (Where) and image_ops.cc (NonMaxSuppression*).
// Kernels follow tensorflow/core/kernels/where_op.cc and image/non_max_suppression_op.cc.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <queue>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/dtype_visit.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "graph/tensor.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"
#include "ops/shape_fn_util.h"

namespace strata {
namespace {

#define DD_RETURN_IF_ERROR(expr) \
  do {                           \
    absl::Status _st = (expr);   \
    if (!_st.ok()) return _st;   \
  } while (0)

// TF's numbertype, spelled out.
#define STRATA_NUMBER_TYPES                                                                       \
  "float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, " \
  "qint16, quint16, uint16, complex128, half, uint32, uint64"

// ---- Where ---------------------------------------------------------------------------------------

// [num_true, rank]: num_true is only known at run time.
absl::Status WhereShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  c.set_output(0, Shape{Shape::kUnknownDim, in.has_rank() ? in.rank() : Shape::kUnknownDim});
  return absl::OkStatus();
}

// The coordinates of every element that is true (bool) or non-zero (numbers; NaN counts as
// non-zero, -0.0 does not), in row-major order, as int64 [num_true, rank].
absl::Status WhereKernel(HostKernelContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> hits;  // flat indices of the true elements
  bool supported = VisitDType(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    absl::Span<const T> v = x.flat<T>();
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        if (v[i]) hits.push_back(i);
      } else if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
        if (static_cast<float>(v[i]) != 0.0f) hits.push_back(i);
      } else {
        if (v[i] != T(0)) hits.push_back(i);
      }
    }
  });
  if (!supported) return absl::UnimplementedError(absl::StrCat("input dtype ", DTypeName(x.dtype()), " is not supported"));
  const int rank = x.rank();
  absl::StatusOr<Tensor*> out = c.AllocateOutput(0, Shape{static_cast<int64_t>(hits.size()), rank});
  if (!out.ok()) return out.status();
  absl::Span<int64_t> coords = (*out)->flat<int64_t>();
  for (size_t h = 0; h < hits.size(); ++h) {
    int64_t rest = hits[h];
    for (int d = rank - 1; d >= 0; --d) {
      coords[h * rank + d] = rest % x.dim(d);
      rest /= x.dim(d);
    }
  }
  return absl::OkStatus();
}

// ---- NonMaxSuppression ---------------------------------------------------------------------------

// TF's NMSShapeFn / SoftNMSShapeFn: boxes [num_boxes, 4], scores [num_boxes], scalar thresholds;
// the selected indices (and V5's scores) have an unknown length, unless V4/V5 pad them to
// max_output_size, which is then their static length when it is known.
ShapeFn NmsShape(int num_scalars, bool has_scores_output, bool has_valid_output) {
  return [=](InferenceContext& c) -> absl::Status {
    static const char* const kScalarNames[] = {"max_output_size", "iou_threshold", "score_threshold",
                                               "soft_nms_sigma"};
    absl::StatusOr<Shape> boxes = shape_fn::InputWithRank(c, 0, 2, "boxes");
    if (!boxes.ok()) return boxes.status();
    absl::StatusOr<Shape> scores = shape_fn::InputWithRank(c, 1, 1, "scores");
    if (!scores.ok()) return scores.status();
    for (int i = 0; i < num_scalars; ++i) {
      absl::StatusOr<Shape> s = shape_fn::InputWithRank(c, 2 + i, 0, kScalarNames[i]);
      if (!s.ok()) return s.status();
    }
    absl::StatusOr<int64_t> n = shape_fn::MergeDim(c, boxes->dim(0), scores->dim(0), "num_boxes of boxes and scores");
    if (!n.ok()) return n.status();
    absl::StatusOr<int64_t> four = shape_fn::MergeDim(c, boxes->dim(1), 4, "the last dimension of boxes");
    if (!four.ok()) return four.status();
    int64_t length = Shape::kUnknownDim;
    bool pad = false;
    if (has_valid_output) DD_RETURN_IF_ERROR(c.GetAttr("pad_to_max_output_size", &pad));
    if (pad) {
      if (std::optional<int64_t> max = shape_fn::KnownIntScalar(c, 2)) {
        if (*max < 0) {
          return c.Error("Dimension size, given by scalar input 2 (max_output_size), must be non-negative but is %d",
                         *max);
        }
        length = *max;
      }
    }
    int out = 0;
    c.set_output(out++, Shape{length});
    if (has_scores_output) c.set_output(out++, Shape{length});
    if (has_valid_output) c.set_output(out++, Shape::Scalar());
    return absl::OkStatus();
  };
}

// What one NonMaxSuppression kernel needs to know.
struct NmsParams {
  int64_t max_output_size = 0;
  double iou_threshold = 0;
  double score_threshold = 0;
  double soft_nms_sigma = 0;  // 0: hard suppression
  bool pad_to_max_output_size = false;
};

struct NmsResult {
  std::vector<int32_t> indices;
  std::vector<float> scores;  // in T's precision
};

// IoU of boxes i and j as TF computes it (in float; corners in any order; empty boxes give 0).
float IoU(const std::vector<float>& b, int64_t i, int64_t j) {
  const float* p = &b[4 * i];
  const float* q = &b[4 * j];
  const float ymin_i = std::min(p[0], p[2]), xmin_i = std::min(p[1], p[3]);
  const float ymax_i = std::max(p[0], p[2]), xmax_i = std::max(p[1], p[3]);
  const float ymin_j = std::min(q[0], q[2]), xmin_j = std::min(q[1], q[3]);
  const float ymax_j = std::max(q[0], q[2]), xmax_j = std::max(q[1], q[3]);
  const float area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i);
  const float area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j);
  if (area_i <= 0 || area_j <= 0) return 0.0f;
  const float ih = std::max(std::min(ymax_i, ymax_j) - std::max(ymin_i, ymin_j), 0.0f);
  const float iw = std::max(std::min(xmax_i, xmax_j) - std::max(xmin_i, xmin_j), 0.0f);
  const float intersection = ih * iw;
  return intersection / (area_i + area_j - intersection);
}

// TF's DoNonMaxSuppressionOp. Candidates are the boxes scoring above score_threshold, taken
// highest score first (the lower index first on equal scores). Hard suppression drops a
// candidate whose IoU with a selected box exceeds iou_threshold; soft suppression (sigma > 0)
// scales its score by exp(-0.5 * iou^2 / sigma) per selected box and puts it back in the queue
// while it stays above score_threshold. Arithmetic on scores is in T: `round` rounds a float to
// T's precision (identity for float, float16 rounding for half), as Eigen's half ops do.
template <typename Round>
NmsResult SuppressNonMax(const std::vector<float>& boxes, const std::vector<float>& scores, const NmsParams& p,
                         Round round) {
  struct Candidate {
    int32_t box_index;
    float score;
    int64_t suppress_begin_index;
  };
  auto lower_priority = [](const Candidate& a, const Candidate& b) {
    return a.score < b.score || (a.score == b.score && a.box_index > b.box_index);
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(lower_priority)> queue(lower_priority);
  const float score_threshold = round(static_cast<float>(p.score_threshold));
  const float iou_threshold = round(static_cast<float>(p.iou_threshold));
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] > score_threshold) queue.push({static_cast<int32_t>(i), scores[i], 0});
  }
  const float sigma = round(static_cast<float>(p.soft_nms_sigma));
  const bool soft = sigma > 0.0f;
  const float scale = soft ? round(-0.5f / sigma) : 0.0f;
  auto weight_of = [&](float sim) {
    const float w = round(std::exp(round(round(scale * sim) * sim)));
    return soft || sim <= iou_threshold ? w : 0.0f;
  };

  NmsResult r;
  while (static_cast<int64_t>(r.indices.size()) < p.max_output_size && !queue.empty()) {
    Candidate next = queue.top();
    const float original_score = next.score;
    queue.pop();
    bool hard_suppressed = false;
    for (int64_t j = static_cast<int64_t>(r.indices.size()) - 1; j >= next.suppress_begin_index; --j) {
      const float sim = round(IoU(boxes, next.box_index, r.indices[j]));
      next.score = round(next.score * weight_of(sim));
      if (!soft && sim > iou_threshold) {
        hard_suppressed = true;
        break;
      }
      if (next.score <= score_threshold) break;
    }
    next.suppress_begin_index = static_cast<int64_t>(r.indices.size());
    if (hard_suppressed) continue;
    if (next.score == original_score) {
      r.indices.push_back(next.box_index);
      r.scores.push_back(next.score);
    } else if (next.score > score_threshold) {
      queue.push(next);
    }
  }
  return r;
}

std::vector<float> AsFloats(const Tensor& t) {
  std::vector<float> v(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) v[i] = static_cast<float>(t.ElementAsDouble(i));
  return v;
}

// The checks TF's kernels make, in their order, then the suppression itself.
absl::StatusOr<NmsResult> RunNms(HostKernelContext& c, bool has_sigma, NmsParams* p) {
  const Tensor& boxes = c.input(0);
  const Tensor& scores = c.input(1);
  absl::StatusOr<int64_t> max_output = c.ScalarIntInput(2, "max_output_size");
  if (!max_output.ok()) return max_output.status();
  absl::StatusOr<double> iou = c.ScalarInput(3, "iou_threshold");
  if (!iou.ok()) return iou.status();
  if (!(*iou >= 0 && *iou <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("iou_threshold must be in [0, 1], got ", *iou));
  }
  absl::StatusOr<double> score_threshold = c.ScalarInput(4, "score_threshold");
  if (!score_threshold.ok()) return score_threshold.status();
  p->max_output_size = *max_output;
  p->iou_threshold = *iou;
  p->score_threshold = *score_threshold;
  if (has_sigma) {
    absl::StatusOr<double> sigma = c.ScalarInput(5, "soft_nms_sigma");
    if (!sigma.ok()) return sigma.status();
    if (!(*sigma >= 0)) return absl::InvalidArgumentError(absl::StrCat("soft_nms_sigma must be >= 0, got ", *sigma));
    p->soft_nms_sigma = *sigma;
  }
  if (boxes.rank() != 2 || boxes.dim(1) != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("boxes must be a [num_boxes, 4] matrix, got shape ", boxes.shape().ToString()));
  }
  if (scores.rank() != 1 || scores.dim(0) != boxes.dim(0)) {
    return absl::InvalidArgumentError(absl::StrCat("scores must be a vector of ", boxes.dim(0),
                                                   " elements (one per box), got shape ", scores.shape().ToString()));
  }
  if (p->max_output_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_output_size must be non-negative, got ", p->max_output_size));
  }
  const std::vector<float> box_values = AsFloats(boxes), score_values = AsFloats(scores);
  if (scores.dtype() == DT_HALF) {
    return SuppressNonMax(box_values, score_values, *p,
                          [](float f) { return static_cast<float>(float16(f)); });
  }
  return SuppressNonMax(box_values, score_values, *p, [](float f) { return f; });
}

// Writes selected indices (output 0), V5's selected scores (output 1), padded with zeros to
// max_output_size when asked, and V4/V5's count of valid outputs (the last output).
absl::Status SetNmsOutputs(HostKernelContext& c, const NmsResult& r, const NmsParams& p, bool has_scores,
                           bool has_valid) {
  const int64_t valid = static_cast<int64_t>(r.indices.size());
  const int64_t length = p.pad_to_max_output_size ? std::max(valid, p.max_output_size) : valid;
  absl::StatusOr<Tensor*> indices = c.AllocateOutput(0, Shape{length});
  if (!indices.ok()) return indices.status();
  for (int64_t i = 0; i < valid; ++i) (*indices)->flat<int32_t>()[i] = r.indices[i];
  if (has_scores) {
    absl::StatusOr<Tensor> padded = Tensor::Create(DT_FLOAT, Shape{length});
    if (!padded.ok()) return padded.status();
    for (int64_t i = 0; i < valid; ++i) padded->flat<float>()[i] = r.scores[i];
    absl::StatusOr<Tensor> cast = padded->Cast(c.output_dtype(1));
    if (!cast.ok()) return cast.status();
    c.set_output(1, *std::move(cast));
  }
  if (has_valid) c.set_output(c.num_outputs() - 1, Tensor::Scalar<int32_t>(static_cast<int32_t>(valid)));
  return absl::OkStatus();
}

// V3: hard suppression, indices only. V4: adds pad_to_max_output_size and valid_outputs. V5:
// adds soft_nms_sigma and the selected boxes' (possibly softened) scores.
HostKernelFn NmsKernel(bool has_sigma, bool has_scores, bool has_valid) {
  return [=](HostKernelContext& c) -> absl::Status {
    NmsParams p;
    if (has_valid) DD_RETURN_IF_ERROR(c.GetAttr("pad_to_max_output_size", &p.pad_to_max_output_size));
    absl::StatusOr<NmsResult> r = RunNms(c, has_sigma, &p);
    if (!r.ok()) return r.status();
    return SetNmsOutputs(c, *r, p, has_scores, has_valid);
  };
}

#undef DD_RETURN_IF_ERROR

}  // namespace

REGISTER_OP("Where")
    .Input("input: T")
    .Attr("T: {" STRATA_NUMBER_TYPES ", bool} = DT_BOOL")
    .Output("index: int64")
    .SetShapeFn(WhereShape)
    .SetHostKernel(WhereKernel);

REGISTER_OP("NonMaxSuppressionV3")
    .Input("boxes: T")
    .Input("scores: T")
    .Input("max_output_size: int32")
    .Input("iou_threshold: T_threshold")
    .Input("score_threshold: T_threshold")
    .Output("selected_indices: int32")
    .Attr("T: {half, float} = DT_FLOAT")
    .Attr("T_threshold: {half, float} = DT_FLOAT")
    .SetShapeFn(NmsShape(3, false, false))
    .SetHostKernel(NmsKernel(false, false, false));

REGISTER_OP("NonMaxSuppressionV4")
    .Input("boxes: T")
    .Input("scores: T")
    .Input("max_output_size: int32")
    .Input("iou_threshold: T_threshold")
    .Input("score_threshold: T_threshold")
    .Output("selected_indices: int32")
    .Output("valid_outputs: int32")
    .Attr("T: {half, float} = DT_FLOAT")
    .Attr("T_threshold: {half, float} = DT_FLOAT")
    .Attr("pad_to_max_output_size: bool = false")
    .SetShapeFn(NmsShape(3, false, true))
    .SetHostKernel(NmsKernel(false, false, true));

REGISTER_OP("NonMaxSuppressionV5")
    .Input("boxes: T")
    .Input("scores: T")
    .Input("max_output_size: int32")
    .Input("iou_threshold: T")
    .Input("score_threshold: T")
    .Input("soft_nms_sigma: T")
    .Output("selected_indices: int32")
    .Output("selected_scores: T")
    .Output("valid_outputs: int32")
    .Attr("T: {half, float} = DT_FLOAT")
    .Attr("pad_to_max_output_size: bool = false")
    .SetShapeFn(NmsShape(4, true, true))
    .SetHostKernel(NmsKernel(true, true, true));

#undef STRATA_NUMBER_TYPES

}  // namespace strata
