#!/usr/bin/python3
"""Golden values for the ops added for broad TF coverage (Cumsum, Cumprod, Einsum, TopKV2,
Atan2, Softsign, ClipByValue, ScatterNd, NonMaxSuppressionV3/V4/V5), computed with NumPy.

Writes tests/data/golden/coverage/: for each case NAME, NAME.in0.npy, NAME.in1.npy, ... (the op's
inputs in order), NAME.out0.npy, NAME.out1.npy, ... (the op's outputs) and cases.txt, one line
per case:

    NAME OP NUM_INPUTS CONSTS [ATTR=KIND:VALUE ...]   KIND: b (bool), i (int), f (float), t (dtype), s (string)

CONSTS lists the inputs that must be graph constants (a scan axis, TopK's k) as "1,2", or "-".
tests/ops/*_test.cc (reference evaluator) and tests/compiler/coverage_ops_test.cc (compiled) run
the cases of their ops. NumPy runs only here: `/usr/bin/python3 tests/golden/coverage_goldens.py`
from the repository root. Outputs are deterministic (fixed seed).

TF semantics that NumPy does not spell out:
- Cumsum/Cumprod: `exclusive` shifts in the identity, `reverse` scans from the end. Goldens are
  exact sums/products (float64, rounded once); TF and strata both round along the way.
- TopKV2: the k largest, largest first, equal values lower index first (a stable sort).
- NonMaxSuppression: greedy selection by descending score (lower index first on ties) of boxes
  scoring above score_threshold, dropping boxes whose IoU with a selected box exceeds
  iou_threshold; soft NMS (V5, sigma > 0) rescales scores by exp(-iou^2 / (2 sigma)) instead
  and re-queues them (tensorflow/core/kernels/image/non_max_suppression_op.cc).
"""

import os

import numpy as np

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "golden", "coverage")

_cases = []


class DType(str):
    """A dtype attr value (written with kind t)."""


def case(name, op, inputs, outputs, consts=(), **attrs):
    assert name not in {c[0] for c in _cases}, name
    for i, x in enumerate(inputs):
        np.save(os.path.join(OUT_DIR, f"{name}.in{i}.npy"), np.array(x, order="C"))
    for k, y in enumerate(outputs):
        np.save(os.path.join(OUT_DIR, f"{name}.out{k}.npy"), np.array(y, order="C"))
    spec = []
    for key, value in sorted(attrs.items()):
        if isinstance(value, bool):
            spec.append(f"{key}=b:{'true' if value else 'false'}")
        elif isinstance(value, int):
            spec.append(f"{key}=i:{value}")
        elif isinstance(value, float):
            spec.append(f"{key}=f:{value!r}")
        elif isinstance(value, DType):
            spec.append(f"{key}=t:{value}")
        else:
            assert " " not in value, value
            spec.append(f"{key}=s:{value}")
    consts_field = ",".join(str(c) for c in consts) if consts else "-"
    _cases.append((name, op, len(inputs), consts_field, spec))


def rand(rng, shape, dtype=np.float32, lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


# ---- Cumsum / Cumprod --------------------------------------------------------------------------

def scan(x, axis, exclusive, reverse, prod):
    acc = x.astype(np.float64) if x.dtype.kind == "f" else x.astype(np.int64)
    if reverse:
        acc = np.flip(acc, axis)
    if exclusive:
        identity = np.ones_like(np.take(acc, [0], axis)) if prod else np.zeros_like(np.take(acc, [0], axis))
        acc = np.concatenate([identity, np.take(acc, range(acc.shape[axis] - 1), axis)], axis)
    acc = np.cumprod(acc, axis) if prod else np.cumsum(acc, axis)
    if reverse:
        acc = np.flip(acc, axis)
    return acc.astype(x.dtype)  # integers wrap like TF's (two's complement)


def scan_cases(rng):
    x = rand(rng, (2, 3, 5))
    for axis in (0, 1, 2, -1):
        case(f"cumsum_235_axis{axis}".replace("-", "m"), "Cumsum", [x, np.int32(axis)],
             [scan(x, axis, False, False, False)], consts=[1])
    y = rand(rng, (4, 7))
    for exclusive in (False, True):
        for reverse in (False, True):
            name = f"cumsum_47_{'ex' if exclusive else 'in'}_{'rev' if reverse else 'fwd'}"
            case(name, "Cumsum", [y, np.int32(-1)], [scan(y, 1, exclusive, reverse, False)], consts=[1],
                 exclusive=exclusive, reverse=reverse)
    long = rand(rng, (2, 37))
    case("cumsum_long_odd", "Cumsum", [long, np.int64(1)], [scan(long, 1, False, False, False)], consts=[1],
         Tidx=DType("int64"))
    case("cumsum_long_ex_rev", "Cumsum", [long, np.int32(1)], [scan(long, 1, True, True, False)], consts=[1],
         exclusive=True, reverse=True)
    xi = rng.integers(-50, 50, size=(3, 9)).astype(np.int32)
    case("cumsum_i32_axis0", "Cumsum", [xi, np.int32(0)], [scan(xi, 0, False, False, False)], consts=[1])
    big = np.array([2**30, 2**30, 2**30, -5], np.int32)
    case("cumsum_i32_wraps", "Cumsum", [big, np.int32(0)], [scan(big, 0, False, False, False)], consts=[1])
    xl = rng.integers(-1000, 1000, size=(2, 4, 3)).astype(np.int64)
    case("cumsum_i64_ex_rev", "Cumsum", [xl, np.int32(-2)], [scan(xl, 1, True, True, False)], consts=[1],
         exclusive=True, reverse=True)
    xd = rand(rng, (5, 6), np.float64)
    case("cumsum_f64", "Cumsum", [xd, np.int32(0)], [scan(xd, 0, False, False, False)], consts=[1])
    case("cumsum_empty_axis", "Cumsum", [np.zeros((0, 4), np.float32), np.int32(0)], [np.zeros((0, 4), np.float32)],
         consts=[1])
    case("cumsum_empty_other", "Cumsum", [np.zeros((3, 0), np.float32), np.int32(0)],
         [np.zeros((3, 0), np.float32)], consts=[1])
    one = rand(rng, (5, 1))
    case("cumsum_len1_ex", "Cumsum", [one, np.int32(1)], [scan(one, 1, True, False, False)], consts=[1],
         exclusive=True)
    p = rand(rng, (3, 6), lo=0.5, hi=1.5)
    case("cumprod_36", "Cumprod", [p, np.int32(1)], [scan(p, 1, False, False, True)], consts=[1])
    case("cumprod_36_ex_rev", "Cumprod", [p, np.int32(1)], [scan(p, 1, True, True, True)], consts=[1],
         exclusive=True, reverse=True)
    pi = rng.integers(-3, 4, size=(4, 5)).astype(np.int32)
    case("cumprod_i32_axis0", "Cumprod", [pi, np.int32(0)], [scan(pi, 0, False, False, True)], consts=[1])


# ---- Einsum --------------------------------------------------------------------------------------

def einsum_case(rng, name, equation, shapes, dtype=np.float32):
    if dtype == np.int32:
        xs = [rng.integers(-5, 6, size=s).astype(np.int32) for s in shapes]
        out = np.einsum(equation, *[x.astype(np.int64) for x in xs]).astype(np.int32)
    else:
        xs = [rand(rng, s, dtype) for s in shapes]
        out = np.asarray(np.einsum(equation, *[x.astype(np.float64) for x in xs])).astype(dtype)
    case(name, "Einsum", xs, [out], equation=equation)


def einsum_cases(rng):
    einsum_case(rng, "einsum_matmul", "ij,jk->ik", [(3, 4), (4, 5)])
    einsum_case(rng, "einsum_matmul_i32", "ij,jk->ik", [(3, 4), (4, 2)], np.int32)
    einsum_case(rng, "einsum_matmul_f64", "ij,jk->ki", [(2, 3), (3, 4)], np.float64)
    einsum_case(rng, "einsum_transpose", "ijk->kij", [(2, 3, 4)])
    einsum_case(rng, "einsum_diag", "ii->i", [(4, 4)])
    einsum_case(rng, "einsum_trace", "ii->", [(5, 5)])
    einsum_case(rng, "einsum_diag_batch", "iij->ji", [(3, 3, 2)])
    einsum_case(rng, "einsum_sum_all", "ij->", [(3, 7)])
    einsum_case(rng, "einsum_sum_rows", "ij->j", [(3, 7)])
    einsum_case(rng, "einsum_batch_matmul", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)])
    einsum_case(rng, "einsum_attention", "bqhd,bkhd->bhqk", [(2, 3, 2, 4), (2, 5, 2, 4)])
    einsum_case(rng, "einsum_outer", "i,j->ij", [(3,), (4,)])
    einsum_case(rng, "einsum_dot", "i,i->", [(6,)] * 2)
    einsum_case(rng, "einsum_scalar_operand", "i,->i", [(4,), ()])
    einsum_case(rng, "einsum_sum_one_side", "ij,jk->i", [(3, 4), (4, 5)])
    einsum_case(rng, "einsum_rhs_diag", "ij,kjj->ik", [(2, 3), (4, 3, 3)])
    einsum_case(rng, "einsum_ellipsis_bcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)])
    einsum_case(rng, "einsum_ellipsis_unary", "a...b->b...a", [(2, 3, 4, 5)])
    einsum_case(rng, "einsum_ellipsis_middle", "i...j,j...->i...", [(2, 3, 4), (4, 3)])
    einsum_case(rng, "einsum_ellipsis_empty", "...ij,jk->...ik", [(3, 4), (4, 2)])
    einsum_case(rng, "einsum_zero_contraction", "ij,jk->ik", [(3, 0), (0, 5)])
    einsum_case(rng, "einsum_zero_free", "ij,jk->ik", [(0, 4), (4, 5)])
    einsum_case(rng, "einsum_odd", "abc,cd->dba", [(3, 5, 7), (7, 2)])


# ---- TopKV2 --------------------------------------------------------------------------------------

def topk(x, k):
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order.astype(np.int32)


def topk_cases(rng):
    x = rand(rng, (3, 50))
    for k in (1, 5, 16, 20, 50):
        values, indices = topk(x, k)
        case(f"topk_3x50_k{k}", "TopKV2", [x, np.int32(k)], [values, indices], consts=[1])
    ties = rng.integers(0, 6, size=(4, 30)).astype(np.int32)
    for k in (10, 25):
        values, indices = topk(ties, k)
        case(f"topk_ties_i32_k{k}", "TopKV2", [ties, np.int32(k)], [values, indices], consts=[1])
    r3 = rand(rng, (2, 3, 7), np.float64)
    values, indices = topk(r3, 3)
    case("topk_rank3_f64_i64", "TopKV2", [r3, np.int64(3)], [values, indices.astype(np.int64)], consts=[1],
         Tk=DType("int64"), index_type=DType("int64"))
    long = rand(rng, (2, 600))
    values, indices = topk(long, 40)
    case("topk_long_k40", "TopKV2", [long, np.int32(40)], [values, indices], consts=[1])


# ---- Element-wise additions --------------------------------------------------------------------

def elementwise_cases(rng):
    y = rand(rng, (3, 4))
    x = rand(rng, (4,))
    x[1] = 0.0
    case("atan2_bcast", "Atan2", [y, x], [np.arctan2(y.astype(np.float64), x.astype(np.float64)).astype(np.float32)])
    yd = rand(rng, (2, 5), np.float64)
    case("atan2_f64", "Atan2", [yd, yd[::-1] * -1], [np.arctan2(yd, -yd[::-1])])
    s = rand(rng, (3, 5), lo=-10, hi=10)
    case("softsign_f32", "Softsign", [s], [(s.astype(np.float64) / (1 + np.abs(s.astype(np.float64)))).astype(np.float32)])
    sd = rand(rng, (7,), np.float64, lo=-100, hi=100)
    case("softsign_f64", "Softsign", [sd], [sd / (1 + np.abs(sd))])
    t = rand(rng, (3, 4))
    lo = rand(rng, (3, 4), lo=-2, hi=0)
    case("clip_tensor_bounds", "ClipByValue", [t, lo, np.float32(1.5)], [np.maximum(np.minimum(t, 1.5), lo)])
    ti = rng.integers(-20, 20, size=(9,)).astype(np.int32)
    case("clip_i32", "ClipByValue", [ti, np.int32(-5), np.int32(7)], [np.clip(ti, -5, 7)])


# ---- ScatterNd -----------------------------------------------------------------------------------

def scatter_cases(rng):
    shape = np.array([4, 5, 3], np.int32)
    idx = rng.integers(0, [4, 5], size=(10, 2)).astype(np.int32)
    idx[3] = idx[0]  # a duplicate: accumulates
    upd = rand(rng, (10, 3))
    out = np.zeros(shape, np.float64)
    np.add.at(out, (idx[:, 0], idx[:, 1]), upd.astype(np.float64))
    case("scatternd_slices_dup", "ScatterNd", [idx, upd, shape], [out.astype(np.float32)])
    idx2 = rng.integers(0, 6, size=(2, 3, 1)).astype(np.int64)
    upd2 = rng.integers(-9, 9, size=(2, 3)).astype(np.int32)
    out2 = np.zeros(6, np.int32)
    np.add.at(out2, idx2[..., 0], upd2)
    case("scatternd_elements_i32", "ScatterNd", [idx2, upd2, np.array([6], np.int64)], [out2])


# ---- NonMaxSuppression ---------------------------------------------------------------------------

def iou(a, b):
    """IoU in float32, as TF's kernel computes it (so that near-threshold boxes decide alike)."""
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    ya0, ya1 = sorted((a[0], a[2]))
    xa0, xa1 = sorted((a[1], a[3]))
    yb0, yb1 = sorted((b[0], b[2]))
    xb0, xb1 = sorted((b[1], b[3]))
    area_a = (ya1 - ya0) * (xa1 - xa0)
    area_b = (yb1 - yb0) * (xb1 - xb0)
    if area_a <= 0 or area_b <= 0:
        return np.float32(0.0)
    zero = np.float32(0.0)
    inter = max(min(ya1, yb1) - max(ya0, yb0), zero) * max(min(xa1, xb1) - max(xa0, xb0), zero)
    return np.float32(inter / (area_a + area_b - inter))


def nms(boxes, scores, max_out, iou_threshold, score_threshold, sigma=0.0):
    """Greedy (soft) NMS written from TF's documented algorithm (scores decayed in float64)."""
    live = [(float(s), i) for i, s in enumerate(scores) if s > score_threshold]
    selected, selected_scores = [], []
    while live and len(selected) < max_out:
        live.sort(key=lambda c: (-c[0], c[1]))
        score, i = live.pop(0)
        if sigma > 0:
            # Soft: the score was already decayed by every earlier selection (re-queued below).
            selected.append(i)
            selected_scores.append(score)
            decayed = []
            for s, j in live:
                s *= np.exp(-0.5 * iou(boxes[j], boxes[i]) ** 2 / sigma)
                if s > score_threshold:
                    decayed.append((s, j))
            live = decayed
        else:
            if all(iou(boxes[i], boxes[j]) <= np.float32(iou_threshold) for j in selected):
                selected.append(i)
                selected_scores.append(score)
    return np.array(selected, np.int32), np.array(selected_scores, np.float32)


def random_boxes(rng, n):
    centers = rng.uniform(0, 10, size=(n, 2))
    sizes = rng.uniform(0.5, 3, size=(n, 2))
    boxes = np.concatenate([centers - sizes / 2, centers + sizes / 2], axis=1)
    flip = rng.random(n) < 0.3  # corners given in either order
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]
    return boxes.astype(np.float32)


def nms_cases(rng):
    boxes = random_boxes(rng, 60)
    scores = rng.uniform(0, 1, size=60).astype(np.float32)
    sel, _ = nms(boxes, scores, 20, 0.3, 0.2)
    case("nms_v3_random", "NonMaxSuppressionV3",
         [boxes, scores, np.int32(20), np.float32(0.3), np.float32(0.2)], [sel])
    sel, _ = nms(boxes, scores, 100, 0.5, -np.inf)
    case("nms_v3_all_pass", "NonMaxSuppressionV3",
         [boxes, scores, np.int32(100), np.float32(0.5), np.float32(-np.inf)], [sel])
    sel, _ = nms(boxes, scores, 25, 0.4, 0.5)
    padded = np.zeros(25, np.int32)
    padded[: len(sel)] = sel
    case("nms_v4_padded", "NonMaxSuppressionV4",
         [boxes, scores, np.int32(25), np.float32(0.4), np.float32(0.5)], [padded, np.int32(len(sel))],
         pad_to_max_output_size=True)
    sel, sel_scores = nms(boxes, scores, 30, 1.0, 0.1, sigma=0.5)
    case("nms_v5_soft", "NonMaxSuppressionV5",
         [boxes, scores, np.int32(30), np.float32(1.0), np.float32(0.1), np.float32(0.5)],
         [sel, sel_scores, np.int32(len(sel))])
    sel, sel_scores = nms(boxes, scores, 10, 0.5, 0.0)
    case("nms_v5_hard", "NonMaxSuppressionV5",
         [boxes, scores, np.int32(10), np.float32(0.5), np.float32(0.0), np.float32(0.0)],
         [sel, sel_scores, np.int32(len(sel))])


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for f in os.listdir(OUT_DIR):
        if f.endswith(".npy") or f == "cases.txt":
            os.remove(os.path.join(OUT_DIR, f))
    rng = np.random.default_rng(20250105)
    with np.errstate(over="ignore"):
        scan_cases(rng)
        einsum_cases(rng)
        topk_cases(rng)
        elementwise_cases(rng)
        scatter_cases(rng)
        nms_cases(rng)
    with open(os.path.join(OUT_DIR, "cases.txt"), "w") as f:
        f.write("# Written by tests/golden/coverage_goldens.py: NAME OP NUM_INPUTS CONSTS [ATTR=KIND:VALUE ...]\n")
        for name, op, n, consts, spec in _cases:
            f.write(" ".join([name, op, str(n), consts] + spec) + "\n")
    print(f"{len(_cases)} cases in {os.path.normpath(OUT_DIR)}")


if __name__ == "__main__":
    main()
