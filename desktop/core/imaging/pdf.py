"""PDF scans (what many branch scanners save), rendered by PDFium (pypdfium2).

Each page is rendered at :data:`PDF_DPI`, reduced to the caller's longer side while it is
rendered, under the limits every input keeps (:mod:`desktop.core.imaging.limits`: the
file's bytes are read and bounded before, at most :data:`MAX_PAGES` pages,
:data:`MAX_PIXELS` at 300 dpi). No form, script or link in the file is run. PDFium is not
thread-safe, so every call into it holds one lock.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from desktop.core.errors import N_, InputImageError, Message
from desktop.core.imaging.limits import MAX_PAGES, MAX_PIXELS, no_pixels, no_such_page

PDF_DPI = 300  # a PDF page is rendered at the resolution cheque imaging uses
_PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe: one call at a time per process


@contextmanager
def open_pdf(path: str | Path, data: bytes) -> Iterator[object]:
    """An open PDF document (pypdfium2), used and closed under the PDFium lock."""
    import pypdfium2 as pdfium  # only PDF inputs load PDFium

    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise InputImageError(path, Message(N_(
                    "the PDF is password-protected: scan or save it again without a "
                    "password"))) from None
            raise InputImageError(path, Message(N_(
                "looks like a PDF file but is damaged and cannot be opened ({detail})"),
                detail=exc)) from None
        try:
            yield doc
        except pdfium.PdfiumError as exc:
            raise InputImageError(path, Message(N_("the PDF page cannot be rendered "
                                                   "({detail})"), detail=exc)) from None
        finally:
            doc.close()


def pdf_pages(path: str | Path, doc) -> int:
    """Pages of an open PDF, at most :data:`MAX_PAGES`; a PDF without pages is refused."""
    n = len(doc)
    if n < 1:
        raise InputImageError(path, Message(N_("the PDF has no pages")))
    return min(n, MAX_PAGES)


def load_pdf_page(path: str | Path, data: bytes, page: int, colour: bool,
                   max_side: int | None) -> np.ndarray:
    """Render one PDF page at :data:`PDF_DPI` (reduced to ``max_side`` while rendering)."""
    with open_pdf(path, data) as doc:
        if page >= pdf_pages(path, doc):
            raise no_such_page(path, len(doc), page)
        pdf_page = doc[page]
        try:
            w_pt, h_pt = pdf_page.get_size()  # points (1/72 inch), after the page's rotation
            if not (math.isfinite(w_pt) and math.isfinite(h_pt)) or w_pt <= 0 or h_pt <= 0:
                raise InputImageError(path, Message(N_("page {page} has no area"),
                                                    page=page + 1))
            scale = PDF_DPI / 72
            w, h = w_pt * scale, h_pt * scale
            if w * h > MAX_PIXELS:
                raise InputImageError(path, Message(N_(
                    "page {page} is {width} x {height} inches: {pixels} million pixels at "
                    "{dpi} dpi, over the limit of {limit} million pixels"), page=page + 1,
                    width=f"{w_pt / 72:.1f}", height=f"{h_pt / 72:.1f}",
                    pixels=f"{w * h / 1e6:.0f}", dpi=PDF_DPI, limit=f"{MAX_PIXELS / 1e6:.0f}"))
            if max_side and max(w, h) > max_side:
                scale *= max_side / max(w, h)
            bitmap = pdf_page.render(scale=scale, grayscale=not colour, may_draw_forms=False)
            arr = np.array(bitmap.to_numpy(), dtype=np.uint8)  # a copy: the bitmap is freed
            bitmap.close()
        finally:
            pdf_page.close()
    if arr.size == 0:
        raise InputImageError(path, no_pixels(page))
    if colour:
        return np.ascontiguousarray(arr[..., :3])  # PDFium renders BGR(x)
    return arr.reshape(arr.shape[:2])
