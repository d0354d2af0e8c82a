"""Widgets shared by the screens: image display, drop targets, the cheque view with its
draggable signature zone, and the verdict colours."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.core.access.auth import MIN_PASSWORD_LENGTH
from desktop.core.signature.verification import FORGED, GENUINE, REVIEW
from desktop.ui.wording import provider_status, provider_text, signer_short, signer_text
from desktop.ui.workers import RequestSlot

IMAGE_PATTERNS = "*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.pdf"
IMAGE_FILTER_LABELS = (QT_TRANSLATE_NOOP("Widgets", "Images and PDF scans"),
                       QT_TRANSLATE_NOOP("Widgets", "All files"))
DECISION_COLOURS = {GENUINE: "#1b7f3b", FORGED: "#b3261e"}
REVIEW_COLOUR = "#a15c00"
NOTE_VERDICT_COLOURS = {"genuine": "#1b7f3b", "suspect": "#b3261e"}
# The verdict words shown for the verdict codes (a signature's, a banknote's).
VERDICT_TEXT = {GENUINE: QT_TRANSLATE_NOOP("Widgets", "GENUINE"),
                REVIEW: QT_TRANSLATE_NOOP("Widgets", "NEEDS REVIEW"),
                FORGED: QT_TRANSLATE_NOOP("Widgets", "FORGED")}
NOTE_VERDICT_TEXT = {"genuine": QT_TRANSLATE_NOOP("Widgets", "GENUINE"),
                     "suspect": QT_TRANSLATE_NOOP("Widgets", "SUSPECT")}


def join_sentences(*sentences: str) -> str:
    """Sentences run on with a space after each, none after a full-width stop (Chinese)."""
    text = ""
    for sentence in filter(None, sentences):
        text += sentence if not text or text.endswith(("。", "！", "？")) else " " + sentence
    return text


def image_filter() -> str:
    """The file dialogs' filter of image files, in the user's language (the patterns stay)."""
    images, everything = (QCoreApplication.translate("Widgets", label)
                          for label in IMAGE_FILTER_LABELS)
    return f"{images} ({IMAGE_PATTERNS});;{everything} (*)"


def verdict_text(decision: str) -> str:
    """The word shown for a signature verdict code ("genuine" -> GENUINE), translated."""
    word = VERDICT_TEXT.get(decision)
    return QCoreApplication.translate("Widgets", word) if word else decision.upper()


def note_verdict_text(verdict: str) -> str:
    """The word shown for a banknote verdict code ("suspect" -> SUSPECT), translated."""
    word = NOTE_VERDICT_TEXT.get(verdict)
    return QCoreApplication.translate("Widgets", word) if word else verdict.upper()


def verdict_style(decision: str, size_pt: int = 22) -> str:
    """Style sheet of a verdict label: bold, in the verdict's colour."""
    colour = DECISION_COLOURS.get(decision, REVIEW_COLOUR)
    return f"font-size: {size_pt}pt; font-weight: bold; color: {colour};"


def to_pixmap(gray: np.ndarray, max_size: QSize | None = None) -> QPixmap:
    """A QPixmap of an 8-bit grayscale array, scaled down to ``max_size`` if given."""
    gray = np.ascontiguousarray(gray)
    h, w = gray.shape
    image = QImage(gray.data, w, h, gray.strides[0], QImage.Format.Format_Grayscale8).copy()
    pix = QPixmap.fromImage(image)
    if max_size is not None:
        pix = pix.scaled(max_size, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    return pix


def note_verdict_style(verdict: str, size_pt: int = 22) -> str:
    """Style sheet of a banknote verdict label: bold, green (genuine) or red (suspect)."""
    colour = NOTE_VERDICT_COLOURS.get(verdict, "#555555")
    return f"font-size: {size_pt}pt; font-weight: bold; color: {colour};"


def bgr_pixmap(bgr: np.ndarray, max_size: QSize | None = None) -> QPixmap:
    """A QPixmap of an 8-bit BGR (or grayscale) array, scaled down to ``max_size`` if given."""
    if bgr.ndim == 2:
        return to_pixmap(bgr, max_size)
    rgb = np.ascontiguousarray(bgr[:, :, 2::-1])
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()
    pix = QPixmap.fromImage(image)
    if max_size is not None:
        pix = pix.scaled(max_size, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    return pix


def password_rule_label() -> QLabel:
    """The password rule, shown beside a new password before it can be broken."""
    label = QLabel(QCoreApplication.translate(
        "Widgets", "At least {n} characters, and not the user name.").format(
        n=MIN_PASSWORD_LENGTH))
    label.setStyleSheet("color: #555;")
    label.setWordWrap(True)
    return label


def elided(text: str, widget: QWidget, width: int) -> str:
    """``text`` cut in the middle with "…" to fit ``width`` pixels in ``widget``'s font (a
    long file name keeps its start and its extension); the full text belongs in a tooltip."""
    return widget.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, width)


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Give ``window`` this size, or less on a smaller screen, so that it and its title bar
    fit the screen's free area (a 1280x720 screen with a panel leaves about 690 pixels)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        free = screen.availableGeometry()
        width = min(width, free.width() - 16)  # the window frame
        height = min(height, free.height() - 40)  # the title bar and frame
    window.resize(width, height)


def local_files(event: QDragEnterEvent | QDropEvent) -> list[str]:
    """Local file paths carried by a drag."""
    return [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]


class DropFrame(QGroupBox):
    """A group box that accepts files dropped from the file manager."""

    files_dropped = Signal(list)

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if local_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        files = local_files(event)
        if files:
            self.files_dropped.emit(files)
            event.acceptProposedAction()


class AccountPicker(QGroupBox):
    """Search accounts by number or holder's name and load one with its references, through
    the host's service on its worker pool; ``loaded`` carries ``(account, references)``."""

    loaded = Signal(object)

    def __init__(self, host) -> None:
        super().__init__()
        self.setTitle(self.tr("Account"))
        self.host = host
        # The newest search and the newest load win: a slow answer for an account clicked
        # earlier never replaces the account clicked last.
        self.search_slot, self.load_slot = RequestSlot(), RequestSlot()
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(self.tr("Account number or holder's name"))
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        find = QPushButton(self.tr("Search"))
        find.clicked.connect(lambda: self.search(self.search_box.text()))
        self.list = QListWidget()
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        self.label = QLabel(self.tr("No account selected"))
        self.label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.search_box, 1)
        row.addWidget(find)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.label)

    def search(self, text: str) -> None:
        """Find accounts whose number or holder's name contains ``text``."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.search_accounts, ses, text, on_done=self.show_accounts,
                      status=self.tr("Searching accounts…"), slot=self.search_slot)

    def load(self, account_number: str) -> None:
        """Load the account and its references (re-embedded if the model changed)."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.account_with_references, ses, account_number,
                      on_done=self.loaded.emit, status=self.tr("Loading references…"),
                      slot=self.load_slot)

    def show_accounts(self, accounts) -> None:
        """List the accounts a search found."""
        self.list.clear()
        for acc in accounts:
            item = QListWidgetItem(f"{acc.account_number}  {acc.holder_name}")
            item.setData(Qt.ItemDataRole.UserRole, acc.account_number)
            self.list.addItem(item)
        if not accounts:
            self.list.addItem(self.tr("(no account matches)"))

    def _clicked(self, item: QListWidgetItem) -> None:
        number = item.data(Qt.ItemDataRole.UserRole)
        if number:
            self.load(number)


class ChequeView(QWidget):
    """Shows a cheque page with the signature zone drawn on it. Dragging a rectangle with
    the mouse sets a new zone; ``zone_changed`` carries it relative to the page
    (x, y, w, h in [0, 1])."""

    zone_changed = Signal(tuple)

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(360, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._pix: QPixmap | None = None
        self.zone: tuple[float, float, float, float] | None = None
        self.ink_box: tuple[float, float, float, float] | None = None  # relative too
        self._drag_from: QPointF | None = None
        self._drag_to: QPointF | None = None

    def set_page(self, gray: np.ndarray | None, zone=None, ink_box=None) -> None:
        """Show ``gray`` (None clears) with ``zone`` and the found ink, both relative."""
        self._pix = None if gray is None else to_pixmap(gray)
        self.zone, self.ink_box = zone, ink_box
        self.update()

    def _page_rect(self) -> QRectF:
        if self._pix is None:
            return QRectF()
        size = self._pix.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def _to_rel(self, rect: QRectF, r: tuple[float, float, float, float]) -> QRectF:
        return QRectF(rect.x() + r[0] * rect.width(), rect.y() + r[1] * rect.height(),
                      r[2] * rect.width(), r[3] * rect.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#f4f4f4"))
        if self._pix is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             self.tr("Open, drop or scan a cheque"))
            return
        page = self._page_rect()
        painter.drawPixmap(page.toRect(), self._pix)
        if self.zone:
            painter.setPen(QPen(QColor("#1565c0"), 2, Qt.PenStyle.DashLine))
            painter.drawRect(self._to_rel(page, self.zone))
        if self.ink_box:
            painter.setPen(QPen(QColor("#2e7d32"), 2))
            painter.drawRect(self._to_rel(page, self.ink_box))
        if self._drag_from is not None and self._drag_to is not None:
            painter.setPen(QPen(QColor("#e65100"), 2))
            painter.drawRect(QRectF(self._drag_from, self._drag_to).normalized())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._pix is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = self._drag_to = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._drag_from is not None:
            self._drag_to = event.position()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._drag_from is None:
            return
        rect = QRectF(self._drag_from, event.position()).normalized()
        self._drag_from = self._drag_to = None
        self.update()
        self.set_zone_from_widget_rect(rect)

    def set_zone_from_widget_rect(self, rect: QRectF) -> None:
        """Turn a rectangle in widget pixels into a relative zone and announce it (ignored
        when it is too small to be a deliberate drag)."""
        page = self._page_rect()
        if page.isEmpty() or rect.width() < 8 or rect.height() < 8:
            return
        rect = rect.intersected(page)
        x = (rect.x() - page.x()) / page.width()
        y = (rect.y() - page.y()) / page.height()
        w, h = rect.width() / page.width(), rect.height() / page.height()
        zone = tuple(round(v, 4) for v in (x, y, min(w, 1 - x), min(h, 1 - y)))
        self.zone = zone
        self.zone_changed.emit(zone)


class PictureView(QWidget):
    """A colour picture scaled to fit, with an optional outline (a polygon in the picture's
    own pixels, e.g. the corners of a banknote found in a photo) drawn over it."""

    def __init__(self, placeholder: str = "", min_width: int = 320, min_height: int = 200
                 ) -> None:
        super().__init__()
        self.setMinimumSize(min_width, min_height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.placeholder = placeholder
        self._pix: QPixmap | None = None
        self.outline: np.ndarray | None = None

    def set_picture(self, bgr: np.ndarray | None, outline: np.ndarray | None = None) -> None:
        """Show ``bgr`` (None clears) with ``outline`` ((N, 2) picture pixels) drawn on it."""
        self._pix = None if bgr is None else bgr_pixmap(bgr)
        self.outline = None if outline is None else np.asarray(outline, np.float32)
        self.update()

    def has_picture(self) -> bool:
        """True while a picture is shown."""
        return self._pix is not None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#f4f4f4"))
        if self._pix is None:
            painter.setPen(QColor("#666666"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        size = self._pix.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        target = QRectF(x, y, size.width(), size.height())
        painter.drawPixmap(target.toRect(), self._pix)
        if self.outline is not None and len(self.outline) >= 2:
            scale = size.width() / self._pix.width()
            poly = QPolygonF([QPointF(x + (px + 0.5) * scale, y + (py + 0.5) * scale)
                              for px, py in self.outline])
            painter.setPen(QPen(QColor("#00c853"), 3))
            painter.drawPolygon(poly)
            painter.setBrush(QColor("#d50000"))  # the note's own top-left corner
            painter.drawEllipse(poly[0], 5, 5)


def show_model_status(label: QLabel, verifier) -> None:
    """The status bar's model line: id, who signed it (the DEMO key says so) and the execution
    provider; the full signer and provider reasons as its tooltip."""
    info, signer = verifier.embedder.provider, verifier.manifest.signer
    label.setText(QCoreApplication.translate("Widgets", "Model {model} · {signer} · {status}")
                  .format(model=verifier.manifest.model_id, signer=signer_short(signer),
                          status=provider_status(info)))
    label.setToolTip(f"{signer_text(signer)}\n{provider_text(info)}")
