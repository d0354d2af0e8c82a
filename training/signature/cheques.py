"""Synthetic bank cheques and signature cards for tests, demos and the extraction benchmark.

A cheque is about 6 x 2.75 inches: a light tinted security background (gradient plus a
guilloche-like mesh of thin wave lines), printed bank name and address, date, payee line,
amount box, amount in words, memo, a signature line with a caption under it and a MICR-like
code line. A signature drawn by :mod:`training.signature.synthetic` sits on the signature line with
its strokes crossing it. The page is then "scanned": skewed, blurred, noised, optionally JPEG'd.

The layout constants below are the ground truth the extractor's default zone
(:data:`desktop.core.signature.cheque.DEFAULT_ZONE`) was measured against. Never real cheques: these
exist so that the extraction has a measurable truth (the signature's own ink mask).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from training.signature.synthetic import WriterStyle, make_writer, render

CHEQUE_INCHES = (6.0, 2.75)
SIGNATURE_LINE_Y = 0.78  # relative to the page height
SIGNATURE_LINE_X = (0.57, 0.96)
SIGNATURE_MAX_H = 0.26  # the signature's ink height, relative to the page height
CAPTION_TOP = SIGNATURE_LINE_Y + 0.055
FORMATS = ("tiff-g4", "png-gray", "jpeg-colour", "png-colour", "jpeg-gray")
_EXT = {"tiff-g4": ".tif", "png-gray": ".png", "jpeg-colour": ".jpg", "png-colour": ".png",
        "jpeg-gray": ".jpg"}
_BANKS = ("First Harbour Bank", "Union Savings Bank", "Northgate Trust", "Crown Mutual Bank",
          "Riverside Credit Union", "Meridian National Bank")
_STREETS = ("12 High Street", "401 Market Square", "77 King's Road", "9 Station Avenue")
_TOWNS = ("Springfield", "Easton", "Lakeside", "Millbrook", "Oakridge")
_FIRST = ("Anna", "Brian", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Irene", "Jonas")
_LAST = ("Novak", "Okafor", "Larsen", "Moreau", "Silva", "Tanaka", "Weber", "Quinn", "Ruiz")
_WORDS = ("One hundred twenty", "Four hundred", "Seventy five", "Two thousand ten",
          "Nine hundred fifty", "Thirty three")


@dataclass
class SyntheticCheque:
    """One generated cheque: both sides as scanned, and the truth about its signature."""

    front: np.ndarray  # uint8, HxW gray or HxWx3 BGR
    back: np.ndarray
    signature_mask: np.ndarray  # bool, the signature's ink in the front's (skewed) coordinates
    angle: float  # degrees, counter-clockwise as cv2.getRotationMatrix2D
    dpi: int


def _put(layer: np.ndarray, text: str, x: float, y: float, height: float, thickness: int,
         font: int = cv2.FONT_HERSHEY_SIMPLEX) -> None:
    """Draw ``text`` into a uint8 opacity layer, baseline-left at (x, y), cap height ``height``."""
    (_, th), _ = cv2.getTextSize(text, font, 1.0, thickness)
    scale = height / max(th, 1)
    cv2.putText(layer, text, (int(round(x)), int(round(y))), font, scale, 255, thickness,
                cv2.LINE_AA)


def _hline(layer: np.ndarray, x0: float, x1: float, y: float, t: int) -> None:
    cv2.line(layer, (int(x0), int(y)), (int(x1), int(y)), 255, t, cv2.LINE_AA)


def _background(rng: np.random.Generator, h: int, w: int, colour: bool) -> np.ndarray:
    """Tinted paper with a gradient and a guilloche-like mesh of thin wave lines (float BGR)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tint_a = (rng.uniform(215, 250, 3) if colour else np.full(3, rng.uniform(225, 250)))
    tint_b = (rng.uniform(215, 250, 3) if colour else np.full(3, rng.uniform(225, 250)))
    tint_a, tint_b = tint_a.astype(np.float32), tint_b.astype(np.float32)
    g = (xx / w * 0.7 + yy / h * 0.3)[..., None]
    page = tint_a * (1 - g) + tint_b * g
    mesh = np.zeros((h, w), np.float32)
    period = w / rng.uniform(45, 80)  # line spacing in pixels
    for sign in (1.0, -1.0):
        amp, wave = rng.uniform(0.3, 1.2), w / rng.uniform(3, 8)
        phase = (yy + sign * 0.35 * xx + amp * period * np.sin(2 * np.pi * xx / wave
                 + rng.uniform(0, 6.3))) / period
        dist = np.abs(phase - np.round(phase)) * period  # pixels to the nearest wave line
        mesh = np.maximum(mesh, np.clip(1.2 - dist, 0, 1))
    strength = rng.uniform(15, 40)
    hue = (rng.uniform(0.3, 1.0, 3) if colour else np.ones(3)).astype(np.float32)
    page = page - mesh[..., None] * np.float32(strength) * hue
    return page.astype(np.float32)


def _composite(page: np.ndarray, alpha: np.ndarray, ink_bgr) -> None:
    """Lay ink of colour ``ink_bgr`` with opacity ``alpha`` (HxW in [0,1]) onto ``page``."""
    rows, cols = np.nonzero(alpha.any(axis=1))[0], np.nonzero(alpha.any(axis=0))[0]
    if rows.size == 0:
        return
    sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    a = alpha[sl].astype(np.float32)[..., None]
    region = page[sl]
    region *= 1 - a
    region += a * np.asarray(ink_bgr, np.float32)


def _signature_alpha(style: WriterStyle, rng: np.random.Generator, forgery: bool) -> np.ndarray:
    """One signature as ink opacity on a tight crop (float32 in [0,1])."""
    img = render(style, rng, forgery=forgery, background=255, noise=0.0)
    alpha = (255.0 - img.astype(np.float32)) / 255.0
    alpha = alpha / max(float(alpha.max()), 1e-3)  # full opacity at the darkest ink
    ys, xs = np.nonzero(alpha > 0.02)
    return alpha[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


def _place(canvas_alpha: np.ndarray, sig: np.ndarray, cx: float, bottom: float,
           max_w: float, max_h: float) -> tuple[int, int, int, int]:
    """Scale ``sig`` into max_w x max_h, centre it at cx with its ink bottom at ``bottom``."""
    sh, sw = sig.shape
    scale = min(max_w / sw, max_h / sh)
    nw, nh = max(1, round(sw * scale)), max(1, round(sh * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    sig = np.clip(cv2.resize(sig, (nw, nh), interpolation=interp), 0, 1)
    x0, y0 = int(round(cx - nw / 2)), int(round(bottom - nh))
    H, W = canvas_alpha.shape
    x0, y0 = min(max(x0, 0), W - nw), min(max(y0, 0), H - nh)
    region = canvas_alpha[y0: y0 + nh, x0: x0 + nw]
    np.maximum(region, sig, out=region)
    return x0, y0, x0 + nw, y0 + nh


def _scan(page: np.ndarray, rng: np.random.Generator, angle: float,
          extra: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Skew (about the centre), blur and noise a float BGR page; warp ``extra`` maps the same."""
    h, w = page.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    bed = tuple(float(v) for v in rng.uniform(235, 250, 3))
    out = cv2.warpAffine(page, m, (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=bed)
    warped = [cv2.warpAffine(e, m, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0) for e in extra]
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 0.8))
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(rng.uniform(1.0, 4.0))
    out8 = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:  # a scanner that compresses internally
        ok, buf = cv2.imencode(".jpg", out8, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 92))])
        if ok:
            out8 = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out8, warped


def _name(rng: np.random.Generator) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def make_cheque(
    rng: np.random.Generator, style: WriterStyle | None, forgery: bool = False, *,
    dpi: int | None = None, angle: float | None = None, colour: bool = True,
    with_signature: bool = True, blank: bool = False,
) -> SyntheticCheque:
    """Generate one scanned cheque (front and back) signed with ``style``'s signature.

    ``forgery`` draws a skilled forgery of the style instead of a genuine signature. ``dpi``
    is random in 200-300 and ``angle`` (skew, degrees) random in +-2.5 when None. ``blank``
    gives paper and scanner noise only; ``with_signature=False`` (or ``style=None``) an unsigned
    printed cheque. Colour pages are BGR; ``colour=False`` gives grey pages.
    """
    dpi = int(dpi if dpi is not None else rng.integers(200, 301))
    angle = float(angle if angle is not None else rng.uniform(-2.5, 2.5))
    W, H = round(CHEQUE_INCHES[0] * dpi), round(CHEQUE_INCHES[1] * dpi)
    u = dpi / 100.0  # pixels per 1/100 inch: sizes below are in those units
    t1, t2 = max(1, round(0.8 * u)), max(2, round(1.4 * u))
    sig_alpha = np.zeros((H, W), np.float32)
    if blank:
        tone = rng.uniform(225, 250, 3) if colour else np.full(3, rng.uniform(225, 250))
        front = np.empty((H, W, 3), np.float32)
        front[:] = tone
        back = front.copy()
    else:
        front = _background(rng, H, W, colour)
        dark = tuple(float(v) for v in (rng.uniform(20, 70, 3) if colour else [40] * 3))
        black = (35.0, 35.0, 35.0)
        hand = (float(rng.uniform(90, 150)), float(rng.uniform(20, 50)), float(rng.uniform(10, 40)))
        if not colour or rng.random() < 0.4:
            hand = (30.0, 30.0, 30.0)
        # Opacity layers (uint8: cv2's text drawing needs 8-bit images), composited at the end.
        bank, prn, hnd = (np.zeros((H, W), np.uint8) for _ in range(3))
        script = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
        _put(bank, str(rng.choice(_BANKS)), 0.04 * W, 0.14 * H, 0.07 * H, t2,
             cv2.FONT_HERSHEY_TRIPLEX)
        _put(bank, f"{rng.choice(_STREETS)}, {rng.choice(_TOWNS)}", 0.04 * W, 0.21 * H,
             0.03 * H, t1)
        _put(prn, f"No. {int(rng.integers(100, 9999)):04d}", 0.82 * W, 0.11 * H, 0.04 * H, t1)
        _put(prn, "DATE", 0.60 * W, 0.25 * H, 0.03 * H, t1)
        _hline(prn, 0.66 * W, 0.95 * W, 0.26 * H, t1)
        _put(hnd, f"{int(rng.integers(1, 29))}/{int(rng.integers(1, 13))}/2024",
             0.70 * W, 0.24 * H, 0.05 * H, t1, script)
        _put(prn, "PAY TO THE", 0.03 * W, 0.35 * H, 0.025 * H, t1)
        _put(prn, "ORDER OF", 0.03 * W, 0.40 * H, 0.025 * H, t1)
        _hline(prn, 0.16 * W, 0.70 * W, 0.405 * H, t1)
        _put(hnd, _name(rng), 0.20 * W, 0.39 * H, 0.06 * H, t1, script)
        _put(prn, "$", 0.725 * W, 0.40 * H, 0.06 * H, t2)
        cv2.rectangle(prn, (int(0.75 * W), int(0.31 * H)), (int(0.96 * W), int(0.43 * H)),
                      255, t1)
        _put(hnd, f"{int(rng.integers(10, 3000))}.{int(rng.integers(0, 100)):02d}",
             0.77 * W, 0.40 * H, 0.06 * H, t1, script)
        _hline(prn, 0.03 * W, 0.80 * W, 0.49 * H, t1)
        _put(prn, "DOLLARS", 0.82 * W, 0.49 * H, 0.03 * H, t1)
        _put(hnd, str(rng.choice(_WORDS)) + " and 00/100", 0.05 * W, 0.475 * H, 0.055 * H, t1,
             script)
        _put(prn, "MEMO", 0.03 * W, SIGNATURE_LINE_Y * H, 0.03 * H, t1)
        _hline(prn, 0.10 * W, 0.45 * W, SIGNATURE_LINE_Y * H, t1)
        if rng.random() < 0.5:
            _put(hnd, "rent", 0.14 * W, (SIGNATURE_LINE_Y - 0.02) * H, 0.05 * H, t1, script)
        x0, x1 = SIGNATURE_LINE_X
        _hline(prn, x0 * W, x1 * W, SIGNATURE_LINE_Y * H, t1 + int(rng.random() < 0.5))
        _put(prn, "AUTHORIZED SIGNATURE", 0.66 * W, (CAPTION_TOP + 0.028) * H, 0.028 * H, t1)
        micr = (f"C{int(rng.integers(0, 10**9)):09d}C  {int(rng.integers(10**8, 10**9))}A  "
                f"{int(rng.integers(0, 9999)):04d}")
        _put(prn, micr, 0.08 * W, 0.95 * H, 0.045 * H, t2, cv2.FONT_HERSHEY_PLAIN)
        paper = front[2:6, 2:6].reshape(-1, 3).mean(axis=0)
        _composite(front, bank / 255.0, dark)
        _composite(front, prn / 255.0, black)
        _composite(front, hnd / 255.0 * 0.9, hand)
        if with_signature and style is not None:
            sig = _signature_alpha(style, rng, forgery)
            cx = (x0 + x1) / 2 * W + rng.uniform(-0.03, 0.03) * W
            bottom = (SIGNATURE_LINE_Y + rng.uniform(0.012, 0.035)) * H
            _place(sig_alpha, sig, cx, bottom, rng.uniform(0.26, 0.34) * W, SIGNATURE_MAX_H * H)
            _composite(front, sig_alpha * rng.uniform(0.85, 1.0), hand)
        back = np.empty_like(front)  # the back: plain paper with an endorsement area
        back[:] = np.clip(paper + 6, 0, 250)
        endorse = np.zeros((H, W), np.uint8)
        _put(endorse, "ENDORSE HERE", 0.75 * W, 0.10 * H, 0.035 * H, t1)
        for k in range(3):
            _hline(endorse, 0.70 * W, 0.97 * W, (0.18 + 0.08 * k) * H, t1)
        _put(endorse, "DO NOT WRITE, STAMP OR SIGN BELOW THIS LINE", 0.62 * W, 0.45 * H,
             0.022 * H, t1)
        _composite(back, endorse / 255.0, black)
    front8, (mask_f,) = _scan(front, rng, angle, [sig_alpha])
    back8, _ = _scan(back, rng, float(rng.uniform(-1, 1)), [])
    if not colour:
        front8 = cv2.cvtColor(front8, cv2.COLOR_BGR2GRAY)
        back8 = cv2.cvtColor(back8, cv2.COLOR_BGR2GRAY)
    return SyntheticCheque(front=front8, back=back8, signature_mask=mask_f >= 0.5, angle=angle,
                           dpi=dpi)


def _gray(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def _pil(img: np.ndarray) -> Image.Image:
    if img.ndim == 2:
        return Image.fromarray(img, "L")
    return Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), "RGB")


def _write(cheque: SyntheticCheque, target, fmt: str) -> None:
    """Encode ``cheque`` in ``fmt`` into a path or a binary file object."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown cheque format {fmt!r}; use one of {', '.join(FORMATS)}")
    dpi = (cheque.dpi, cheque.dpi)
    if fmt == "tiff-g4":
        # Bitonal scanners threshold (no dithering): the light security tint drops out.
        pages = [Image.fromarray(np.where(_gray(p) > 140, 255, 0).astype(np.uint8), "L")
                 .convert("1", dither=Image.Dither.NONE) for p in (cheque.front, cheque.back)]
        pages[0].save(target, format="TIFF", compression="group4", save_all=True,
                      append_images=pages[1:], dpi=dpi)
        return
    if fmt.endswith("gray"):
        front = _gray(cheque.front)
    else:
        front = cheque.front if cheque.front.ndim == 3 else cv2.cvtColor(cheque.front,
                                                                         cv2.COLOR_GRAY2BGR)
    kw = {"quality": 85} if fmt.startswith("jpeg") else {}
    _pil(front).save(target, format="JPEG" if fmt.startswith("jpeg") else "PNG", dpi=dpi, **kw)


def save_cheque(cheque: SyntheticCheque, path: str | Path, fmt: str) -> Path:
    """Write the cheque as a branch scanner would; returns the path.

    ``fmt``: "tiff-g4" (2-page bilevel CCITT Group 4 TIFF, front then back, dpi recorded),
    "png-gray", "png-colour", "jpeg-gray", "jpeg-colour" (front only; quality 85).
    """
    path = Path(path)
    _write(cheque, path, fmt)
    return path


def encode_cheque(cheque: SyntheticCheque, fmt: str) -> bytes:
    """The bytes :func:`save_cheque` would write, kept in memory (for benchmarks)."""
    buf = io.BytesIO()
    _write(cheque, buf, fmt)
    return buf.getvalue()


def make_signature_card(
    rng: np.random.Generator, style: WriterStyle, n: int = 6,
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A specimen card with ``n`` genuine signatures in a grid of numbered printed boxes.

    Returns the grayscale card (200 dpi) and each signature's true ink box (x0, y0, x1, y1),
    in reading order.
    """
    cols = 2 if n <= 4 else 3
    rows = -(-n // cols)
    bw, bh, margin, top = 440, 240, 40, 90
    W, H = margin * 2 + cols * bw, top + margin + rows * bh
    page = np.full((H, W, 3), float(rng.uniform(230, 250)), np.float32)
    prn = np.zeros((H, W), np.uint8)
    _put(prn, "SPECIMEN SIGNATURE CARD", margin, 45, 22, 2)
    _put(prn, f"Account {int(rng.integers(10**8, 10**9))}", margin, 75, 14, 1)
    alpha = np.zeros((H, W), np.float32)
    boxes = []
    for i in range(n):
        r, c = divmod(i, cols)
        bx, by = margin + c * bw, top + r * bh
        cv2.rectangle(prn, (bx, by), (bx + bw, by + bh), 255, 2)
        _put(prn, str(i + 1), bx + 8, by + 22, 14, 1)
        sig = _signature_alpha(style, rng, False)
        cx = bx + bw / 2 + rng.uniform(-15, 15)
        bottom = by + bh * rng.uniform(0.82, 0.88)
        layer = np.zeros_like(alpha)
        _place(layer, sig, cx, bottom, bw * 0.72, bh * 0.62)
        ys, xs = np.nonzero(layer >= 0.5)
        boxes.append((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
        np.maximum(alpha, layer, out=alpha)
    _composite(page, prn / 255.0, (30.0, 30.0, 30.0))
    _composite(page, alpha, (25.0, 25.0, 25.0))
    card, _ = _scan(page, rng, 0.0, [])
    return cv2.cvtColor(card, cv2.COLOR_BGR2GRAY), boxes


def generate_cheque_set(
    root: str | Path, n_accounts: int = 4, references: int = 5, genuine: int = 2,
    forged: int = 2, seed: int = 0, formats: tuple[str, ...] = FORMATS,
) -> Path:
    """Write a batch of cheques with their accounts' reference signatures; return ``root``.

    Layout: ``references/<account>/ref_XX.png``, ``cheques/cheque_XXXX.<ext>`` (genuine and
    forged cheques of every account, formats rotating, files in shuffled order so that the
    name says nothing), ``mapping.csv`` (file,account_number), ``truth.csv``
    (file,account_number,kind) and ``accounts.csv`` (account_number,name).
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    (root / "cheques").mkdir(parents=True, exist_ok=True)
    accounts, jobs = [], []
    for ai in range(n_accounts):
        number = f"100200300{ai}"
        style = make_writer(rng)
        accounts.append((number, _name(rng)))
        ref_dir = root / "references" / number
        ref_dir.mkdir(parents=True, exist_ok=True)
        for ri in range(references):
            cv2.imwrite(str(ref_dir / f"ref_{ri:02d}.png"), render(style, rng))
        jobs += [(number, style, "genuine")] * genuine + [(number, style, "forged")] * forged
    order = rng.permutation(len(jobs))
    truth = []
    for k, j in enumerate(order):
        number, style, kind = jobs[j]
        fmt = formats[k % len(formats)]
        cheque = make_cheque(rng, style, forgery=kind == "forged",
                             colour=fmt.endswith("colour"))
        name = f"cheque_{k:04d}{_EXT[fmt]}"
        save_cheque(cheque, root / "cheques" / name, fmt)
        truth.append((name, number, kind))
    with open(root / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("account_number", "name"), *accounts])
    with open(root / "mapping.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("file", "account_number"), *[t[:2] for t in truth]])
    with open(root / "truth.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("file", "account_number", "kind"), *truth])
    return root
