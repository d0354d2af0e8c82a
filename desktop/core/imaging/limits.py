"""How large an input file and its pages may be: the limits every decoder keeps, and the
refusals they share.

Limits on pixel count are checked from a file's headers before any pixel is decoded, and an
oversized page is reduced while it is decoded, so that its longer side is at most
:data:`MAX_SIDE` (:data:`MAX_NOTE_SIDE` for banknote photos).

Why 3000 pixels: a cheque is 6 to 8.5 inches long, so 1800 to 2550 pixels at 300 dpi (the
resolution cheque imaging uses; 200 dpi is enough for signature work), and 3000 pixels keep
at least 350 dpi on any cheque (an A4 signature card keeps 256 dpi). Larger pages carry no
detail the signature extraction uses, and its time grows faster than the pixel count (4000
pixels cost about twice 3000). JPEG pages are decoded at 1/2, 1/4 or 1/8 scale directly.
PNG has no reduced decode and its unfiltering is slow (a 49-megapixel colour PNG takes
over 2 s to decode alone), so a PNG's raw pixel data is limited to
:data:`MAX_PNG_DECODED_BYTES` (64 MB: a 49-megapixel grey page, a 22-megapixel colour one);
with that, every accepted input decodes and checks in under 2 s and 500 MB on 2 cores (see
``benchmarks/input_limits.py``).
"""

from __future__ import annotations

from pathlib import Path

from desktop.core.errors import N_, InputImageError, Message

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 300 dpi A4 page is 8.7 Mpx; a cheque is about 2.5 Mpx
MAX_PAGES = 16
MAX_SIDE = 3000  # pixels: a cheque page's longer side after decoding (see the module doc)
MAX_PNG_DECODED_BYTES = 64 * 2**20  # a PNG's raw pixel data: decoded in full, no scaled decode
MAX_NOTE_SIDE = 2000  # pixels: banknote photos (detection runs at 800, the model at 192)


def no_such_page(path: str | Path, pages: int, page: int) -> InputImageError:
    """The refusal of a page the file does not have (``page`` counts from 0)."""
    return InputImageError(path, Message(N_("has {pages} page(s); page {page} was asked for"),
                                         pages=pages, page=page + 1))


def no_pixels(page: int) -> Message:
    """The problem of a page that decodes to no pixels (``page`` counts from 0)."""
    return Message(N_("page {page} has no pixels"), page=page + 1)
