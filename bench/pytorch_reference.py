#!/usr/bin/python3
"""Plain-PyTorch twin of CM Studio's UNet, for bench/run-benchmarks.sh.

Run with Debian's interpreter (/usr/bin/python3, python3-torch 1.13 and python3-numpy).

For each configuration written by bench_network (OUT_DIR/<config>.safetensors and
OUT_DIR/<config>-io.safetensors) it
  1. builds the architecture described by the model card ("network" in __metadata__) with
     torch.nn modules named like core/detail/networks.cpp, so state_dict keys are the
     safetensors tensor names, and loads the weights with load_state_dict(strict=True);
  2. applies the same consistency preconditioning as core/detail/denoiser.cpp;
  3. checks max |python - cpp| <= 1e-4 on the batch-64 output (and the batch-1 output);
  4. times one evaluation at batch 1 and batch 64 like bench_network (3 warm-up calls,
     then median and min of 20 / 5 runs) and prints e.g.
       python 28x28x1 batch=1 median_ms=... min_ms=... runs=20 threads=2 params=...

Exit status 1 when the outputs disagree, 2 for usage or file errors.
"""

import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flop_count import count_flops  # noqa: E402

TOLERANCE = 1e-4
# --bf16: the relative RMS difference from the engine's float32 output (tests/test_precision states the same)
BF16_RELATIVE_RMS = 0.08

DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "U8": np.uint8,
}


# ----------------------------------------------------------------------------- safetensors

def read_safetensors(path):
    """Returns ({name: numpy array}, metadata dict). Parses the format directly:
    8-byte little-endian header length, JSON header, raw little-endian row-major data."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_len,) = struct.unpack("<Q", data[:8])
    if 8 + header_len > len(data):
        raise ValueError(f"{path}: header length {header_len} exceeds the file size")
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    base = 8 + header_len
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        dtype = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * dtype.itemsize or base + end > len(data):
            raise ValueError(f"{path}: tensor {name!r} has an inconsistent data span")
        array = np.frombuffer(data, dtype=dtype, count=count, offset=base + begin).reshape(shape)
        tensors[name] = array.astype(dtype.newbyteorder("="), copy=True)
    return tensors, metadata


# ----------------------------------------------------------------------------- network
# Mirrors core/detail/networks.cpp module for module.

def group_count(channels):
    """As many groups as fit up to 32 with at least 4 channels each."""
    groups = max(1, min(32, channels // 4))
    while channels % groups != 0:
        groups -= 1
    return groups


def group_norm(channels):
    return nn.GroupNorm(group_count(channels), channels, eps=1e-6)


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


# torch::pow(1.0f / 10000.0f, freqs) in C++: the base is the float32 value of 1e-4.
POS_EMB_BASE = float(np.float32(1.0) / np.float32(10000.0))


def positional_embedding(noise_label, dim):
    half = dim // 2
    freqs = torch.arange(half, dtype=torch.float32) / float(half)
    freqs = torch.pow(POS_EMB_BASE, freqs)
    angles = noise_label.to(torch.float32).unsqueeze(1) * freqs.unsqueeze(0)
    return torch.cat([torch.cos(angles), torch.sin(angles)], 1)


class AttentionBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.heads = max(1, channels // 64)
        self.norm = group_norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        n, c, h, w = x.shape
        head_dim = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(n * self.heads, 3, head_dim, h * w)
        q, k, v = qkv.select(1, 0), qkv.select(1, 1), qkv.select(1, 2)
        weights = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(head_dim), -1)
        out = torch.bmm(v, weights.transpose(1, 2)).reshape(n, c, h, w)
        return x + self.proj(out)


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim, dropout, attention):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = conv3x3(cin, cout)
        self.emb_proj = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = group_norm(cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = conv3x3(cout, cout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None
        self.attn = AttentionBlock(cout) if attention else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb_proj(emb).unsqueeze(-1).unsqueeze(-1).chunk(2, 1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(self.dropout(F.silu(h)))
        h = h + (self.skip(x) if self.skip is not None else x)
        return self.attn(h) if self.attn is not None else h


class Downsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = conv3x3(channels, channels, 2)

    def forward(self, x, emb):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = conv3x3(channels, channels)

    def forward(self, x, emb):
        return self.conv(F.interpolate(x, scale_factor=(2.0, 2.0), mode="nearest"))


class Embedding(nn.Module):
    def __init__(self, base, emb_dim, num_classes):
        super().__init__()
        self.base = base
        self.map1 = nn.Linear(base, emb_dim)
        self.map2 = nn.Linear(emb_dim, emb_dim)
        self.class_embed = nn.Embedding(num_classes + 1, emb_dim) if num_classes > 0 else None

    def forward(self, noise_label, labels):
        emb = self.map2(F.silu(self.map1(positional_embedding(noise_label, self.base))))
        if self.class_embed is not None and labels is not None:
            emb = emb + self.class_embed(labels)
        return F.silu(emb)


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        base = cfg["base_width"]
        mult = cfg["channel_mult"]
        attention = set(cfg["attention_resolutions"])
        emb_dim = 4 * base
        dropout = cfg["dropout"]
        levels = len(mult)
        self.embedding = Embedding(base, emb_dim, cfg["num_classes"])
        self.conv_in = conv3x3(cfg["channels"], base)
        self.enc = nn.ModuleList()
        self.mid = nn.ModuleList()
        self.dec = nn.ModuleList()
        self.decoder_takes_skip = []

        skip_channels = [base]
        ch = base
        resolution = cfg["image_size"]
        for level in range(levels):
            out = base * mult[level]
            for _ in range(cfg["res_blocks"]):
                self.enc.append(ResidualBlock(ch, out, emb_dim, dropout, resolution in attention))
                ch = out
                skip_channels.append(ch)
            if level + 1 < levels:
                self.enc.append(Downsample(ch))
                skip_channels.append(ch)
                resolution //= 2
        self.mid.append(ResidualBlock(ch, ch, emb_dim, dropout, True))
        self.mid.append(ResidualBlock(ch, ch, emb_dim, dropout, False))
        for level in reversed(range(levels)):
            out = base * mult[level]
            for _ in range(cfg["res_blocks"] + 1):
                skip_ch = skip_channels.pop()
                self.dec.append(ResidualBlock(ch + skip_ch, out, emb_dim, dropout, resolution in attention))
                self.decoder_takes_skip.append(True)
                ch = out
            if level > 0:
                self.dec.append(Upsample(ch))
                self.decoder_takes_skip.append(False)
                resolution *= 2
        self.norm_out = group_norm(ch)
        self.conv_out = conv3x3(ch, cfg["channels"])

    def forward(self, x, noise_label, labels):
        emb = self.embedding(noise_label, labels)
        h = self.conv_in(x)
        skips = [h]
        for block in self.enc:
            h = block(h, emb)
            skips.append(h)
        for block in self.mid:
            h = block(h, emb)
        for block, takes_skip in zip(self.dec, self.decoder_takes_skip):
            if takes_skip:
                h = torch.cat([h, skips.pop()], 1)
            h = block(h, emb)
        return self.conv_out(F.silu(self.norm_out(h)))


class Preconditioned(nn.Module):
    """f(x, sigma) = c_skip x + c_out F(c_in x, c_noise), scalings in float64 (core/detail/denoiser.cpp)."""

    def __init__(self, network, kind, sigma_min, sigma_data):
        super().__init__()
        self.network = network
        self.kind = kind
        self.sigma_min = sigma_min
        self.sigma_data = sigma_data

    def forward(self, x, sigma, labels):
        sigma = sigma.to(torch.float64)
        sd = self.sigma_data
        sd2 = sd * sd
        root = torch.sqrt(sigma * sigma + sd2)
        if self.kind == "consistency":
            shifted = sigma - self.sigma_min
            c_skip = sd2 / (shifted * shifted + sd2)
            c_out = sd * shifted / root
        else:
            c_skip = sd2 / (sigma * sigma + sd2)
            c_out = sigma * sd / root
        c_in = 1.0 / root
        c_noise = 0.25 * torch.log(sigma)
        per_sample = (-1,) + (1,) * (x.dim() - 1)
        dtype = x.dtype
        raw = self.network(x * c_in.reshape(per_sample).to(dtype), c_noise.to(torch.float32), labels)
        return c_skip.reshape(per_sample).to(dtype) * x + c_out.reshape(per_sample).to(dtype) * raw


def load_model(path):
    tensors, metadata = read_safetensors(path)
    if metadata.get("c_noise") != "0.25*ln(sigma)":
        raise ValueError(f"{path}: unsupported c_noise convention {metadata.get('c_noise')!r}")
    cfg = json.loads(metadata["network"])
    if cfg.get("type") != "unet":
        raise ValueError(f"{path}: not a UNet model")
    network = UNet(cfg)
    state = {name: torch.from_numpy(array) for name, array in tensors.items()}
    network.load_state_dict(state, strict=True)
    model = Preconditioned(network, metadata["kind"], float(metadata["sigma_min"]), float(metadata["sigma_data"]))
    model.eval()
    return model, cfg


# ----------------------------------------------------------------------------- bfloat16, PyTorch's way

class Float32GroupNorm(nn.GroupNorm):
    """GroupNorm computed in float32 and cast back: PyTorch 1.13's CPU autocast leaves GroupNorm's weight in
    float32 and then fails on a bfloat16 input ("expected scalar type BFloat16 but found Float")."""

    def forward(self, x):
        return F.group_norm(x.float(), self.num_groups, self.weight, self.bias, self.eps).to(x.dtype)


def use_bf16_settings(model):
    """PyTorch's best settings for bfloat16 on this CPU: channels-last weights, float32 GroupNorm; the
    forward runs under torch.autocast("cpu", torch.bfloat16) (see bf16_forward)."""
    for module in model.modules():
        if type(module) is nn.GroupNorm:
            module.__class__ = Float32GroupNorm
    return model.to(memory_format=torch.channels_last)


def bf16_forward(model):
    """model(x, sigma, labels) with a channels-last input under CPU autocast to bfloat16, output float32."""
    def forward(x, sigma, labels):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model(x.contiguous(memory_format=torch.channels_last), sigma, labels).float()
    return forward


# ----------------------------------------------------------------------------- benchmark

def time_evaluation(model, x, sigma, labels, warmup, runs):
    for _ in range(warmup):
        model(x, sigma, labels)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model(x, sigma, labels)
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), min(times)


def run_config(out_dir, name, threads_override, bf16=False):
    io, io_meta = read_safetensors(os.path.join(out_dir, f"{name}-io.safetensors"))
    model, cfg = load_model(os.path.join(out_dir, io_meta.get("model", f"{name}.safetensors")))

    threads = threads_override or int(io_meta.get("threads", 0)) or os.cpu_count()
    torch.set_num_threads(threads)

    x64 = torch.from_numpy(io["x"])
    n = x64.shape[0]
    sigma_value = float(io["sigma"][0])
    label = int(io["label"][0])
    num_classes = cfg["num_classes"]

    def inputs(batch):
        x = x64[:batch].contiguous()
        sigma = torch.full((batch,), sigma_value, dtype=torch.float64)
        if num_classes == 0:
            labels = None
        else:  # core/detail/sampling.cpp labelTensor: -1 means the null label, num_classes
            labels = torch.full((batch,), label if label >= 0 else num_classes, dtype=torch.int64)
        return x, sigma, labels

    params = sum(p.numel() for p in model.parameters())
    with torch.inference_mode():
        flops = count_flops(model, *inputs(1))
        forward = model
        if bf16:
            forward = bf16_forward(use_bf16_settings(model))
        worst = 0.0
        for batch, key in ((n, "out"), (1, "out_batch1")):
            if key not in io:
                continue
            expected = torch.from_numpy(io[key])
            got = forward(*inputs(batch))
            if bf16:  # against the engine's float32 output
                diff = ((got - expected).norm() / expected.norm()).item()
                limit, what = BF16_RELATIVE_RMS, "relative_rms"
            else:
                diff = (got - expected).abs().max().item()
                limit, what = TOLERANCE, "max_abs_diff"
            scale = expected.abs().max().item()
            print(f"check {name} batch={batch} {what}={diff:.3e} max_abs_output={scale:.3f} "
                  f"tolerance={limit:.0e} {'ok' if diff <= limit else 'FAILED'}", flush=True)
            worst = max(worst, diff / limit)
        if not worst <= 1.0:  # also catches NaN
            print(f"pytorch_reference: {name}: the C++ and PyTorch outputs differ by more than the tolerance: "
                  f"the two networks are not the same", file=sys.stderr)
            return False

        warmup = int(io_meta.get("warmup", 3))
        for batch, runs in ((1, int(io_meta.get("runs_batch1", 20))), (n, int(io_meta.get("runs_batch64", 5)))):
            med, fastest = time_evaluation(forward, *inputs(batch), warmup, runs)
            print(f"python {name} batch={batch} median_ms={med:.3f} min_ms={fastest:.3f} runs={runs} "
                  f"threads={torch.get_num_threads()} params={params} precision={'bf16' if bf16 else 'fp32'} "
                  f"gflop_per_image={flops / 1e9:.4f}", flush=True)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default="bench-out",
                        help="folder written by bench_network (default ./bench-out)")
    parser.add_argument("--config", action="append",
                        help="configuration(s) to run (default: every <config>-io.safetensors in OUT_DIR)")
    parser.add_argument("--bf16", action="store_true",
                        help="PyTorch's best bfloat16 settings (channels-last, autocast, float32 GroupNorm)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (default: the C++ run's, from the io file; else os.cpu_count())")
    args = parser.parse_args()

    torch.set_flush_denormal(True)
    if not os.path.isdir(args.out_dir):
        print(f"pytorch_reference: {args.out_dir} is not a folder: run bench_network first", file=sys.stderr)
        return 2
    configs = args.config or sorted(f[:-len("-io.safetensors")] for f in os.listdir(args.out_dir)
                                    if f.endswith("-io.safetensors"))
    if not configs:
        print(f"pytorch_reference: no <config>-io.safetensors in {args.out_dir}: run bench_network first",
              file=sys.stderr)
        return 2
    ok = True
    for name in configs:
        try:
            ok = run_config(args.out_dir, name, args.threads, args.bf16) and ok
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            print(f"pytorch_reference: {name}: {e}", file=sys.stderr)
            return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
