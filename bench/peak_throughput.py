#!/usr/bin/python3
"""This machine's measured peak: GFLOP/s of large matrix products and 3x3 convolutions in float32 and in
bfloat16 (channels-last, the layout oneDNN runs on AMX), with the threads and OpenMP policy the other
benches use. The best figure of each precision is the "peak" the speed bench divides by.

Prints one line per measurement and two summary lines:
  peak fp32 gflops=...   peak bf16 gflops=...
"""

import argparse
import time

import torch
import torch.nn.functional as F


def best_seconds(run, repeats):
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cl = torch.channels_last
    peak = {"fp32": 0.0, "bf16": 0.0}
    with torch.inference_mode():
        for n in (1024, 2048):
            for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
                a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
                gflops = 2 * n ** 3 / best_seconds(lambda: torch.mm(a, b), args.repeats) / 1e9
                peak[name] = max(peak[name], gflops)
                print(f"matmul {n}x{n} {name} gflops={gflops:.0f}", flush=True)
        for batch, channels, size in ((64, 64, 28), (4, 192, 64), (4, 384, 32)):
            x = torch.randn(batch, channels, size, size)
            w = torch.randn(channels, channels, 3, 3)
            flops = 2 * batch * channels * channels * 9 * size * size
            for name, dtype, layout in (("fp32", torch.float32, torch.contiguous_format),
                                        ("fp32", torch.float32, cl), ("bf16", torch.bfloat16, cl)):
                xx, ww = x.to(dtype).contiguous(memory_format=layout), w.to(dtype).contiguous(memory_format=layout)
                gflops = flops / best_seconds(lambda: F.conv2d(xx, ww, padding=1), args.repeats) / 1e9
                peak[name] = max(peak[name], gflops)
                layout_name = "channels-last" if layout is cl else "nchw"
                print(f"conv3x3 {channels}ch {size}x{size} batch={batch} {name} {layout_name} gflops={gflops:.0f}",
                      flush=True)
    for name in ("fp32", "bf16"):
        print(f"peak {name} gflops={peak[name]:.0f} threads={torch.get_num_threads()}", flush=True)


if __name__ == "__main__":
    main()
