#!/usr/bin/env python3
"""Writes chosen Fashion-MNIST images (IDX, as Debian's dataset-fashion-mnist ships them) as 8-bit PNGs.
usage: fashion_mnist_png.py SPLIT INDEX[,INDEX...] OUT_DIR   (SPLIT: train or test; files OUT_DIR/SPLIT-INDEX.png)"""
import gzip, struct, sys, zlib

DATA = "/usr/share/datasets/fashion-mnist"


def png_grey(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    split, indices, out = sys.argv[1], [int(i) for i in sys.argv[2].split(",")], sys.argv[3]
    prefix = "t10k" if split == "test" else "train"
    with gzip.open(f"{DATA}/{prefix}-images-idx3-ubyte.gz", "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            sys.exit(f"{prefix}-images-idx3-ubyte.gz: not an IDX image file")
        pixels = f.read()
    for i in indices:
        if not 0 <= i < count:
            sys.exit(f"index {i} outside 0..{count - 1}")
        image = pixels[i * rows * cols:(i + 1) * rows * cols]
        with open(f"{out}/{split}-{i}.png", "wb") as f:
            f.write(png_grey(cols, rows, [image[r * cols:(r + 1) * cols] for r in range(rows)]))


if __name__ == "__main__":
    main()
