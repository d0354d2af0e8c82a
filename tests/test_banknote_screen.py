"""The banknote tabs driven as a clerk and an operator would (offscreen), on the shipped
banknote model: check a note from a file and a camera, enroll a new denomination."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.core.branch.config import AppConfig
from desktop.core.branch.service import BranchService
from desktop.core.paths import default_banknote_model
from desktop.core.store.backends import SQLiteStore
from desktop.ui.branch_window import BranchWindow
from desktop.ui.widgets import bgr_pixmap
from tests.conftest import PASSWORDS
from training.banknote.data import all_specs, synthetic_capture

SEED = 20240611  # not a training seed: these captures are new to the model


@pytest.fixture(scope="module")
def banknote_model() -> Path:
    """The shipped banknote model (exported_models/banknote)."""
    folder = default_banknote_model()
    assert (folder / "manifest.json").is_file(), f"the banknote model is missing at {folder}"
    return folder


@pytest.fixture()
def app_parts(tmp_path: Path, shipped_model: Path, banknote_model: Path):
    """A store with the three users and a service whose models each window loads itself."""
    service = BranchService(SQLiteStore(tmp_path / "notes.sqlite"), None)
    admin = service.create_first_admin("admin", PASSWORDS["admin"])
    service.create_user(admin, "olga", "operator", PASSWORDS["olga"])
    service.create_user(admin, "carl", "clerk", PASSWORDS["carl"])
    config = AppConfig(model_dir=str(shipped_model), provider="cpu")
    yield service, config
    service.store.close()


def _window(qtbot, service: BranchService, config: AppConfig, user: str
            ) -> tuple[BranchWindow, list[str]]:
    """The user's window once the banknote model is loaded, and the messages it shows."""
    win = BranchWindow(service, service.login(user, PASSWORDS[user]), config)
    qtbot.addWidget(win)
    shown: list[str] = []
    win.error_shown.connect(shown.append)
    with qtbot.waitSignal(win.banknote_model_ready, timeout=60000):
        win.show()
    return win, shown


def _capture(tmp_path: Path, key: str, kind: str = "", index: int = 0) -> str:
    """A photographed synthetic note of class ``key`` saved as PNG; its path."""
    currency, denomination, side = key.split("-")
    spec = next(s for s in all_specs()
                if s.currency == currency and str(s.denomination) == denomination)
    image, _ = synthetic_capture(spec, side, kind, SEED, index)
    path = tmp_path / f"{key}{'-' + kind if kind else ''}-{index}.png"
    assert cv2.imwrite(str(path), image)
    return str(path)


class FakeCamera:
    """A stand-in for ``cv2.VideoCapture``: the factory and the capture in one object."""

    def __init__(self, frame: np.ndarray | None) -> None:
        self.frame, self.index, self.released = frame, None, False

    def __call__(self, index: int) -> FakeCamera:
        self.index = index
        return self

    def isOpened(self) -> bool:  # noqa: N802 - cv2 API
        return self.frame is not None

    def read(self) -> tuple[bool, np.ndarray | None]:
        return self.frame is not None, None if self.frame is None else self.frame.copy()

    def release(self) -> None:
        self.released = True


def _checks(service: BranchService) -> list:
    return [e for e in service.store.audit_entries() if e.action == "banknote_check"]


def test_clerk_checks_genuine_counterfeit_camera_and_bad_pictures(qtbot, app_parts,
                                                                  tmp_path: Path) -> None:
    service, config = app_parts
    clerk, shown = _window(qtbot, service, config, "carl")
    tabs = [clerk.tabs.tabText(i) for i in range(clerk.tabs.count())]
    assert "Banknotes" in tabs and "Banknote references" not in tabs
    screen = clerk.banknote_screen
    assert "Banknote model" in screen.model_label.text()

    # A genuine note: its denomination with the runners-up, and GENUINE in green.
    with qtbot.waitSignal(screen.check_done, timeout=30000) as done:
        screen.open_note(_capture(tmp_path, "ARC-20-front"))
    check = done.args[0].check
    assert check.denomination.key == "ARC-20-front" and check.verdict == "genuine"
    assert screen.denom_label.text() == "ARC 20, front"
    assert screen.verdict_label.text() == "GENUINE" and "#1b7f3b" in \
        screen.verdict_label.styleSheet()
    assert screen.top_bars[0].value() > screen.top_bars[1].value() >= 0
    assert screen.top_bars[0].text().endswith("%") and screen.top_bars[1].text()
    assert screen.top_labels[2].text() and screen.reasons_label.text() == ""
    assert f"{check.threshold:.3f}" in screen.detail_label.text()
    assert screen.picture.has_picture() and not screen.straight.pixmap().isNull()
    assert all(not lab.pixmap().isNull() for lab in screen.near_images)
    assert "ARC 20, front" in screen.near_texts[0].text()
    assert "ms" in screen.timings_label.text()

    # The other side of the same note agrees; a back of another note does not.
    screen.other_box.setChecked(True)
    with qtbot.waitSignal(screen.other_side_done, timeout=30000):
        screen.open_note(_capture(tmp_path, "ARC-20-back"))
    assert screen.problems == [] and "same note" in screen.sides_label.text()
    screen.other_box.setChecked(True)
    with qtbot.waitSignal(screen.other_side_done, timeout=30000):
        screen.open_note(_capture(tmp_path, "BOR-10-back"))
    assert any("different notes" in p for p in screen.problems)
    # A glued note is SUSPECT in the headline, not only in the small print below it.
    assert screen.verdict_label.text() == "SUSPECT" and "#b3261e" in \
        screen.verdict_label.styleSheet()
    assert "different notes" in screen.reasons_label.text()
    sides = [e for e in service.store.audit_entries() if e.action == "banknote_sides"]
    assert [e.details["verdict"] for e in sides] == ["suspect", "genuine"]

    assert screen.denom_label.text() == "ARC 20, front"  # the first side stays shown

    # A counterfeit without its security thread: SUSPECT in red, with the reasons.
    with qtbot.waitSignal(screen.check_done, timeout=30000) as done:
        screen.open_note(_capture(tmp_path, "CYR-50-front", "missing_thread"))
    assert done.args[0].check.verdict == "suspect"
    assert screen.verdict_label.text() == "SUSPECT" and "#b3261e" in \
        screen.verdict_label.styleSheet()
    assert screen.reasons_label.text().startswith("• ")

    # The camera: one frame from the chosen camera, checked like a file.
    frame = cv2.imread(_capture(tmp_path, "BOR-5-back", index=1))
    camera = FakeCamera(frame)
    screen.camera_factory = camera
    screen.camera_index.setValue(1)
    with qtbot.waitSignal(screen.check_done, timeout=30000) as done:
        screen.camera()
    assert camera.index == 1 and camera.released
    assert done.args[0].check.denomination.key == "BOR-5-back"
    assert screen.denom_label.text() == "BOR 5, back"
    assert _checks(service)[0].details["source"] == "camera"

    assert shown == []
    # A camera that cannot be opened, and a black picture: a message, nothing audited.
    audited = len(service.store.audit_entries())
    screen.camera_factory = FakeCamera(None)
    screen.camera_index.setValue(2)
    with qtbot.waitSignal(clerk.error_shown, timeout=10000) as err:
        screen.camera()
    assert "Camera 2" in err.args[0] and "cannot be opened" in err.args[0]
    black = tmp_path / "black-note.png"
    cv2.imwrite(str(black), np.zeros((480, 640, 3), np.uint8))
    with qtbot.waitSignal(clerk.error_shown, timeout=20000) as err:
        screen.open_note(str(black))
    assert "black-note.png" in err.args[0]
    assert len(service.store.audit_entries()) == audited and screen.note is None
    assert screen.verdict_label.text() == "—"
    assert len(_checks(service)) == 5  # genuine, two other sides, counterfeit, camera

    # Two pages from a document feeder are a note's two sides: the front is checked, then
    # the back as its other side (whatever the box said before).
    screen.other_box.setChecked(True)
    with qtbot.waitSignal(screen.other_side_done, timeout=60000):
        screen.open_scanned([_capture(tmp_path, "CYR-50-front"), _capture(tmp_path, "CYR-50-back")])
    assert screen.note.check.denomination.key == "CYR-50-front"
    assert screen.other.check.denomination.key == "CYR-50-back" and screen.problems == []
    assert not screen.other_box.isChecked()
    # More pages than a note has sides: the first is checked, and the screen says so.
    pages = [_capture(tmp_path, "BOR-5-front", index=i) for i in (3, 4, 5)]
    with qtbot.waitSignal(screen.check_done, timeout=30000):
        screen.open_scanned(pages)
    assert "3 pages were scanned; the first is checked" in screen.sides_label.text()

    # A note of a denomination with no reference (ARC 50) registers on the design it shares
    # with another: the regions that differ are named, and outlined on the note shown.
    with qtbot.waitSignal(screen.check_done, timeout=30000) as done:
        screen.open_note(_capture(tmp_path, "ARC-50-front", index=4))
    part = done.args[0].check
    assert part.verdict == "suspect" and part.differing_regions, part.reasons
    assert "it differs at" in screen.reasons_label.text()
    shown_note = screen.straight.pixmap().toImage()
    plain = bgr_pixmap(part.note_image, screen.straight.size()).toImage()
    assert shown_note == bgr_pixmap(part.marked_note(), screen.straight.size()).toImage()
    assert shown_note != plain


def test_operator_enrolls_a_new_denomination_and_the_clerk_reads_it(qtbot, app_parts,
                                                                    tmp_path: Path) -> None:
    service, config = app_parts
    op, shown = _window(qtbot, service, config, "olga")
    tabs = [op.tabs.tabText(i) for i in range(op.tabs.count())]
    assert "Banknote references" in tabs and "Banknotes" not in tabs
    screen = op.banknote_enroll_screen
    qtbot.waitUntil(lambda: screen.currency_box.count() > 0, timeout=20000)
    assert screen.currency_box.findText("CYR") >= 0
    screen.set_class("arc", "20.00", "front")  # saved as ARC-20-front: a shipped class
    assert screen.known_label.text().startswith("ARC-20-front: a known class")
    screen.set_class("CYR", "200", "front", "2024 issue")
    assert "new denomination" in screen.known_label.text()
    with qtbot.waitSignal(screen.prepared, timeout=30000) as got:
        screen.add_files([_capture(tmp_path, "CYR-200-front", index=3)])
    assert len(got.args[0]) == 1 and got.args[0][0].problem is None
    assert screen.table.rowCount() == 1 and screen.save_button.isEnabled()
    with qtbot.waitSignal(screen.prepared, timeout=30000):  # turned round and back again
        screen.turn(0)
    with qtbot.waitSignal(screen.prepared, timeout=30000):
        screen.turn(0)
    with qtbot.waitSignal(screen.enrolled, timeout=30000) as saved:
        screen.save()
    assert [r.key for r in saved.args[0]] == ["CYR-200-front"]
    qtbot.waitUntil(lambda: screen.ref_table.rowCount() == 1, timeout=10000)
    assert screen.table.rowCount() == 0 and shown == []
    assert "CYR 200, front" in screen.ref_table.item(0, 1).text()
    # A revoke without a reason is refused with a message.
    with qtbot.waitSignal(op.error_shown, timeout=10000) as err:
        screen.revoke(saved.args[0][0].id, "")
    assert "reason" in err.args[0].lower()
    op.close()

    clerk, _ = _window(qtbot, service, config, "carl")
    check_screen = clerk.banknote_screen
    with qtbot.waitSignal(check_screen.check_done, timeout=30000) as done:
        check_screen.open_note(_capture(tmp_path, "CYR-200-front", index=7))
    assert done.args[0].check.denomination.key == "CYR-200-front"
    assert check_screen.denom_label.text() == "CYR 200, front"
    assert any("enrolled" in t.text() for t in check_screen.near_texts)
    actions = [e.action for e in service.store.audit_entries()]
    assert "banknote_enroll" in actions and actions.count("banknote_check") == 1
    entry = _checks(service)[0]
    assert entry.details["verdict"] == done.args[0].check.verdict


def test_operator_enrolls_a_currency_folder_from_the_screen(qtbot, app_parts,
                                                            tmp_path: Path) -> None:
    service, config = app_parts
    root = tmp_path / "currency"
    good = root / "CYR" / "200" / "front"
    good.mkdir(parents=True)
    for i in (1, 2):
        Path(_capture(tmp_path, "CYR-200-front", index=i)).rename(good / f"{i}.png")
    (root / "CYR" / "200" / "back").mkdir(parents=True)  # a side with no pictures
    op, shown = _window(qtbot, service, config, "olga")
    screen = op.banknote_enroll_screen
    screen.series_edit.setText("2024 issue")
    with qtbot.waitSignal(screen.folder_enrolled, timeout=60000) as done:
        screen.enroll_folder(str(root))
    sides = {s.name: s for s in done.args[0]}
    assert len(sides["CYR/200/front"].references) == 2
    assert "no pictures" in sides["CYR/200/back"].problem
    report = screen.folder_report.text()
    assert report.startswith("Saved 1 of 2 sides.")
    assert "CYR/200/front: enrolled from 2 pictures" in report
    assert "CYR/200/back: NOT enrolled" in report
    qtbot.waitUntil(lambda: screen.ref_table.rowCount() == 2, timeout=10000)
    assert {r.series for r in service.store.banknote_references()} == {"2024 issue"}
    # A folder without the layout is refused with a message naming it; nothing is stored.
    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(op.error_shown, timeout=30000) as err:
        screen.enroll_folder(str(empty))
    assert str(empty) in err.args[0] and str(empty) in screen.folder_report.text()
    assert len(service.store.banknote_references()) == 2 and shown == [err.args[0]]


def test_a_missing_banknote_model_leaves_cheque_work_alone(qtbot, app_parts,
                                                           tmp_path: Path) -> None:
    service, config = app_parts
    config.banknote_model_dir = str(tmp_path / "no-model")
    win = BranchWindow(service, service.login("admin", PASSWORDS["admin"]), config)
    qtbot.addWidget(win)
    shown: list[str] = []
    win.error_shown.connect(shown.append)
    with qtbot.waitSignals([win.model_ready, win.banknote_model_failed], timeout=60000):
        win.show()
    assert service.verifier is not None and service.notes.model is None and shown == []
    for screen in (win.banknote_screen, win.banknote_enroll_screen):
        assert "no-model" in screen.model_label.text() and "cheques still can" in \
            screen.model_label.text()
    assert "No banknote model" in win.status_banknotes.text()


def test_a_late_banknote_result_never_replaces_the_note_on_screen(qtbot, app_parts,
                                                                  tmp_path: Path,
                                                                  monkeypatch) -> None:
    import threading

    service, config = app_parts
    clerk, _ = _window(qtbot, service, config, "carl")
    screen = clerk.banknote_screen
    slow, fast = _capture(tmp_path, "ARC-20-front"), _capture(tmp_path, "BOR-10-back")
    gate, real = threading.Event(), service.notes.check_banknote

    def slow_first(session, path, *args):
        if path == slow:
            gate.wait()  # held until the second note is on screen
        return real(session, path, *args)

    monkeypatch.setattr(service.notes, "check_banknote", slow_first)
    screen.open_note(slow)
    try:  # the held job is always let go, even when the test fails
        with qtbot.waitSignal(screen.check_done, timeout=30000) as done:
            screen.open_note(fast)
    finally:
        gate.set()
    qtbot.waitUntil(lambda: len(_checks(service)) == 2 and not clerk.runner.busy(),
                    timeout=30000)
    assert screen.note is done.args[0] and screen.denom_label.text() == "BOR 10, back"
    assert "BOR-10-back" in screen.frame.title()
