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
    """A stored reference image back to grayscale."""
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()
