"""Backbone factory and the two-branch wrappers (Siamese and pseudo-Siamese).

Every backbone maps ``(N, C, H, W)`` images to ``(N, D)`` L2-normalised embeddings, so any
of them can stand in for :class:`training.common.model.SignatureEmbedder` in training, evaluation
and export (their forward takes one tensor and uses only ONNX-exportable operators).

* ``compact``: :class:`training.common.model.SignatureEmbedder` (the shipped model's architecture).
* ``koch``: the convolutional net of Koch, Zemel and Salakhutdinov (2015): 64@10x10, max-pool,
  128@7x7, max-pool, 128@4x4, max-pool, 256@4x4, fully connected. The flatten size is
  computed from the input shape. Unlike the paper it has BatchNorm after each convolution and
  its last layer is a linear projection to ``D`` followed by L2 normalisation instead of a
  4096-unit sigmoid layer (the pair head lives in the ``koch`` loss).
* ``resnet``: a small ResNet: a stride-2 stem, max-pool, four stages of two basic blocks
  (channels w, 2w, 4w, 8w; stride 2 from the second stage), global average pool, linear.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from training.common.model import SignatureEmbedder

log = logging.getLogger(__name__)

BACKBONES = ("compact", "koch", "resnet")
DEFAULT_WIDTH = {"compact": 24, "koch": 64, "resnet": 16}


class KochEmbedder(nn.Module):
    """Koch et al. (2015) Siamese conv net as an embedder (see the module docstring).

    ``width`` scales the channel counts (64 gives the paper's 64-128-128-256). The input must
    be at least 65x65 pixels (the valid convolutions and three poolings need it).
    """

    MIN_SIZE = 65

    def __init__(self, embedding_size: int = 128, width: int = 64,
                 in_shape: tuple[int, int, int] = (1, 105, 105)) -> None:
        super().__init__()
        cin, h, w = in_shape
        if min(h, w) < self.MIN_SIZE:
            raise ValueError(f"the koch backbone needs inputs of at least {self.MIN_SIZE}x"
                             f"{self.MIN_SIZE} pixels, got {h}x{w}")
        c1, c2, c3, c4 = width, 2 * width, 2 * width, 4 * width

        def conv(a: int, b: int, k: int) -> list[nn.Module]:
            return [nn.Conv2d(a, b, k, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *conv(cin, c1, 10), nn.MaxPool2d(2),
            *conv(c1, c2, 7), nn.MaxPool2d(2),
            *conv(c2, c3, 4), nn.MaxPool2d(2),
            *conv(c3, c4, 4),
            nn.Flatten(),
        )
        with torch.no_grad():  # flatten size for this input shape
            flat = self.features.eval()(torch.zeros(1, cin, h, w)).shape[1]
        self.features.train()
        self.head = nn.Linear(flat, embedding_size)
        self.embedding_size = embedding_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, D) unit-length embeddings."""
        return F.normalize(self.head(self.features(x)), dim=1)


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convolutions with a (projected) identity shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual block output."""
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNetEmbedder(nn.Module):
    """A small ResNet (ResNet-18 layout at a quarter width by default) as an embedder."""

    def __init__(self, embedding_size: int = 128, width: int = 16, in_channels: int = 1,
                 blocks: tuple[int, ...] = (2, 2, 2, 2)) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        layers: list[nn.Module] = []
        cin = width
        for stage, n in enumerate(blocks):
            cout = width * 2 ** stage
            for b in range(n):
                layers.append(BasicBlock(cin, cout, stride=2 if stage and not b else 1))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(cin, embedding_size))
        self.embedding_size = embedding_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, D) unit-length embeddings."""
        return F.normalize(self.head(self.stages(self.stem(x))), dim=1)


@dataclass
class LoadReport:
    """What :func:`load_pretrained` restored and what it left alone."""

    path: str
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the model, not in the file
    unexpected: list[str] = field(default_factory=list)  # in the file, not in the model
    mismatched: list[str] = field(default_factory=list)  # same name, different shape


def _state_dict_of(obj: object) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]  # one of our checkpoints (best.pt / last.pt)
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError("expected a state_dict or a checkpoint with a 'model' state_dict")
    # DistributedDataParallel / DataParallel prefixes
    return {k.removeprefix("module."): v for k, v in obj.items()}


def load_pretrained(model: nn.Module, path: str | Path) -> LoadReport:
    """Load weights from a local file (a state_dict or one of our checkpoints) non-strictly.

    Tensors whose name and shape match are copied; the rest are reported (and logged), never
    an error. Nothing is ever downloaded.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pretrained weights not found: {path}")
    state = _state_dict_of(torch.load(path, map_location="cpu", weights_only=False))
    own = model.state_dict()
    report = LoadReport(str(path))
    usable = {}
    for k, v in state.items():
        if k not in own:
            report.unexpected.append(k)
        elif own[k].shape != v.shape:
            report.mismatched.append(k)
        else:
            usable[k] = v
    result = model.load_state_dict(usable, strict=False)
    report.missing = [k for k in result.missing_keys if k not in report.mismatched]
    report.loaded = sorted(usable)
    log.info("pretrained %s: %d tensors loaded, missing %s, unexpected %s, shape mismatch %s",
             path, len(report.loaded), report.missing, report.unexpected, report.mismatched)
    return report


def build_backbone(
    name: str, embedding_size: int, in_shape: tuple[int, int, int],
    width: int | None = None, pretrained: str | Path | None = None,
) -> nn.Module:
    """Make an embedder ``(N, *in_shape) -> (N, embedding_size)`` with unit-norm rows.

    ``name`` is one of :data:`BACKBONES`; ``in_shape`` is ``(channels, height, width)``;
    ``width`` the base channel count (None: the backbone's default, see ``DEFAULT_WIDTH``);
    ``pretrained`` a local state_dict or checkpoint file loaded with
    :func:`load_pretrained` (its report is kept as ``model.pretrained_report``).
    """
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")
    width = DEFAULT_WIDTH[name] if width is None else width
    channels = in_shape[0]
    model: nn.Module
    if name == "compact":
        model = SignatureEmbedder(embedding_size, width, in_channels=channels)
    elif name == "koch":
        model = KochEmbedder(embedding_size, width, tuple(in_shape))
    else:
        model = ResNetEmbedder(embedding_size, width, in_channels=channels)
    if pretrained is not None:
        model.pretrained_report = load_pretrained(model, pretrained)
    return model


class Siamese(nn.Module):
    """One branch applied to both inputs: the weights are shared by construction."""

    def __init__(self, branch: nn.Module) -> None:
        super().__init__()
        self.branch = branch

    def forward(self, xa: torch.Tensor, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(branch(xa), branch(xb))``."""
        return self.branch(xa), self.branch(xb)


class PseudoSiamese(nn.Module):
    """Two branches with no shared weights, e.g. cheque scans (a) vs signature cards (b).

    The branches may be different backbones and take different input shapes, but must give
    embeddings of the same size, compared with the same distance.
    """

    def __init__(self, branch_a: nn.Module, branch_b: nn.Module) -> None:
        super().__init__()
        shared = {p.data_ptr() for p in branch_a.parameters()} & {
            p.data_ptr() for p in branch_b.parameters()}
        if shared:
            raise ValueError("the two branches share parameters: use Siamese(branch) for shared "
                             "weights, or give PseudoSiamese two separate modules")
        self.branch_a = branch_a
        self.branch_b = branch_b

    @classmethod
    def from_names(
        cls, name_a: str, name_b: str, embedding_size: int, in_shape_a: tuple[int, int, int],
        in_shape_b: tuple[int, int, int] | None = None, width: int | None = None,
    ) -> PseudoSiamese:
        """Two independently initialised backbones from :func:`build_backbone`."""
        return cls(build_backbone(name_a, embedding_size, in_shape_a, width),
                   build_backbone(name_b, embedding_size, in_shape_b or in_shape_a, width))

    def forward(self, xa: torch.Tensor, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(branch_a(xa), branch_b(xb))``."""
        return self.branch_a(xa), self.branch_b(xb)
