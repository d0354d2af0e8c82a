"""The clerk's banknote screen: a picture from a file, the scan folder or a camera; the
denomination with its runners-up, GENUINE or SUSPECT with the reasons, the nearest reference
notes, and optionally the other side of the same note."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.banknote.model import BanknoteCheck
from desktop.core.branch.banknotes import NoteCheck, SidesCheck
from desktop.core.errors import Message
from desktop.ui.banknote_capture import check_camera, check_file, check_other_side
from desktop.ui.widgets import (
    NOTE_VERDICT_COLOURS,
    DropFrame,
    PictureView,
    bgr_pixmap,
    elided,
    image_filter,
    join_sentences,
    note_verdict_style,
    note_verdict_text,
)
from desktop.ui.wording import note_name, worded
from desktop.ui.workers import RequestSlot

SMALL = "color: #555; font-size: 9pt;"


def _panel(min_size: QSize) -> QLabel:
    lab = QLabel()
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lab.setMinimumSize(min_size)
    lab.setFrameShape(QFrame.Shape.StyledPanel)
    return lab


class BanknoteScreen(QWidget):
    """Banknote check for clerks; every check is audited by the service."""

    check_done = Signal(object)  # the service's NoteCheck of the (first) side
    other_side_done = Signal(object)  # the NoteCheck of the other side
    camera_factory: Callable[[int], Any] = cv2.VideoCapture  # tests put a fake camera here

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.note: NoteCheck | None = None  # the side shown
        self.other: NoteCheck | None = None  # the other side, when checked
        self.sides: SidesCheck | None = None  # the service's judgement of both sides
        self.problems: list[str] = []  # what that judgement found
        self.requests = RequestSlot()  # the note on screen is the newest one asked for
        self._then_other: str | None = None  # a feeder's second page: the note's other side
        self._scanned_note = ""  # said under the verdict when a feeder gave more pages
        self._build()

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.model_label = QLabel(self.tr("Banknote model: loading…"))
        self.model_label.setStyleSheet(SMALL)
        self.model_label.setWordWrap(True)

        self.frame = DropFrame(self._frame_title())
        self.frame.files_dropped.connect(lambda files: self.open_note(files[0]))
        open_btn = QPushButton(self.tr("Open…"))
        open_btn.clicked.connect(self.open_file)
        scan_btn = QPushButton(self.tr("Scan"))
        scan_btn.setToolTip(self.tr("Scan with the scanner chosen in Settings, or take the "
                                    "newest image in the scan folder (Ctrl+Shift+S)"))
        scan_btn.clicked.connect(self.scan)
        cam_btn = QPushButton(self.tr("Camera"))
        cam_btn.clicked.connect(self.camera)
        self.camera_index = QSpinBox()
        self.camera_index.setRange(0, 9)
        self.camera_index.setPrefix(self.tr("camera "))
        self.camera_index.setToolTip(self.tr("Which camera: 0 is the first one the system "
                                             "lists."))
        self.other_box = QCheckBox(self.tr("Next picture is the other side of this note"))
        self.other_box.setEnabled(False)
        buttons = QHBoxLayout()
        for w in (open_btn, scan_btn, cam_btn, self.camera_index):
            buttons.addWidget(w)
        buttons.addStretch(1)
        self.picture = PictureView(self.tr("Open, drop or scan a picture of a banknote,\n"
                                           "or take one with the camera"))
        hint = QLabel(self.tr("Green: the note found; red dot: its top-left corner as read."))
        hint.setStyleSheet(SMALL)
        self.straight = _panel(QSize(220, 90))
        self.other_view = _panel(QSize(220, 90))
        notes = QHBoxLayout()
        for title, lab in ((self.tr("Straightened note (what the model reads)"), self.straight),
                           (self.tr("Other side"), self.other_view)):
            col = QVBoxLayout()
            col.addWidget(QLabel(title))
            col.addWidget(lab, 1)
            notes.addLayout(col)
        flay = QVBoxLayout(self.frame)
        flay.addLayout(buttons)
        flay.addWidget(self.other_box)
        flay.addWidget(self.picture, 3)
        flay.addWidget(hint)
        flay.addLayout(notes, 2)

        split = QSplitter()
        split.addWidget(self.frame)
        split.addWidget(self._build_result())
        split.setSizes([640, 560])
        lay = QVBoxLayout(self)
        lay.addWidget(self.model_label)
        lay.addWidget(split, 1)

    def _build_result(self) -> QWidget:
        denom = QGroupBox(self.tr("Denomination"))
        grid = QGridLayout(denom)
        self.denom_label = QLabel("—")
        self.denom_label.setStyleSheet("font-size: 20pt; font-weight: bold;")
        self.confidence_label = QLabel("")
        self.confidence_label.setStyleSheet("font-size: 13pt;")
        grid.addWidget(self.denom_label, 0, 0, 1, 2)
        grid.addWidget(self.confidence_label, 0, 2)
        self.top_labels: list[QLabel] = []
        self.top_bars: list[QProgressBar] = []
        for i in range(3):
            lab, bar = QLabel(""), QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFormat("")
            bar.setValue(0)
            grid.addWidget(QLabel(f"{i + 1}."), i + 1, 0)
            grid.addWidget(lab, i + 1, 1)
            grid.addWidget(bar, i + 1, 2)
            self.top_labels.append(lab)
            self.top_bars.append(bar)
        grid.setColumnStretch(2, 1)
        self.svm_label = QLabel("")
        self.svm_label.setStyleSheet(SMALL)
        grid.addWidget(self.svm_label, 4, 0, 1, 3)

        auth = QGroupBox(self.tr("Authenticity"))
        alay = QVBoxLayout(auth)
        self.verdict_label = QLabel("—")
        self.verdict_label.setStyleSheet(note_verdict_style("", 22))
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.reasons_label = QLabel("")
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setStyleSheet(f"color: {NOTE_VERDICT_COLOURS['suspect']};")
        for w in (self.verdict_label, self.detail_label, self.reasons_label):
            alay.addWidget(w)
        alay.addStretch(1)

        near = QGroupBox(self.tr("Nearest reference notes"))
        nlay = QHBoxLayout(near)
        self.near_images: list[QLabel] = []
        self.near_texts: list[QLabel] = []
        for _ in range(3):
            col = QVBoxLayout()
            img, text = _panel(QSize(120, 64)), QLabel("")
            img.setMaximumHeight(120)
            text.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text.setStyleSheet("font-size: 9pt;")
            col.addWidget(img, 1)
            col.addWidget(text)
            nlay.addLayout(col)
            self.near_images.append(img)
            self.near_texts.append(text)

        sides = QGroupBox(self.tr("Both sides"))
        slay = QVBoxLayout(sides)
        self.sides_label = QLabel(self.tr("Tick “Next picture is the other side” after a check "
                                          "to check the other side of the same note."))
        self.sides_label.setWordWrap(True)
        self.sides_label.setStyleSheet(SMALL)
        slay.addWidget(self.sides_label)

        self.timings_label = QLabel("")
        self.timings_label.setWordWrap(True)
        self.timings_label.setStyleSheet(SMALL)
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(denom)
        rlay.addWidget(auth, 1)
        rlay.addWidget(near)
        rlay.addWidget(sides)
        rlay.addWidget(self.timings_label)
        return right

    def _frame_title(self) -> str:
        return self.tr("Banknote (drop a picture, open, scan or use the camera)")

    # ---- the model -------------------------------------------------------------------------
    def model_state(self, text: str, state: str) -> None:
        """Say which banknote model is in use ("loading", "ready") or why there is none
        ("failed", in red)."""
        self.model_label.setText(text)
        self.model_label.setStyleSheet("color: #b3261e; font-weight: bold;"
                                       if state == "failed" else SMALL)

    # ---- inputs ----------------------------------------------------------------------------
    def open_file(self) -> None:
        """Ask for a picture of a banknote and check it (File > Open, Ctrl+O)."""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Banknote picture"), "",
                                              image_filter())
        if path:
            self._then_other, self._scanned_note = None, ""
            self.open_note(path)

    def scan(self) -> None:
        """Scan the note with the source the settings choose, then check it: from a
        document feeder, two pages are the note's two sides (checked as such); of more, the
        first is checked."""
        self.host.acquire_scan(self.open_scanned)

    def open_scanned(self, pages: list[str]) -> None:
        """Check the first page a scan gave, and a second one as the note's other side."""
        self._then_other = None
        if len(pages) == 2:
            self.other_box.setChecked(False)  # a new note: its front, then its back
            self._then_other = pages[1]
        self._scanned_note = self.tr(
            "%n pages were scanned; the first is checked. The pages are in {folder}.", "",
            len(pages)).format(folder=Path(pages[0]).parent) if len(pages) > 2 else ""
        self.open_note(pages[0])

    def _other(self) -> bool:
        return self.other_box.isChecked() and self.note is not None

    def open_note(self, path: str) -> None:
        """Check the note in a picture file (the other side when that box is ticked)."""
        self._start(check_file, str(path),
                    status=self.tr("Checking {name}…").format(name=Path(path).name))

    def camera(self) -> None:
        """Take one picture with the chosen camera and check the note in it."""
        index = self.camera_index.value()
        self._then_other, self._scanned_note = None, ""
        self._start(check_camera, self.camera_factory, index,
                    status=self.tr("Taking a picture with camera {index}…").format(index=index))

    def _start(self, check: Callable[..., tuple[np.ndarray, NoteCheck]], *args: Any,
               status: str) -> None:
        svc, ses = self.host.service, self.host.session
        if self._other():
            first = self.note
            self.host.run(check_other_side, check, svc, ses, first, *args,
                          on_done=lambda r, f=first: self._other_checked(r, f),
                          status=status, slot=self.requests)
            return
        self._clear()
        self.host.run(check, svc, ses, *args, on_done=self._checked, status=status,
                      slot=self.requests)

    # ---- results ---------------------------------------------------------------------------
    def _checked(self, result: tuple[np.ndarray, NoteCheck]) -> None:
        picture, note = result
        self.note, self.other, self.sides, self.problems = note, None, None, []
        c = note.check
        self.frame.setTitle(self.tr("Banknote: {name}").format(
            name=elided(note.name, self.frame, 420)))
        self.frame.setToolTip(note.name)
        corners = c.reading.quad.corners  # the note's TL, TR, BR, BL as the detector read it
        self.picture.set_picture(picture, np.roll(corners, 2, axis=0) if c.turned else corners)
        self.straight.setPixmap(bgr_pixmap(c.marked_note(), self.straight.size()))
        self._show_denomination(c)
        self._show_verdict(c)
        self._show_nearest(c)
        times = " · ".join(f"{worded(Message(k))} {v:.0f} ms" for k, v in c.timings_ms.items())
        audit = self.tr("audit #{id}").format(id=note.audit_id)
        self.timings_label.setText(f"{times} · {audit}" if times else audit)
        self.other_box.setEnabled(True)
        self.sides_label.setStyleSheet(SMALL)
        self.sides_label.setText(join_sentences(self.tr("Only this side was checked."),
                                                self._scanned_note))
        self._scanned_note = ""
        self.check_done.emit(note)
        if self._then_other is not None:  # a feeder's second page: this note's other side
            other, self._then_other = self._then_other, None
            self.other_box.setChecked(True)
            self.open_note(other)

    def _other_checked(self, result: tuple[np.ndarray, SidesCheck], first: NoteCheck) -> None:
        if first is not self.note:  # belt and braces: the slot already drops stale results
            return
        _, sides = result
        self.sides, self.other, self.problems = sides, sides.second, list(sides.problems)
        self.other_box.setChecked(False)
        self._show_other()
        # The headline is the note's, not the first side's: any failed cross-check or a
        # suspect other side makes the whole note SUSPECT.
        self.verdict_label.setText(note_verdict_text(sides.verdict))
        self.verdict_label.setStyleSheet(note_verdict_style(sides.verdict, 22))
        if sides.problems:
            self.reasons_label.setText("\n".join(
                f"• {worded(r)}" for r in (*self.note.check.reasons, *sides.problems)))
        self.other_side_done.emit(sides.second)

    def _show_denomination(self, c: BanknoteCheck) -> None:
        best = c.top[0]
        self.denom_label.setText(worded(best.note.label))
        self.confidence_label.setText(self.tr("{percent} sure").format(
            percent=f"{best.confidence:.0%}"))
        for i, (lab, bar) in enumerate(zip(self.top_labels, self.top_bars, strict=True)):
            if i < len(c.top):
                s = c.top[i]
                lab.setText(self.tr("{note}  (distance {distance})").format(
                    note=worded(s.note.label), distance=f"{s.distance:.3f}"))
                bar.setValue(round(1000 * s.confidence))
                bar.setFormat(f"{s.confidence:.1%}" if s.confidence >= 0.001 else "<0.1%")
            else:
                lab.clear()
                bar.setValue(0)
                bar.setFormat("")
        if c.svm_class is None:
            text = self.tr("Second opinion (SVM): none (it knows the shipped denominations "
                           "only).")
        elif c.svm_class.key == best.note.key:
            text = self.tr("Second opinion (SVM): {note}.").format(note=worded(c.svm_class.label))
        else:
            text = self.tr("Second opinion (SVM): {note} (disagrees).").format(
                note=worded(c.svm_class.label))
        if c.turned:
            text = join_sentences(text, self.tr("The note was read turned round."))
        self.svm_label.setText(text)

    def _show_verdict(self, c: BanknoteCheck) -> None:
        self.verdict_label.setText(note_verdict_text(c.verdict))
        self.verdict_label.setStyleSheet(note_verdict_style(c.verdict, 22))
        reg, note = c.registration, worded(c.top[0].note.label)
        parts = [self.tr("Printed detail: no reference side found in the picture.")
                 if reg is None else
                 self.tr("Printed detail: %n keypoints agree with the {note} reference.", "",
                         reg.inliers).format(note=note)]
        numbers = {"note": note, "distance": f"{c.distance:.3f}",
                   "threshold": f"{c.threshold:.3f}"}
        within = c.distance <= c.threshold
        if c.caveats:
            parts.append((self.tr("Distance to the genuine {note} notes {distance}, within the "
                                  "threshold {threshold} (not used: an enrolled denomination).")
                          if within else
                          self.tr("Distance to the genuine {note} notes {distance}, beyond the "
                                  "threshold {threshold} (not used: an enrolled denomination).")
                          ).format(**numbers))
        else:
            parts.append((self.tr("Distance to the genuine {note} notes {distance}, within the "
                                  "threshold {threshold}.") if within else
                          self.tr("Distance to the genuine {note} notes {distance}, beyond the "
                                  "threshold {threshold}.")).format(**numbers))
        if c.counterfeit_score is not None and c.counterfeit_threshold is not None:
            parts.append(self.tr("Counterfeit score {score} (suspect above {threshold}).").format(
                score=f"{c.counterfeit_score:.2f}", threshold=f"{c.counterfeit_threshold:.2f}"))
        else:
            parts.append(self.tr("No counterfeit model for this denomination."))
        self.detail_label.setText(join_sentences(*parts))
        self.reasons_label.setText("\n".join(f"• {worded(r)}"
                                              for r in (*c.reasons, *c.caveats)))

    def _show_nearest(self, c: BanknoteCheck) -> None:
        for i, (img, text) in enumerate(zip(self.near_images, self.near_texts, strict=True)):
            if i < len(c.nearest):
                ref = c.nearest[i]
                img.setPixmap(bgr_pixmap(ref.image, img.size() - QSize(8, 8)))
                where = (self.tr("shipped") if ref.enrolled_id is None else
                         self.tr("enrolled #{id}").format(id=ref.enrolled_id))
                text.setText(self.tr("{key}\ndistance {distance} · {where}").format(
                    key=note_name(ref.key), distance=f"{ref.distance:.3f}", where=where))
            else:
                img.clear()
                text.clear()

    def _show_other(self) -> None:
        b = self.other.check
        self.other_view.setPixmap(bgr_pixmap(b.marked_note(), self.other_view.size()))
        other = self.tr("Other side ({name}): {note}, {percent} sure, {verdict}{reasons}.").format(
            name=self.other.name, note=worded(b.denomination.label),
            percent=f"{b.top[0].confidence:.0%}", verdict=note_verdict_text(b.verdict),
            reasons=" — " + "; ".join(map(worded, b.reasons)) if b.reasons else "")
        if self.problems:
            text = other + "\n" + "\n".join(f"• {worded(p)}" for p in self.problems)
            colour = NOTE_VERDICT_COLOURS["suspect"]
        else:
            text = other + "\n" + self.tr("The two sides belong to the same note.")
            colour = NOTE_VERDICT_COLOURS.get(b.verdict, "#555555")
        self.sides_label.setText(text)
        self.sides_label.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def _clear(self) -> None:
        self.note = self.other = self.sides = None
        self.problems = []
        self.other_box.setChecked(False)
        self.other_box.setEnabled(False)
        self.picture.set_picture(None)
        for lab in (self.straight, self.other_view, *self.near_images):
            lab.clear()
        for lab in (self.confidence_label, self.svm_label, self.detail_label,
                    self.reasons_label, self.timings_label, *self.top_labels,
                    *self.near_texts):
            lab.clear()
        for bar in self.top_bars:
            bar.setValue(0)
            bar.setFormat("")
        self.denom_label.setText("—")
        self.verdict_label.setText("—")
        self.verdict_label.setStyleSheet(note_verdict_style("", 22))
        self.sides_label.setStyleSheet(SMALL)
        self.sides_label.setText("")
        self.frame.setTitle(self._frame_title())
