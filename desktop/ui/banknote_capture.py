"""Getting a banknote picture and checking it, on a worker thread: a picture file, one frame
from a camera, or either as the other side of a note already checked. The screen
(:mod:`desktop.ui.banknote_screen`) shows what these return."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication

from desktop.core.access.sessions import Session
from desktop.core.banknote.detect import load_bgr
from desktop.core.branch.banknotes import NoteCheck, SidesCheck
from desktop.core.branch.service import BranchService
from desktop.core.errors import ServiceError

CAMERA_READS = 3  # frames read per grab; the last good one is kept (auto-exposure settles)


def grab_frame(factory: Callable[[int], Any], index: int) -> np.ndarray:
    """One BGR frame from camera ``index`` opened with ``factory`` (``cv2.VideoCapture``);
    :class:`ServiceError` naming the camera when it cannot be opened or gives no picture."""
    cap = factory(index)
    try:
        if cap is None or not cap.isOpened():
            raise ServiceError(QCoreApplication.translate(
                "BanknoteCapture", "Camera {index} cannot be opened: check that it is plugged "
                "in, not in use by another program, and that the camera number is right.")
                .format(index=index))
        frame = None
        for _ in range(CAMERA_READS):
            ok, image = cap.read()
            if ok and image is not None and image.size:
                frame = image
        if frame is None:
            raise ServiceError(QCoreApplication.translate(
                "BanknoteCapture", "Camera {index} opened but gave no picture: try again, or "
                "choose another camera number.").format(index=index))
        return frame
    finally:
        if cap is not None:
            cap.release()


def check_file(service: BranchService, session: Session, path: str
               ) -> tuple[np.ndarray, NoteCheck]:
    """Check the note in a picture file: (the picture as decoded, the service's NoteCheck)."""
    note = service.notes.check_banknote(session, path)  # raises, naming the file, before any audit
    return load_bgr(path), note


def check_camera(service: BranchService, session: Session, factory: Callable[[int], Any],
                 index: int) -> tuple[np.ndarray, NoteCheck]:
    """Grab one frame from a camera and check the note in it: (frame, NoteCheck)."""
    frame = grab_frame(factory, index)
    note = service.notes.check_banknote_frame(session, frame)
    # A frame read mirrored is shown mirrored: the note's outline was found in that picture.
    return (np.ascontiguousarray(frame[:, ::-1]) if note.mirrored else frame), note


def check_other_side(check: Callable[..., tuple[np.ndarray, NoteCheck]],
                     service: BranchService, session: Session, first: NoteCheck,
                     *args: Any) -> tuple[np.ndarray, SidesCheck]:
    """Check the other side of ``first`` with ``check`` (:func:`check_file` or
    :func:`check_camera`, given ``*args``) and judge the two as one note."""
    picture, second = check(service, session, *args)
    return picture, service.notes.compare_note_sides(session, first, second)
