"""The PyTorch twin of LiTSKit's UNet3D (Sources/LiTSNet/UNet3D.swift): same layers, same order,
same parameter names, so a LiTSKit checkpoint (safetensors + config JSON) loads with
`load_state_dict(strict=True)` and gives the same outputs.

    from unet_torch import UNet3D, load_checkpoint
    model = load_checkpoint("runs/NAME/best.safetensors")      # reads best.json beside it
"""
import json
import pathlib

import torch
from torch import nn


class ConvBlock(nn.Module):
    """conv-BN-(dropout)-ReLU twice; optional residual 1x1x1 path added before the last ReLU."""

    def __init__(self, cin, cout, dropout=0.0, residual=False):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, padding=1)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1)
        self.bn2 = nn.BatchNorm3d(cout)
        self.drop1 = nn.Dropout3d(dropout) if dropout > 0 else nn.Identity()
        self.drop2 = nn.Dropout3d(dropout) if dropout > 0 else nn.Identity()
        self.res = nn.Conv3d(cin, cout, 1) if residual else None

    def forward(self, x):
        h = torch.relu(self.drop1(self.bn1(self.conv1(x))))
        h = self.drop2(self.bn2(self.conv2(h)))
        if self.res is not None:
            h = h + self.res(x)
        return torch.relu(h)


class UNet3D(nn.Module):
    def __init__(self, in_channels=1, out_channels=2, filters=(16, 32, 64, 128), dropout=0.0, residual=False):
        super().__init__()
        f = list(filters)
        levels = len(f) - 1
        self.enc = nn.ModuleList([ConvBlock(in_channels if i == 0 else f[i - 1], f[i], dropout, residual) for i in range(levels)])
        self.bottleneck = ConvBlock(f[levels - 1], f[levels], dropout, residual)
        self.up = nn.ModuleList([nn.ConvTranspose3d(f[i + 1], f[i], 2, stride=2) for i in range(levels)])
        self.dec = nn.ModuleList([ConvBlock(2 * f[i], f[i], dropout, residual) for i in range(levels)])
        self.head = nn.Conv3d(f[0], out_channels, 1)

    def forward(self, x):
        skips = []
        for block in self.enc:
            x = block(x)
            skips.append(x)
            x = nn.functional.max_pool3d(x, 2)
        x = self.bottleneck(x)
        for i in reversed(range(len(self.dec))):
            x = self.dec[i](torch.cat([self.up[i](x), skips[i]], dim=1))
        return torch.sigmoid(self.head(x))


def from_config(config):
    return UNet3D(config["inChannels"], config["outChannels"], config["filters"], config.get("dropout", 0.0), config.get("residual", False))


def load_checkpoint(path):
    """A LiTSKit checkpoint: NAME.safetensors with its model config in NAME.json beside it."""
    from safetensors.torch import load_file

    path = pathlib.Path(path)
    config = json.loads(path.with_suffix(".json").read_text())
    model = from_config(config.get("model", config))
    model.load_state_dict(load_file(str(path)), strict=True)
    return model
