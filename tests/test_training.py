"""Training on synthetic data: the loss goes down, a checkpoint resumes exactly."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from desktop.core.signature.preprocess import SignaturePreprocessing, batch, preprocess_signature
from training.common.losses import build_loss
from training.common.model import SignatureEmbedder
from training.common.sampler import WriterBatchSampler
from training.signature.data import SignatureImages, read_folder, split_writers
from training.signature.train import TrainConfig, _labels, train


@pytest.fixture(scope="module")
def images(synthetic_dir: Path) -> SignatureImages:
    return SignatureImages(read_folder(synthetic_dir))


def test_reader_and_writer_disjoint_split(images: SignatureImages) -> None:
    assert len(images.writers) == 8 and len(images) == 8 * 9
    train, val, test = split_writers(images.writers, 2, 2, seed=1)
    assert len(train) == 4 and not (set(train) & set(val) | set(train) & set(test)
                                     | set(val) & set(test))
    assert split_writers(images.writers, 2, 2, seed=1) == (train, val, test)


def test_sampler_batches_hold_positives_and_forgeries(images: SignatureImages) -> None:
    sampler = WriterBatchSampler(images, writers_per_batch=3, genuine_per_writer=4,
                                 forged_per_writer=2, batches_per_epoch=5, seed=0)
    for idx in sampler:
        writers = [images.samples[i].writer for i in idx]
        assert len(set(writers)) == 3 and len(idx) == 3 * 6
        assert sum(not images.samples[i].genuine for i in idx) == 6
    sampler.set_epoch(1)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) == first  # the same epoch gives the same batches (resumable)


@pytest.mark.parametrize("loss_name", ["triplet", "contrastive", "multisimilarity"])
def test_loss_goes_down_on_a_fixed_batch(images: SignatureImages, loss_name: str) -> None:
    torch.manual_seed(0)
    prep = SignaturePreprocessing()
    idx = next(iter(WriterBatchSampler(images, 4, 3, 1, 1, seed=0)))
    x = torch.from_numpy(batch([preprocess_signature(images.images[i], prep) for i in idx]))
    labels = _labels(images, idx)
    model = SignatureEmbedder(embedding_size=32, width=8, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = build_loss(loss_name)
    values = []
    for _ in range(12):
        loss = loss_fn(model(x), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        values.append(loss.item())
    assert values[0] > 0 and np.mean(values[-3:]) < 0.7 * values[0]


def test_checkpoint_resumes_to_the_same_weights(images: SignatureImages, tmp_path: Path) -> None:
    train_set, val_set = images.subset(images.writers[:6]), images.subset(images.writers[6:])
    cfg = TrainConfig(epochs=3, batches_per_epoch=2, writers_per_batch=3, width=8,
                      embedding_size=32, seed=5)
    straight = train(cfg, train_set, val_set, tmp_path / "a", progress=False)
    # An interrupted run: its last checkpoint is after epoch 2 of 3 ...
    train(cfg, train_set, val_set, tmp_path / "c", progress=False, stop_after=2)
    ck = torch.load(tmp_path / "c" / "last.pt", weights_only=False)
    assert ck["epoch"] == 1
    # ... resumed to the full 3 epochs, ends where the uninterrupted run ended.
    resumed = train(cfg, train_set, val_set, tmp_path / "c", resume=True, progress=False)
    assert [e["epoch"] for e in resumed["epochs"]] == [0, 1, 2]
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=False)["model"]
    c = torch.load(tmp_path / "c" / "last.pt", weights_only=False)["model"]
    for key in a:
        assert torch.allclose(a[key].float(), c[key].float(), atol=1e-5), key
    assert straight["epochs"][-1]["loss"] == pytest.approx(resumed["epochs"][-1]["loss"],
                                                           rel=1e-4)
    assert json.loads((tmp_path / "c" / "history.json").read_text())["epochs"][-1]["epoch"] == 2


def test_mirrored_writers_train_as_writers_of_their_own(images: SignatureImages,
                                                        tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=1, batches_per_epoch=2, writers_per_batch=3, width=8,
                      embedding_size=32, writer_head=0.1, mirror_writers=True)
    train(cfg, images.subset(images.writers[:6]), None, tmp_path, progress=False)
    # The writer head learned a class for each of the 6 writers and each mirrored one.
    assert torch.load(tmp_path / "last.pt", weights_only=False)["config"]["writer_classes"] == 12


def test_elastic_warp_bends_the_ink_without_losing_it(images: SignatureImages) -> None:
    from training.signature.augment import elastic_warp

    ink = preprocess_signature(images.images[0], SignaturePreprocessing())
    bent = elastic_warp(ink, np.random.default_rng(3), 3.0)
    assert bent.shape == ink.shape and bent.dtype == ink.dtype
    moved = float(np.abs(bent - ink).sum()) / float(ink.sum())
    assert moved > 0.2  # strokes moved, not a copy
    assert bent.sum() == pytest.approx(ink.sum(), rel=0.1)  # bent, not erased or smeared
    # small amplitude moves little; the same seed bends the same way (resumable training)
    slight = elastic_warp(ink, np.random.default_rng(3), 0.3)
    assert float(np.abs(slight - ink).sum()) < 0.5 * float(np.abs(bent - ink).sum())
    assert np.array_equal(elastic_warp(ink, np.random.default_rng(3), 3.0), bent)


def test_the_elastic_option_reaches_training(images: SignatureImages, tmp_path: Path) -> None:
    import argparse

    from training.__main__ import _add_train_args

    p = argparse.ArgumentParser()
    _add_train_args(p)
    assert p.parse_args(["--run", "r", "--elastic", "3"]).elastic == 3.0
    cfg = TrainConfig(epochs=1, batches_per_epoch=2, writers_per_batch=3, width=8,
                      embedding_size=32, elastic=3.0)
    bent = train(cfg, images.subset(images.writers[:6]), None, tmp_path / "bent",
                 progress=False)
    flat = train(replace(cfg, elastic=0.0), images.subset(images.writers[:6]), None,
                 tmp_path / "flat", progress=False)
    # the same seed and batches: only the bending differs, so the losses must
    assert bent["epochs"][0]["loss"] != pytest.approx(flat["epochs"][0]["loss"], rel=1e-6)
    assert torch.load(tmp_path / "bent" / "last.pt", weights_only=False)["config"]["elastic"] == 3


def test_validation_eer_reads_any_embedder(images: SignatureImages) -> None:
    from training.signature.train import clean_inkmaps, quick_validation_eer, validation_eers

    torch.manual_seed(0)
    data = images.subset(images.writers[:4])
    model = SignatureEmbedder(embedding_size=32, width=8, dropout=0.0).eval()
    inputs = clean_inkmaps(data, SignaturePreprocessing())
    from_model = quick_validation_eer(model, data, inputs)
    assert set(from_model) == {*data.datasets, "mean"} and 0.0 <= from_model["mean"] <= 1.0
    with torch.no_grad():
        emb = model(torch.from_numpy(inputs)).numpy()
    assert validation_eers(emb, data) == pytest.approx(from_model, abs=1e-6)
    # one network twice side by side (scaled to unit length) keeps every distance: same EER
    twice = np.concatenate([emb, emb], axis=1) / np.sqrt(2)
    assert validation_eers(twice, data) == pytest.approx(from_model, abs=1e-6)
    # an embedder that says nothing (all alike) is at chance, not better
    assert validation_eers(np.ones_like(emb), data)["mean"] >= 0.5 - 1e-9
