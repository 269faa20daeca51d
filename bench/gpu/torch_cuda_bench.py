#!/usr/bin/env python3
"""PyTorch CUDA eager figures to put beside bench/gpu/gpu_bench (docs/gpu.md, bench/RESULTS.md).

    python3 bench/gpu/torch_cuda_bench.py [--sizes 1024,2048,4096,8192] [--batches 1,64] [--seconds 1]

- SGEMM: torch.matmul of two float32 N x N matrices already on the GPU, in full fp32
  (allow_tf32 = False), with TF32 tensor cores (allow_tf32 = True), and of the same matrices
  in float16 and bfloat16 (cuBLAS's 16-bit GEMMs, f32 accumulation), timed with CUDA events
  (kernel time, no transfers), and once more end to end from host tensors (H2D copies, matmul,
  D2H copy of the result, synchronize), which is what gpu_bench's Session::Run figure measures.
- The MLP 784-512-512-10 and the CNN of bench/bench_models.h (Conv2D 32/64/64 3x3 VALID + relu,
  2x2 max pools, Dense 64, Dense 10, softmax) in eager mode under torch.inference_mode(), end to
  end from a host input to a host output, like Session::Run.

Exits 0 with a message where torch or a CUDA device is missing.
"""
import argparse
import statistics
import sys
import time


def parse_ints(text):
    return [int(v) for v in text.split(",") if v]


def time_box(fn, seconds, min_runs=3, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,2048,4096,8192")
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    try:
        import torch
    except ImportError as e:
        print(f"torch_cuda_bench: PyTorch is not installed ({e}); nothing measured")
        return 0
    if not torch.cuda.is_available():
        print(f"torch_cuda_bench: no CUDA device for PyTorch {torch.__version__}; nothing measured")
        return 0
    dev = torch.device("cuda")
    print(f"torch_cuda_bench: PyTorch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"{torch.cuda.get_device_name(0)}")
    gen = torch.Generator().manual_seed(0)

    for n in parse_ints(args.sizes):
        a_host = torch.rand(n, n, generator=gen) * 2 - 1
        b_host = torch.rand(n, n, generator=gen) * 2 - 1
        a, b = a_host.to(dev), b_host.to(dev)
        flops = 2.0 * n * n * n
        for label, tf32, dtype in (("fp32", False, torch.float32), ("tf32", True, torch.float32),
                                   ("f16", False, torch.float16), ("bf16", False, torch.bfloat16)):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            x, y = a.to(dtype), b.to(dtype)

            def kernel():
                start.record()
                torch.matmul(x, y)
                end.record()
                end.synchronize()
                return start.elapsed_time(end) / 1e3

            for _ in range(2):
                kernel()
            times = []
            t_end = time.perf_counter() + args.seconds
            while len(times) < 3 or time.perf_counter() < t_end:
                times.append(kernel())
            med = statistics.median(times)
            print(f"sgemm {n:5d} {label}: kernel median {med * 1e3:9.3f} ms  {flops / med / 1e9:9.1f} GFLOP/s")
        torch.backends.cuda.matmul.allow_tf32 = False

        def end_to_end():
            c = torch.matmul(a_host.to(dev), b_host.to(dev)).cpu()
            torch.cuda.synchronize()
            return c

        times = time_box(end_to_end, args.seconds)
        med = statistics.median(times)
        print(f"sgemm {n:5d} fp32: end to end median {med * 1e3:9.3f} ms  {flops / med / 1e9:9.1f} GFLOP/s "
              f"(host tensors in and out, as Session::Run)")

    nn = torch.nn
    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10),
                        nn.Softmax(dim=1)).to(dev).eval()
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 64),
                        nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1)).to(dev).eval()
    for name, model, shape in (("mlp", mlp, (784,)), ("cnn", cnn, (1, 28, 28))):
        for batch in parse_ints(args.batches):
            x = torch.rand(batch, *shape, generator=gen)

            def run():
                with torch.inference_mode():
                    y = model(x.to(dev)).cpu()
                torch.cuda.synchronize()
                return y

            times = time_box(run, args.seconds)
            print(f"{name:4s} batch {batch:3d}: median {statistics.median(times) * 1e3:8.3f} ms  "
                  f"p90 {statistics.quantiles(times, n=10)[-1] * 1e3:8.3f} ms  ({len(times)} runs, eager, fp32)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
