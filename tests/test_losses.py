"""Losses: values on hand-computed cases, miners, and a few steps pulling classes together."""

from __future__ import annotations

import math

import pytest
import torch
from pytorch_metric_learning import miners

from training.common.losses import (
    LOSSES,
    ChopraLoss,
    KochLoss,
    QuadrupletLoss,
    RatioPairMiner,
    build_loss,
)


def _points(*angles_deg: float) -> torch.Tensor:
    """Unit vectors in the plane at the given angles."""
    a = torch.tensor([math.radians(x) for x in angles_deg], dtype=torch.float64)
    return torch.stack([a.cos(), a.sin()], dim=1)


def _chord(a: float, b: float) -> float:
    """Euclidean distance of two unit vectors at angles a and b (degrees)."""
    return 2 * math.sin(math.radians(abs(a - b)) / 2)


# three points: (1, 0) and (0, 1) same class, (-1, 0) another
THREE = _points(0, 90, 180)
THREE_LABELS = torch.tensor([0, 0, 1])
R2 = math.sqrt(2)


def test_contrastive_value() -> None:
    # pml: pos term [d - 0]_+, neg term [margin - d]_+, each averaged over non-zero pairs
    loss = build_loss("contrastive", margin=2.5)(THREE, THREE_LABELS)
    expected = R2 + ((2.5 - 2.0) + (2.5 - R2)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_chopra_value_l2_and_l1() -> None:
    # ordered pairs: genuine (0,1),(1,0) E = sqrt 2; impostors (0,2),(2,0) E = 2 and
    # (1,2),(2,1) E = sqrt 2; Q = 2.  L_G = (2/Q) E^2, L_I = 2 Q exp(-2.77 E / Q)
    q = 2.0
    lg = (2 / q) * 2.0
    li = [2 * q * math.exp(-2.77 * 2.0 / q), 2 * q * math.exp(-2.77 * R2 / q)]
    expected = (2 * lg + 2 * li[0] + 2 * li[1]) / 6
    assert build_loss("chopra")(THREE, THREE_LABELS).item() == pytest.approx(expected, rel=1e-6)
    # L1: E = 2, 2, 2 for the three pairs; Q = 2 sqrt(D) = 2 sqrt 2 by default
    q1 = 2 * R2
    expected1 = (2 * (2 / q1) * 4 + 4 * 2 * q1 * math.exp(-2.77 * 2 / q1)) / 6
    got = ChopraLoss(p=1)(THREE, THREE_LABELS)
    assert got.item() == pytest.approx(expected1, rel=1e-6)


def test_koch_value_and_similarity() -> None:
    head = KochLoss(2).double()
    with torch.no_grad():
        head.head.weight.copy_(torch.tensor([[1.0, 2.0]]))
        head.head.bias.fill_(-0.5)
    # |e0-e1| = (1,1): z = 2.5, same;  |e0-e2| = (2,0): z = 1.5, different;
    # |e1-e2| = (1,1): z = 2.5, different.  BCE: log(1+e^-z) for y=1, log(1+e^z) for y=0
    expected = (2 * math.log1p(math.exp(-2.5)) + 2 * math.log1p(math.exp(1.5))
                + 2 * math.log1p(math.exp(2.5))) / 6
    assert head(THREE, THREE_LABELS).item() == pytest.approx(expected, rel=1e-6)
    sim = head.similarity(THREE[:1], THREE[1:2])
    assert sim.item() == pytest.approx(1 / (1 + math.exp(-2.5)), rel=1e-6)


ANGLES = (0.0, 90.0, 30.0, 180.0)  # labels 0, 0, 1, 1
LABELS4 = torch.tensor([0, 0, 1, 1])


def _triplets(margin: float) -> list[tuple[float, float]]:
    """(d(a,p), d(a,n)) of every triplet of the 4-point batch, by hand from the angles."""
    out = []
    for a in range(4):
        for p in range(4):
            for n in range(4):
                if p != a and LABELS4[p] == LABELS4[a] and LABELS4[n] != LABELS4[a]:
                    out.append((_chord(ANGLES[a], ANGLES[p]), _chord(ANGLES[a], ANGLES[n])))
    return out


def test_triplet_hard_value() -> None:
    m = 0.2
    terms = []
    for a in range(4):
        pos = [_chord(ANGLES[a], ANGLES[p]) for p in range(4)
               if p != a and LABELS4[p] == LABELS4[a]]
        neg = [_chord(ANGLES[a], ANGLES[n]) for n in range(4) if LABELS4[n] != LABELS4[a]]
        terms.append(max(0.0, max(pos) - min(neg) + m))
    nonzero = [t for t in terms if t > 0]
    expected = sum(nonzero) / len(nonzero)
    x = _points(*ANGLES)
    assert build_loss("triplet-hard", m)(x, LABELS4).item() == pytest.approx(expected, rel=1e-6)
    assert build_loss("triplet", m)(x, LABELS4).item() == pytest.approx(expected, rel=1e-6)


def test_triplet_all_and_semihard_values() -> None:
    m = 0.5
    x = _points(*ANGLES)
    trip = _triplets(m)
    viol = [ap - an + m for ap, an in trip if an - ap <= m and ap - an + m > 0]
    assert build_loss("triplet-all", m)(x, LABELS4).item() == pytest.approx(
        sum(viol) / len(viol), rel=1e-6)
    semi = [ap - an + m for ap, an in trip if 0 < an - ap <= m]
    assert semi, "the constructed batch must hold a semi-hard triplet"
    assert build_loss("triplet-semihard", m)(x, LABELS4).item() == pytest.approx(
        sum(semi) / len(semi), rel=1e-6)


def test_quadruplet_value() -> None:
    angles, labels = (0.0, 60.0, 100.0, 200.0), torch.tensor([0, 0, 1, 2])
    m1, m2 = 0.3, 0.2
    d = [[_chord(a, b) for b in angles] for a in angles]
    terms = []
    for a in range(4):
        pos = [d[a][p] for p in range(4) if p != a and labels[p] == labels[a]]
        if not pos:
            continue
        neg = min(d[a][n] for n in range(4) if labels[n] != labels[a])
        pairs = min(d[i][j] for i in range(4) for j in range(4)
                    if len({int(labels[a]), int(labels[i]), int(labels[j])}) == 3)
        terms.append(max(0.0, max(pos) - neg + m1) + max(0.0, max(pos) - pairs + m2))
    expected = sum(terms) / len(terms)  # anchors 0 and 1 only
    got = QuadrupletLoss(m1, m2)(_points(*angles), labels)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    assert build_loss("quadruplet", m1, margin2=m2)(_points(*angles), labels).item() == \
        pytest.approx(expected, rel=1e-6)


def test_batch_hard_miner_picks_hardest() -> None:
    # class 0 at 0, 20, 70 degrees; class 1 at 100 and 180 degrees
    angles = (0.0, 20.0, 70.0, 100.0, 180.0)
    labels = torch.tensor([0, 0, 0, 1, 1])
    a, p, n = build_loss("triplet-hard").miner(_points(*angles).float(), labels)
    picks = {int(i): (int(j), int(k)) for i, j, k in zip(a, p, n, strict=True)}
    assert picks[0] == (2, 3)  # farthest positive 70, nearest negative 100
    assert picks[2] == (0, 3)
    assert picks[3] == (4, 2)
    assert picks[4] == (3, 2)


def test_semihard_triplets_are_semihard() -> None:
    torch.manual_seed(0)
    x = torch.nn.functional.normalize(torch.randn(24, 3), dim=1)
    labels = torch.arange(24) // 6
    margin = 0.3
    a, p, n = build_loss("triplet-semihard", margin).miner(x, labels)
    assert len(a) > 0
    d = torch.cdist(x, x)
    ap, an = d[a, p], d[a, n]
    assert bool((ap < an).all()) and bool((an <= ap + margin + 1e-6).all())
    assert bool((labels[a] == labels[p]).all()) and bool((labels[a] != labels[n]).all())
    assert isinstance(build_loss("triplet-all").miner, miners.TripletMarginMiner)


def test_ratio_pair_miner() -> None:
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])  # 14 ordered positive, 42 negative pairs
    miner = RatioPairMiner(0.5, seed=3)
    a1, p, a2, n = miner(torch.zeros(8, 2), labels)
    assert len(a1) == 14 and len(a2) == 28
    assert bool((labels[a1] == labels[p]).all()) and bool((labels[a2] != labels[n]).all())
    assert len({(int(i), int(j)) for i, j in zip(a2, n, strict=True)}) == 28
    again = RatioPairMiner(0.5, seed=3)
    assert torch.equal(again(torch.zeros(8, 2), labels)[2], a2)  # seeded
    assert miner.state_dict()  # the call counter travels with a checkpoint
    assert len(RatioPairMiner(100.0)(torch.zeros(8, 2), labels)[2]) == 1
    with pytest.raises(ValueError):
        build_loss("triplet-hard", pos_neg_ratio=1.0)


@pytest.mark.parametrize("name", [n for n in LOSSES if n != "triplet"]
                         + ["contrastive-ratio"])
def test_steps_pull_classes_together(name: str) -> None:
    torch.manual_seed(1)
    labels = torch.arange(12) // 3
    raw = torch.nn.Parameter(torch.randn(12, 6))
    if name == "contrastive-ratio":
        loss_fn = build_loss("contrastive", pos_neg_ratio=1.0, embedding_size=6)
    else:
        loss_fn = build_loss(name, embedding_size=6)
    opt = torch.optim.Adam([raw, *loss_fn.parameters()], lr=0.05)

    def spread() -> tuple[float, float]:
        x = torch.nn.functional.normalize(raw.detach(), dim=1)
        d = torch.cdist(x, x)
        same = (labels[:, None] == labels[None]) & ~torch.eye(12, dtype=torch.bool)
        return d[same].mean().item(), d[labels[:, None] != labels[None]].mean().item()

    same0, diff0 = spread()
    for _ in range(25):
        loss = loss_fn(torch.nn.functional.normalize(raw, dim=1), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    same1, diff1 = spread()
    assert same1 < same0 and diff1 > diff0, (same0, same1, diff0, diff1)
