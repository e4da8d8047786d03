#!/usr/bin/python3
"""Plain-PyTorch twin of one iCT training step of CM Studio's trainer, for bench/run-benchmarks.sh.

Run with Debian's interpreter (/usr/bin/python3, python3-torch 1.13 and python3-numpy), after
bench_training has written OUT_DIR/train-28x28x1.safetensors: the initial weights of its run, with the
run's settings (batch, seed, learning rate, iCT constants, warm-up and timed steps, threads, data
folder) in the model card's "training" metadata.

It rebuilds the network with torch.nn modules (pytorch_reference.py: the same UNet, same tensor names,
loaded with strict=True), then runs the steps of core/trainer.cpp (trainStep, lossTerms) written the
ordinary PyTorch way:
  - a batch of 64 Fashion-MNIST images and labels (random indices), 10% of the labels replaced by the
    null label; shared noise z;
  - N(k) grid points of the Karras grid by the iCT schedule, the interval index drawn from the iCT
    discretised lognormal probabilities (core/schedule.cpp);
  - the online network at sigma_{n+1} with gradient, the same network at sigma_n under no_grad as the
    target (iCT, dropout 0), both through the consistency preconditioning of core/detail/denoiser.cpp;
  - pseudo-Huber distance, c = 0.00054 sqrt(784), weighted by 1 / (sigma_{n+1} - sigma_n), mean;
  - backward, global gradient norm (as torch.nn.utils.clip_grad_norm_ computes it), torch.optim.RAdam
    (lr 2e-4, betas 0.9/0.999, the library's default implementation), an EMA copy of the parameters
    (rate 0.9999 with the trainer's warm-up min(rate, (k+1)/(k+10))), and the per-quartile loss sums the
    trainer keeps for its log.
Random draws come from a torch.Generator seeded like the trainer's (seed ^ 0x9E3779B97F4A7C15), in the
trainer's order, so both sides see the same batches, labels, noise and noise levels and the losses can be
compared (the first step's exactly; later ones drift apart by rounding, and RAdam's eps is applied at a
slightly different place in torch.optim.RAdam).

Prints e.g.
  python ict batch=64 28x28x1 median_ms=... min_ms=... steps=15 threads=2 params=... warmup=3 N=11 ...
Exit status 2 for usage or file errors.
"""

import argparse
import gzip
import json
import math
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import bf16_forward, load_model, read_safetensors, use_bf16_settings  # noqa: E402

CONFIG = "28x28x1"
SEED_MIX = 0x9E3779B97F4A7C15  # core/trainer.cpp: the sampling generator's seed is seed ^ this


# ----------------------------------------------------------------------------- data

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise OSError(f"{directory}: no {stem}[.gz]")


def load_fashion_mnist(directory):
    """Training split as float32 N x 1 x 28 x 28 in [-1, 1] (core/dataset.cpp: v / 127.5 - 1) and int64 labels."""
    images = read_idx(find(directory, "train-images-idx3-ubyte"))
    labels = read_idx(find(directory, "train-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).unsqueeze(1)
    return x.contiguous(), torch.from_numpy(labels.astype(np.int64))


# ----------------------------------------------------------------------------- schedule (core/schedule.cpp)

def karras_grid(n, sigma_min, sigma_max, rho):
    lo, hi = sigma_min ** (1.0 / rho), sigma_max ** (1.0 / rho)
    grid = [(lo + i / (n - 1) * (hi - lo)) ** rho for i in range(n)]
    grid[0], grid[-1] = sigma_min, sigma_max
    return grid


def ict_steps(step, total_steps, s0, s1):
    k_prime = max(1, int(math.floor(total_steps / (math.log2(s1 / s0) + 1.0))))
    return int(min(s0 * 2.0 ** math.floor(step / k_prime), s1)) + 1


def ict_index_probabilities(grid, p_mean, p_std):
    p = [math.erf((math.log(grid[n + 1]) - p_mean) / (math.sqrt(2.0) * p_std)) -
         math.erf((math.log(grid[n]) - p_mean) / (math.sqrt(2.0) * p_std)) for n in range(len(grid) - 1)]
    total = sum(p)
    return [v / total for v in p]


# ----------------------------------------------------------------------------- training

class IctTrainer:
    def __init__(self, model, card, settings, data, labels, bf16=False):
        self.model = model
        self.model.train()
        # bfloat16: autocast forwards on channels-last weights kept in float32 (the optimizer's).
        self.forward = bf16_forward(use_bf16_settings(model)) if bf16 else model
        self.params = [p for p in model.parameters()]
        self.s = settings
        self.data, self.labels = data, labels
        self.null_label = card["num_classes"]
        self.sigma_min = float(model.sigma_min)
        self.noise = card["noise"]
        self.generator = torch.Generator()
        self.generator.manual_seed((int(settings["seed"]) ^ SEED_MIX) & 0xFFFFFFFFFFFFFFFF)
        betas = tuple(settings["betas"])
        self.optimizer = torch.optim.RAdam(self.params, lr=settings["learning_rate"], betas=betas, eps=1e-8)
        self.ema_rate = settings["ema_rates"][0]
        self.ema = [p.detach().clone() for p in self.params]
        dim = int(np.prod(data.shape[1:]))
        c = settings["huber_c"]
        self.huber_c = c if c >= 0 else 0.00054 * math.sqrt(dim)
        self.quartile_sum = [0.0] * 4
        self.quartile_count = [0] * 4
        self.grad_norm_sum = 0.0

    def step(self, k):
        s, g = self.s, self.generator
        batch = s["batch_size"]
        index = torch.randint(0, self.data.shape[0], (batch,), generator=g, dtype=torch.int64)
        x = self.data.index_select(0, index)
        labels = self.labels.index_select(0, index)
        drop = torch.rand(batch, generator=g) < s["label_dropout"]
        labels = torch.where(drop, torch.full_like(labels, self.null_label), labels)

        z = torch.randn(x.shape, generator=g, dtype=torch.float32)
        n_points = max(ict_steps(k, s["total_steps"], s["s0"], s["s1"]), 2)
        grid_list = karras_grid(n_points, self.noise["sigma_min"], self.noise["sigma_max"], self.noise["rho"])
        grid = torch.tensor(grid_list, dtype=torch.float64)
        probabilities = torch.tensor(ict_index_probabilities(grid_list, s["p_mean"], s["p_std"]),
                                     dtype=torch.float64)
        n = torch.multinomial(probabilities, batch, True, generator=g)
        sigma_low, sigma_high = grid[n], grid[n + 1]
        x_high = x + sigma_high.float().view(-1, 1, 1, 1) * z
        x_low = x + sigma_low.float().view(-1, 1, 1, 1) * z
        position = n.double() / (n_points - 1)

        pred = self.forward(x_high, sigma_high, labels)
        with torch.no_grad():
            target = self.forward(x_low, sigma_low, labels)
        diff = (pred - target).flatten(1)
        c = self.huber_c
        per_sample = (1.0 / (sigma_high - sigma_low)).float() * (torch.sqrt(diff.pow(2).sum(1) + c * c) - c)
        loss = per_sample.mean()
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise RuntimeError(f"the loss became {loss_value} at step {k}")

        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in self.params if p.grad is not None]
        grad_norm = torch.norm(torch.stack([torch.norm(gr.detach(), 2) for gr in grads]), 2).item()
        self.optimizer.step()

        rate = min(self.ema_rate, (k + 1) / (k + 10))
        with torch.no_grad():
            for average, p in zip(self.ema, self.params):
                average.mul_(rate).add_(p.detach(), alpha=1.0 - rate)

        # The trainer's per-quartile loss sums for its log.
        quartile = (position * 4).floor().clamp(0, 3).long()
        values = per_sample.detach().double()
        for q in range(4):
            mask = quartile == q
            self.quartile_count[q] += int(mask.sum().item())
            self.quartile_sum[q] += values.masked_select(mask).sum().item()
        self.grad_norm_sum += grad_norm
        return loss_value, n_points


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default="bench-out",
                        help="folder written by bench_training (default ./bench-out)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: bench_training's)")
    parser.add_argument("--steps", type=int, default=0, help="timed steps (default: bench_training's)")
    parser.add_argument("--warmup", type=int, default=-1, help="untimed steps first (default: bench_training's)")
    parser.add_argument("--verbose", action="store_true", help="every step's time and loss on stderr")
    parser.add_argument("--bf16", action="store_true",
                        help="PyTorch's best bfloat16 settings: channels-last, autocast, float32 GroupNorm")
    args = parser.parse_args()

    path = os.path.join(args.out_dir, f"train-{CONFIG}.safetensors")
    try:
        _, metadata = read_safetensors(path)
        settings = json.loads(metadata["training"])
        model, cfg = load_model(path)
        cfg = dict(cfg)
        cfg["noise"] = {key: float(metadata[key]) for key in ("sigma_min", "sigma_max", "sigma_data", "rho")}
        data, labels = load_fashion_mnist(settings["data"])
    except (OSError, ValueError, KeyError) as e:
        print(f"pytorch_training_reference: {e} (run bench_training first)", file=sys.stderr)
        return 2
    if settings.get("mode") != "ict" or settings.get("optimizer") != "radam" or settings.get("metric") != "huber":
        print(f"pytorch_training_reference: {path}: unexpected settings {settings}", file=sys.stderr)
        return 2

    torch.set_flush_denormal(True)  # as the engine does (core/runtime.cpp)
    threads = args.threads or int(settings.get("threads", 0)) or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(settings["seed"])  # the global generator (dropout masks: none at dropout 0)
    steps = args.steps or int(settings["steps"])
    warmup = args.warmup if args.warmup >= 0 else int(settings["warmup"])

    trainer = IctTrainer(model, cfg, settings, data, labels, args.bf16)
    stamps, losses, grid_points = [], [], []
    start = time.perf_counter()
    for k in range(warmup + steps):
        loss, n_points = trainer.step(k)
        stamps.append(time.perf_counter() - start)
        losses.append(loss)
        grid_points.append(n_points)
    ms = [1000.0 * (stamps[i] - (stamps[i - 1] if i > 0 else 0.0)) for i in range(warmup + steps)]
    if args.verbose:
        for i in range(warmup + steps):
            print(f"python step {i} N={grid_points[i]} loss={losses[i]:.8g} ms={ms[i]:.1f}"
                  f"{' (warm-up)' if i < warmup else ''}", file=sys.stderr)
    timed = ms[warmup:]
    distinct_n = sorted(set(grid_points[warmup:]))
    params = sum(p.numel() for p in model.parameters())
    print(f"python{'-bf16' if args.bf16 else ''} ict batch={settings['batch_size']} {CONFIG} median_ms={statistics.median(timed):.3f} "
          f"min_ms={min(timed):.3f} steps={steps} threads={torch.get_num_threads()} params={params} "
          f"warmup={warmup} N={','.join(map(str, distinct_n))} loss_first={losses[0]:.8g} "
          f"loss_last={losses[-1]:.8g}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
