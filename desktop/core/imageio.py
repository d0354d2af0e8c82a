"""Safe image loading: PNG, JPEG, TIFF (multi-page, 1-bit CCITT G4), BMP.

Every failure becomes an :class:`InputImageError` naming the file and the problem; limits on
file size and pixel count are checked from the header before any pixel is decoded, so a
decompression bomb or a 30000x30000 scan is refused without using the memory.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from desktop.core.errors import InputImageError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 300 dpi A4 page is 8.7 Mpx; a cheque is about 2.5 Mpx
MAX_PAGES = 16
SUPPORTED_FORMATS = {"PNG", "JPEG", "TIFF", "BMP", "MPO"}


MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"II*\x00", "TIFF"),
         (b"MM\x00*", "TIFF"), (b"BM", "BMP"))


def sniff_format(data: bytes) -> str | None:
    """The image format a file's first bytes announce, or None."""
    for magic, name in MAGIC:
        if data.startswith(magic):
            return name
    return None


def _to_array(frame: Image.Image, colour: bool) -> np.ndarray:
    """Convert one decoded frame (any mode) to 8-bit grey, or BGR when ``colour``."""
    if frame.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(frame, dtype=np.float64)
        hi = arr.max() if arr.size else 1.0
        gray = (arr * (255.0 / max(hi, 1.0))).clip(0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2) if colour else gray
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        # Transparent pixels are paper: composite onto white before dropping alpha.
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, rgba)
    if colour:
        return np.ascontiguousarray(np.asarray(frame.convert("RGB"), dtype=np.uint8)[..., ::-1])
    return np.asarray(frame.convert("L"), dtype=np.uint8)


def load_pages(path: str | Path, data: bytes | None = None,
               colour: bool = False) -> list[np.ndarray]:
    """Decode every page of an image file to 8-bit grayscale arrays (ink dark, paper light),
    or to BGR arrays with ``colour`` (banknotes).

    ``data`` may carry the file's bytes when they are already in memory. Raises
    :class:`InputImageError` for a missing, empty, oversized, truncated or non-image file.
    """
    path = Path(path)
    if data is None:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise InputImageError(path, "file not found") from None
        except OSError as exc:
            raise InputImageError(path, f"cannot be read ({exc.strerror})") from None
        if path.is_dir():
            raise InputImageError(path, "is a folder, not an image file")
        if size == 0:
            raise InputImageError(path, "the file is empty (0 bytes)")
        if size > MAX_FILE_BYTES:
            raise InputImageError(
                path, f"the file is too large ({size / 2**20:.0f} MB; limit "
                f"{MAX_FILE_BYTES // 2**20} MB)"
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputImageError(path, f"cannot be read ({exc.strerror})") from None
    elif len(data) == 0:
        raise InputImageError(path, "the file is empty (0 bytes)")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        kind = sniff_format(data)
        if kind:  # the signature says image, the rest cannot be parsed: damaged or cut short
            raise InputImageError(
                path, f"looks like a {kind} file but is damaged or truncated and cannot be "
                "decoded"
            ) from None
        raise InputImageError(
            path, "is not an image in a supported format (PNG, JPEG, TIFF or BMP)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputImageError(path, "has too many pixels to be a scanned document") from None
    except OSError as exc:
        raise InputImageError(path, f"cannot be decoded ({exc})") from None

    if img.format not in SUPPORTED_FORMATS:
        raise InputImageError(
            path, f"format {img.format} is not supported (use PNG, JPEG, TIFF or BMP)"
        )
    pages: list[np.ndarray] = []
    try:
        for index, frame in enumerate(ImageSequence.Iterator(img)):
            if index >= MAX_PAGES:
                break
            w, h = frame.size
            if w * h > MAX_PIXELS:
                raise InputImageError(
                    path, f"page {index + 1} is {w}x{h} pixels, over the limit of "
                    f"{MAX_PIXELS / 1e6:.0f} million pixels"
                )
            if w == 0 or h == 0:
                raise InputImageError(path, f"page {index + 1} has no pixels")
            if index == 0 and img.format in ("JPEG", "MPO"):
                frame = ImageOps.exif_transpose(frame)  # phone captures store rotation in EXIF
            frame.load()
            pages.append(_to_array(frame, colour))
    except InputImageError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        detail = str(exc) or type(exc).__name__
        if "truncated" in detail.lower() or isinstance(exc, (OSError, SyntaxError)):
            raise InputImageError(
                path, f"the file is damaged or truncated and cannot be decoded ({detail})"
            ) from None
        raise InputImageError(path, f"cannot be decoded ({detail})") from None
    if not pages:
        raise InputImageError(path, "contains no image page")
    return pages


def load_gray(path: str | Path, page: int = 0) -> np.ndarray:
    """Decode one page (the first by default) of an image file to an 8-bit grayscale array."""
    pages = load_pages(path)
    if page >= len(pages):
        raise InputImageError(path, f"has {len(pages)} page(s); page {page + 1} was asked for")
    return pages[page]
