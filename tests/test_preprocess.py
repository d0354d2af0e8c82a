"""The preprocessing contract: background-independent ink maps, clear refusals."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.errors import InputImageError
from desktop.core.signature.preprocess import (
    PREPROCESSING_VERSION,
    SignaturePreprocessing,
    preprocess_signature,
)
from training.signature.synthetic import make_writer, render


def _signature(background: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    style = make_writer(rng)
    return render(style, np.random.default_rng(seed + 1), background=background, noise=0.0)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


@pytest.mark.parametrize("seed", range(5))
def test_grey_and_white_background_give_nearly_the_same_tensor(seed: int) -> None:
    import cv2

    white = preprocess_signature(_signature(255, seed))
    grey = preprocess_signature(_signature(190, seed))
    other = preprocess_signature(_signature(255, seed + 50))
    assert white.shape == grey.shape == (128, 192)
    assert white.dtype == np.float32 and 0.0 <= white.min() and white.max() <= 1.0
    # Up to a one-pixel shift from rounding the centre of mass, the maps coincide.
    soft = [cv2.GaussianBlur(x, (0, 0), 1.5) for x in (white, grey, other)]
    assert _ncc(soft[0], soft[1]) > 0.95 > 0.5 > _ncc(soft[0], soft[2])
    assert np.abs(soft[0] - soft[1]).mean() < 0.02
    # paper is exactly zero: the background tone cannot reach the network
    assert (white == 0).mean() > 0.7 and (grey == 0).mean() > 0.7


def test_ink_is_high_and_centred() -> None:
    out = preprocess_signature(_signature(240))
    ys, xs = np.nonzero(out)
    assert out.max() == pytest.approx(1.0)
    cy = (out.sum(1) * np.arange(out.shape[0])).sum() / out.sum()
    cx = (out.sum(0) * np.arange(out.shape[1])).sum() / out.sum()
    assert abs(cy - 64) < 12 and abs(cx - 96) < 20
    assert ys.min() >= 4 and xs.min() >= 4  # the margin is kept


def test_scale_invariance_across_resolutions() -> None:
    """Scans at other resolutions give nearly the same map. A faint tapered lead-in stroke
    can drop below Otsu's threshold at a lower resolution and shift the crop, so the check
    is on the median over signatures and scales, not on every one."""
    import cv2

    scores = []
    for seed in range(6):
        sig = _signature(250, seed)
        base = cv2.GaussianBlur(preprocess_signature(sig), (0, 0), 1.5)
        for f in (0.66, 0.8, 1.3):
            other = cv2.resize(sig, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            scores.append(_ncc(base, cv2.GaussianBlur(preprocess_signature(other), (0, 0), 1.5)))
    assert np.median(scores) > 0.95 and np.mean(np.array(scores) > 0.9) >= 0.75


def test_blank_image_is_refused() -> None:
    blank = np.full((200, 300), 236, np.uint8)
    with pytest.raises(InputImageError, match="blank"):
        preprocess_signature(blank, path="blank.png")
    noisy = np.clip(blank + np.random.default_rng(0).normal(0, 2, blank.shape), 0, 255)
    with pytest.raises(InputImageError, match="blank.png: no signature"):
        preprocess_signature(noisy.astype(np.uint8), path="blank.png")


def test_specks_only_is_refused() -> None:
    img = np.full((200, 300), 250, np.uint8)
    img[50, 60] = img[120, 200] = 0
    with pytest.raises(InputImageError, match="no signature"):
        preprocess_signature(img)


def test_tiny_image_is_refused() -> None:
    with pytest.raises(InputImageError, match="tiny.png: the image is too small"):
        preprocess_signature(np.zeros((20, 25), np.uint8), path="tiny.png")


def test_tiny_signature_is_refused() -> None:
    img = np.full((200, 300), 250, np.uint8)
    img[100:104, 100:106] = 0
    img[100:102, 110:114] = 0
    with pytest.raises(InputImageError, match="too small|too little ink"):
        preprocess_signature(img)


def test_manifest_round_trip_and_refusals() -> None:
    cfg = SignaturePreprocessing(height=96, width=144)
    assert SignaturePreprocessing.from_dict(cfg.to_dict()) == cfg
    bad = cfg.to_dict() | {"version": PREPROCESSING_VERSION + 1}
    with pytest.raises(ValueError, match="not supported"):
        SignaturePreprocessing.from_dict(bad)
    with pytest.raises(ValueError, match="unknown"):
        SignaturePreprocessing.from_dict(cfg.to_dict() | {"gamma": 2.2})


@pytest.mark.parametrize("tone", [0, 30])
def test_black_image_says_no_paper_is_visible(tone: int) -> None:
    """Item 18: an all-black (or all-dark) image was called "blank"; it now says that no
    paper is visible. A flat light image is still blank. The cheque check says the same."""
    from desktop.core.signature.cheque import extract_signature

    with pytest.raises(InputImageError, match="black.png: .*entirely black/dark: no paper "
                                              "visible"):
        preprocess_signature(np.full((200, 300), tone, np.uint8), path="black.png")
    with pytest.raises(InputImageError, match="blank") as err:
        preprocess_signature(np.full((200, 300), 236, np.uint8), path="white.png")
    assert "black" not in str(err.value)
    with pytest.raises(InputImageError, match="cheque.png: .*entirely black/dark: no paper "
                                              "visible"):
        extract_signature(np.full((700, 1600), tone, np.uint8), path="cheque.png")


def test_older_manifests_read_with_the_steps_they_lacked_off() -> None:
    """Models exported before the pen step (version 1) or the thin-stroke step (version 2)
    keep computing exactly what they were trained on."""
    v3 = SignaturePreprocessing().to_dict() | {"version": 3}
    del v3["match_pen"]
    v2 = v3 | {"version": 2}
    del v2["min_stroke_px"]
    v1 = v2 | {"version": 1}
    del v1["pen_width"], v1["pen_ink_level"]
    for old in (v1, v2, v3):
        cfg = SignaturePreprocessing.from_dict(old)
        assert cfg == SignaturePreprocessing()
        assert cfg.to_dict()["version"] == PREPROCESSING_VERSION == 4
    with pytest.raises(ValueError, match="not supported"):  # version 1 never had a pen
        SignaturePreprocessing.from_dict(v1 | {"pen_width": 3.0})
    with pytest.raises(ValueError, match="not supported"):  # nor version 2 this step
        SignaturePreprocessing.from_dict(v2 | {"min_stroke_px": 3.2})
    with pytest.raises(ValueError, match="not supported"):  # nor version 3 pen matching
        SignaturePreprocessing.from_dict(v3 | {"match_pen": True})


def test_thin_strokes_are_thickened_to_the_contracts_width() -> None:
    """A signature scanned with a thinner pen (one pixel eroded away) reads, with the
    thin-stroke step, about as it did before; strokes already wide enough are left alone."""
    import cv2

    from desktop.core.signature.preprocess import stroke_width

    img = np.full((160, 420), 240, np.uint8)
    img[78:83, 20:400] = 20  # a bar 5 pixels wide
    assert stroke_width(img < 128) == pytest.approx(5.0, abs=0.1)

    gray = _signature(235, seed=0)
    thinner = cv2.dilate(gray, np.ones((2, 2), np.uint8))  # dark ink shrinks: a thinner pen

    def width_of(scan: np.ndarray) -> float:  # the contract's ink: Otsu on the blurred scan
        blurred = cv2.GaussianBlur(scan, (0, 0), 1.0)
        return stroke_width(blurred <= cv2.threshold(blurred, 0, 255, cv2.THRESH_OTSU)[0])

    width = width_of(gray)
    assert width_of(thinner) < width - 0.3
    step = SignaturePreprocessing(min_stroke_px=width - 0.1)  # the scan as it was passes
    off = SignaturePreprocessing()
    assert np.array_equal(preprocess_signature(gray, step), preprocess_signature(gray, off))
    as_scanned = _ncc(preprocess_signature(thinner, off), preprocess_signature(gray, off))
    thickened = _ncc(preprocess_signature(thinner, step), preprocess_signature(gray, step))
    assert as_scanned < 0.85 and thickened > 0.93


def test_a_query_with_a_finer_pen_is_grown_to_its_references_width(monkeypatch) -> None:
    """Version 4: a query scanned with a finer pen than its references is thickened to their
    median width before the ink map is made, so it reads nearly as the references' pen would
    have drawn it; a query as wide or wider, and every query under a contract that does not
    match pens, is left as scanned."""
    import cv2

    from desktop.core.signature.preprocess import (
        MAX_STROKE_GROWTH,
        matched_inkmap,
        pen_growth,
        reference_widths,
        scanned_stroke_width,
    )

    matching, off = SignaturePreprocessing(match_pen=True), SignaturePreprocessing()
    gray = _signature(235, seed=4)
    finer = cv2.dilate(gray, np.ones((3, 3), np.uint8))  # dark ink shrinks: a finer pen
    width, finer_width = (scanned_stroke_width(x, matching) for x in (gray, finer))
    assert width - finer_width > 0.5

    # The growth: the references' median less the query's width, rounded, within the cap.
    assert pen_growth(matching, 2.0, [4.1, 3.9, 9.0]).item() == 2
    assert pen_growth(matching, 5.0, [4.0]).item() == 0  # a wider pen is not thinned
    assert pen_growth(matching, 0.5, [20.0]).item() == MAX_STROKE_GROWTH
    assert pen_growth(matching, np.array([2.0, 3.4]), [4.0]).tolist() == [2, 1]
    assert pen_growth(off, 1.0, [4.0]).item() == 0 and pen_growth(matching, 1.0, []).item() == 0

    widths = reference_widths([(gray, "ref.png")] * 3, matching)
    assert widths == [width] * 3 and reference_widths([(gray, "ref.png")], off) == []

    def unread():  # a caller's lazy decoding of stored scans: never run when off
        raise AssertionError("a stored scan was decoded for a contract without pen matching")
        yield

    assert reference_widths(unread(), off) == []
    own = preprocess_signature(gray, matching)
    grown, px = matched_inkmap(finer, matching, "cheque.png", widths)
    assert px == round(width - finer_width) >= 1
    as_scanned, none = matched_inkmap(finer, off, "cheque.png", widths)
    assert none == 0 and np.array_equal(as_scanned, preprocess_signature(finer, off))
    # Blurred, as a one-pixel shift of the canvas is no difference here: measured 0.97 / 0.94.
    soft = [cv2.GaussianBlur(x, (0, 0), 1.5) for x in (grown, as_scanned, own)]
    assert _ncc(soft[0], soft[2]) > _ncc(soft[1], soft[2]) + 0.02
    # The query's own prepared map comes back untouched when nothing grows.
    same, zero = matched_inkmap(gray, matching, "q.png", widths, inkmap=own)
    assert zero == 0 and same is own
    # A scan prepared once gives its map and its width from one finding of the ink; a
    # query's width known from that spares finding its ink again where nothing grows.
    import desktop.core.signature.preprocess as pre

    prepared, measured = pre.prepared_signature(finer, matching, "q.png")
    assert measured == finer_width and pre.prepared_signature(finer, off)[1] is None
    assert np.array_equal(prepared, preprocess_signature(finer, matching))
    found = []
    real = pre._signature_ink
    monkeypatch.setattr(pre, "_signature_ink", lambda *a: found.append(1) or real(*a))
    assert matched_inkmap(gray, matching, "q.png", widths, own, width)[0] is own
    assert not found
    known, known_px = matched_inkmap(finer, matching, "q.png", widths, prepared, measured)
    assert known_px == px and np.array_equal(known, grown)


def test_thinning_leaves_connected_one_pixel_centre_lines() -> None:
    import cv2

    from desktop.core.signature.preprocess import thin

    img = np.zeros((60, 120), np.uint8)
    cv2.line(img, (10, 30), (110, 30), 1, thickness=7)
    cv2.circle(img, (40, 30), 18, 1, thickness=5)
    centre = thin(img.astype(bool))
    assert centre.sum() < 0.25 * img.sum()
    n, _ = cv2.connectedComponents(centre.astype(np.uint8), connectivity=8)
    assert n == 2  # one shape in, one centre line out (plus the background label)
    # One pixel wide: no 2x2 block of centre-line pixels survives.
    blocks = centre[:-1, :-1] & centre[1:, :-1] & centre[:-1, 1:] & centre[1:, 1:]
    assert not blocks.any()
    # The horizontal bar's centre line runs along the bar's middle row.
    assert centre[28:33, 80:100].any(axis=0).all() and not centre[:26, 80:100].any()


@pytest.mark.parametrize("seed", range(3))
def test_pen_step_makes_a_thinner_or_thicker_pen_look_the_same(seed: int) -> None:
    """One scribble written with pens 4, 6 and 8 px wide: without the pen step the tensors
    differ by their ink; with it they nearly coincide."""
    import cv2

    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 200)
    x = 40 + 320 * t + 15 * np.sin(2 * np.pi * rng.uniform(3, 5) * t)
    y = 100 + 45 * np.sin(2 * np.pi * rng.uniform(2, 4) * t + rng.uniform(0, 6))
    path = np.stack([x, y], axis=1).round().astype(np.int32)

    def written(pen: int) -> np.ndarray:
        img = np.full((200, 400), 245, np.uint8)
        cv2.polylines(img, [path], False, 30, thickness=pen, lineType=cv2.LINE_AA)
        return img

    def maps(cfg: SignaturePreprocessing) -> list[np.ndarray]:
        return [preprocess_signature(written(p), cfg) for p in (4, 6, 8)]

    pen = maps(SignaturePreprocessing(pen_width=3.0))
    ink = [float(m.sum()) for m in pen]
    assert max(ink) < 1.1 * min(ink)
    soft = [cv2.GaussianBlur(m, (0, 0), 1.5) for m in pen]
    assert min(_ncc(soft[1], soft[0]), _ncc(soft[1], soft[2])) > 0.9
    scanned = [float(m.sum()) for m in maps(SignaturePreprocessing())]
    assert scanned[2] > 1.5 * scanned[0]  # as scanned, the ink grows with the pen
    assert pen[1].max() == 1.0 and 0.0 <= pen[1].min()


def test_a_models_contract_reaches_the_app(tiny_model) -> None:
    """The tiny model was trained with the thin-stroke step and pen matching: its signed
    manifest carries both, and the app's verifier preprocesses every scan with them."""
    from desktop.core.signature.verification import SignatureVerifier

    verifier = SignatureVerifier(tiny_model, provider="cpu")
    assert verifier.manifest.preprocessing == SignaturePreprocessing(min_stroke_px=3.2,
                                                                     match_pen=True)


def test_stored_reference_widths_are_measured_once_and_again_when_a_scan_changes() -> None:
    import cv2

    from desktop.core.signature.preprocess import scanned_stroke_width
    from desktop.core.signature.stored_widths import StoredWidths

    matching, off = SignaturePreprocessing(match_pen=True), SignaturePreprocessing()
    decoded: list[bytes] = []

    def decode(data: bytes) -> np.ndarray:
        decoded.append(data)
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)

    gray, other = _signature(235, seed=4), _signature(235, seed=5)
    png, other_png = (cv2.imencode(".png", g)[1].tobytes() for g in (gray, other))
    store = StoredWidths(decode)
    width = scanned_stroke_width(gray, matching)
    assert store.widths([(png, "a.png"), (png, "b.png")], matching) == [width, width]
    assert decoded == [png]  # the same bytes are measured once
    assert store.widths([(png, "a.png")], matching) == [width] and decoded == [png]
    # A scan changed in the store (other bytes under the same name) is measured again.
    assert store.widths([(other_png, "a.png")], matching) == [
        scanned_stroke_width(other, matching)]
    assert decoded == [png, other_png]
    # Another contract measures again; one without pen matching decodes nothing.
    thicker = SignaturePreprocessing(match_pen=True, min_contrast=30)
    store.widths([(png, "a.png")], thicker)
    assert len(decoded) == 3 and store.widths([(png, "a.png")], off) == [] and len(decoded) == 3
    # At most MOST widths are kept: the least recently used go first.
    store.MOST = 2
    store.widths([(png, "a.png")], matching)  # used last of the three known
    store.widths([(other_png, "a.png")], thicker)  # a fourth: two are forgotten
    assert len(store._known) == 2 and len(decoded) == 4
    store.widths([(png, "a.png")], matching)  # kept
    assert len(decoded) == 4
    store.widths([(other_png, "a.png")], matching)  # forgotten: measured again
    assert len(decoded) == 5
