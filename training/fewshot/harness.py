"""N-way k-shot evaluation harness: episodes, nearest-prototype classification, baselines.

Protocol of one episode: draw ``n_way`` classes (from one group, e.g. one Omniglot alphabet,
when ``within_group`` is set and a group has enough classes), then per class ``k_shot``
support images and ``n_query`` query images, all distinct. Each query is given the class
whose **prototype** (the mean of that class's support embeddings, Snell et al. 2017) is
nearest in Euclidean distance; for ``k_shot = 1`` that is the nearest support image.

Methods are compared on the *same* episodes:

* a model: any callable mapping a float32 batch ``(n, H, W)`` to embeddings ``(n, D)``;
* ``pixels``: the same nearest-prototype rule on the flattened pixels;
* ``random``: a uniformly random guess among the ``n_way`` classes per query (expected
  accuracy ``1 / n_way``), measured, not assumed.

Accuracy is pooled over all queries; its 95% confidence interval is the normal
approximation over *episodes* (mean +- 1.96 sd / sqrt(episodes)), which accounts for the
queries of one episode sharing its classes and supports. :func:`wilson_interval` is there
for independent trials (e.g. the 400 official Omniglot trials).

Everything is deterministic for a seed: the episodes depend only on the seed, ``n_way`` and
``k_shot``; images are embedded once (models are run in eval mode by their callables).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

Embedder = Callable[[np.ndarray], np.ndarray]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass
class FewShotData:
    """Images of several classes, stacked: ``images[i]`` belongs to ``classes[labels[i]]``.

    ``groups`` (optional) gives each class a group (e.g. its alphabet) for within-group
    episodes.
    """

    images: np.ndarray  # (M, H, W) float32
    labels: np.ndarray  # (M,) int, index into classes
    classes: list[str]
    groups: list[str] | None = None

    @classmethod
    def from_dict(
        cls, data: Mapping[str, np.ndarray | Sequence[np.ndarray]],
        groups: Mapping[str, str] | None = None,
    ) -> FewShotData:
        """Build from ``{class: array (n, H, W) of images}`` and optionally ``{class: group}``."""
        classes = list(data)
        arrays = [np.asarray(data[c], dtype=np.float32) for c in classes]
        shapes = {a.shape[1:] for a in arrays}
        if len(shapes) != 1 or any(a.ndim != 3 for a in arrays):
            raise ValueError(f"every class needs an (n, H, W) array of one size; got {shapes}")
        labels = np.concatenate([np.full(len(a), i) for i, a in enumerate(arrays)])
        return cls(np.concatenate(arrays), labels.astype(np.int64), classes,
                   [groups[c] for c in classes] if groups is not None else None)

    def class_indices(self) -> list[np.ndarray]:
        """Image indices of each class, in class order."""
        order = np.argsort(self.labels, kind="stable")
        bounds = np.searchsorted(self.labels[order], np.arange(len(self.classes) + 1))
        return [order[bounds[c] : bounds[c + 1]] for c in range(len(self.classes))]


def load_folder(
    root: str | Path, grouped: bool = False, size: tuple[int, int] | None = None,
    invert: bool = False,
) -> FewShotData:
    """Read ``root/<class>/*.png`` (or ``root/<group>/<class>/*.png`` with ``grouped``) as
    grey images scaled to [0, 1]; ``size`` (H, W) resizes (area interpolation), ``invert``
    makes dark ink high."""
    import cv2

    root = Path(root)
    class_dirs = (sorted(d for g in sorted(root.iterdir()) if g.is_dir() for d in g.iterdir()
                         if d.is_dir())
                  if grouped else sorted(d for d in root.iterdir() if d.is_dir()))
    data: dict[str, list[np.ndarray]] = {}
    groups: dict[str, str] = {}
    for d in class_dirs:
        name = f"{d.parent.name}/{d.name}" if grouped else d.name
        imgs = []
        for f in sorted(d.iterdir()):
            if f.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            img = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise ValueError(f"{f}: not a readable image")
            if size is not None:
                img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            img = img.astype(np.float32) / 255.0
            imgs.append(1.0 - img if invert else img)
        if imgs:
            data[name] = np.stack(imgs)
            groups[name] = d.parent.name
    if not data:
        raise ValueError(f"no class folders with images under {root}")
    return FewShotData.from_dict(data, groups if grouped else None)


@dataclass(frozen=True)
class Episodes:
    """Image indices of a set of episodes: ``support`` (E, N, k), ``query`` (E, N, q);
    ``within_group`` (E,) says whether an episode's classes came from one group."""

    n_way: int
    k_shot: int
    support: np.ndarray
    query: np.ndarray
    within_group: np.ndarray


def sample_episodes(
    data: FewShotData, n_way: int, k_shot: int, episodes: int = 400, n_query: int = 1,
    seed: int = 0, within_group: bool = False,
) -> Episodes:
    """Draw ``episodes`` N-way k-shot episodes, deterministically from ``seed``, ``n_way`` and
    ``k_shot``. With ``within_group``, each episode picks a group uniformly among those with
    at least ``n_way`` usable classes and draws its classes there; when no group has enough,
    it draws from all classes (recorded in ``within_group``)."""
    per_class = data.class_indices()
    need = k_shot + n_query
    usable = [c for c, idx in enumerate(per_class) if len(idx) >= need]
    if n_way < 2 or len(usable) < n_way:
        raise ValueError(f"{n_way}-way {k_shot}-shot needs {n_way} classes with {need} images;"
                         f" {len(usable)} have them")
    pools: list[list[int]] = []
    if within_group and data.groups is not None:
        by_group: dict[str, list[int]] = {}
        for c in usable:
            by_group.setdefault(data.groups[c], []).append(c)
        pools = [cs for _, cs in sorted(by_group.items()) if len(cs) >= n_way]
    rng = np.random.default_rng([seed, n_way, k_shot])
    support = np.empty((episodes, n_way, k_shot), np.int64)
    query = np.empty((episodes, n_way, n_query), np.int64)
    grouped = np.zeros(episodes, bool)
    for e in range(episodes):
        if pools:
            pool = pools[int(rng.integers(len(pools)))]
            grouped[e] = True
        else:
            pool = usable
        for j, c in enumerate(rng.choice(pool, size=n_way, replace=False)):
            pick = rng.choice(per_class[c], size=need, replace=False)
            support[e, j], query[e, j] = pick[:k_shot], pick[k_shot:]
    return Episodes(n_way, k_shot, support, query, grouped)


def classify_episodes(embeddings: np.ndarray, episodes: Episodes) -> np.ndarray:
    """Nearest-prototype predictions (E, N, q) of class positions 0..N-1 within each
    episode; the truth of ``query[e, j]`` is ``j``."""
    emb = np.asarray(embeddings, dtype=np.float64)
    protos = emb[episodes.support].mean(axis=2)  # (E, N, D)
    q = emb[episodes.query]  # (E, N, q, D)
    # Squared Euclidean distance of every query to every prototype of its episode.
    d = (np.sum(q**2, axis=-1)[..., None] - 2 * np.einsum("ejqd,end->ejqn", q, protos)
         + np.sum(protos**2, axis=-1)[:, None, None, :])
    return np.argmin(d, axis=-1)


def random_guesses(episodes: Episodes, seed: int = 0) -> np.ndarray:
    """Uniform random predictions with the shape of :func:`classify_episodes`' output."""
    rng = np.random.default_rng([seed, episodes.n_way, episodes.k_shot, 1])
    return rng.integers(0, episodes.n_way, size=episodes.query.shape)


def episode_accuracy(predictions: np.ndarray) -> np.ndarray:
    """Per-episode accuracy (E,) of predictions (E, N, q)."""
    truth = np.arange(predictions.shape[1])[None, :, None]
    return (predictions == truth).reshape(len(predictions), -1).mean(axis=1)


def normal_interval(per_episode: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    """95% normal-approximation interval of the mean of per-episode accuracies, clipped to
    [0, 1]."""
    x = np.asarray(per_episode, dtype=np.float64)
    m = float(x.mean())
    half = z * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else 0.0
    return max(0.0, m - half), min(1.0, m + half)


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (independent trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    den = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / den
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Result:
    """One method at one (N, k)."""

    method: str
    n_way: int
    k_shot: int
    accuracy: float
    ci_low: float
    ci_high: float
    episodes: int
    queries: int
    within_group: float  # fraction of episodes drawn within one group


def pixel_embedder(images: np.ndarray) -> np.ndarray:
    """The raw-pixel baseline's 'embedding': flattened pixels."""
    return np.asarray(images, dtype=np.float32).reshape(len(images), -1)


def embed_all(embedder: Embedder, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Run ``embedder`` over ``images`` in batches; returns (M, D)."""
    parts = [np.asarray(embedder(images[i : i + batch_size]))
             for i in range(0, len(images), batch_size)]
    return np.concatenate(parts).reshape(len(images), -1)


def evaluate_nway(
    data: FewShotData, methods: Mapping[str, Embedder | None],
    n_ways: Sequence[int] = (2, 5, 10, 15, 20), k_shots: Sequence[int] = (1, 5),
    episodes: int = 400, n_query: int = 1, seed: int = 0, within_group: bool = False,
) -> list[Result]:
    """Evaluate every method on the same episodes for each (N, k) that the data allow.

    ``methods`` maps a name to an embedder, or to ``None`` for the random baseline. Each
    embedder sees every image once. (N, k) pairs the data cannot support are skipped.
    """
    embeddings = {name: embed_all(f, data.images) for name, f in methods.items()
                  if f is not None}
    results = []
    for k in k_shots:
        for n in n_ways:
            try:
                eps = sample_episodes(data, n, k, episodes, n_query, seed, within_group)
            except ValueError:
                continue
            frac = float(eps.within_group.mean())
            for name, f in methods.items():
                pred = (random_guesses(eps, seed) if f is None
                        else classify_episodes(embeddings[name], eps))
                acc = episode_accuracy(pred)
                lo, hi = normal_interval(acc)
                results.append(Result(name, n, k, float(acc.mean()), lo, hi, episodes,
                                      int(pred.size), frac))
    return results


def format_table(results: Sequence[Result]) -> str:
    """A plain-text table: one row per (k, N), one column per method (accuracy [95% CI])."""
    methods = list(dict.fromkeys(r.method for r in results))
    cells = {(r.k_shot, r.n_way, r.method): r for r in results}
    keys = sorted({(r.k_shot, r.n_way) for r in results})
    head = f"{'k':>2} {'N':>3}  " + "  ".join(f"{m:>22}" for m in methods)
    lines = [head, "-" * len(head)]
    for k, n in keys:
        row = [f"{k:>2} {n:>3}  "]
        for m in methods:
            r = cells.get((k, n, m))
            row.append(f"{'':>22}" if r is None else
                       f"{100 * r.accuracy:6.1f} [{100 * r.ci_low:5.1f},{100 * r.ci_high:5.1f}]"
                       .rjust(22))
        lines.append("  ".join(row))
    return "\n".join(lines)


def plot_curves(results: Sequence[Result], path: str | Path, title: str = "") -> Path:
    """Accuracy against N with 95% CI bands, one panel per k, one line per method. Hollow
    markers: points whose episodes could not all be drawn within one group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = sorted({r.k_shot for r in results})
    methods = list(dict.fromkeys(r.method for r in results))
    fig, axes = plt.subplots(1, len(ks), figsize=(5 * len(ks), 4), squeeze=False, sharey=True)
    for ax, k in zip(axes[0], ks, strict=True):
        for m in methods:
            rows = sorted((r for r in results if r.k_shot == k and r.method == m),
                          key=lambda r: r.n_way)
            if not rows:
                continue
            n = [r.n_way for r in rows]
            (line,) = ax.plot(n, [r.accuracy for r in rows], marker="o", label=m)
            ax.fill_between(n, [r.ci_low for r in rows], [r.ci_high for r in rows], alpha=0.2,
                            color=line.get_color())
            # Hollow markers where some episodes had to mix groups (within-group requested
            # but no group had N classes): those points are not the same setting.
            mixed = [r for r in rows if 0 < r.within_group < 1 or (
                r.within_group == 0 and any(x.within_group > 0 for x in results))]
            if mixed:
                ax.plot([r.n_way for r in mixed], [r.accuracy for r in mixed], "o",
                        markerfacecolor="white", color=line.get_color())
            ax.set_xticks(n)
        ax.set_title(f"{k}-shot")
        ax.set_xlabel("N (classes per episode)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("accuracy (95% CI)")
    axes[0][-1].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def results_to_dicts(results: Sequence[Result]) -> list[dict]:
    """JSON-ready rows."""
    return [asdict(r) for r in results]
