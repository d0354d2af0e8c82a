"""The verification window: references on the left, the query on the right, the verdict below.

Everything that takes time (model loading, decoding, preprocessing, inference) runs on the
:class:`TaskRunner`'s threads; the window only shows what ``desktop.core`` returns.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.core.models.runtime import PROVIDER_CHOICES
from desktop.core.signature.preprocess import to_display
from desktop.core.signature.verification import (
    PreparedImage,
    SignatureVerifier,
    VerificationResult,
)
from desktop.ui.widgets import (
    DECISION_COLOURS,
    REVIEW_COLOUR,
    DropFrame,
    fit_to_screen,
    image_filter,
    join_sentences,
    show_model_status,
    to_pixmap,
    verdict_text,
)
from desktop.ui.wording import provider_choice, provider_text
from desktop.ui.workers import BackgroundHost, RequestSlot, TaskRunner


class MainWindow(BackgroundHost, QMainWindow):
    """Signature verification: open references and a query, read the verdict."""

    model_ready = Signal(object)
    verification_done = Signal(object)
    error_shown = Signal(str)

    def __init__(self, model_dir: str | Path, provider: str = "auto") -> None:
        super().__init__()
        self.setWindowTitle(self.tr("Signature verification"))
        fit_to_screen(self, 1100, 720)
        self.model_dir = Path(model_dir)
        self.verifier: SignatureVerifier | None = None
        self.references: list[PreparedImage] = []
        self.query: PreparedImage | None = None
        self.last_result: VerificationResult | None = None
        self._pending: list[tuple[str, str]] = []  # files opened before the model was ready
        self.runner = TaskRunner(self)
        self.requests = RequestSlot()  # the comparison on screen is the newest one asked for
        self._build(provider)
        self.load_model(provider)

    # ---- layout -------------------------------------------------------------------------
    def _build(self, provider: str) -> None:
        bar = QToolBar(self.tr("Main"))
        bar.setMovable(False)
        self.addToolBar(bar)
        open_refs = QAction(self.tr("Add references…"), self)
        open_refs.triggered.connect(self._choose_references)
        open_query = QAction(self.tr("Open query…"), self)
        open_query.triggered.connect(self._choose_query)
        clear = QAction(self.tr("Clear"), self)
        clear.triggered.connect(self.clear)
        for action in (open_refs, open_query, clear):
            bar.addAction(action)
        bar.addSeparator()
        bar.addWidget(QLabel(self.tr(" Execution provider: ")))
        self.provider_box = QComboBox()
        for code in PROVIDER_CHOICES:
            self.provider_box.addItem(provider_choice(code), code)
        self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(provider)))
        self.provider_box.currentIndexChanged.connect(
            lambda _i: self.load_model(self.provider_box.currentData()))
        bar.addWidget(self.provider_box)

        self.ref_frame = DropFrame(self.tr("References (drop files here)"))
        self.ref_frame.files_dropped.connect(self.add_reference_files)
        self.ref_list = QListWidget()
        self.ref_list.setIconSize(QSize(150, 100))
        self.ref_list.setSpacing(4)
        remove = QPushButton(self.tr("Remove selected"))
        remove.clicked.connect(self._remove_selected)
        add = QPushButton(self.tr("Add references…"))
        add.clicked.connect(self._choose_references)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        ref_layout = QVBoxLayout(self.ref_frame)
        ref_layout.addWidget(self.ref_list)
        ref_layout.addLayout(buttons)

        self.query_frame = DropFrame(self._query_title())
        self.query_frame.files_dropped.connect(lambda files: self.set_query_file(files[0]))
        self.query_original = QLabel(self._no_query())
        self.query_prepared = QLabel()
        for lab in (self.query_original, self.query_prepared):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setMinimumSize(280, 120)
            lab.setFrameShape(QFrame.Shape.StyledPanel)
        open_q = QPushButton(self.tr("Open query…"))
        open_q.clicked.connect(self._choose_query)
        q_layout = QVBoxLayout(self.query_frame)
        q_layout.addWidget(QLabel(self.tr("As scanned:")))
        q_layout.addWidget(self.query_original, 1)
        q_layout.addWidget(QLabel(self.tr("Preprocessed (what the model compares):")))
        q_layout.addWidget(self.query_prepared, 1)
        self.query_warning = QLabel("")
        self.query_warning.setWordWrap(True)
        self.query_warning.setStyleSheet("color: #a15c00; font-weight: bold;")
        q_layout.addWidget(self.query_warning)
        q_layout.addWidget(open_q)

        split = QSplitter()
        split.addWidget(self.ref_frame)
        split.addWidget(self.query_frame)
        split.setSizes([420, 680])

        result_box = QGroupBox(self.tr("Result"))
        grid = QGridLayout(result_box)
        self.decision_label = QLabel("—")
        self.decision_label.setStyleSheet("font-size: 22pt; font-weight: bold;")
        self.similarity_label = QLabel(self._no_similarity())
        self.similarity_label.setStyleSheet("font-size: 16pt;")
        self.threshold_label = QLabel("")
        self.threshold_label.setWordWrap(True)
        self.operating_label = QLabel("")  # the technical line
        self.operating_label.setWordWrap(True)
        self.operating_label.setStyleSheet("color: #555;")
        self.provider_label = QLabel("")
        self.provider_label.setWordWrap(True)
        grid.addWidget(self.decision_label, 0, 0)
        grid.addWidget(self.similarity_label, 0, 1)
        grid.addWidget(self.threshold_label, 1, 0, 1, 2)
        grid.addWidget(self.operating_label, 2, 0, 1, 2)
        grid.addWidget(self.provider_label, 3, 0, 1, 2)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(split, 1)
        layout.addWidget(result_box)
        self.setCentralWidget(central)

        self.status_provider = QLabel("")
        self.statusBar().addPermanentWidget(self.status_provider)
        self.add_busy_indicator()

    def _query_title(self) -> str:
        return self.tr("Query signature (drop a file here)")

    def _no_query(self) -> str:
        return self.tr("No query yet: open or drop a scanned signature.")

    def _no_similarity(self) -> str:
        return self.tr("Similarity: —")

    def load_model(self, provider: str = "auto") -> None:
        """(Re)load the model on a worker thread with the chosen execution provider."""
        self.verifier = None
        self.run(SignatureVerifier, self.model_dir, provider, on_done=self._model_loaded,
                  status=self.tr("Loading model from {folder}…").format(folder=self.model_dir))

    def _model_loaded(self, verifier: SignatureVerifier) -> None:
        self.verifier = verifier
        info = verifier.embedder.provider
        show_model_status(self.status_provider, verifier)
        self.provider_label.setText(self.tr("Execution provider: {provider}").format(
            provider=provider_text(info)))
        self.model_ready.emit(verifier)
        pending, self._pending = self._pending, []
        for role, path in pending:
            self._prepare(role, path)
        self._maybe_verify()

    # ---- user actions ------------------------------------------------------------------
    def _choose_references(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Reference signatures"), "",
                                                image_filter())
        if files:
            self.add_reference_files(files)

    def _choose_query(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, self.tr("Query signature"), "",
                                              image_filter())
        if file:
            self.set_query_file(file)

    def add_reference_files(self, paths: list[str]) -> None:
        """Load, preprocess and add reference signatures (in the background)."""
        for path in paths:
            self._prepare("reference", str(path))

    def set_query_file(self, path: str) -> None:
        """Load and preprocess the query signature, then verify when references exist."""
        self._prepare("query", str(path))

    def _prepare(self, role: str, path: str) -> None:
        if self.verifier is None:
            self._pending.append((role, path))
            return
        done = self._reference_ready if role == "reference" else self._query_ready
        self.run(self.verifier.prepare, path, 0, role == "query", on_done=done,
                 status=self.tr("Reading {path}…").format(path=path))

    def _reference_ready(self, item: PreparedImage) -> None:
        self.references.append(item)
        entry = QListWidgetItem(QIcon(to_pixmap(to_display(item.inkmap))), Path(item.path).name)
        entry.setToolTip(item.path)
        self.ref_list.addItem(entry)
        self._maybe_verify()

    def _query_ready(self, item: PreparedImage) -> None:
        self.query = item
        self.query_frame.setTitle(self.tr("Query signature: {name}").format(
            name=Path(item.path).name))
        self.query_warning.setText(self.tr("Warning: {warning}.").format(warning=item.warning)
                                   if item.warning else "")
        self.query_original.setPixmap(to_pixmap(item.gray, self.query_original.size()))
        self.query_prepared.setPixmap(
            to_pixmap(to_display(item.inkmap), self.query_prepared.size())
        )
        self._maybe_verify()

    def _remove_selected(self) -> None:
        for entry in self.ref_list.selectedItems():
            row = self.ref_list.row(entry)
            self.ref_list.takeItem(row)
            del self.references[row]
        self._maybe_verify()

    def clear(self) -> None:
        """Forget the references, the query and the result."""
        self.requests.cancel()
        self.references.clear()
        self.ref_list.clear()
        self.query = None
        self.query_original.clear()
        self.query_original.setText(self._no_query())
        self.query_prepared.clear()
        self.query_frame.setTitle(self._query_title())
        self.query_warning.clear()
        self._show_result(None)

    def _maybe_verify(self) -> None:
        if self.verifier is None or not self.references or self.query is None:
            self.requests.cancel()
            self._show_result(None)
            return
        # The newest comparison only: references dropped while one runs start another, and
        # the earlier one's result (for fewer references) must not reach the screen.
        self.run(self.verifier.verify, list(self.references), self.query,
                 on_done=self._verified, status=self.tr("Verifying…"), slot=self.requests)

    def _verified(self, result: VerificationResult) -> None:
        self._show_result(result)
        self.verification_done.emit(result)

    # ---- display -----------------------------------------------------------------------
    def _show_result(self, result: VerificationResult | None) -> None:
        self.last_result = result
        if result is None:
            self.decision_label.setText("—")
            self.decision_label.setStyleSheet("font-size: 22pt; font-weight: bold;")
            self.similarity_label.setText(self._no_similarity())
            self.threshold_label.setText(self.tr("Add at least one reference and a query."))
            self.operating_label.setText("")
            return
        colour = DECISION_COLOURS.get(result.decision, REVIEW_COLOUR)
        self.decision_label.setText(verdict_text(result.decision))
        self.decision_label.setStyleSheet(
            f"font-size: 22pt; font-weight: bold; color: {colour};"
        )
        self.similarity_label.setText(self.tr("Similarity: {value}").format(
            value=f"{result.similarity:.3f}"))
        # One rule in words; the score behind it is the technical line under it.
        self.threshold_label.setText(
            self.tr("Genuine from similarity {accept}, forged below {reject}, needs review in "
                    "between (against %n reference(s)).", "", len(result.reference_distances))
            .format(accept=f"{result.accept_similarity:.3f}",
                    reject=f"{result.reject_similarity:.3f}"))
        technical = self.tr("Technical: score {distance} against {score} (a distance relative "
                            "to the references' spread; similarity 0.5 is that threshold; "
                            "calibrated for K={k}).").format(
            distance=f"{result.distance:.3f}", score=f"{result.threshold_distance:.3f}",
            k=result.calibrated_k)
        op = result.operating_point
        if op:
            rates = {key: f"{100 * op.get(key, float('nan')):.1f}"
                     for key in ("eer", "far_skilled", "far_random", "frr")}
            technical = join_sentences(technical, self.tr(
                "On validation writers at that threshold: EER {eer}%, FAR skilled "
                "{far_skilled}%, FAR random {far_random}%, FRR {frr}%.").format(**rates))
        self.operating_label.setText(technical)
        for row, sim in enumerate(result.reference_similarities):
            entry = self.ref_list.item(row)
            if entry is not None:
                entry.setText(Path(self.references[row].path).name + "\n"
                              + self.tr("similarity {value}").format(value=f"{sim:.3f}"))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Let running tasks finish before the window's objects go away."""
        self.runner.wait(10000)
        super().closeEvent(event)
