"""Every screen fits a 1280x720 display and grows on a 4K one (offscreen).

A 1280x720 screen with a task bar leaves about 690 pixels, and the title bar takes about 30:
the window's whole content must fit in 1280x660 without widgets overlapping, with the
decision buttons and the status bar on screen.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QWidget

from tests.test_branch_gui import _window

SMALL = (1280, 660)
LARGE = (3840, 2100)


def _rect_in_window(win: QWidget, w: QWidget) -> QRect:
    return QRect(w.mapTo(win, QPoint(0, 0)), w.size())


def _settle(qtbot, win, size) -> None:
    win.resize(*size)
    qtbot.waitUntil(lambda: win.size().toTuple() == size, timeout=5000)


@pytest.mark.parametrize("user", ["admin", "olga", "carl"])
def test_every_tab_fits_1280x720(qtbot, app_parts, user: str) -> None:
    service, config = app_parts
    win = _window(qtbot, service, config, user)
    hint = win.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], hint
    _settle(qtbot, win, SMALL)
    inside = win.rect()
    for i in range(win.tabs.count()):
        win.tabs.setCurrentIndex(i)
        qtbot.waitUntil(lambda: win.tabs.currentWidget().isVisible(), timeout=5000)
        screen = win.tabs.currentWidget()
        assert inside.contains(_rect_in_window(win, screen)), win.tabs.tabText(i)
    assert inside.contains(_rect_in_window(win, win.statusBar()))
    assert inside.contains(_rect_in_window(win, win.menuBar()))
    # A long store path is cut in the middle, whole in its tooltip: status messages keep room.
    assert win.status_store.toolTip() == str(service.store.location)
    assert win.status_store.sizeHint().width() <= 360
    if win.check_screen is not None:
        win.tabs.setCurrentWidget(win.check_screen)
        check = win.check_screen
        qtbot.waitUntil(check.isVisible, timeout=5000)
        for button in check.decision_buttons.values():
            assert inside.contains(_rect_in_window(win, button))
        # The cheque image stays in its own area: nothing below it is painted over.
        view = _rect_in_window(win, check.cheque_view)
        assert view.height() >= check.cheque_view.minimumHeight()
        assert not view.intersects(_rect_in_window(win, check.verdict_label))


def test_the_cheque_screen_grows_on_a_4k_display(qtbot, app_parts) -> None:
    service, config = app_parts
    win = _window(qtbot, service, config, "carl")
    _settle(qtbot, win, SMALL)
    small = win.check_screen.cheque_view.size()
    _settle(qtbot, win, LARGE)
    big = win.check_screen.cheque_view.size()
    assert big.width() > 2 * small.width() and big.height() > 2 * small.height()
    for button in win.check_screen.decision_buttons.values():
        assert win.rect().contains(_rect_in_window(win, button))


def test_the_keyboard_focus_is_visible_on_buttons(qtbot, qapp) -> None:
    from PySide6.QtWidgets import QPushButton, QVBoxLayout

    from desktop.ui.style import FOCUS_COLOUR, install_focus_style

    old = qapp.style().name()
    install_focus_style(qapp)
    try:
        box = QWidget()
        lay = QVBoxLayout(box)
        accept, refer = QPushButton("Accept (pay)"), QPushButton("Refer")
        lay.addWidget(accept)
        lay.addWidget(refer)
        qtbot.addWidget(box)
        box.show()
        box.activateWindow()
        qtbot.waitUntil(box.isActiveWindow, timeout=5000)

        def ringed(button: QPushButton) -> bool:
            image = box.grab().toImage()
            r = QRect(button.mapTo(box, QPoint(0, 0)), button.size())
            edge = [image.pixelColor(x, r.top() + 1) for x in range(r.left() + 6, r.right() - 6)]
            return sum(c.blue() > 150 and c.red() < 80 for c in edge) > 0.8 * len(edge)

        accept.setFocus()
        qtbot.waitUntil(accept.hasFocus, timeout=5000)
        assert ringed(accept) and not ringed(refer)
        assert FOCUS_COLOUR.name() == "#1565c0"
    finally:
        qapp.setStyle(old)
