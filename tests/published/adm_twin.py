#!/usr/bin/env python3
"""A plain-PyTorch twin of OpenAI's ADM UNet (consistency_models' cm/unet.py), written from the public
description (../shared/reference/published-checkpoints.md), to check CM Studio's engine against it.

It builds a configuration with *every* weight random (also those the original initialises to zero),
writes it in the published layouts -- an OrderedDict `.pt` (torch.save of the state_dict) and a
diffusers folder (model_index.json, unet/config.json, unet/diffusion_pytorch_model.safetensors or .bin,
scheduler/scheduler_config.json) -- and evaluates the preconditioned model (f for a consistency model,
D for an EDM denoiser; no clamp) on a random batch at several noise levels, saving inputs and outputs
as float32 .npy.

usage: adm_twin.py OUT_DIR --config small-cond|small-uncond|small-convresample|tiny-imagenet64|tiny-lsun256|
                   imagenet64|lsun256
                   [--kind consistency|edm] [--batch N] [--sigmas 80,1.4,0.25,0.002] [--seed S]
                   [--bin] [--skip-diffusers] [--skip-pt]
"""
import argparse
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    # name: image_size, channels, model_channels, channel_mult, res_blocks, attention px, head channels,
    #       scale_shift, resblock_updown, classes
    "small-cond": dict(image_size=32, in_channels=3, model_channels=32, channel_mult=(1, 2), num_res_blocks=1,
                       attention=(16,), head_channels=16, scale_shift=True, updown=True, classes=10),
    "small-uncond": dict(image_size=32, in_channels=3, model_channels=32, channel_mult=(1, 1, 2), num_res_blocks=2,
                         attention=(8,), head_channels=32, scale_shift=False, updown=True, classes=0),
    "small-convresample": dict(image_size=32, in_channels=3, model_channels=32, channel_mult=(1, 2),
                               num_res_blocks=1, attention=(32, 16), head_channels=32, scale_shift=True,
                               updown=False, classes=5),
    # The published image sizes with few channels: the app's views at 64 and 256 px, in seconds.
    "tiny-imagenet64": dict(image_size=64, in_channels=3, model_channels=64, channel_mult=(1, 2, 2, 2),
                            num_res_blocks=1, attention=(16, 8), head_channels=64, scale_shift=True, updown=True,
                            classes=1000),
    "tiny-lsun256": dict(image_size=256, in_channels=3, model_channels=64, channel_mult=(1, 1, 1, 2, 2, 2),
                         num_res_blocks=1, attention=(16, 8), head_channels=64, scale_shift=False, updown=True,
                         classes=0),
    "imagenet64": dict(image_size=64, in_channels=3, model_channels=192, channel_mult=(1, 2, 3, 4), num_res_blocks=3,
                       attention=(32, 16, 8), head_channels=64, scale_shift=True, updown=True, classes=1000),
    "lsun256": dict(image_size=256, in_channels=3, model_channels=256, channel_mult=(1, 1, 2, 2, 4, 4),
                    num_res_blocks=2, attention=(32, 16, 8), head_channels=64, scale_shift=False, updown=True,
                    classes=0),
}


def norm(channels):
    return nn.GroupNorm(32, channels)


def norm32(layer, x):
    return layer(x.float()).type(x.dtype)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, scale_shift, up=False, down=False):
        super().__init__()
        self.in_layers = nn.Sequential(norm(cin), nn.SiLU(), nn.Conv2d(cin, cout, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb, 2 * cout if scale_shift else cout))
        self.out_layers = nn.Sequential(norm(cout), nn.SiLU(), nn.Dropout(0.0), nn.Conv2d(cout, cout, 3, padding=1))
        self.skip_connection = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)
        self.scale_shift, self.up, self.down = scale_shift, up, down

    def resample(self, x):
        if self.up:
            return F.interpolate(x, scale_factor=2, mode="nearest")
        if self.down:
            return F.avg_pool2d(x, kernel_size=2, stride=2)
        return x

    def forward(self, x, emb):
        h = F.silu(norm32(self.in_layers[0], x))
        h = self.in_layers[2](self.resample(h))
        x = self.resample(x)
        e = self.emb_layers(emb)[:, :, None, None]
        if self.scale_shift:
            scale, shift = e.chunk(2, dim=1)
            h = norm32(self.out_layers[0], h) * (1 + scale) + shift
        else:
            h = norm32(self.out_layers[0], h + e)
        h = self.out_layers[3](self.out_layers[2](F.silu(h)))
        return self.skip_connection(x) + h


class Attention(nn.Module):
    def __init__(self, channels, head_channels):
        super().__init__()
        self.heads = channels // head_channels
        self.norm = norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x, emb=None):
        b, c, hh, ww = x.shape
        d = c // self.heads
        qkv = self.qkv(norm32(self.norm, x)).reshape(b, 3, self.heads, d, hh * ww)  # (three, heads, dim)
        q, k, v = (qkv[:, i].reshape(b * self.heads, d, hh * ww) for i in range(3))
        scale = 1 / math.sqrt(math.sqrt(d))
        w = torch.softmax(torch.einsum("bct,bcs->bts", q * scale, k * scale), dim=-1)
        a = torch.einsum("bts,bcs->bct", w, v).reshape(b, c, hh, ww)
        return x + self.proj_out(a)


class Down(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x, emb=None):
        return self.op(x)


class Up(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x, emb=None):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class Seq(nn.Sequential):
    def forward(self, x, emb):
        for layer in self:
            x = layer(x, emb) if not isinstance(layer, nn.Conv2d) else layer(x)
        return x


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(0, half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class AdmUNet(nn.Module):
    def __init__(self, image_size, in_channels, model_channels, channel_mult, num_res_blocks, attention,
                 head_channels, scale_shift, updown, classes):
        super().__init__()
        c, emb = model_channels, 4 * model_channels
        self.model_channels = c
        self.time_embed = nn.Sequential(nn.Linear(c, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.classes = classes
        if classes:
            self.label_emb = nn.Embedding(classes, emb)
        ch = channel_mult[0] * c
        self.input_blocks = nn.ModuleList([Seq(nn.Conv2d(in_channels, ch, 3, padding=1))])
        skips, ds = [ch], 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers = [ResBlock(ch, mult * c, emb, scale_shift)]
                ch = mult * c
                if image_size // ds in attention:
                    layers.append(Attention(ch, head_channels))
                self.input_blocks.append(Seq(*layers))
                skips.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(Seq(ResBlock(ch, ch, emb, scale_shift, down=True) if updown else Down(ch)))
                skips.append(ch)
                ds *= 2
        self.middle_block = Seq(ResBlock(ch, ch, emb, scale_shift), Attention(ch, head_channels),
                                ResBlock(ch, ch, emb, scale_shift))
        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(num_res_blocks + 1):
                layers = [ResBlock(ch + skips.pop(), mult * c, emb, scale_shift)]
                ch = mult * c
                if image_size // ds in attention:
                    layers.append(Attention(ch, head_channels))
                if level and i == num_res_blocks:
                    layers.append(ResBlock(ch, ch, emb, scale_shift, up=True) if updown else Up(ch))
                    ds //= 2
                self.output_blocks.append(Seq(*layers))
        self.out = nn.Sequential(norm(ch), nn.SiLU(), nn.Conv2d(ch, in_channels, 3, padding=1))

    def forward(self, x, t, y=None):
        emb = self.time_embed(timestep_embedding(t, self.model_channels))
        if self.classes:
            emb = emb + self.label_emb(y)
        hs, h = [], x
        for block in self.input_blocks:
            h = block(h, emb)
            hs.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb)
        return self.out[2](F.silu(norm32(self.out[0], h)))


def randomise(model, generator):
    """Every parameter random: fan-in scaled weights, norms around 1, small random biases."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(fan_in))
            elif "in_layers.0" in name or "out_layers.0" in name or name.endswith("norm.weight") or name.startswith("out.0"):
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))


def precondition(model, x, sigma, labels, kind, sigma_min=0.002, sigma_data=0.5):
    s = torch.full((x.shape[0],), sigma, dtype=torch.float64)
    if kind == "consistency":
        c_skip = sigma_data**2 / ((s - sigma_min) ** 2 + sigma_data**2)
        c_out = (s - sigma_min) * sigma_data / (s**2 + sigma_data**2) ** 0.5
    else:
        c_skip = sigma_data**2 / (s**2 + sigma_data**2)
        c_out = s * sigma_data / (s**2 + sigma_data**2) ** 0.5
    c_in = 1 / (s**2 + sigma_data**2) ** 0.5
    t = 1000 * 0.25 * torch.log(s + 1e-44)
    view = lambda v: v.float()[:, None, None, None]
    raw = model(x * view(c_in), t.float(), labels)
    return view(c_skip) * x + view(c_out) * raw


def attention_at(cfg, level):
    return (cfg["image_size"] >> level) in cfg["attention"]


def to_diffusers(sd, cfg):
    """Renames a cm/unet.py state_dict to diffusers' UNet2DModel names, as diffusers'
    scripts/convert_consistency_to_diffusers.py does (q, k, v split out of qkv)."""
    out = {}

    def layer(src, dst):
        out[dst + ".weight"] = sd[src + ".weight"]
        out[dst + ".bias"] = sd[src + ".bias"]

    def resnet(src, dst):
        for a, b in (("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("emb_layers.1", "time_emb_proj"),
                     ("out_layers.0", "norm2"), ("out_layers.3", "conv2")):
            layer(f"{src}.{a}", f"{dst}.{b}")
        if f"{src}.skip_connection.weight" in sd:
            layer(f"{src}.skip_connection", f"{dst}.conv_shortcut")

    def attention(src, dst):
        layer(f"{src}.norm", f"{dst}.group_norm")
        w = sd[f"{src}.qkv.weight"].chunk(3, dim=0)
        b = sd[f"{src}.qkv.bias"].chunk(3, dim=0)
        for i, name in enumerate(("to_q", "to_k", "to_v")):
            out[f"{dst}.{name}.weight"] = w[i].squeeze(-1).squeeze(-1).contiguous()
            out[f"{dst}.{name}.bias"] = b[i].contiguous()
        out[f"{dst}.to_out.0.weight"] = sd[f"{src}.proj_out.weight"].squeeze(-1).squeeze(-1).contiguous()
        out[f"{dst}.to_out.0.bias"] = sd[f"{src}.proj_out.bias"]

    layer("time_embed.0", "time_embedding.linear_1")
    layer("time_embed.2", "time_embedding.linear_2")
    if cfg["classes"]:
        out["class_embedding.weight"] = sd["label_emb.weight"]
    layer("input_blocks.0.0", "conv_in")
    levels, r = len(cfg["channel_mult"]), cfg["num_res_blocks"]
    k = 1
    for i in range(levels):
        for j in range(r):
            resnet(f"input_blocks.{k}.0", f"down_blocks.{i}.resnets.{j}")
            if attention_at(cfg, i):
                attention(f"input_blocks.{k}.1", f"down_blocks.{i}.attentions.{j}")
            k += 1
        if i != levels - 1:
            if cfg["updown"]:
                resnet(f"input_blocks.{k}.0", f"down_blocks.{i}.downsamplers.0")
            else:
                layer(f"input_blocks.{k}.0.op", f"down_blocks.{i}.downsamplers.0.conv")
            k += 1
    resnet("middle_block.0", "mid_block.resnets.0")
    attention("middle_block.1", "mid_block.attentions.0")
    resnet("middle_block.2", "mid_block.resnets.1")
    k = 0
    for i in range(levels):
        level = levels - 1 - i
        for j in range(r + 1):
            resnet(f"output_blocks.{k}.0", f"up_blocks.{i}.resnets.{j}")
            if attention_at(cfg, level):
                attention(f"output_blocks.{k}.1", f"up_blocks.{i}.attentions.{j}")
            k += 1
        if level:
            sub = 2 if attention_at(cfg, level) else 1
            if cfg["updown"]:
                resnet(f"output_blocks.{k - 1}.{sub}", f"up_blocks.{i}.upsamplers.0")
            else:
                layer(f"output_blocks.{k - 1}.{sub}.conv", f"up_blocks.{i}.upsamplers.0.conv")
    layer("out.0", "conv_norm_out")
    layer("out.2", "conv_out")
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_diffusers(folder, sd, cfg, use_bin, steps):
    os.makedirs(os.path.join(folder, "unet"), exist_ok=True)
    os.makedirs(os.path.join(folder, "scheduler"), exist_ok=True)
    levels = len(cfg["channel_mult"])
    down = ["AttnDownBlock2D" if attention_at(cfg, i) else "ResnetDownsampleBlock2D" for i in range(levels)]
    up = ["AttnUpBlock2D" if attention_at(cfg, levels - 1 - i) else "ResnetUpsampleBlock2D" for i in range(levels)]
    config = {
        "_class_name": "UNet2DModel", "_diffusers_version": "0.17.0", "sample_size": cfg["image_size"],
        "in_channels": cfg["in_channels"], "out_channels": cfg["in_channels"], "layers_per_block": cfg["num_res_blocks"],
        "num_class_embeds": cfg["classes"] or None,
        "block_out_channels": [cfg["model_channels"] * m for m in cfg["channel_mult"]],
        "attention_head_dim": cfg["head_channels"], "down_block_types": down, "up_block_types": up,
        "resnet_time_scale_shift": "scale_shift" if cfg["scale_shift"] else "default",
        "attn_norm_num_groups": 32, "norm_num_groups": 32,
        "upsample_type": "resnet" if cfg["updown"] else "conv", "downsample_type": "resnet" if cfg["updown"] else "conv",
    }
    with open(os.path.join(folder, "unet", "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, "scheduler", "scheduler_config.json"), "w") as f:
        json.dump({"_class_name": "CMStochasticIterativeScheduler", "num_train_timesteps": steps, "sigma_min": 0.002,
                   "sigma_max": 80.0, "sigma_data": 0.5, "rho": 7.0}, f, indent=2)
    with open(os.path.join(folder, "model_index.json"), "w") as f:
        json.dump({"_class_name": "ConsistencyModelPipeline", "scheduler": ["diffusers", "CMStochasticIterativeScheduler"],
                   "unet": ["diffusers", "UNet2DModel"]}, f, indent=2)
    renamed = to_diffusers(sd, cfg)
    if use_bin:
        torch.save(renamed, os.path.join(folder, "unet", "diffusion_pytorch_model.bin"))
    else:
        write_safetensors(os.path.join(folder, "unet", "diffusion_pytorch_model.safetensors"), renamed)


def bench(args, cfg):
    """One-step sampling time per image and peak memory, the plain-PyTorch side of bench_published."""
    import resource
    import time

    start = time.perf_counter()
    model = AdmUNet(**cfg).eval()
    model.load_state_dict(torch.load(args.bench, map_location="cpu"))
    if args.bf16:  # PyTorch's best bfloat16 settings: channels-last weights, autocast (GroupNorm is float32 already)
        model = model.to(memory_format=torch.channels_last)
    load_s = time.perf_counter() - start
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
    from flop_count import count_flops
    x1 = torch.zeros((1, cfg["in_channels"], cfg["image_size"], cfg["image_size"]))
    flops = count_flops(model, x1, torch.zeros(1), torch.zeros(1, dtype=torch.long) if cfg["classes"] else None)
    name = os.path.splitext(os.path.basename(args.bench))[0]
    for batch in (int(b) for b in args.batches.split(",")):
        times = []
        for run in range(args.runs):
            g = torch.Generator().manual_seed(run * 1000)
            x = torch.randn((batch, cfg["in_channels"], cfg["image_size"], cfg["image_size"]), generator=g) * 80.0
            labels = torch.randint(0, cfg["classes"], (batch,), generator=g) if cfg["classes"] else None
            start = time.perf_counter()
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                x_in = x.contiguous(memory_format=torch.channels_last) if args.bf16 else x
                precondition(model, x_in, 80.0, labels, "consistency").float().clamp(-1, 1)
            times.append((time.perf_counter() - start) / batch)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"python {name} batch={batch} median_s_per_image={float(np.median(times)):.3f} "
              f"min_s_per_image={min(times):.3f} runs={args.runs} load_s={load_s:.1f} peak_rss_mib={peak:.0f} "
              f"threads={torch.get_num_threads()} precision={'bf16' if args.bf16 else 'fp32'} "
              f"gflop_per_image={flops / 1e9:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--config", default="small-cond", choices=sorted(CONFIGS))
    parser.add_argument("--kind", default="consistency", choices=["consistency", "edm"])
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--sigmas", default="80,1.4,0.25,0.002")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="", help="file name stem of the .pt (default: the config name)")
    parser.add_argument("--bin", action="store_true", help="diffusers weights as .bin instead of .safetensors")
    parser.add_argument("--skip-diffusers", action="store_true")
    parser.add_argument("--skip-pt", action="store_true")
    parser.add_argument("--bench", metavar="PT", help="time one-step sampling of this .pt instead (bench/)")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bf16", action="store_true", help="--bench with channels-last and CPU autocast to bfloat16")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = CONFIGS[args.config]
    if args.bench:
        return bench(args, cfg)
    os.makedirs(args.out, exist_ok=True)
    g = torch.Generator().manual_seed(args.seed)
    model = AdmUNet(**cfg).eval()
    randomise(model, g)
    sd = model.state_dict()  # an OrderedDict with _metadata, exactly what torch.save(model.state_dict()) writes
    stem = args.name or args.config
    if not args.skip_pt:
        torch.save(sd, os.path.join(args.out, stem + ".pt"))
    if not args.skip_diffusers:
        write_diffusers(os.path.join(args.out, stem + "-diffusers"), sd, cfg, args.bin, 40)
    x = torch.randn((args.batch, cfg["in_channels"], cfg["image_size"], cfg["image_size"]), generator=g)
    labels = None
    if cfg["classes"]:
        labels = torch.tensor([(7 + 101 * j) % cfg["classes"] for j in range(args.batch)])
    np.save(os.path.join(args.out, "input.npy"), x.numpy().astype(np.float32))
    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write(",".join(str(int(v)) for v in labels) if labels is not None else "")
    with torch.no_grad():
        for i, sigma in enumerate(float(s) for s in args.sigmas.split(",")):
            y = precondition(model, x, sigma, labels, args.kind)
            np.save(os.path.join(args.out, f"output{i}.npy"), y.numpy().astype(np.float32))
    with open(os.path.join(args.out, "sigmas.txt"), "w") as f:
        f.write(args.sigmas)
    print(f"adm_twin: {args.config}, {sum(p.numel() for p in model.parameters())} parameters, written to {args.out}")


if __name__ == "__main__":
    main()
