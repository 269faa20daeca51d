"""Fashion-MNIST for the Python side of the benches (bench/training_bench.py, bench/keras_bench.py):
Debian's gzipped IDX files read with NumPy, images scaled to [0, 1] as the strata examples do."""
import gzip
import os
import struct

import numpy as np


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    _, _, dtype, rank = struct.unpack(">BBBB", data[:4])
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    assert dtype == 0x08, "expected uint8 IDX"
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data_dir, split="train"):
    """(x float32 [n, 28, 28] in [0, 1], y int64 [n]) of split "train" or "t10k"."""
    def f(name):
        p = os.path.join(data_dir, name)
        return read_idx(p if os.path.exists(p) else p + ".gz")
    x = f(f"{split}-images-idx3-ubyte").astype(np.float32) / 255.0
    y = f(f"{split}-labels-idx1-ubyte").astype(np.int64)
    return x, y
