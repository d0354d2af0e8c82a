"""Several data sets at once: the readers, per-set splits, the balanced sampler, the per-set
protocol, the robustness changes and the z-norm score. Small folders made from the project's
synthetic generator in each layout; never ../shared."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.core.signature.decision import znorm_scores
from desktop.core.signature.verification import score
from training.common.sampler import DataSetBalancedSampler
from training.signature.data import (
    MIRRORED,
    SignatureImages,
    background_samples,
    read_folder,
    read_many,
    split_per_dataset,
)
from training.signature.evaluate import protocol_distances, summarise
from training.signature.robustness import CHANGES, robustness


@pytest.fixture(scope="module")
def three_sets(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The synthetic set in the CEDAR, the generic and the cross-media layouts."""
    root = tmp_path_factory.mktemp("sets")
    files = read_folder(synthetic_dir)
    genuine = [s.path for s in files if s.genuine]
    cedar = root / "cedar"
    for sub in ("full_org", "full_forg"):
        (cedar / sub).mkdir(parents=True)
    writer_number = {w: i + 1 for i, w in enumerate(sorted({s.writer for s in files}))}
    for n, s in enumerate(files):
        w = writer_number[s.writer]
        name = f"original_{w}_{n}.png" if s.genuine else f"forgeries_{w}_{n}.png"
        shutil.copy(s.path, cedar / ("full_org" if s.genuine else "full_forg") / name)
    bengali = root / "bengali"
    shutil.copytree(synthetic_dir, bengali)
    cross = root / "cross"
    for v in range(6):  # 6 volunteers x 40 crops (10 names x 4 media)
        (cross / f"{v + 1:03d}").mkdir(parents=True)
        for nn in range(1, 41):
            shutil.copy(genuine[(v * 40 + nn) % len(genuine)], cross / f"{v + 1:03d}/{nn:02d}.png")
    return [cedar, bengali, cross]


def test_readers_prefix_names_and_keep_pen_media(three_sets: list[Path]) -> None:
    samples = read_many([str(p) for p in three_sets])
    by_set = Counter(s.dataset for s in samples)
    assert by_set["cross"] == 6 * 20  # crops 01-20 only: the stylus media are left out
    cross = [s for s in samples if s.dataset == "cross"]
    assert {s.group for s in cross} == {f"cross/{n}" for n in range(10)}
    first = next(s for s in cross if s.path.name == "13.png" and s.person == "cross/001")
    assert first.writer == "cross/001:2" and first.group == "cross/2"  # name (13-1) % 10
    assert all(s.writer.startswith(f"{s.dataset}/") for s in samples)
    assert len({s.writer for s in samples}) == sum(
        len({s.writer for s in samples if s.dataset == d}) for d in by_set)
    with pytest.raises(ValueError, match="distinct folder names"):
        read_many([str(three_sets[1]), str(three_sets[1])])


def test_split_per_set_keeps_every_person_on_one_side(three_sets: list[Path]) -> None:
    samples = read_many([str(p) for p in three_sets])
    train, val, test = split_per_dataset(samples, 0.25, 2, seed=3)
    side = {}
    for part, writers in (("train", train), ("val", val), ("test", test)):
        for s in samples:
            if s.writer in writers:
                assert side.setdefault(s.who, part) == part  # a volunteer's ten names together
    for name in ("cedar", "bengali", "cross"):
        people = {s.who for s in samples if s.dataset == name}
        held = {s.who for s in samples if s.dataset == name and s.writer in test}
        assert len(held) == 2 and len(people) - 2 > len(
            {s.who for s in samples if s.dataset == name and s.writer in val})
    assert split_per_dataset(samples, 0.25, 2, seed=3) == (train, val, test)


def test_balanced_batches_have_every_set_and_same_text_negatives(
        three_sets: list[Path]) -> None:
    data = SignatureImages(read_many([str(p) for p in three_sets]))
    sampler = DataSetBalancedSampler(data, data.dataset_of, data.group_of, writers_per_set=4,
                                     genuine_per_writer=3, forged_per_writer=1, group_size=2,
                                     batches_per_epoch=6, seed=1)
    for idx in sampler:
        writers = Counter(data.samples[i].writer for i in idx if data.samples[i].genuine)
        per_set = Counter(data.dataset_of[w] for w in writers)
        assert per_set == {"cedar": 4, "bengali": 4, "cross": 4}
        groups = Counter(data.group_of[w] for w in writers if data.dataset_of[w] == "cross")
        assert sorted(groups.values()) == [2, 2]  # two names, two volunteers each
        assert all(n == 3 for n in writers.values())  # cross writers have 2: drawn again
        assert sum(not data.samples[i].genuine for i in idx) == 8  # forgeries: 2 sets x 4
    sampler.set_epoch(2)
    first = list(sampler)
    sampler.set_epoch(2)
    assert list(sampler) == first


def test_protocol_keeps_negatives_within_a_set(three_sets: list[Path]) -> None:
    data = SignatureImages(read_many([str(p) for p in three_sets]))
    cross_writer = next(w for w in data.writers if data.dataset_of[w] == "cross")
    skilled = data.skilled_indices(cross_writer)
    assert skilled and all(data.samples[i].group == data.group_of[cross_writer]
                           and data.samples[i].who != data.person_of[cross_writer]
                           for i in skilled)
    # Features that name the data set: any score across sets would be huge.
    codes = {name: i for i, name in enumerate(data.datasets)}
    feats = np.eye(8, dtype=np.float32)[[codes[s.dataset] for s in data.samples]]
    d = protocol_distances(feats, data, k=1, draws=2, seed=0)
    assert set(d["per_set"]) == {"cedar", "bengali", "cross"}
    assert d["random"].max() < 1e-6 and len(d["random"])  # same set only
    result = summarise(d, threshold=0.5, accept=0.5, reject=0.5)
    assert set(result["per_set"]) == {"cedar", "bengali", "cross"}
    assert result["clerk"]["per_writer"]["max"] == 1.0  # every skilled query accepted


def test_mirrored_writers_are_new_identities_with_their_own_negatives(
        three_sets: list[Path]) -> None:
    data = SignatureImages(read_many([str(p) for p in three_sets]))
    both = data.with_mirrored_writers()
    assert len(both) == 2 * len(data) and len(both.writers) == 2 * len(data.writers)
    n = len(data)
    assert all(np.array_equal(both.images[n + i], im[:, ::-1])
               for i, im in enumerate(data.images))
    for w in data.writers:  # same set, another person; its forgeries mirrored with it
        m = w + MIRRORED
        assert both.dataset_of[m] == data.dataset_of[w]
        assert both.person_of[m] != data.person_of[w]
        skilled = both.skilled_indices(m)
        assert all(i >= n for i in skilled)
        assert len(skilled) == len(data.skilled_indices(w))
    # The sampler draws mirrored writers like any other, set by set.
    sampler = DataSetBalancedSampler(both, both.dataset_of, both.group_of, writers_per_set=4,
                                     genuine_per_writer=2, forged_per_writer=1, group_size=2,
                                     batches_per_epoch=20, seed=1)
    drawn = {both.samples[i].writer for idx in sampler for i in idx}
    assert any(w.endswith(MIRRORED) for w in drawn) and any(w in data.writers for w in drawn)


def test_the_mirror_switch_reaches_the_training_config() -> None:
    import argparse

    from training.__main__ import _add_train_args

    p = argparse.ArgumentParser()
    _add_train_args(p)
    assert p.parse_args(["--run", "r", "--mirror-writers"]).mirror_writers is True
    assert p.parse_args(["--run", "r"]).mirror_writers is False


def test_robustness_changes_do_what_they_say() -> None:
    img = np.full((80, 200), 235, np.uint8)
    cv2.line(img, (20, 40), (180, 45), 30, 3)
    ink = lambda g: int((g < 128).sum())  # noqa: E731
    assert ink(CHANGES["ink +1 px"](img)) > ink(img) > ink(CHANGES["ink -1 px"](img)) > 0
    assert CHANGES["half resolution"](img).shape == (40, 100)
    assert CHANGES["double resolution"](img).shape == (160, 400)
    assert CHANGES["paper tone"](img)[0, 0] < 200
    assert CHANGES["rotated 5 deg"](img).shape == img.shape


def test_robustness_report_on_a_set(three_sets: list[Path]) -> None:
    from desktop.core.signature.preprocess import SignaturePreprocessing
    from training.signature.train import clean_inkmaps

    data = SignatureImages(read_many([str(three_sets[1])]))
    prep = SignaturePreprocessing()

    def embed(x: np.ndarray) -> np.ndarray:  # pooled ink maps as a feature: sees the ink
        small = x[:, 0, ::16, ::16].reshape(len(x), -1)
        return small / np.maximum(np.linalg.norm(small, axis=1, keepdims=True), 1e-9)

    out = robustness(embed, data, prep, embed(clean_inkmaps(data, prep)), [1], draws=1)
    assert set(out["changes"]) == set(CHANGES)
    row = out["changes"]["ink +1 px"]["1"]
    assert set(row["eer"]) == {"bengali"} and np.isfinite(out["max_abs_delta"])


def test_background_spreads_over_sets_and_writers(three_sets: list[Path]) -> None:
    samples = read_many([str(p) for p in three_sets])
    writers = sorted({s.writer for s in samples})
    chosen = background_samples(samples, writers, per_set=10)
    assert Counter(s.dataset for s in chosen) == {"cedar": 10, "bengali": 10, "cross": 10}
    assert all(s.genuine for s in chosen)
    assert len({s.writer for s in chosen if s.dataset == "bengali"}) == 8  # round-robin
    assert background_samples(samples, writers, per_set=10) == chosen


def test_znorm_standardises_against_the_cohort() -> None:
    rng = np.random.default_rng(0)
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    refs, cohort, queries = (unit(rng.normal(size=(n, 16))) for n in (3, 50, 7))
    z = znorm_scores(refs, cohort, cohort, top=len(cohort))
    assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-4
    # adaptive: only the 10 cohort rows nearest the references set the scale
    near = np.sort(znorm_scores(refs, cohort, cohort, top=10))[:10]
    assert abs(near.mean()) < 1e-5 and abs(near.std() - 1) < 1e-4
    # per writer it is a monotone map of the distance score: the ranking is unchanged
    assert (np.argsort(znorm_scores(refs, cohort, queries)) == np.argsort(
        score(refs, queries))).all()
    with pytest.raises(ValueError):
        znorm_scores(refs, cohort[:0], queries)
