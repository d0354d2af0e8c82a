"""The batched verification path: thread-pool preparation, chunked embedding, same verdicts."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.core.errors import InputImageError
from desktop.core.models.runtime import create_session
from desktop.core.signature.verification import SignatureVerifier


@pytest.fixture(scope="module")
def verifier(shipped_model: Path) -> SignatureVerifier:
    return SignatureVerifier(shipped_model, "cpu", threads=2)


def _jobs(verifier: SignatureVerifier, root: Path) -> list[tuple[Path, np.ndarray]]:
    """Each writer's first three genuine signatures are its references; every other file of
    the writer (genuine and forged) is a query against them."""
    jobs = []
    for writer in sorted(p for p in root.iterdir() if p.is_dir()):
        genuine = sorted((writer / "genuine").glob("*.png"))
        refs = verifier.embed_inkmaps([verifier.prepare(p).inkmap for p in genuine[:3]])
        jobs += [(p, refs) for p in [*genuine[3:], *sorted((writer / "forged").glob("*.png"))]]
    return jobs


def test_batch_gives_the_verdicts_of_one_at_a_time(verifier, synthetic_dir: Path) -> None:
    jobs = _jobs(verifier, synthetic_dir)
    assert len(jobs) > 40  # more than one chunk of 32
    one_by_one = [verifier.decide(refs, verifier.embed_inkmaps([verifier.prepare(p).inkmap])[0],
                                  target_far=0.02) for p, refs in jobs]
    for workers in (1, 2):
        batch = verifier.verify_batch(jobs, target_far=0.02, workers=workers, chunk=32)
        assert len(batch) == len(jobs)
        for got, want in zip(batch, one_by_one, strict=True):
            assert got.decision == want.decision
            assert got.distance == pytest.approx(want.distance, abs=1e-5)
            assert got.reference_distances == pytest.approx(want.reference_distances, abs=1e-5)
    assert len({r.decision for r in one_by_one}) >= 2  # the comparison covers verdicts


def test_unusable_files_are_reported_in_place(verifier, synthetic_dir: Path,
                                              tmp_path: Path) -> None:
    jobs = _jobs(verifier, synthetic_dir)[:5]
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((80, 200), 240, np.uint8))
    refs = jobs[0][1]
    mixed = [jobs[0], (empty, refs), jobs[1], (blank, refs), (jobs[2][0], refs[:0]), jobs[3]]
    out = verifier.verify_batch(mixed, workers=2, chunk=2)
    assert [type(r).__name__ for r in out] == [
        "VerificationResult", "InputImageError", "VerificationResult", "InputImageError",
        "InputImageError", "VerificationResult"]
    assert "empty" in str(out[1]) and "blank" in str(out[3])
    assert "reference" in str(out[4])


def test_prepare_many_keeps_order_with_a_short_window(verifier, synthetic_dir: Path) -> None:
    paths = sorted(synthetic_dir.glob("*/*/*.png"))[:12]
    prepared = list(verifier.prepare_many(paths, workers=2, ahead=2))
    assert [p.path for p in prepared] == [str(p) for p in paths]
    assert all(not isinstance(p, InputImageError) for p in prepared)


def test_an_unknown_method_fails_before_any_work(verifier, synthetic_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown decision method"):
        verifier.verify_batch([(Path("never-read.png"), np.zeros((1, 128)))], method="guess")


def test_thread_cap_is_checked(shipped_model: Path) -> None:
    session, _ = create_session(shipped_model / "embedder.onnx", "cpu", threads=1)
    assert session.get_session_options().intra_op_num_threads == 1
    with pytest.raises(ValueError, match="threads"):
        create_session(shipped_model / "embedder.onnx", "cpu", threads=0)


def test_a_query_with_a_finer_pen_is_matched_to_its_references(
        tiny_model: Path, synthetic_dir: Path, tmp_path: Path) -> None:
    """A model whose contract matches pens (the tiny model is trained with ``--match-pen``)
    grows a finer-pen query's strokes to its references' before embedding it, one at a time
    and in a batch given the references' widths; a batch without widths reads it as
    scanned."""
    from desktop.core.signature.preprocess import matched_inkmap, reference_widths

    verifier = SignatureVerifier(tiny_model, "cpu")
    prep = verifier.manifest.preprocessing
    assert prep.match_pen
    writer = sorted(p for p in synthetic_dir.iterdir() if p.is_dir())[0]
    genuine = sorted((writer / "genuine").glob("*.png"))
    refs = [verifier.prepare(p) for p in genuine[:3]]
    finer = tmp_path / "finer.png"  # dark ink shrinks under a dilation: a finer pen
    cv2.imwrite(str(finer), cv2.dilate(cv2.imread(str(genuine[3]), cv2.IMREAD_GRAYSCALE),
                                       np.ones((3, 3), np.uint8)))
    query = verifier.prepare(finer)
    widths = reference_widths([(r.gray, r.path) for r in refs], prep)
    assert [r.width for r in refs] == widths  # measured when prepared
    assert query.width == reference_widths([(query.gray, query.path)], prep)[0]
    inkmap, grown = matched_inkmap(query.gray, prep, query.path, widths)
    assert grown >= 1 and not np.array_equal(inkmap, query.inkmap)

    result = verifier.verify(refs, query)
    emb = verifier.embed_inkmaps([r.inkmap for r in refs] + [inkmap])
    assert result.distance == pytest.approx(verifier.decide(emb[:-1], emb[-1]).distance,
                                            abs=1e-5)
    matched = verifier.verify_batch([(finer, emb[:-1])], widths=[widths], workers=1)
    assert matched[0].distance == pytest.approx(result.distance, abs=1e-5)
    as_scanned = verifier.decide(emb[:-1], verifier.embed_inkmaps([query.inkmap])[0])
    plain = verifier.verify_batch([(finer, emb[:-1])], workers=1)
    assert plain[0].distance == pytest.approx(as_scanned.distance, abs=1e-5)
    assert as_scanned.distance != pytest.approx(result.distance, abs=1e-5)
