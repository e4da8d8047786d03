"""Floating-point operations of one network evaluation, counted from the layers the forward actually runs
(forward hooks): 2 per multiply-add of every convolution and linear layer, and of the two matrix products
of every attention block (queries x keys, weights x values: 4 C L^2 per image for L pixels). Normalisation,
activations and additions are left out (a few percent), so GFLOP/s figures are of the matrix work."""

import torch
import torch.nn as nn


def count_flops(model, *inputs):
    total = [0]

    def conv(module, args, out):
        kernel = module.kernel_size[0] * module.kernel_size[1]
        total[0] += 2 * out.numel() * (module.in_channels // module.groups) * kernel

    def linear(module, args, out):
        total[0] += 2 * out.numel() * module.in_features

    def attention(module, args, out):
        n, c, h, w = args[0].shape
        total[0] += 4 * n * c * (h * w) ** 2

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear))
        elif "Attention" in type(module).__name__:
            hooks.append(module.register_forward_hook(attention))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return total[0]
