#!/usr/bin/python3
"""Keras-API training speed: strata's keras_fashion_mnist (the classic Keras MNIST CNN and MLP)
vs the same models in PyTorch 1.13 (Debian's python3-torch), same batch sizes, optimizers and
data, at the given thread counts, in one script.

strata runs `keras_fashion_mnist --epochs 2 --train-limit N`: the first epoch includes compiling
the training step, the second is timed from its own progress line (ms/step). PyTorch runs the
same number of steps; its first step is a warm-up and is not timed. Seconds per epoch = ms/step
times the steps of a full 60000-image epoch.

  /usr/bin/python3 bench/keras_bench.py [--build build] [--models mlp,cnn] [--threads 1,2]
                                        [--steps 0] [--data /usr/share/datasets/fashion-mnist]
  /usr/bin/python3 bench/keras_bench.py --models mlp --threads 2 --torch_accuracy_seeds 1,2,3 [--epochs 5]
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_data import load  # noqa: E402

# Timed steps: strata's per-step time keeps falling over the first ~200 steps of a process (the
# CNN at batch 64: 85 ms/step over 10 or 40 steps, 65 over 200, 33-38 over full epochs), so short
# runs overstate it; 200 steps is the shortest that is near the steady state.
MODELS = {  # name: (batch, default timed steps)
    "mlp": (128, 200),
    "cnn": (64, 200),
}


def torch_test_accuracy(name, threads, epochs, seed, train, test):
    """PyTorch's test accuracy for the same model, optimizer, batch and epochs (a reference for
    what the model reaches; strata's keras_fashion_mnist prints its own test_accuracy=)."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model, opt, shape = torch_model(torch, name)
    batch = MODELS[name][0]
    xt, yt = torch.from_numpy(train[0].reshape(shape)), torch.from_numpy(train[1])
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(yt))
        for first in range(0, len(yt), batch):
            idx = order[first:first + batch]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(test[0].reshape(shape))).argmax(1).numpy()
    return float((pred == test[1]).mean())


def torch_model(torch, name):
    """The models of examples/keras_fashion_mnist.cpp, with Keras's initializers and defaults."""
    nn = torch.nn
    if name == "mlp":
        m = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512), nn.ReLU(),
                          nn.Dropout(0.2), nn.Linear(512, 10))
        opt = lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7)  # Keras's RMSprop defaults
        shape = (-1, 784)
    else:
        m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 64),
                          nn.ReLU(), nn.Linear(64, 10))
        opt = lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7)
        shape = (-1, 1, 28, 28)
    for layer in m:
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return m, opt(m.parameters()), shape


def torch_ms_per_step(name, threads, steps, x, y):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, opt, shape = torch_model(torch, name)
    model.train()
    batch = MODELS[name][0]
    xt = torch.from_numpy(x.reshape(shape))
    yt = torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(yt))
    start = None
    for s in range(steps + 1):
        idx = order[(s * batch) % (len(yt) - batch):][:batch]
        opt.zero_grad()
        loss = loss_fn(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        if s == 0:
            start = time.perf_counter()
    return (time.perf_counter() - start) / steps * 1e3


def strata_ms_per_step(build, name, threads, steps, data_dir):
    """Returns (ms/step of the second epoch, seconds of the first epoch incl. compiling)."""
    batch = MODELS[name][0]
    exe = os.path.join(build, "examples", "keras_fashion_mnist")
    out = subprocess.run([exe, "--model", name, "--epochs", "2", "--train-limit", str(steps * batch), "--threads",
                          str(threads), "--data", data_dir, "--seed", "1"],
                         capture_output=True, text=True, check=True).stdout
    # Plain (non-TTY) progress lines: "<steps>/<steps> - 12s 30ms/step - loss: ..."
    epochs = re.findall(r"^\s*(\d+)/(\d+) - (\S+) (\d+)ms/step", out, re.M)
    if len(epochs) < 2:
        sys.exit(f"could not read the epoch lines of keras_fashion_mnist:\n{out}")
    first_epoch = epochs[0][2]
    return float(epochs[1][3]), first_epoch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--models", default="mlp,cnn")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--steps", type=int, default=0, help="timed steps per measurement (default: per model)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--torch_accuracy_seeds", default="",
                   help="also train PyTorch's models for --epochs with these seeds (e.g. 1,2,3) and print test accuracy")
    p.add_argument("--epochs", type=int, default=5, help="epochs for --torch_accuracy_seeds")
    a = p.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("PyTorch is missing: apt-get install python3-torch, and run with /usr/bin/python3")
    x, y = load(a.data)
    if a.torch_accuracy_seeds:
        test = load(a.data, "t10k")
        threads = int(a.threads.split(",")[0])
        for name in a.models.split(","):
            for seed in [int(v) for v in a.torch_accuracy_seeds.split(",")]:
                acc = torch_test_accuracy(name, threads, a.epochs, seed, (x, y), test)
                print(f"torch {name} seed {seed}: {a.epochs} epochs, test accuracy {acc:.4f}", flush=True)
        return
    print(f"load average {os.getloadavg()[0]:.1f}; torch {__import__('torch').__version__}")
    print(f"{'model':6} {'thr':>3} {'batch':>5} {'steps':>5} {'strata ms/step':>14} {'torch ms/step':>13} "
          f"{'strata s/epoch':>14} {'torch s/epoch':>13} {'speedup':>7} {'1st epoch (compile)':>19}")
    for name in a.models.split(","):
        batch, default_steps = MODELS[name]
        steps = a.steps or default_steps
        per_epoch = 60000 // batch
        for threads in [int(t) for t in a.threads.split(",")]:
            s_ms, first_epoch = strata_ms_per_step(a.build, name, threads, steps, a.data)
            t_ms = torch_ms_per_step(name, threads, steps, x, y)
            print(f"{name:6} {threads:>3} {batch:>5} {steps:>5} {s_ms:>14.1f} {t_ms:>13.1f} "
                  f"{s_ms * per_epoch / 1e3:>14.1f} {t_ms * per_epoch / 1e3:>13.1f} {t_ms / s_ms:>6.2f}x "
                  f"{first_epoch:>19}", flush=True)


if __name__ == "__main__":
    main()
