#!/usr/bin/env python3
"""Writes the torch.save fixtures of tests/test_torch_file.cpp and the seed corpus of
fuzz/fuzz_torch_file.cpp. Needs Debian's python3-torch:

    /usr/bin/python3 tests/data/torch_files/make_fixtures.py

Values are arange-based so the test can recompute every one; conv_net.pt has seeded random weights and
conv_net.sha256.json the SHA-256 of each tensor's contiguous little-endian bytes, computed here.
"""
import collections
import hashlib
import io
import json
import os
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "..", "fuzz", "corpus", "torch_file")


class TinyModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3)
        self.norm = torch.nn.GroupNorm(2, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.fc = torch.nn.Linear(4, 2)


class ConvNet(torch.nn.Module):
    """A realistic small image network: convolutions, GroupNorm, SiLU and a Linear head."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.norm1 = torch.nn.GroupNorm(4, 8)
        self.down = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.norm2 = torch.nn.GroupNorm(4, 16)
        self.head = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = torch.nn.functional.silu(self.norm1(self.stem(x)))
        x = torch.nn.functional.silu(self.norm2(self.down(x)))
        return self.head(x.mean(dim=(2, 3)))


def save(obj, name, **kwargs):
    torch.save(obj, os.path.join(HERE, name), **kwargs)


def tiny_module():
    # Tensor k of the state dict holds arange(numel) * 0.25 - k in its shape; num_batches_tracked = 7.
    sd = TinyModule().state_dict()
    with torch.no_grad():
        for k, (name, t) in enumerate(sd.items()):
            if t.is_floating_point():
                t.copy_((torch.arange(t.numel(), dtype=torch.float32) * 0.25 - k).reshape(t.shape))
            else:
                t.fill_(7)
    save(sd, "tiny_module.pt")


def dtypes():
    save({
        "half": (torch.arange(6, dtype=torch.float32) * 0.5 - 1).reshape(2, 3).half(),
        "bfloat16": (torch.arange(5, dtype=torch.float32) * 0.25).bfloat16(),
        "double": torch.arange(3, dtype=torch.float64) / 8,
        "int32": torch.arange(4, dtype=torch.int32) - 2,
        "int64": torch.arange(3, dtype=torch.int64) * 1000000000000,
        "uint8": torch.arange(250, 256, dtype=torch.uint8),
    }, "dtypes.pt")


def views():
    # All but "expanded" view one storage: arange(12).
    base = torch.arange(12, dtype=torch.float32)
    save({
        "transposed": base.view(3, 4).t(),
        "head": base[0:5],
        "tail": base[5:12],
        "every_other": base[::2],
        "column": base.view(3, 4)[:, 1],
        "block": base.view(3, 4)[1:, 1:3],
        "expanded": torch.arange(3, dtype=torch.float32).view(3, 1).expand(3, 4),
    }, "views.pt")


def nested():
    # Protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL; a Parameter uses _rebuild_parameter.
    save({
        "epoch": 3,
        "state_dict": collections.OrderedDict([
            ("layer.weight", torch.arange(6, dtype=torch.float32).view(2, 3)),
            ("layer.bias", torch.tensor([-1.0, 1.0])),
        ]),
        "name": "run",
        "lr": 0.1,
        "flags": None,
        "ema": {"w": torch.nn.Parameter(torch.full((2,), 0.5))},
        "history": [1, 2],
    }, "nested.pt", pickle_protocol=4)


def scalar_empty():
    save({
        "scalar": torch.tensor(2.5),
        "long_scalar": torch.tensor(-9),
        "empty": torch.zeros(0, 3),
    }, "scalar_empty.pt")


def conv_net():
    torch.manual_seed(0)
    sd = ConvNet().state_dict()
    save(sd, "conv_net.pt")
    expected = []
    for name, t in sd.items():
        data = t.contiguous().numpy().tobytes()  # little-endian on the machines we support
        expected.append({"name": name, "dtype": str(t.dtype), "shape": list(t.shape),
                         "sha256": hashlib.sha256(data).hexdigest()})
    with open(os.path.join(HERE, "conv_net.sha256.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(entry) for entry in expected) + "\n]\n")


def stored_zip(pickle_bytes, storages=None, byteorder=None):
    """A torch.save-like archive around a hand-written pickle (fixed timestamps: reproducible bytes)."""
    entries = [("archive/byteorder", byteorder)] if byteorder else []
    entries.append(("archive/data.pkl", pickle_bytes))
    entries += [("archive/data/" + key, data) for key, data in (storages or {}).items()]
    entries.append(("archive/version", b"3\n"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def tensor_pickle(storage_type=b"FloatStorage", numel=4, offset=0, size=(4,), stride=(1,)):
    def ints(values):
        return b"(" + b"".join(b"J" + v.to_bytes(4, "little", signed=True) for v in values) + b"t"

    return (b"\x80\x02}(X\x01\x00\x00\x00w"
            b"ctorch._utils\n_rebuild_tensor_v2\n("
            b"(X\x07\x00\x00\x00storagectorch\n" + storage_type + b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
            b"J" + numel.to_bytes(4, "little", signed=True) + b"tQ"
            b"J" + offset.to_bytes(4, "little", signed=True) + ints(size) + ints(stride) +
            b"\x89ccollections\nOrderedDict\n)RtRu.")


def corpus():
    os.makedirs(CORPUS, exist_ok=True)
    for name in ["tiny_module.pt", "dtypes.pt", "views.pt", "nested.pt", "scalar_empty.pt"]:
        with open(os.path.join(HERE, name), "rb") as f, open(os.path.join(CORPUS, name), "wb") as g:
            g.write(f.read())
    floats = bytes(range(16))
    seeds = {
        "hand_tensor.pt": stored_zip(tensor_pickle(), {"0": floats}),
        "hand_strided.pt": stored_zip(tensor_pickle(size=(2, 2), stride=(1, 2)), {"0": floats}),
        "hand_short_storage.pt": stored_zip(tensor_pickle(numel=8), {"0": floats}),
        "hand_half.pt": stored_zip(tensor_pickle(b"HalfStorage", 8, 0, (2, 4), (4, 1)), {"0": floats}),
        "hand_os_system.pt": stored_zip(b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00idtR."),
        "hand_stack_global.pt": stored_zip(b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93."),
        "hand_nested_lists.pt": stored_zip(b"\x80\x02}X\x01\x00\x00\x00k" + b"]" * 50 + b"a" * 49 + b"s."),
        "hand_memo.pt": stored_zip(b"\x80\x02}q\x00X\x01\x00\x00\x00kh\x00s."),
        "hand_little_endian.pt": stored_zip(tensor_pickle(), {"0": floats}, b"little"),
        "hand_big_endian.pt": stored_zip(tensor_pickle(), {"0": floats}, b"big"),
    }
    for name, data in seeds.items():
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    tiny_module()
    dtypes()
    views()
    nested()
    scalar_empty()
    conv_net()
    corpus()
