"""Metric-learning losses for the embedder, from pytorch-metric-learning where it has them.

All losses take a batch of L2-normalised embeddings ``(N, D)`` and integer labels ``(N,)``.
**Label convention** (every loss): two samples with the *same* label form a "same" (genuine,
positive, y = 1) pair, different labels a "different" (impostor, negative, y = 0) pair.
Skilled forgeries get a label of their own each, so they only ever serve as negatives (also
to each other). **Distance**: Euclidean between unit vectors, in [0, 2], unless a loss's
docstring says otherwise (``chopra`` may use L1; ``koch`` learns a weighted L1).

Names for :func:`build_loss` (``LOSSES``):

* ``contrastive``: Hadsell, Chopra, LeCun 2006 (pml ``ContrastiveLoss``), all or sampled pairs.
* ``chopra``: Chopra, Hadsell, LeCun 2005 energy-based loss (:class:`ChopraLoss`), pairs.
* ``koch``: Koch, Zemel, Salakhutdinov 2015 weighted-L1 + sigmoid + BCE head
  (:class:`KochLoss`, has parameters), pairs.
* ``triplet-all``, ``triplet-hard``, ``triplet-semihard``, ``triplet-easyhard``: pml
  ``TripletMarginLoss`` with different online miners; ``triplet`` = ``triplet-hard``.
* ``quadruplet``: Chen et al. 2017 (:class:`QuadrupletLoss`), batch-hard.
* ``multisimilarity``: Wang et al. 2019 (pml ``MultiSimilarityLoss`` with its miner): every
  informative pair weighted by how hard it is relative to the others, which tolerates hard,
  noisy classes better than batch-hard's single hardest negative.
* ``supcon``: Khosla et al. 2020 (pml ``SupConLoss``): a softmax over the whole batch per
  anchor, every other sample of its class a positive; no miner (every pair counts).

The pair losses (``PAIR_LOSSES``) accept ``pos_neg_ratio``: keep every positive pair of the
batch and a random subset of the negative pairs so that #positive / #negative is that ratio
(:class:`RatioPairMiner`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pytorch_metric_learning import distances, losses, miners
from pytorch_metric_learning.utils import loss_and_miner_utils as lmu
from torch import nn

LOSSES = ("contrastive", "chopra", "koch", "triplet-all", "triplet-hard", "triplet-semihard",
          "triplet-easyhard", "triplet", "quadruplet", "multisimilarity", "supcon")
PAIR_LOSSES = ("contrastive", "chopra", "koch")
ALIASES = {"triplet": "triplet-hard"}  # "triplet" in configs of older checkpoints

Pairs = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


class MetricLoss(nn.Module):
    """A loss with an optional online miner; call it as ``loss(embeddings, labels)``.

    An ``nn.Module`` so that losses with parameters (``koch``) or state (the sampling miner's
    step counter) reach the optimiser through ``parameters()`` and the checkpoint through
    ``state_dict()``.
    """

    def __init__(self, loss: nn.Module, miner: nn.Module | None = None) -> None:
        super().__init__()
        self.loss = loss
        self.miner = miner

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The loss of the batch (mined tuples when there is a miner)."""
        tuples = self.miner(embeddings, labels) if self.miner is not None else None
        return self.loss(embeddings, labels, tuples)


class WithWriterHead(MetricLoss):
    """A metric loss plus ``weight`` times a writer-classification head over the genuine
    samples (labels below ``genuine_below``; forgeries have no class), after SigNet-F's
    writer head: every step also sees a proxy of each of the ``num_classes`` training writers,
    not only the few writers in the batch. The head is pml ``NormalizedSoftmaxLoss`` (a cosine
    softmax over learned writer proxies, temperature 0.05); the app never uses it."""

    def __init__(self, metric: MetricLoss, num_classes: int, embedding_size: int,
                 weight: float, genuine_below: int) -> None:
        super().__init__(metric.loss, metric.miner)
        self.head = losses.NormalizedSoftmaxLoss(num_classes, embedding_size, temperature=0.05)
        self.weight, self.genuine_below = weight, genuine_below

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The metric loss of the batch plus the weighted writer-classification loss."""
        out = super().forward(embeddings, labels)
        genuine = labels < self.genuine_below
        if genuine.any():
            out = out + self.weight * self.head(embeddings[genuine], labels[genuine])
        return out


def _pairs(labels: torch.Tensor, indices_tuple: tuple | None) -> Pairs:
    """All (a1, p, a2, n) pairs of the batch, or the mined tuple converted to pairs."""
    if indices_tuple is None:
        return lmu.get_all_pairs_indices(labels)
    return lmu.convert_to_pairs(indices_tuple, labels)


def _pair_distance(x: torch.Tensor, y: torch.Tensor, p: int) -> torch.Tensor:
    return (x - y).abs().sum(dim=1) if p == 1 else (x - y).norm(dim=1)


class RatioPairMiner(nn.Module):
    """Every positive pair and a random subset of negatives: #pos / #neg = ``pos_neg_ratio``.

    Returns pml's pair tuple ``(a1, p, a2, n)``. When the batch has too few negatives for the
    ratio, all of them are kept. The draw is seeded by ``(seed, call number)`` and the call
    counter is part of ``state_dict()``, so a resumed run (or every rank of a distributed
    run, which all see the same gathered batch) draws the same pairs.
    """

    def __init__(self, pos_neg_ratio: float, seed: int = 0) -> None:
        super().__init__()
        if pos_neg_ratio <= 0:
            raise ValueError("pos_neg_ratio must be positive")
        self.ratio, self.seed, self.calls = float(pos_neg_ratio), seed, 0

    def get_extra_state(self) -> dict:
        """The call counter, saved with the loss."""
        return {"calls": self.calls}

    def set_extra_state(self, state: dict) -> None:
        """Restore the call counter."""
        self.calls = int(state["calls"])

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Pairs:
        """The sampled pairs of this batch (embeddings only give the device)."""
        a1, p, a2, n = lmu.get_all_pairs_indices(labels)
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.calls)
        self.calls += 1
        keep = min(len(a2), max(1, math.ceil(len(a1) / self.ratio))) if len(a1) else len(a2)
        order = torch.randperm(len(a2), generator=gen)[:keep].sort().values.to(a2.device)
        return a1, p, a2[order], n[order]


class ChopraLoss(nn.Module):
    """Energy-based loss of Chopra, Hadsell and LeCun (CVPR 2005), averaged over pairs.

    With ``E`` the L1 (``p=1``) or L2 (``p=2``) distance of a pair's embeddings and ``Q`` an
    upper bound of ``E``: genuine (same-label) pairs cost ``L_G = (2/Q) E^2``, impostor pairs
    ``L_I = 2 Q exp(-2.77 E / Q)``. The loss is the mean over all pairs of the batch (or the
    mined pairs), genuine and impostor together, so the pair ratio weights the two terms.
    ``q`` defaults to the bound for unit vectors: 2 for L2, ``2 sqrt(D)`` for L1.
    """

    def __init__(self, p: int = 2, q: float | None = None) -> None:
        super().__init__()
        if p not in (1, 2):
            raise ValueError("p must be 1 or 2")
        self.p, self.q = p, q

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor,
                indices_tuple: tuple | None = None) -> torch.Tensor:
        """Mean energy loss over the pairs."""
        a1, p, a2, n = _pairs(labels, indices_tuple)
        q = self.q if self.q is not None else (
            2.0 if self.p == 2 else 2.0 * math.sqrt(embeddings.shape[1]))
        e_g = _pair_distance(embeddings[a1], embeddings[p], self.p)
        e_i = _pair_distance(embeddings[a2], embeddings[n], self.p)
        terms = torch.cat([(2.0 / q) * e_g ** 2, 2.0 * q * torch.exp(-2.77 * e_i / q)])
        return terms.mean() if len(terms) else embeddings.sum() * 0.0


class KochLoss(nn.Module):
    """Koch et al. (2015) pair head: ``sigmoid(w . |e1 - e2| + b)``, binary cross-entropy.

    Target 1 for same-label pairs, 0 for different-label pairs; mean over all pairs of the
    batch (or the mined pairs). ``w, b`` (``nn.Linear(D, 1)``) are learned with the
    embedder: this module's parameters must be given to the optimiser and saved.
    :meth:`similarity` is the learned pair similarity in (0, 1) for evaluation.
    """

    def __init__(self, embedding_size: int) -> None:
        super().__init__()
        self.head = nn.Linear(embedding_size, 1)

    def logits(self, ea: torch.Tensor, eb: torch.Tensor) -> torch.Tensor:
        """Pre-sigmoid similarity of row-aligned pairs, shape (N,)."""
        return self.head((ea - eb).abs()).squeeze(1)

    def similarity(self, ea: torch.Tensor, eb: torch.Tensor) -> torch.Tensor:
        """Probability that each row-aligned pair is the same writer, shape (N,)."""
        return torch.sigmoid(self.logits(ea, eb))

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor,
                indices_tuple: tuple | None = None) -> torch.Tensor:
        """Mean binary cross-entropy over the pairs."""
        a1, p, a2, n = _pairs(labels, indices_tuple)
        logits = torch.cat([self.logits(embeddings[a1], embeddings[p]),
                            self.logits(embeddings[a2], embeddings[n])])
        target = torch.cat([torch.ones(len(a1)), torch.zeros(len(a2))]).to(logits)
        if not len(logits):
            return embeddings.sum() * 0.0
        return F.binary_cross_entropy_with_logits(logits, target)


class QuadrupletLoss(nn.Module):
    """Quadruplet loss of Chen, Chen, Zhang and Huang (CVPR 2017), batch-hard, Euclidean.

    For each anchor ``a`` with a positive in the batch: ``p`` its farthest positive, ``n1``
    its nearest negative, and ``(n1', n2)`` the closest pair of samples whose labels differ
    from each other and from ``a``'s. Loss of the anchor:
    ``[d(a,p) - d(a,n1) + margin]_+ + [d(a,p) - d(n1',n2) + margin2]_+``; mean over anchors.
    The second term pushes pairs of other classes apart beyond the positive distance, which
    the paper argues lowers intra-class and raises inter-class variation globally. Plain
    (not squared) distances, like the other losses here.
    """

    def __init__(self, margin: float = 0.2, margin2: float = 0.1) -> None:
        super().__init__()
        self.margin, self.margin2 = margin, margin2

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor,
                indices_tuple: tuple | None = None) -> torch.Tensor:
        """Mean quadruplet loss over anchors that have a positive and a negative pair."""
        del indices_tuple  # mines its own quadruplets
        d = torch.cdist(embeddings, embeddings)
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
        pos = same & ~eye
        big = torch.finfo(d.dtype).max
        d_ap = torch.where(pos, d, torch.zeros_like(d)).amax(dim=1)
        d_an = torch.where(same, torch.full_like(d, big), d).amin(dim=1)
        # (i, j) valid for anchor a: labels i != j, i != a, j != a
        other = ~same  # (a, i): i has another label than a
        valid = other[:, :, None] & other[:, None, :] & (~same)[None, :, :]
        d_nn = torch.where(valid, d[None].expand_as(valid), torch.full_like(valid, big,
                                                                            dtype=d.dtype))
        d_nn = d_nn.flatten(1).amin(dim=1)
        ok = pos.any(dim=1) & valid.flatten(1).any(dim=1)
        if not ok.any():
            return embeddings.sum() * 0.0
        t1 = F.relu(d_ap - d_an + self.margin)
        t2 = F.relu(d_ap - d_nn + self.margin2)
        return (t1 + t2)[ok].mean()


def build_loss(
    name: str, margin: float | None = None, *, pos_neg_ratio: float | None = None,
    embedding_size: int = 128, margin2: float | None = None, p: int = 2, seed: int = 0,
) -> MetricLoss:
    """Make a loss by name (see the module docstring for the list and conventions).

    * ``contrastive``: pml ``ContrastiveLoss``: pull same pairs to distance 0, hinge-push
      different pairs beyond ``margin`` (default 0.8); positive and negative terms are each
      averaged over their non-zero pairs (pml's reducer), so ``pos_neg_ratio`` changes
      which negatives are seen, not their weight.
    * ``chopra``: :class:`ChopraLoss`, ``margin`` is ``Q`` (default: the distance's bound),
      ``p`` chooses L1 or L2.
    * ``koch``: :class:`KochLoss` over ``embedding_size``; ``margin`` is unused.
    * ``triplet-hard`` (alias ``triplet``): ``[d(a,p) - d(a,n) + margin]_+`` (margin 0.2) on
      batch-hard triplets: the farthest positive and nearest negative of each anchor
      (Hermans et al. 2017, pml ``BatchHardMiner``).
    * ``triplet-all``: every triplet that violates the margin (pml ``TripletMarginMiner``
      ``"all"``); ``triplet-semihard``: those with ``d(a,p) < d(a,n) <= d(a,p) + margin``
      (Schroff et al. 2015); ``triplet-easyhard``: easiest positive, semi-hard negative
      (Xuan et al. 2020, pml ``BatchEasyHardMiner``).
    * ``quadruplet``: :class:`QuadrupletLoss` (margin 0.2, ``margin2`` default margin / 2).
    * ``multisimilarity``: pml ``MultiSimilarityLoss`` (alpha 2, beta 50, base 0.5, the
      paper's values) on cosine similarity, pairs chosen by ``MultiSimilarityMiner``
      (``margin`` is its epsilon, default 0.1).
    * ``supcon``: pml ``SupConLoss`` on cosine similarity, temperature ``margin`` (default
      0.1); a skilled forgery, alone in its label, serves only as a negative.

    ``pos_neg_ratio`` (pair losses only) subsamples negative pairs (:class:`RatioPairMiner`,
    seeded with ``seed``).
    """
    name = ALIASES.get(name, name)
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}")
    if pos_neg_ratio is not None and name not in PAIR_LOSSES:
        raise ValueError(f"pos_neg_ratio applies to the pair losses {PAIR_LOSSES}, not {name}")
    dist = distances.LpDistance(normalize_embeddings=True, p=2)
    pair_miner = RatioPairMiner(pos_neg_ratio, seed) if pos_neg_ratio is not None else None
    if name == "contrastive":
        return MetricLoss(
            losses.ContrastiveLoss(pos_margin=0.0, neg_margin=0.8 if margin is None else margin,
                                   distance=dist), pair_miner)
    if name == "chopra":
        return MetricLoss(ChopraLoss(p=p, q=margin), pair_miner)
    if name == "koch":
        return MetricLoss(KochLoss(embedding_size), pair_miner)
    if name == "multisimilarity":
        return MetricLoss(losses.MultiSimilarityLoss(alpha=2.0, beta=50.0, base=0.5),
                          miners.MultiSimilarityMiner(0.1 if margin is None else margin))
    if name == "supcon":
        return MetricLoss(losses.SupConLoss(temperature=0.1 if margin is None else margin))
    if name == "quadruplet":
        m = 0.2 if margin is None else margin
        return MetricLoss(QuadrupletLoss(m, m / 2 if margin2 is None else margin2))
    m = 0.2 if margin is None else margin
    miner = {
        "triplet-hard": lambda: miners.BatchHardMiner(distance=dist),
        "triplet-all": lambda: miners.TripletMarginMiner(m, type_of_triplets="all",
                                                         distance=dist),
        "triplet-semihard": lambda: miners.TripletMarginMiner(m, type_of_triplets="semihard",
                                                              distance=dist),
        "triplet-easyhard": lambda: miners.BatchEasyHardMiner(
            pos_strategy="easy", neg_strategy="semihard", distance=dist),
    }[name]()
    return MetricLoss(losses.TripletMarginLoss(margin=m, distance=dist), miner)
