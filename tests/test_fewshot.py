"""The N-way k-shot harness on synthetic classes whose answers are known."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from training.fewshot.harness import (
    Episodes,
    FewShotData,
    classify_episodes,
    episode_accuracy,
    evaluate_nway,
    format_table,
    load_folder,
    pixel_embedder,
    plot_curves,
    random_guesses,
    sample_episodes,
    wilson_interval,
)

N_CLASSES, PER_CLASS, SIZE = 24, 7, 8


def _patterns(seed: int = 0) -> np.ndarray:
    """Distinct binary patterns, one per class."""
    rng = np.random.default_rng(seed)
    pats = (rng.random((N_CLASSES, SIZE, SIZE)) > 0.5).astype(np.float32)
    assert len({p.tobytes() for p in pats}) == N_CLASSES
    return pats


def _data(noise: float = 0.0, groups: int = 0) -> FewShotData:
    """Each class: PER_CLASS copies of its pattern (plus optional noise)."""
    rng = np.random.default_rng(1)
    pats = _patterns()
    data = {f"c{i:02d}": pats[i] + noise * rng.standard_normal((PER_CLASS, SIZE, SIZE))
            for i in range(N_CLASSES)}
    g = {f"c{i:02d}": f"g{i % groups}" for i in range(N_CLASSES)} if groups else None
    return FewShotData.from_dict(data, g)


def _oracle(images: np.ndarray) -> np.ndarray:
    """One-hot of the nearest class pattern: a perfect embedding."""
    pats = _patterns().reshape(N_CLASSES, -1)
    d = ((images.reshape(len(images), -1)[:, None] - pats[None]) ** 2).sum(-1)
    return np.eye(N_CLASSES)[d.argmin(1)]


def _random_embedding(images: np.ndarray) -> np.ndarray:
    """An embedding that ignores the image (a fixed random vector per call position)."""
    rng = np.random.default_rng(len(images))
    return rng.standard_normal((len(images), 16))


def test_oracle_pixels_and_random_on_known_classes() -> None:
    data = _data(noise=0.3)
    results = evaluate_nway(data, {"oracle": _oracle, "noise": _random_embedding,
                                   "random": None},
                            n_ways=(2, 5, 20), k_shots=(1, 5), episodes=400, seed=3)
    by = {(r.method, r.n_way, r.k_shot): r for r in results}
    assert len(by) == 3 * 3 * 2
    for n in (2, 5, 20):
        for k in (1, 5):
            assert by["oracle", n, k].accuracy == 1.0
            for m in ("noise", "random"):
                r = by[m, n, k]
                # the random baselines are about 1/N, within their 95% CI
                assert r.ci_low <= 1 / n <= r.ci_high, (m, n, k, r)
                assert r.queries == 400 * n


def test_pixel_nn_is_perfect_on_noiseless_copies() -> None:
    results = evaluate_nway(_data(), {"pixels": pixel_embedder}, n_ways=(2, 10, 20),
                            k_shots=(1, 5), episodes=100)
    assert all(r.accuracy == 1.0 for r in results)


def test_episodes_are_deterministic_and_disjoint() -> None:
    data = _data()
    a = sample_episodes(data, 5, 5, episodes=50, n_query=2, seed=9)
    b = sample_episodes(data, 5, 5, episodes=50, n_query=2, seed=9)
    c = sample_episodes(data, 5, 5, episodes=50, n_query=2, seed=10)
    assert np.array_equal(a.support, b.support) and np.array_equal(a.query, b.query)
    assert not np.array_equal(a.support, c.support)
    assert a.support.shape == (50, 5, 5) and a.query.shape == (50, 5, 2)
    for e in range(50):
        used = np.concatenate([a.support[e].ravel(), a.query[e].ravel()])
        assert len(set(used)) == len(used)  # no image twice in an episode
        labels = data.labels[a.support[e]]
        assert (labels == labels[:, :1]).all()  # support rows are one class each
        assert len(set(labels[:, 0])) == 5  # N different classes
        assert (data.labels[a.query[e]] == labels[:, :1]).all()  # queries match their row
    with pytest.raises(ValueError):
        sample_episodes(data, 5, PER_CLASS, episodes=1)  # no image left for the query


def test_within_group_draws_classes_from_one_group() -> None:
    data = _data(groups=3)  # 8 classes per group
    eps = sample_episodes(data, 5, 1, episodes=200, seed=0, within_group=True)
    assert eps.within_group.all()
    groups = np.array(data.groups)
    seen = set()
    for e in range(200):
        g = set(groups[data.labels[eps.support[e, :, 0]]])
        assert len(g) == 1
        seen |= g
    assert seen == {"g0", "g1", "g2"}
    # No group has 10 classes: fall back to mixing groups, and say so.
    wide = sample_episodes(data, 10, 1, episodes=20, within_group=True)
    assert not wide.within_group.any()
    mixed = sample_episodes(data, 5, 1, episodes=200, seed=0, within_group=False)
    assert any(len(set(groups[data.labels[mixed.support[e, :, 0]]])) > 1 for e in range(200))


def test_prototype_is_the_mean_of_the_support() -> None:
    # Class 0's supports at -1 and +1 (mean 0), class 1's at 0.8 and 0.8. A query at 0.7 is
    # nearest to a class-0 support (1.0) but to class 1's prototype (0.8); a query at 0.1 is
    # nearest to class 0's prototype (0).
    emb = np.array([[-1.0], [1.0], [0.1], [0.8], [0.8], [0.7]])
    eps = Episodes(2, 2, np.array([[[0, 1], [3, 4]]]), np.array([[[2], [5]]]),
                   np.array([False]))
    assert classify_episodes(emb, eps).tolist() == [[[0], [1]]]
    assert episode_accuracy(classify_episodes(emb, eps)).tolist() == [1.0]
    assert random_guesses(eps, 0).shape == (1, 2, 1)


def test_wilson_interval() -> None:
    lo, hi = wilson_interval(5, 10)
    assert lo < 0.5 < hi and abs((0.5 - lo) - (hi - 0.5)) < 1e-12
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    lo, hi = wilson_interval(368, 400)
    assert 0.88 < lo < 0.92 < hi < 0.95


def test_folder_table_and_plot(tmp_path: Path) -> None:
    pats = _patterns()
    for i in range(4):
        d = tmp_path / "data" / f"alpha{i % 2}" / f"char{i}"
        d.mkdir(parents=True)
        for j in range(3):
            cv2.imwrite(str(d / f"{j}.png"), (255 * (1 - pats[i])).astype(np.uint8))
    (tmp_path / "data" / "alpha0" / "char0" / "notes.txt").write_text("ignored")
    data = load_folder(tmp_path / "data", grouped=True, invert=True)
    assert data.classes == ["alpha0/char0", "alpha0/char2", "alpha1/char1", "alpha1/char3"]
    assert data.groups == ["alpha0", "alpha0", "alpha1", "alpha1"]
    assert data.images.shape == (12, SIZE, SIZE) and data.images.max() == 1.0
    assert np.array_equal(data.images[0], pats[0])  # inverted back: ink high
    flat = load_folder(tmp_path / "data" / "alpha0", size=(4, 4))
    assert flat.classes == ["char0", "char2"] and flat.images.shape == (6, 4, 4)

    results = evaluate_nway(data, {"pixels": pixel_embedder, "random": None}, n_ways=(2, 3),
                            k_shots=(1, 5), episodes=20, within_group=True)
    assert {(r.n_way, r.k_shot) for r in results} == {(2, 1), (3, 1)}  # 5-shot impossible
    assert all(r.within_group == (1.0 if r.n_way == 2 else 0.0) for r in results)
    table = format_table(results)
    assert "pixels" in table and "random" in table and "100.0" in table
    png = plot_curves(results, tmp_path / "plot" / "curve.png", title="t")
    assert png.is_file() and png.stat().st_size > 1000
