#!/usr/bin/env python3
"""PyTorch reference for configs/cnn.yaml, run by scripts/device-check.sh on the GPU machine.

The same network, loss, optimizer, batch size and data as `mnist-run configs/cnn.yaml`:
conv 32 3x3 (valid), batch norm, relu, conv 32 3x3, batch norm, relu, max pool 2, flatten, dense 128,
batch norm, relu, dropout 0.2, dense 10, softmax; categorical crossentropy; Adam lr 0.01; batch 64;
one epoch of the 60000 training images, read from the same IDX files, pixels / 255, shuffled once.
Keras's defaults where the config leaves them (as tfjs has them): glorot-uniform kernels, zero
biases, batch norm epsilon 1e-3 and momentum 0.99 (PyTorch's 0.01), Adam epsilon 1e-7.
PyTorch's own defaults otherwise (cuDNN may use TF32 for convolutions; both are recorded).

Like mnist-run's loop, the loss is read back after every batch. The epoch is timed between two
torch.cuda.synchronize() calls; the test set is evaluated after the timing. On the CPU it trains
for --cpu-seconds at most (a part of an epoch) and says so.

Prints one JSON object on stdout, progress on stderr. Without PyTorch, or without CUDA, it says so
in the JSON ("reason") and exits 0: the caller decides whether that is a failure.
"""

import argparse
import gzip
import json
import os
import platform
import struct
import sys
import time

NAMES = {
    "train_images": ["train-images-idx3-ubyte", "train-images.idx3-ubyte"],
    "train_labels": ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"],
    "test_images": ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"],
    "test_labels": ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"],
}


def log(msg):
    print(f"torch_cnn: {msg}", file=sys.stderr, flush=True)


def find(folder, role):
    for base in NAMES[role]:
        for name in (base, base + ".gz"):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                return path
    raise FileNotFoundError(f"{folder}: no {role} file (looked for {', '.join(NAMES[role])}, plain or .gz)")


def read_idx(path):
    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def build(nn, torch):
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3),
        nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(12 * 12 * 32, 128),
        nn.BatchNorm1d(128, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 10),  # softmax folded into the loss: cross_entropy = softmax + categorical crossentropy
    )
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def train(torch, device, data, args, seconds_limit=None):
    """One epoch (or until seconds_limit) on `device`; returns the figures."""
    nn = torch.nn
    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = (t.to(device) for t in data)
    model = build(nn, torch).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = x_train.shape[0]
    order = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed)).to(device)
    steps = (n + args.batch - 1) // args.batch
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    model.train()
    losses = []
    sync()
    t0 = time.perf_counter()
    t_warm = None
    done = 0
    for step in range(steps):
        idx = order[step * args.batch : (step + 1) * args.batch]
        xb, yb = x_train[idx], y_train[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())  # one read-back per batch, as mnist-run's loop does
        done += idx.shape[0]
        if step + 1 == args.warmup_steps:
            sync()
            t_warm, warm_done = time.perf_counter(), done
        if seconds_limit is not None and step >= 4 and time.perf_counter() - t0 > seconds_limit:
            break
    sync()
    seconds = time.perf_counter() - t0
    out = {
        "trainSamples": done,
        "fullEpoch": done == n,
        "batchSize": args.batch,
        "steps": len(losses),
        "seconds": seconds,
        "samplesPerSecond": done / seconds,
        "firstLoss": losses[0],
        "lastLoss": losses[-1],
        "meanLoss": sum(losses) / len(losses),
    }
    if t_warm is not None and done > warm_done:
        out["samplesPerSecondAfterWarmup"] = (done - warm_done) / (t0 + seconds - t_warm)
        out["warmupSteps"] = args.warmup_steps

    model.eval()
    correct, total_loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, x_test.shape[0], 1000):
            logits = model(x_test[i : i + 1000])
            total_loss += loss_fn(logits, y_test[i : i + 1000]).item() * logits.shape[0]
            correct += (logits.argmax(1) == y_test[i : i + 1000]).sum().item()
    out["testAccuracy"] = correct / x_test.shape[0]
    out["testLoss"] = total_loss / x_test.shape[0]
    out["testSamples"] = int(x_test.shape[0])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="folder holding the four MNIST IDX files (plain or .gz)")
    p.add_argument("--train-size", type=int, default=0, help="use only the first N training images (0: all)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup-steps", type=int, default=50, help="steps left out of samplesPerSecondAfterWarmup")
    p.add_argument("--cpu-seconds", type=float, default=20, help="CPU training time at most (0: no CPU figure)")
    args = p.parse_args()

    result = {
        "what": "PyTorch reference for configs/cnn.yaml (scripts/device/torch_cnn.py)",
        "python": platform.python_version(),
        "torch": None,
        "cudaVersion": None,
        "device": None,
        "cuda": None,
        "cpu": None,
    }
    try:
        import numpy as np
        import torch
    except Exception as err:  # noqa: BLE001 - any import failure means "not available"
        result["reason"] = f"PyTorch is not available to {sys.executable}: {err}"
        print(json.dumps(result, indent=2))
        return 0
    result["torch"] = torch.__version__
    result["cudaVersion"] = torch.version.cuda
    result["settings"] = {
        "cudnnBenchmark": torch.backends.cudnn.benchmark,
        "cudnnAllowTf32": torch.backends.cudnn.allow_tf32,
        "matmulAllowTf32": torch.backends.cuda.matmul.allow_tf32,
        "cpuThreads": torch.get_num_threads(),
    }

    folder = args.data
    images = read_idx(find(folder, "train_images"))
    labels = read_idx(find(folder, "train_labels"))
    if args.train_size:
        images, labels = images[: args.train_size], labels[: args.train_size]
    test_images = read_idx(find(folder, "test_images"))
    test_labels = read_idx(find(folder, "test_labels"))

    def as_tensors(x, y):
        return torch.from_numpy(x.astype(np.float32) / 255).unsqueeze(1), torch.from_numpy(y.astype(np.int64))

    data = (*as_tensors(images, labels), *as_tensors(test_images, test_labels))
    log(f"data: {images.shape[0]} training and {test_images.shape[0]} test images from {folder}")

    if torch.cuda.is_available():
        dev = torch.device("cuda")
        result["device"] = torch.cuda.get_device_name(0)
        log(f"training one epoch on {result['device']}")
        result["cuda"] = train(torch, dev, data, args)
        log(f"cuda: {result['cuda']['samplesPerSecond']:.0f} samples/s, test accuracy {result['cuda']['testAccuracy']}")
    else:
        result["reason"] = f"torch {torch.__version__} sees no CUDA device"
        log(result["reason"])
    if args.cpu_seconds > 0:
        log(f"training on the CPU for {args.cpu_seconds} s at most")
        result["cpu"] = train(torch, torch.device("cpu"), data, args, seconds_limit=args.cpu_seconds)
        result["cpu"]["note"] = f"at most {args.cpu_seconds} s of training: a part of an epoch unless fullEpoch"
        log(f"cpu: {result['cpu']['samplesPerSecond']:.0f} samples/s over {result['cpu']['trainSamples']} samples")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
