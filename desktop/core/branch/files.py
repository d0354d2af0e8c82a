"""The files the branch reads: the scanner's newest image, stored reference images, and the
content hash that identifies a cheque in the audit log."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from desktop.core.errors import N_, Message, ServiceError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".pdf"}


def newest_image(folder: str | Path) -> Path:
    """The most recent image file in a scanner's output folder (the "Scan" button)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ServiceError(Message(N_("{folder}: the scan folder does not exist; set it in "
                                      "Settings"), folder=folder))
    images = [p for p in folder.iterdir()
              if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    if not images:
        raise ServiceError(Message(N_("{folder}: no scanned image yet (PNG, JPEG, TIFF, BMP "
                                      "or PDF)"), folder=folder))
    return max(images, key=lambda p: p.stat().st_mtime)


def decode_png(data: bytes) -> np.ndarray:
    """A stored reference image back to grayscale (None when the bytes do not decode:
    :func:`check_stored` refuses such a row before anything reads it)."""
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


# A stored row is trusted no further than its bytes: one whose embedding or image was damaged
# (or edited) would make every check of its account fail with an error naming nothing, or
# (a NaN) pass into the verdict and the audit. It is refused, named, and left as it is.
DAMAGED_REFERENCE = N_(
    "stored reference {ref} ({what}) is damaged: {problem}. Nothing was checked. An "
    "administrator can verify the audit chain (Audit, Verify chain) to see what changed, "
    "and revoke the reference")


def check_stored(ref_id: int, what: str, embedding: np.ndarray | None, size: int,
                 image: bytes | None = None, image_sha256: str | None = None) -> None:
    """Refuse (:class:`ServiceError` naming the reference) a stored reference whose
    embedding (when given) is not ``size`` finite numbers, or whose ``image`` (when given)
    is not the one its row's ``image_sha256`` names or does not decode."""
    problem = _stored_problem(embedding, size, image, image_sha256)
    if problem is not None:
        raise ServiceError(Message(DAMAGED_REFERENCE, ref=ref_id, what=what, problem=problem))


def _stored_problem(embedding: np.ndarray | None, size: int, image: bytes | None,
                    image_sha256: str | None) -> Message | None:
    if embedding is not None and embedding.shape != (size,):
        return Message(N_("its embedding has {n} numbers, not {size}"), n=int(embedding.size),
                       size=size)
    if embedding is not None and not np.isfinite(embedding).all():
        return Message(N_("its embedding holds numbers that are not finite"))
    if image is not None and image_sha256 is not None and sha256_bytes(image) != image_sha256:
        return Message(N_("its stored image is not the one enrolled (its SHA-256 differs)"))
    if image is not None and decode_png(image) is None:
        return Message(N_("its stored image cannot be decoded"))
    return None


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()
