"""Stored reference scans' stroke widths, each measured once (the branch service's memory).

Pen matching (contract version 4) compares a query's stroke width with its references'; the
store keeps the references as encoded scans, and decoding five of them at every cheque to
measure them again was most of a repeat check's preprocessing.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from desktop.core.signature.preprocess import SignaturePreprocessing, scanned_stroke_width


class StoredWidths:
    """The scanned stroke widths of stored reference scans (encoded bytes, name), as
    :func:`~desktop.core.signature.preprocess.reference_widths` gives them, each measured
    once: remembered by the SHA-256 of its bytes and the contract, so a scan changed in the
    store is measured again, never read from memory. At most :attr:`MOST` widths are kept
    (the least recently used go first); safe to share between threads."""

    MOST = 4096

    def __init__(self, decode: Callable[[bytes], np.ndarray]) -> None:
        self._decode = decode
        self._known: OrderedDict[tuple[SignaturePreprocessing, bytes], float] = OrderedDict()
        self._lock = threading.Lock()

    def widths(self, stored: Iterable[tuple[bytes, str | Path | None]],
               cfg: SignaturePreprocessing) -> list[float]:
        """The scans' widths (an empty list, nothing decoded, when ``cfg`` does not match
        pens)."""
        if not cfg.match_pen:
            return []
        out = []
        for data, name in stored:
            key = (cfg, hashlib.sha256(data).digest())
            with self._lock:
                width = self._known.get(key)
                if width is not None:
                    self._known.move_to_end(key)
            if width is None:
                width = scanned_stroke_width(self._decode(data), cfg, name)
                with self._lock:
                    self._known[key] = width
                    while len(self._known) > self.MOST:
                        self._known.popitem(last=False)
            out.append(width)
        return out
