"""The operator's banknote screen: enroll reference notes of a denomination (a new one, or a
new series of a known one) from 1-5 pictures, or a whole currency from a folder, and revoke
enrolled reference notes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.banknote.manifest import NoteClass
from desktop.core.branch.banknotes import FolderSide
from desktop.core.branch.note_references import NoteCandidate, note_key
from desktop.core.errors import ServiceError
from desktop.core.store.records import BanknoteReference
from desktop.ui.widgets import DropFrame, bgr_pixmap, image_filter
from desktop.ui.wording import note_name, worded
from desktop.ui.workers import RequestSlot

MAX_NOTES = 5
THUMB = QSize(160, 80)
OK_COLOUR, BAD_COLOUR = "#1b7f3b", "#b3261e"


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setIconSize(THUMB)
    table.verticalHeader().setDefaultSectionSize(THUMB.height() + 8)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.setColumnWidth(0, THUMB.width() + 12)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return table


def png_icon(data: bytes) -> QIcon:
    """An icon of a stored PNG (a reference note's rectified image)."""
    pix = QPixmap()
    pix.loadFromData(data)
    return QIcon(pix.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation))


class BanknoteEnrollScreen(QWidget):
    """Reference notes for denominations the shipped model does not know (or new series)."""

    classes_loaded = Signal(list)
    prepared = Signal(list)  # the candidates after reading (or turning) them
    enrolled = Signal(list)  # the BanknoteReferences saved
    folder_enrolled = Signal(list)  # the FolderSides of a currency folder
    references_loaded = Signal(list)
    revoked = Signal(object)

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.classes: list[NoteClass] = []  # shipped and enrolled
        self.candidates: list[NoteCandidate] = []
        self.references: list[BanknoteReference] = []
        self.list_requests = RequestSlot()  # the newest listing of enrolled notes wins
        self._build()

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.model_label = QLabel(self.tr("Banknote model: loading…"))
        self.model_label.setWordWrap(True)
        self.model_label.setStyleSheet("color: #555; font-size: 9pt;")

        self.cand_frame = DropFrame(self.tr("New reference notes (1 to {count} pictures of one "
                                            "side; drop files here)").format(count=MAX_NOTES))
        self.cand_frame.files_dropped.connect(self.add_files)
        self.currency_box = QComboBox()
        self.currency_box.setEditable(True)
        self.currency_box.setToolTip(self.tr("Letters only, e.g. CYR; pick a known one or type "
                                             "a new one"))
        self.currency_box.currentTextChanged.connect(self._currency_changed)
        self.denomination_box = QComboBox()
        self.denomination_box.setEditable(True)
        self.denomination_box.setToolTip(self.tr("The value printed on the note, e.g. 200"))
        self.side_box = QComboBox()  # the side's code is the item's data
        self.side_box.addItem(self.tr("front"), "front")
        self.side_box.addItem(self.tr("back"), "back")
        self.series_edit = QLineEdit()
        self.series_edit.setPlaceholderText(self.tr("e.g. 2024 issue (optional)"))
        for box in (self.currency_box, self.denomination_box):
            box.lineEdit().textChanged.connect(self._update_summary)
        self.known_label = QLabel("")
        self.known_label.setStyleSheet("color: #555; font-size: 9pt;")
        form = QFormLayout()
        form.addRow(self.tr("Currency"), self.currency_box)
        form.addRow(self.tr("Denomination"), self.denomination_box)
        form.addRow(self.tr("Side"), self.side_box)
        form.addRow(self.tr("Series"), self.series_edit)
        form.addRow(self.known_label)

        add = QPushButton(self.tr("Add pictures…"))
        add.clicked.connect(self.open_file)
        remove = QPushButton(self.tr("Remove selected"))
        remove.clicked.connect(self._remove_selected)
        self.save_button = QPushButton(self.tr("Save reference notes"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        crow = QHBoxLayout()
        for b in (add, remove):
            crow.addWidget(b)
        crow.addStretch(1)
        crow.addWidget(self.save_button)
        self.table = _table([self.tr("Straightened note"), self.tr("File"), self.tr("Check"),
                             ""], 2)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        folder = QPushButton(self.tr("Enroll a currency folder…"))
        folder.setToolTip(self.tr("A folder holding <currency>/<denomination>/<side>/ folders "
                                  "of pictures (up to 5 per side); the series above applies "
                                  "to all"))
        folder.clicked.connect(self._choose_folder)
        self.folder_report = QLabel("")
        self.folder_report.setWordWrap(True)
        self.folder_report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        clay = QVBoxLayout(self.cand_frame)
        clay.addLayout(form)
        clay.addLayout(crow)
        clay.addWidget(self.table, 1)
        clay.addWidget(self.summary)
        clay.addWidget(folder, 0, Qt.AlignmentFlag.AlignLeft)
        clay.addWidget(self.folder_report)

        refs = QGroupBox(self.tr("Enrolled reference notes"))
        self.show_revoked = QCheckBox(self.tr("Show revoked"))
        self.show_revoked.toggled.connect(lambda _: self.refresh())
        self.ref_table = _table([self.tr("Note"), self.tr("Class and series"),
                                 self.tr("Enrolled"), self.tr("State")], 2)
        self.ref_table.setColumnWidth(1, 130)
        self.revoke_reason = QLineEdit()
        self.revoke_reason.setPlaceholderText(self.tr("Reason for revoking (needed)"))
        revoke = QPushButton(self.tr("Revoke selected"))
        revoke.clicked.connect(self._revoke_selected)
        rrow = QHBoxLayout()
        rrow.addWidget(self.revoke_reason, 1)
        rrow.addWidget(revoke)
        rlay = QVBoxLayout(refs)
        rlay.addWidget(self.show_revoked)
        rlay.addWidget(self.ref_table, 1)
        rlay.addLayout(rrow)

        split = QSplitter()
        split.addWidget(self.cand_frame)
        split.addWidget(refs)
        split.setSizes([640, 560])
        lay = QVBoxLayout(self)
        lay.addWidget(self.model_label)
        lay.addWidget(split, 1)
        self._update_summary()

    # ---- the model and the known classes ---------------------------------------------------
    def model_state(self, text: str, state: str) -> None:
        """Say which banknote model is in use ("loading", "ready") or why there is none
        ("failed", in red); once it is ready, list the known classes and enrolled notes."""
        self.model_label.setText(text)
        self.model_label.setStyleSheet("color: #b3261e; font-weight: bold;" if state == "failed"
                                       else "color: #555; font-size: 9pt;")
        if state == "ready":
            self.load_classes()
            self.refresh()

    def load_classes(self) -> None:
        """Fill the currency and denomination lists with the classes known so far."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.notes.banknote_classes, ses, on_done=self._classes,
                      status=self.tr("Reading the known denominations…"))

    def _classes(self, classes: list[NoteClass]) -> None:
        self.classes = list(classes)
        text = self.currency_box.currentText()
        self.currency_box.blockSignals(True)
        self.currency_box.clear()
        self.currency_box.addItems(sorted({c.currency for c in self.classes}))
        self.currency_box.setEditText(text)
        self.currency_box.blockSignals(False)
        self._currency_changed(text)
        self.classes_loaded.emit(self.classes)

    def _currency_changed(self, currency: str) -> None:
        values = sorted({c.denomination for c in self.classes
                         if c.currency == currency.strip().upper()},
                        key=lambda d: float(d) if d.replace(".", "", 1).isdigit() else 0.0)
        text = self.denomination_box.currentText()
        self.denomination_box.clear()
        self.denomination_box.addItems(values)
        self.denomination_box.setEditText(text)
        self._update_summary()

    def set_class(self, currency: str, denomination: str, side: str, series: str = "") -> None:
        """Fill in the class the new reference notes belong to."""
        self.currency_box.setEditText(currency)
        self.denomination_box.setEditText(denomination)
        index = self.side_box.findData(side)
        if index >= 0:
            self.side_box.setCurrentIndex(index)
        self.series_edit.setText(series)

    def _side(self) -> str:
        """The chosen side's code ("front" or "back"), whatever it is called on screen."""
        return self.side_box.currentData()

    def _key(self) -> str:
        """The key the class filled in is saved as (50.00 is saved as 50), or as typed while
        it is not a class yet (saving says what is wrong)."""
        currency = self.currency_box.currentText()
        denomination = self.denomination_box.currentText()
        try:
            return note_key(currency, denomination, self._side())
        except ServiceError:
            return f"{currency.strip().upper()}-{denomination.strip()}-{self._side()}"

    # ---- candidates ------------------------------------------------------------------------
    def open_file(self) -> None:
        """Ask for reference pictures of the chosen side (File > Open, Ctrl+O)."""
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Reference note pictures"), "",
                                                image_filter())
        if files:
            self.add_files(files)

    def add_files(self, paths: list[str]) -> None:
        """Find, straighten and embed the note in each picture; problems are listed per row."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.notes.prepare_banknote_references, ses, [str(p) for p in paths],
                      on_done=lambda new: self._show_candidates(self.candidates + list(new)),
                      status=self.tr("Reading the notes…"))

    def turn(self, row: int) -> None:
        """Turn one candidate 180 degrees (when the note was read upside down)."""
        cand = self.candidates[row]
        self.host.run(cand.turned, on_done=lambda c, o=cand: self._turned(o, c),
                      status=self.tr("Turning the note…"))

    def _turned(self, original: NoteCandidate, cand: NoteCandidate) -> None:
        # By identity, not by row: rows removed or added meanwhile must not take the turn.
        if not any(c is original for c in self.candidates):
            return
        self._show_candidates([cand if c is original else c for c in self.candidates])

    def _show_candidates(self, cands: list[NoteCandidate]) -> None:
        self.candidates = list(cands)
        self.table.setRowCount(len(cands))
        for row, cand in enumerate(cands):
            thumb = QTableWidgetItem()
            if cand.image is not None:
                thumb.setIcon(QIcon(bgr_pixmap(cand.image, THUMB)))
            check = QTableWidgetItem(worded(cand.problem) if cand.problem else self.tr("good"))
            check.setForeground(QColor(BAD_COLOUR if cand.problem else OK_COLOUR))
            check.setToolTip(worded(cand.problem) if cand.problem else "")
            for col, item in enumerate((thumb, QTableWidgetItem(cand.name), check)):
                self.table.setItem(row, col, item)
            turn = QPushButton(self.tr("Turn"))
            turn.setToolTip(self.tr("Turn the note round if it was read upside down"))
            turn.setEnabled(cand.image is not None)
            turn.clicked.connect(lambda _=False, r=row: self.turn(r))
            cell = QWidget()
            cl = QVBoxLayout(cell)
            cl.setContentsMargins(6, 6, 6, 6)
            cl.addWidget(turn, 0, Qt.AlignmentFlag.AlignCenter)
            self.table.setCellWidget(row, 3, cell)
        self._update_summary()
        self.prepared.emit(self.candidates)

    def _remove_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        self._show_candidates([c for i, c in enumerate(self.candidates) if i not in rows])

    def _update_summary(self, *_: Any) -> None:
        good = [c for c in self.candidates if not c.problem]
        cur = self.currency_box.currentText().strip()
        den = self.denomination_box.currentText().strip()
        key = self._key()
        known = [c for c in self.classes if c.key == key]
        self.known_label.setText(
            "" if not (cur and den) else
            self.tr("{key}: a known class; these notes add a series to it.").format(key=key)
            if known else self.tr("{key}: a new denomination.").format(key=key))
        if not self.candidates:
            text = self.tr("Add 1 to {count} pictures of the same side of the note.").format(
                count=MAX_NOTES)
        elif len(good) != len(self.candidates):
            text = self.tr("Remove the pictures with a problem to save.")
        elif len(good) > MAX_NOTES:
            text = self.tr("At most {count} pictures at a time.").format(count=MAX_NOTES)
        elif not (cur and den):
            text = self.tr("Fill in the currency and the denomination.")
        else:
            text = self.tr("%n picture(s) ready to save as {key}.", "", len(good)).format(
                key=key)
        ok = bool(good) and len(good) == len(self.candidates) <= MAX_NOTES and bool(cur and den)
        self.summary.setText(text)
        self.save_button.setEnabled(ok)

    def save(self) -> None:
        """Enroll the candidates as reference notes of the class filled in (all or none)."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.notes.enroll_banknotes, ses, self.currency_box.currentText().strip(),
                      self.denomination_box.currentText().strip(), self._side(),
                      self.series_edit.text().strip(), list(self.candidates),
                      on_done=self._saved, status=self.tr("Saving the reference notes…"))

    def _saved(self, refs: list[BanknoteReference]) -> None:
        self._show_candidates([])
        self.enrolled.emit(refs)
        self.load_classes()
        self.refresh()

    # ---- a whole currency from a folder ---------------------------------------------------
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Currency folder (<currency>/<denomination>/<side>/)"))
        if folder:
            self.enroll_folder(folder)

    def enroll_folder(self, folder: str) -> None:
        """Enroll every side under ``folder``; each side all or none, the report listed."""
        svc, ses = self.host.service, self.host.session
        self.folder_report.setText(self.tr("Enrolling {folder}…").format(folder=folder))
        self.host.run(svc.notes.enroll_banknote_folder, ses, folder,
                      self.series_edit.text().strip(), on_done=self._folder_done,
                      status=self.tr("Enrolling the currency folder…"),
                      on_failed=self._folder_failed)

    def _folder_failed(self, message: str) -> None:
        self.folder_report.setText(message)
        self.folder_report.setStyleSheet(f"color: {BAD_COLOUR};")
        self.host.show_error(message)

    def _folder_done(self, sides: list[FolderSide]) -> None:
        done = sum(not s.problem for s in sides)
        head = self.tr("Saved {done} of %n side(s).", "", len(sides)).format(done=done)
        self.folder_report.setText("\n".join([head, *(worded(s.summary()) for s in sides)]))
        colour = BAD_COLOUR if done < len(sides) else OK_COLOUR
        self.folder_report.setStyleSheet(f"color: {colour};")
        self.folder_enrolled.emit(list(sides))
        self.load_classes()
        self.refresh()

    # ---- enrolled notes --------------------------------------------------------------------
    def refresh(self) -> None:
        """List the enrolled reference notes (revoked ones too when asked)."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.notes.enrolled_banknotes, ses, self.show_revoked.isChecked(),
                      on_done=self._show_references,
                      status=self.tr("Reading the reference notes…"),
                      slot=self.list_requests)

    def _show_references(self, refs: list[BanknoteReference]) -> None:
        self.references = list(refs)
        self.ref_table.setRowCount(len(refs))
        for row, ref in enumerate(refs):
            thumb = QTableWidgetItem()
            thumb.setIcon(png_icon(ref.image_png))
            thumb.setData(Qt.ItemDataRole.UserRole, ref.id)
            state = QTableWidgetItem(
                self.tr("active") if ref.active else
                self.tr("revoked by {user}: {reason}").format(user=ref.revoked_by,
                                                              reason=ref.revoke_reason))
            state.setForeground(QColor(OK_COLOUR if ref.active else BAD_COLOUR))
            enrolled = QTableWidgetItem(self.tr("#{id} · {date}\nby {user}\n{file}").format(
                id=ref.id, date=str(ref.enrolled_at)[:10], user=ref.enrolled_by,
                file=ref.source_name))
            enrolled.setToolTip(self.tr("{file}, enrolled {when} by {user} (model {model})")
                                .format(file=ref.source_name, when=ref.enrolled_at,
                                        user=ref.enrolled_by, model=ref.model_id))
            series = ref.series or self.tr("(no series)")
            cls = QTableWidgetItem(f"{note_name(ref.key)}\n{series}")
            for col, item in enumerate((thumb, cls, enrolled, state)):
                self.ref_table.setItem(row, col, item)
        self.references_loaded.emit(self.references)

    def _revoke_selected(self) -> None:
        rows = sorted({i.row() for i in self.ref_table.selectedIndexes()})
        if len(rows) != 1:
            self.host.show_error(self.tr("Select one enrolled reference note to revoke."))
            return
        self.revoke(self.references[rows[0]].id, self.revoke_reason.text())

    def revoke(self, ref_id: int, reason: str) -> None:
        """Revoke one enrolled reference note; the service asks for a reason."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.notes.revoke_banknote, ses, ref_id, reason, on_done=self._revoked,
                      status=self.tr("Revoking…"))

    def _revoked(self, ref: BanknoteReference) -> None:
        self.revoke_reason.clear()
        self.revoked.emit(ref)
        self.load_classes()
        self.refresh()
