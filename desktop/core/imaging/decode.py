"""Safe image loading: PNG, JPEG, TIFF (multi-page, 1-bit CCITT G4), BMP, and PDF scans.

Every failure becomes an :class:`InputImageError` naming the file and the problem. Every entry
point (cheque checks, enrollment, banknotes, the batch, ``verify``, the comparison window)
reads files through :func:`read_input_file`, which accepts only regular files and never reads
more than :data:`MAX_FILE_BYTES` (a FIFO or a link to ``/dev/zero`` is refused at once).

Decoding is bounded too (:mod:`desktop.core.imaging.limits` says the limits and why): limits
on pixel count are checked from the header before any pixel is decoded; only the page asked
for is decoded (:func:`load_page`; :func:`page_count` counts pages from the headers); and an
oversized page is reduced while it is decoded. PDF pages are rendered by PDFium under the
same limits (:mod:`desktop.core.imaging.pdf`).
"""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from desktop.core.errors import N_, InputImageError, Message
from desktop.core.imaging.halftone import refuse_halftone
from desktop.core.imaging.limits import (
    MAX_FILE_BYTES,
    MAX_NOTE_SIDE,
    MAX_PAGES,
    MAX_PIXELS,
    MAX_PNG_DECODED_BYTES,
    MAX_SIDE,
    no_pixels,
    no_such_page,
)
from desktop.core.imaging.pdf import load_pdf_page, open_pdf, pdf_pages

# The limits are read from here by the callers that decode through this module.
__all__ = ["MAX_FILE_BYTES", "MAX_NOTE_SIDE", "MAX_PAGES", "MAX_PIXELS",
           "MAX_PNG_DECODED_BYTES", "MAX_SIDE", "load_gray", "load_page", "load_pages",
           "page_count", "read_input_file", "sniff_format"]

SUPPORTED_FORMATS = {"PNG", "JPEG", "TIFF", "BMP", "MPO"}
MULTI_PAGE_FORMATS = {"TIFF", "MPO"}
# Formats whose EXIF orientation the decoder applies (a PNG's eXIf chunk too; a TIFF's
# Orientation tag Pillow applies by itself).
EXIF_ROTATED_FORMATS = {"JPEG", "MPO", "PNG"}
SUPPORTED_TEXT = "PNG, JPEG, TIFF, BMP or PDF"
NOT_FOUND = Message(N_("file not found"))
EMPTY = Message(N_("the file is empty (0 bytes)"))

# What Pillow's decoders raise on hostile or damaged files, at open(), seek() or load().
DECODER_ERRORS: tuple[type[BaseException], ...] = (
    OSError, ValueError, SyntaxError, EOFError, struct.error, MemoryError, IndexError,
    KeyError, TypeError, ArithmeticError, Image.DecompressionBombError,
)

MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"II*\x00", "TIFF"),
         (b"MM\x00*", "TIFF"), (b"BM", "BMP"))

_NOT_REGULAR = ((stat.S_ISDIR, N_("is a folder, not an image file")),
                (stat.S_ISFIFO, N_("is a pipe (FIFO), not an image file")),
                (stat.S_ISCHR, N_("is a device, not an image file")),
                (stat.S_ISBLK, N_("is a device, not an image file")),
                (stat.S_ISSOCK, N_("is a socket, not an image file")))


def sniff_format(data: bytes) -> str | None:
    """The image format a file's first bytes announce ("PDF" for a PDF document), or None."""
    for magic, name in MAGIC:
        if data.startswith(magic):
            return name
    if b"%PDF-" in data[:1024]:  # readers accept the header anywhere in the first 1 KiB
        return "PDF"
    return None


def _check_regular(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    for test, problem in _NOT_REGULAR:
        if test(mode):
            raise InputImageError(path, Message(problem))
    raise InputImageError(path, Message(N_("is not a regular file")))


def _too_large(path: Path, size: int) -> InputImageError:
    mb, limit = f"{size / 2**20:.0f}", f"{MAX_FILE_BYTES // 2**20}"
    return InputImageError(path, Message(N_("the file is too large ({size} MB; limit {limit} "
                                            "MB): scan at 300 dpi, in grey, or save it "
                                            "compressed (JPEG, or TIFF with LZW or G4)"),
                                         size=mb, limit=limit))


def read_input_file(path: str | Path) -> bytes:
    """The bytes of an input image file, read once and bounded.

    Only a regular file is read (after following symlinks: a FIFO, a device such as
    ``/dev/zero``, a socket or a folder is refused before any byte is read; the file is
    opened non-blocking where the platform allows, so a FIFO swapped in cannot block), and at
    most :data:`MAX_FILE_BYTES` + 1 bytes are read: a file over the limit, or growing past it
    while read, is refused. Raises :class:`InputImageError` naming the file.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputImageError(path, NOT_FOUND) from None
    except OSError as exc:
        raise InputImageError(path, Message(N_("cannot be read ({detail})"),
                                                 detail=exc.strerror or exc)) from None
    _check_regular(path, st.st_mode)
    if st.st_size == 0:
        raise InputImageError(path, EMPTY)
    if st.st_size > MAX_FILE_BYTES:
        raise _too_large(path, st.st_size)
    flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputImageError(path, NOT_FOUND) from None
    except OSError as exc:
        raise InputImageError(path, Message(N_("cannot be read ({detail})"),
                                                 detail=exc.strerror or exc)) from None
    chunks: list[bytes] = []
    try:
        _check_regular(path, os.fstat(fd).st_mode)  # replaced between stat() and open()
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except BlockingIOError:
        raise InputImageError(path, Message(N_("cannot be read (it would block: not a "
                                               "regular file)"))) from None
    except OSError as exc:
        raise InputImageError(path, Message(N_("cannot be read ({detail})"),
                                                 detail=exc.strerror or exc)) from None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(path, len(data))
    if not data:
        raise InputImageError(path, EMPTY)
    return data


def _decode_error(path: str | Path, data: bytes, exc: BaseException) -> InputImageError:
    """The user-facing error for anything a decoder raised."""
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return InputImageError(path, Message(N_("has too many pixels to be a scanned "
                                                "document")))
    if isinstance(exc, MemoryError):
        return InputImageError(path, Message(N_("cannot be decoded: it needs more memory "
                                                "than a scanned document would")))
    detail = str(exc) or type(exc).__name__
    if "text chunk" in detail.lower() or "max_text" in detail.lower():
        return InputImageError(path, Message(N_(
            "cannot be decoded: it carries an oversized text (metadata) chunk ({detail}); "
            "save the image again without metadata"), detail=detail))
    kind = sniff_format(data)
    if isinstance(exc, UnidentifiedImageError):
        if kind:  # the signature says image, the rest cannot be parsed: damaged or cut short
            return InputImageError(path, Message(N_(
                "looks like a {kind} file but is damaged or truncated and cannot be decoded"),
                kind=kind))
        return InputImageError(path, Message(N_("is not an image in a supported format "
                                                "({formats})"), formats=SUPPORTED_TEXT))
    if "truncated" in detail.lower() or isinstance(exc, (OSError, SyntaxError, EOFError,
                                                         struct.error)):
        return InputImageError(path, Message(N_("the file is damaged or truncated and "
                                                "cannot be decoded ({detail})"), detail=detail))
    return InputImageError(path, Message(N_("cannot be decoded ({detail})"), detail=detail))


def _read(path: str | Path, data: bytes | None) -> bytes:
    """The file's bytes: ``data`` when the caller has them, else read (bounded)."""
    if data is None:
        return read_input_file(path)
    if len(data) == 0:
        raise InputImageError(path, EMPTY)
    return data


def _open(path: str | Path, data: bytes | None) -> tuple[Image.Image, bytes]:
    """Open (headers only) the file or ``data``; (image, bytes)."""
    data = _read(path, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (*DECODER_ERRORS, Image.DecompressionBombWarning) as exc:
        raise _decode_error(path, data, exc) from None
    if img.format not in SUPPORTED_FORMATS:
        raise InputImageError(path, Message(N_("format {format} is not supported (use "
                                               "{formats})"), format=img.format,
                                            formats=SUPPORTED_TEXT))
    return img, data


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by IHDR colour type


def _png_decoded_bytes(data: bytes) -> int:
    """Raw pixel bytes a PNG decodes to, from its IHDR (0 when the header is unusual)."""
    if len(data) < 29 or data[12:16] != b"IHDR":
        return 0
    w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
    return w * h * _PNG_CHANNELS.get(colour, 4) * max(depth, 8) // 8


def _count(img: Image.Image) -> int:
    """Pages in an opened image, from its headers, at most :data:`MAX_PAGES`."""
    if img.format not in MULTI_PAGE_FORMATS:
        return 1  # an animated PNG's extra frames are not pages; only the image is read
    count = 1
    while count < MAX_PAGES:
        try:
            img.seek(count)  # TIFF: reads the next directory (tags), no pixel data
        except EOFError:
            break
        count += 1
    return count


def page_count(path: str | Path, data: bytes | None = None) -> int:
    """How many pages the file has (TIFF, MPO; other formats have one), read from the
    headers without decoding pixels; at most :data:`MAX_PAGES` (later pages are not read).

    ``data`` may carry the file's bytes when they are already in memory. A PDF's pages are
    counted by PDFium.
    """
    data = _read(path, data)
    if sniff_format(data) == "PDF":
        with open_pdf(path, data) as doc:
            return pdf_pages(path, doc)
    img, data = _open(path, data)
    with img:
        try:
            return _count(img)
        except DECODER_ERRORS as exc:
            raise _decode_error(path, data, exc) from None


def _high_bit_to_l(frame: Image.Image, path: str | Path) -> Image.Image:
    """16-bit, 32-bit integer and 32-bit float pages to 8-bit grey by scaling their range.

    Integers are scaled so that their maximum is white (as before). Floating-point pages are
    taken as 0..1 when they lie in it (the usual convention), as 0..255 when they lie in
    that, and are stretched from their minimum to their maximum otherwise; NaN or infinite
    values are refused.
    """
    arr = np.asarray(frame)
    if arr.size == 0:
        raise InputImageError(path, Message(N_("the page has no pixels")))
    if frame.mode == "F":
        if not np.isfinite(arr).all():
            raise InputImageError(path, Message(N_(
                "float TIFF: it holds NaN or infinite values, which a scanner does not write; "
                "save it as 8-bit")))
        lo, hi = float(arr.min()), float(arr.max())
        if lo >= 0.0 and hi <= 1.0:
            alpha, beta = 255.0, 0.0
        elif lo >= 0.0 and hi <= 255.0:
            alpha, beta = 1.0, 0.0
        else:
            alpha = 255.0 / (hi - lo) if hi > lo else 1.0
            beta = -lo * alpha
        out = cv2.convertScaleAbs(arr.astype(np.float32, copy=False), alpha=alpha, beta=beta)
    else:
        if not arr.dtype.isnative:  # I;16B
            arr = arr.astype(arr.dtype.newbyteorder("="))
        hi = max(float(arr.max()), 1.0)
        out = cv2.convertScaleAbs(arr, alpha=255.0 / hi)
    return Image.fromarray(np.ascontiguousarray(out), "L")


def _shrink(frame: Image.Image, max_side: int | None) -> Image.Image:
    """Reduce ``frame`` so that its longer side is ``max_side`` (area averaging)."""
    w, h = frame.size
    if not max_side or max(w, h) <= max_side:
        return frame
    s = max_side / max(w, h)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return frame.resize(size, Image.Resampling.BOX)


def _to_array(frame: Image.Image, colour: bool, max_side: int | None,
              path: str | Path) -> np.ndarray:
    """Convert one decoded frame (any mode) to 8-bit grey, or BGR when ``colour``, reduced
    to ``max_side`` first so that the conversions work on the small image. A bilevel frame
    in halftone is refused naming ``path`` (:mod:`desktop.core.imaging.halftone`)."""
    if frame.mode == "1":
        refuse_halftone(frame, path)
        frame = frame.convert("L")  # so that reducing averages instead of picking pixels
    elif frame.mode == "P":
        frame = frame.convert("RGBA" if "transparency" in frame.info else "RGB")
    elif frame.mode in ("PA", "LA", "La", "RGBa"):
        frame = frame.convert("RGBA")
    elif frame.mode not in ("L", "RGB", "RGBA", "F", "I") and not frame.mode.startswith("I;16"):
        frame = frame.convert("RGB")  # CMYK, YCbCr, LAB, HSV
    elif frame.mode == "RGB" and not colour:
        frame = frame.convert("L")  # reduce one channel instead of three
    frame = _shrink(frame, max_side)
    if frame.mode == "F" or frame.mode == "I" or frame.mode.startswith("I;16"):
        frame = _high_bit_to_l(frame, path)
    if frame.mode == "RGBA":
        # Transparent pixels are paper: composite onto white before dropping alpha.
        white = Image.new("RGBA", frame.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, frame)
    if colour:
        return np.ascontiguousarray(np.asarray(frame.convert("RGB"), dtype=np.uint8)[..., ::-1])
    return np.asarray(frame.convert("L"), dtype=np.uint8)


def load_page(path: str | Path, page: int = 0, data: bytes | None = None,
              colour: bool = False, max_side: int | None = MAX_SIDE) -> np.ndarray:
    """Decode one page (0 is the first) of an image file to an 8-bit grayscale array (ink
    dark, paper light), or to a BGR array with ``colour`` (banknotes).

    Only that page is decoded (a TIFF's earlier pages are skipped through their headers).
    A page whose longer side is over ``max_side`` pixels comes back reduced so that its
    longer side is ``max_side`` (JPEG decodes at a reduced scale directly); ``None`` keeps
    the full size. ``data`` may carry the file's bytes when they are already in memory
    (otherwise they are read by :func:`read_input_file`). Raises :class:`InputImageError`
    for a missing, empty, oversized, truncated, hostile or non-image file, or a page the
    file does not have.
    """
    if page < 0:
        raise InputImageError(path, Message(N_("there is no page {page}: pages start at 1"),
                                            page=page + 1))
    data = _read(path, data)
    if sniff_format(data) == "PDF":
        return load_pdf_page(path, data, page, colour, max_side)
    img, data = _open(path, data)
    with img:
        try:
            if page > 0:
                if page >= MAX_PAGES or img.format not in MULTI_PAGE_FORMATS:
                    n = _count(img)
                    raise no_such_page(path, n, page)
                try:
                    img.seek(page)
                except EOFError:
                    raise no_such_page(path, page_count(path, data), page) from None
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise InputImageError(path, Message(N_(
                    "page {page} is {size} pixels, over the limit of {limit} million pixels"),
                    page=page + 1, size=f"{w}x{h}", limit=f"{MAX_PIXELS / 1e6:.0f}"))
            if w == 0 or h == 0:
                raise InputImageError(path, no_pixels(page))
            if img.format == "PNG" and _png_decoded_bytes(data) > MAX_PNG_DECODED_BYTES:
                raise InputImageError(path, Message(N_(
                    "the PNG image is too large to decode ({size} pixels, {mb} MB of pixel "
                    "data; limit {limit} MB): scan at 300 dpi, in grey, or save it as JPEG"),
                    size=f"{w}x{h}", mb=f"{_png_decoded_bytes(data) / 2**20:.0f}",
                    limit=MAX_PNG_DECODED_BYTES // 2**20))
            frame: Image.Image = img
            if img.format in ("JPEG", "MPO") and max_side and max(w, h) > max_side:
                s = max_side / max(w, h)  # libjpeg decodes at 1/2, 1/4 or 1/8 scale
                mode = "L" if not colour and img.mode in ("L", "RGB") else None
                img.draft(mode, (max(1, round(w * s)), max(1, round(h * s))))
            frame.load()
            if page == 0 and img.format in EXIF_ROTATED_FORMATS:
                frame = ImageOps.exif_transpose(frame)  # phone captures store rotation in EXIF
            return _to_array(frame, colour, max_side, path)
        except InputImageError:
            raise
        except DECODER_ERRORS as exc:
            raise _decode_error(path, data, exc) from None


def load_pages(path: str | Path, data: bytes | None = None, colour: bool = False,
               max_side: int | None = MAX_SIDE) -> list[np.ndarray]:
    """Decode every page (at most :data:`MAX_PAGES`) of an image file, as :func:`load_page`
    does one. The app itself decodes only the page it needs; this is for tools and tests."""
    if data is None:
        data = read_input_file(path)
    return [load_page(path, i, data, colour, max_side)
            for i in range(page_count(path, data))]


def load_gray(path: str | Path, page: int = 0, max_side: int | None = MAX_SIDE) -> np.ndarray:
    """Decode one page (the first by default) of an image file to an 8-bit grayscale array."""
    return load_page(path, page, max_side=max_side)
