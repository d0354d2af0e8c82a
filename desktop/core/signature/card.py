"""Signature cards: one scan holding several reference signatures, separated automatically.

An operator scans a card with up to ten signatures, usually in printed boxes with a printed
number each. The page is flat-fielded like a cheque, printed rules and text rows are removed
with the cheque's own primitives, the remaining marks are grouped (strokes of one signature
lie close together; a printed box, when there is one, holds one signature), and the groups are
returned in reading order.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from desktop.core.errors import N_, InputImageError, Message
from desktop.core.signature.cleaning import (
    WEAK_LEVEL,
    as_gray,
    drop_text_rows,
    flat_field,
    group_marks,
    remove_lines,
)

NO_SIGNATURE = N_("no signature was found on the card")


def _card_signatures(
    gray: np.ndarray, path: str | Path | None, max_signatures: int,
) -> tuple[np.ndarray, list[tuple[tuple[int, int, int, int], np.ndarray]]]:
    """Flat-fielded card and (box, ink mask) per signature in reading order."""
    gray = as_gray(gray)
    h, w = gray.shape
    if min(h, w) < 64:
        raise InputImageError(path, Message(N_("the image is too small to be a signature "
                                               "card ({size} pixels)"), size=f"{w}x{h}"))
    norm = flat_field(gray)
    # Faint thin strokes join the marks they touch (see WEAK_LEVEL).
    ink = np.where(norm <= WEAK_LEVEL, 255, 0).astype(np.uint8)
    side = min(h, w)
    # A card's printed rules (box edges) run across a whole box, 30% of the card or more;
    # a signature's straight flourish is shorter than that.
    cleaned, _, removed = remove_lines(ink, max(15, round(0.3 * w)), max(15, round(0.3 * h)),
                                        max(1, round(side / 400)))
    cleaned = drop_text_rows(cleaned, side, removed)
    speck = max(4, round(6 * (side / 600.0) ** 2))
    groups = group_marks(cleaned, max(2, round(0.012 * max(h, w))), max(2, round(0.02 * side)),
                          speck)
    if not groups:
        raise InputImageError(path, Message(NO_SIGNATURE))
    biggest = groups[0][2]
    # Box numbers and specks are far smaller than any signature's strokes.
    found = [(list(box), mask, count) for mask, box, count in groups if count >= 0.05 * biggest]
    cells = _cells(removed)
    if cells is not None:
        # Marks inside one printed box belong to one signature; marks outside every box
        # (the card's heading, the account number) are print.
        merged: dict[int, tuple[list[int], np.ndarray, int]] = {}
        for box, mask, count in found:
            c = int(cells[(box[1] + box[3]) // 2, (box[0] + box[2]) // 2])
            if c <= 0:
                continue
            if c in merged:
                b, m, n = merged[c]
                merged[c] = ([min(b[0], box[0]), min(b[1], box[1]), max(b[2], box[2]),
                              max(b[3], box[3])], m | mask, n + count)
            else:
                merged[c] = (box, mask, count)
        found = list(merged.values())
    if not found:
        raise InputImageError(path, Message(NO_SIGNATURE))
    biggest = max(f[2] for f in found)
    tallest = max(f[0][3] - f[0][1] for f in found)
    found = [f for f in found if f[2] >= 0.1 * biggest and f[0][3] - f[0][1] >= 0.3 * tallest]
    found.sort(key=lambda f: -f[2])
    found = found[:max_signatures]
    masks = {tuple(f[0]): f[1] for f in found}
    order = _reading_order(list(masks))
    return norm, [(box, masks[box]) for box in order]


def locate_signatures(
    gray: np.ndarray, path: str | Path | None = None, max_signatures: int = 10,
) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the signatures on a specimen card, in reading order.

    Printed rules and box edges are removed, rows of printed text dropped, strokes closer than
    ~1.2% of the card's width grouped; when the card has printed boxes, the marks inside one
    box are one signature and marks outside every box are print. Groups much smaller or
    shorter than the largest are dropped (box numbers, specks). At most ``max_signatures``
    (the largest) are returned. Raises :class:`InputImageError` when none is found.
    """
    return [box for box, _ in _card_signatures(gray, path, max_signatures)[1]]


def _cells(rules: np.ndarray) -> np.ndarray | None:
    """Label image of the printed boxes' interiors (0 elsewhere), or None without boxes."""
    if not rules.any():
        return None
    walls = cv2.dilate(rules.astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_not(walls),
                                                           connectivity=4)
    h, w = rules.shape
    out = np.zeros(labels.shape, np.int32)
    found = 0
    for i in range(1, n):
        x, y, bw, bh, a = stats[i]
        touches = x == 0 or y == 0 or x + bw >= w or y + bh >= h
        if not touches and 0.01 * h * w <= a <= 0.6 * h * w:
            found += 1
            out[labels == i] = found
    return out if found else None


def _reading_order(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Rows top to bottom (a box joins a row when its centre lies in the row's span), then x."""
    rows: list[list[tuple[int, int, int, int]]] = []
    for b in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        cy = (b[1] + b[3]) / 2
        if rows and min(r[1] for r in rows[-1]) <= cy <= max(r[3] for r in rows[-1]):
            rows[-1].append(b)
        else:
            rows.append([b])
    return [b for row in rows for b in sorted(row, key=lambda b: b[0])]


def split_signature_card(
    gray: np.ndarray, path: str | Path | None = None, max_signatures: int = 10,
) -> list[np.ndarray]:
    """Cut a scanned specimen card into one crop per signature, in reading order.

    Rows top to bottom, then left to right. Each crop is uint8 grey on white (255) paper
    holding only that signature's strokes (printed boxes, numbers and text removed), each ink
    pixel with its own flat-fielded grey value. Raises :class:`InputImageError` when no
    signature is found.
    """
    norm, found = _card_signatures(gray, path, max_signatures)
    h, w = norm.shape
    m = max(4, round(0.01 * min(h, w)))
    crops = []
    for (x0, y0, x1, y1), mask in found:
        cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        keep = cv2.dilate(mask[cy0:cy1, cx0:cx1].astype(np.uint8), np.ones((3, 3), np.uint8))
        crops.append(np.where(keep > 0, norm[cy0:cy1, cx0:cx1], 255).astype(np.uint8))
    return crops
