"""Backbone factory, pretrained loading, Siamese / pseudo-Siamese wrappers, checkpoints."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from training.common.backbones import (
    BACKBONES,
    PseudoSiamese,
    Siamese,
    build_backbone,
    load_pretrained,
)
from training.signature.train import TrainConfig, build_model, load_loss, load_model

WIDTH = {"compact": 4, "koch": 4, "resnet": 4}


@pytest.mark.parametrize("name", BACKBONES)
@pytest.mark.parametrize("shape", [(1, 72, 96), (1, 128, 192)])
def test_shape_and_unit_norm(name: str, shape: tuple[int, int, int]) -> None:
    torch.manual_seed(0)
    model = build_backbone(name, 16, shape, width=WIDTH[name]).eval()
    with torch.no_grad():
        out = model(torch.rand(3, *shape))
    assert out.shape == (3, 16)
    assert torch.allclose(out.norm(dim=1), torch.ones(3), atol=1e-5)


def test_unknown_and_too_small() -> None:
    with pytest.raises(ValueError):
        build_backbone("vgg", 16, (1, 64, 64))
    with pytest.raises(ValueError, match="at least"):
        build_backbone("koch", 16, (1, 28, 28))


def _storages(module: torch.nn.Module) -> set[int]:
    return {p.untyped_storage().data_ptr() for p in module.parameters()}


def test_pseudo_siamese_shares_nothing_siamese_shares_all() -> None:
    a = build_backbone("compact", 16, (1, 72, 96), width=4)
    b = build_backbone("resnet", 16, (1, 72, 96), width=4)
    pseudo = PseudoSiamese(a, b)
    assert not _storages(pseudo.branch_a) & _storages(pseudo.branch_b)
    xa, xb = torch.rand(2, 1, 72, 96), torch.rand(2, 1, 72, 96)
    ea, eb = pseudo.eval()(xa, xb)
    assert ea.shape == eb.shape == (2, 16)
    # the same architecture twice: still separate tensors
    twin = PseudoSiamese.from_names("compact", "compact", 16, (1, 72, 96), width=4)
    assert not _storages(twin.branch_a) & _storages(twin.branch_b)
    with pytest.raises(ValueError, match="share"):
        PseudoSiamese(a, a)
    siamese = Siamese(a).eval()
    ya, yb = siamese(xa, xa)
    assert torch.equal(ya, yb) and len(list(siamese.parameters())) == len(list(a.parameters()))


def test_pretrained_restores_weights(tmp_path: Path) -> None:
    torch.manual_seed(0)
    source = build_backbone("resnet", 16, (1, 72, 96), width=4)
    torch.save(source.state_dict(), tmp_path / "state.pt")
    torch.save({"model": source.state_dict(), "config": {}}, tmp_path / "ckpt.pt")
    x = torch.rand(2, 1, 72, 96)
    for file in ("state.pt", "ckpt.pt"):
        torch.manual_seed(1)
        model = build_backbone("resnet", 16, (1, 72, 96), width=4, pretrained=tmp_path / file)
        assert not model.pretrained_report.missing and not model.pretrained_report.unexpected
        with torch.no_grad():
            assert torch.equal(model.eval()(x), source.eval()(x))
    # another embedding size: the head is reported, the rest restored
    other = build_backbone("resnet", 8, (1, 72, 96), width=4)
    report = load_pretrained(other, tmp_path / "state.pt")
    assert report.mismatched == ["head.2.bias", "head.2.weight"] or set(report.mismatched) == {
        "head.2.weight", "head.2.bias"}
    assert torch.equal(other.stem[0].weight, source.stem[0].weight)
    with pytest.raises(FileNotFoundError):
        build_backbone("resnet", 8, (1, 72, 96), pretrained=tmp_path / "none.pt")


def test_checkpoint_records_backbone_and_loss_head(tmp_path: Path) -> None:
    cfg = TrainConfig(backbone="resnet", width=4, embedding_size=16, loss="koch")
    model = build_model(cfg)
    from training.signature.train import build_config_loss

    loss_fn = build_config_loss(cfg)
    with torch.no_grad():
        loss_fn.loss.head.weight.fill_(0.25)
    torch.save({"model": model.state_dict(), "loss": loss_fn.state_dict(),
                "config": asdict(cfg), "epoch": 0}, tmp_path / "best.pt")
    loaded, cfg2 = load_model(tmp_path / "best.pt")
    assert cfg2.backbone == "resnet" and type(loaded).__name__ == "ResNetEmbedder"
    head = load_loss(tmp_path / "best.pt").loss.head
    assert torch.all(head.weight == 0.25)


OLD_CONFIG_KEYS = ("loss", "margin", "epochs", "batches_per_epoch", "writers_per_batch",
                   "genuine_per_writer", "forged_per_writer", "lr", "weight_decay",
                   "embedding_size", "width", "seed", "threads", "preprocessing")


def test_checkpoint_from_before_backbones_still_loads(tiny_run: Path, tmp_path: Path) -> None:
    """Checkpoints written before the backbone factory (like the shipped model's) have no
    backbone, loss state or new options: they load as the compact network, same outputs."""
    ckpt = torch.load(tiny_run / "best.pt", map_location="cpu", weights_only=False)
    old = {**ckpt, "config": {k: ckpt["config"][k] for k in OLD_CONFIG_KEYS}}
    old["config"]["loss"], old["config"]["width"] = "triplet", 8
    old.pop("loss", None)
    torch.save(old, tmp_path / "old.pt")
    model, cfg = load_model(tmp_path / "old.pt")
    new_model, _ = load_model(tiny_run / "best.pt")
    assert cfg.backbone == "compact" and type(model).__name__ == "SignatureEmbedder"
    x = torch.rand(2, *cfg.prep.input_shape)
    with torch.no_grad():
        assert torch.equal(model(x), new_model(x))
    assert load_loss(tmp_path / "old.pt").loss is not None


def test_writer_head_adds_a_classification_loss_over_genuine_writers(tmp_path: Path) -> None:
    """The SigNet-F-style head: one proxy per training writer, forgeries left out; it is
    saved with the checkpoint and rebuilt by load_loss."""
    from training.common.losses import WithWriterHead
    from training.common.torch_utils import FORGERY_LABEL_BASE
    from training.signature.train import build_config_loss

    with pytest.raises(ValueError, match="writer_classes"):
        build_config_loss(TrainConfig(loss="multisimilarity", writer_head=0.1))
    cfg = TrainConfig(loss="multisimilarity", embedding_size=16, writer_head=0.5,
                      writer_classes=3)
    loss_fn = build_config_loss(cfg)
    assert isinstance(loss_fn, WithWriterHead) and loss_fn.head.W.shape == (16, 3)
    torch.manual_seed(0)
    emb = torch.nn.functional.normalize(torch.randn(8, 16), dim=1)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, FORGERY_LABEL_BASE + 6, FORGERY_LABEL_BASE + 7])
    metric = build_config_loss(TrainConfig(loss="multisimilarity", embedding_size=16))
    head = loss_fn.head(emb[:6], labels[:6])
    assert torch.isclose(loss_fn(emb, labels), metric(emb, labels) + 0.5 * head)
    model = build_model(TrainConfig(width=4, embedding_size=16))
    torch.save({"model": model.state_dict(), "loss": loss_fn.state_dict(),
                "config": asdict(cfg), "epoch": 0}, tmp_path / "best.pt")
    assert torch.equal(load_loss(tmp_path / "best.pt").head.W, loss_fn.head.W)
