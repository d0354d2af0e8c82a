"""The verification window, driven as a user would (offscreen)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.ui.main_window import MainWindow


@pytest.fixture()
def window(qtbot, tiny_model: Path) -> MainWindow:
    win = MainWindow(tiny_model, provider="cpu")
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_ready, timeout=30000):
        win.show()
    return win


def _files(synthetic_dir: Path, writer: int, kind: str) -> list[str]:
    return [str(p) for p in sorted((synthetic_dir / f"writer{writer:03d}" / kind).glob("*.png"))]


def test_open_reference_and_query_shows_the_verdict(qtbot, window: MainWindow,
                                                    synthetic_dir: Path) -> None:
    # The status bar says why CUDA is not used, not only which provider runs.
    assert "CPU: CUDA disabled in the settings" in window.status_provider.text()
    assert "CPU" in window.provider_label.text()
    ref, query = _files(synthetic_dir, 3, "genuine")[:2]
    window.add_reference_files([ref])
    qtbot.waitUntil(lambda: window.ref_list.count() == 1, timeout=10000)
    with qtbot.waitSignal(window.verification_done, timeout=10000) as blocker:
        window.set_query_file(query)
    result = blocker.args[0]
    assert window.decision_label.text() == result.decision.upper()
    assert window.decision_label.text() in ("GENUINE", "NEEDS REVIEW", "FORGED")
    assert f"{result.similarity:.3f}" in window.similarity_label.text()
    assert "Genuine from similarity" in window.threshold_label.text()
    assert "Technical: score" in window.operating_label.text()
    pixmap = window.query_prepared.pixmap()
    assert pixmap is not None and not pixmap.isNull()
    assert "similarity" in window.ref_list.item(0).text()
    qtbot.waitUntil(lambda: window.busy.isHidden(), timeout=5000)


def test_files_opened_while_the_model_loads_are_kept(qtbot, tiny_model: Path,
                                                     synthetic_dir: Path) -> None:
    win = MainWindow(tiny_model, provider="cpu")
    qtbot.addWidget(win)
    ref, query = _files(synthetic_dir, 4, "genuine")[:2]
    with qtbot.waitSignal(win.verification_done, timeout=30000):
        win.add_reference_files([ref])
        win.set_query_file(query)
    assert win.ref_list.count() == 1 and win.last_result is not None


def test_bad_file_shows_a_message_naming_it(qtbot, window: MainWindow, tmp_path: Path) -> None:
    bad = tmp_path / "scan.png"
    bad.write_text("not a picture")
    with qtbot.waitSignal(window.error_shown, timeout=10000) as blocker:
        window.add_reference_files([str(bad)])
    assert "scan.png" in blocker.args[0] and "not an image" in blocker.args[0]
    assert window.ref_list.count() == 0 and window.references == []
    assert "scan.png" in window.statusBar().currentMessage()


def test_clear_resets_the_result(qtbot, window: MainWindow, synthetic_dir: Path) -> None:
    ref, query = _files(synthetic_dir, 5, "genuine")[:2]
    window.add_reference_files([ref])
    with qtbot.waitSignal(window.verification_done, timeout=10000):
        window.set_query_file(query)
    window.clear()
    assert window.decision_label.text() == "—" and window.ref_list.count() == 0


def test_dropping_files_adds_references_and_sets_the_query(qtbot, window: MainWindow,
                                                           synthetic_dir: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    def drop(target, paths: list[str]) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        target.dropEvent(event)

    refs = _files(synthetic_dir, 6, "genuine")[:2]
    drop(window.ref_frame, refs)
    qtbot.waitUntil(lambda: window.ref_list.count() == 2, timeout=10000)
    with qtbot.waitSignal(window.verification_done, timeout=10000):
        drop(window.query_frame, _files(synthetic_dir, 6, "forged")[:1])
    assert window.query is not None and window.query.path.endswith("00.png")
    assert len(window.last_result.reference_similarities) == 2


def test_a_whole_cheque_as_the_query_is_warned_about(qtbot, window: MainWindow,
                                                      synthetic_dir: Path, cheque_set: Path
                                                      ) -> None:
    window.add_reference_files(_files(synthetic_dir, 3, "genuine")[:1])
    qtbot.waitUntil(lambda: window.ref_list.count() == 1, timeout=10000)
    cheque = sorted((cheque_set / "cheques").glob("*"))[0]
    with qtbot.waitSignal(window.verification_done, timeout=20000):
        window.set_query_file(str(cheque))
    assert "whole cheque, not a signature crop" in window.query_warning.text()
    with qtbot.waitSignal(window.verification_done, timeout=20000):
        window.set_query_file(_files(synthetic_dir, 3, "genuine")[1])
    assert window.query_warning.text() == ""


def test_only_the_newest_comparison_reaches_the_screen(qtbot, window: MainWindow,
                                                       synthetic_dir: Path, monkeypatch) -> None:
    # Each reference dropped starts a comparison; one with fewer references that finishes
    # last (held here until the newer one is on screen) must not replace it.
    refs = _files(synthetic_dir, 0, "genuine")
    gate, real, calls = threading.Event(), window.verifier.verify, []

    def held_first(references, query):
        calls.append(len(references))
        if len(calls) == 1:
            gate.wait()
        return real(references, query)

    monkeypatch.setattr(window.verifier, "verify", held_first)
    window.set_query_file(refs[0])
    window.add_reference_files(refs[1:2])
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=30000)
    try:  # the held comparison is always let go, even when the test fails
        window.add_reference_files(refs[2:])
        qtbot.waitUntil(lambda: window.last_result is not None
                        and len(window.last_result.reference_distances) == len(refs) - 1,
                        timeout=60000)
    finally:
        gate.set()
    qtbot.waitUntil(lambda: window.runner.running() == 0, timeout=60000)
    assert calls[0] == 1 and len(window.references) == len(refs) - 1
    assert len(window.last_result.reference_distances) == len(refs) - 1
