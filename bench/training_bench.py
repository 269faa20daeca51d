#!/usr/bin/python3
"""Training speed: strata's Fashion-MNIST examples vs PyTorch 1.13 (Debian's python3-torch) on the
same models, batch sizes, optimizers and data, at 1 and 2 threads, in one script.

Both sides run the same number of training steps on shuffled Fashion-MNIST batches; the time per
step excludes strata's first step (it compiles the training graph; reported apart) and PyTorch's
first step (warm-up). Seconds per epoch = time per step * steps per epoch (60000 / batch).

  /usr/bin/python3 bench/training_bench.py [--build build] [--models mlp,cnn] [--threads 1,2]
                                           [--steps 200] [--data /usr/share/datasets/fashion-mnist]
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_data import load  # noqa: E402

MODELS = {  # name: (batch, default steps)
    "softmax": (100, 1000),
    "mlp": (128, 200),
    "cnn": (64, 100),
}


def torch_model(torch, name):
    nn = torch.nn
    if name == "softmax":
        m = nn.Linear(784, 10)
        nn.init.zeros_(m.weight)
        nn.init.zeros_(m.bias)
        return m, torch.optim.SGD(m.parameters(), lr=0.5), (-1, 784)
    if name == "mlp":
        m = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        return m, torch.optim.Adam(m.parameters(), lr=1e-3), (-1, 784)
    m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    return m, torch.optim.Adam(m.parameters(), lr=1e-3), (-1, 1, 28, 28)


def torch_seconds_per_step(name, threads, steps, x, y):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, opt, shape = torch_model(torch, name)
    batch = MODELS[name][0]
    xt = torch.from_numpy(x.reshape(shape))
    yt = torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(yt))
    start = None
    for s in range(steps):
        idx = order[(s * batch) % (len(yt) - batch):][:batch]
        opt.zero_grad()
        loss = loss_fn(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        if s == 0:
            start = time.perf_counter()
    return (time.perf_counter() - start) / (steps - 1)


def strata_seconds_per_step(build, name, threads, steps, data_dir):
    exe = os.path.join(build, "examples", "fashion_mnist_" + name)
    out = subprocess.run([exe, "--steps", str(steps), "--threads", str(threads), "--data", data_dir],
                         capture_output=True, text=True, check=True).stdout
    first = float(re.search(r"first step \(compiles the training step\): ([0-9.]+) s", out).group(1))
    m = re.search(r"epoch 1: (\d+) steps, .*?\(([0-9.]+) s without compiling\)", out)
    done, seconds = int(m.group(1)), float(m.group(2))
    accuracy = float(re.search(r"test_accuracy=([0-9.]+)", out).group(1))
    return seconds / (done - 1), first, accuracy


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--models", default="mlp,cnn")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--steps", type=int, default=0, help="steps per measurement (default: per model)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("PyTorch is missing: apt-get install python3-torch, and run with /usr/bin/python3")
    x, y = load(a.data)
    print(f"load average {os.getloadavg()[0]:.1f}; torch {__import__('torch').__version__}")
    print(f"{'model':8} {'thr':>3} {'batch':>5} {'steps':>5} {'strata ms/step':>14} {'torch ms/step':>13} "
          f"{'strata s/epoch':>14} {'torch s/epoch':>13} {'speedup':>7} {'compile s':>9} {'strata acc':>10}")
    for name in a.models.split(","):
        batch, default_steps = MODELS[name]
        steps = a.steps or default_steps
        per_epoch = 60000 // batch
        for threads in [int(t) for t in a.threads.split(",")]:
            s_step, compile_s, acc = strata_seconds_per_step(a.build, name, threads, steps, a.data)
            t_step = torch_seconds_per_step(name, threads, steps, x, y)
            print(f"{name:8} {threads:>3} {batch:>5} {steps:>5} {s_step * 1e3:>14.2f} {t_step * 1e3:>13.2f} "
                  f"{s_step * per_epoch:>14.2f} {t_step * per_epoch:>13.2f} {t_step / s_step:>6.2f}x "
                  f"{compile_s:>9.2f} {acc:>10.4f}", flush=True)


if __name__ == "__main__":
    main()
