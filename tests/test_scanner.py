"""Scanning (desktop/core/branch/scanner.py and sane_scanner.py): the folder source, the
scanner settings, and real scans from SANE's own ``test`` device (python-sane, the
``[scanner]`` extra).

The SANE tests skip when python-sane cannot be imported, unless ``SIGDESK_REQUIRE_SANE=1``
(``source .ci/sane.sh``, as CI does), where they fail. They use a SANE configuration folder
of their own (``SANE_CONFIG_DIR``: the ``test`` backend only, its ``test.conf`` written here),
so a real scanner on the machine is never driven and the results do not depend on
/etc/sane.d. The test backend reads ``test.conf`` at each ``sane_init``, which the app does
for every scan: a test changes the device (a hand scanner) by rewriting that file.

SANE errors (busy, jammed, feeder empty...), scanners that hang and python-sane missing are
tested with a stand-in device: :mod:`tests.test_scanner_standin`.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from desktop.core.branch import sane_scanner
from desktop.core.branch.config import AppConfig, ConfigError, load_config, save_config
from desktop.core.branch.sane_scanner import (
    SaneSource,
    list_scanners,
    sane_missing,
)
from desktop.core.branch.scanner import FolderSource, scan_source
from desktop.core.errors import InputImageError, ServiceError
from desktop.core.imaging.decode import MAX_PAGES, load_page
from tests.test_branch_gui import ACCOUNT, _enroll_account, _window

REQUIRE_SANE = os.environ.get("SIGDESK_REQUIRE_SANE") == "1"
TEST_CONF = """\
number_of_devices 2
mode Gray
depth 8
resolution 75
test-picture "Color pattern"
"""
PAGE_MM = (80.0, 100.0)  # the test device's default scan area (br_x, br_y)
TEST_DEVICE_ADF_PAGES = 10  # the test backend's feeder holds ten sheets


# ---- the SANE test device ------------------------------------------------------------------
@pytest.fixture(scope="session")
def sane_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SANE configuration folder with the ``test`` backend only (skips without
    python-sane, or fails under SIGDESK_REQUIRE_SANE=1)."""
    try:
        import sane  # noqa: F401
    except ImportError as exc:
        if REQUIRE_SANE:
            pytest.fail(f"SIGDESK_REQUIRE_SANE=1 but python-sane cannot be imported ({exc}): "
                        "source .ci/sane.sh, then pip install -e '.[dev]' (python-sane)")
        pytest.skip(f"python-sane is not installed (the [scanner] extra): {exc}")
    folder = tmp_path_factory.mktemp("sane.d")
    (folder / "dll.conf").write_text("test\n")
    (folder / "test.conf").write_text(TEST_CONF)
    # SANE reads SANE_CONFIG_DIR once, at the process's first sane_init: set for good.
    os.environ["SANE_CONFIG_DIR"] = str(folder)
    found = [s.name for s in list_scanners()]
    assert found == ["test:0", "test:1"], (
        f"SANE did not use {folder} (found {found}): was SANE initialised in this process "
        "before these tests?")
    return folder


@pytest.fixture()
def test_device(sane_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``configure(**test_conf_lines)``: rewrite the test device's test.conf (restored after
    the test); scans go to ``tmp_path/home/scans``."""
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))

    def configure(**lines: str) -> None:
        extra = "".join(f"{k.replace('_', '-')} {v}\n" for k, v in lines.items())
        (sane_dir / "test.conf").write_text(TEST_CONF + extra)

    yield configure
    (sane_dir / "test.conf").write_text(TEST_CONF)


def _scans(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "home" / "scans"
    return sorted(folder.glob("scan-*")) if folder.is_dir() else []


def test_list_scanners_finds_the_test_devices(sane_dir: Path) -> None:
    found = list_scanners()
    assert [s.name for s in found] == ["test:0", "test:1"]
    assert found[0].describe() == "test:0 (Noname frontend-tester, virtual device)"
    assert sane_missing() is None


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
def test_scan_one_page_grey_and_colour(test_device, tmp_path: Path, dpi: int,
                                       colour: bool) -> None:
    source = SaneSource("test:0", dpi=dpi, colour=colour)
    assert source.describe() == (f"scanner test:0, {dpi} dpi, "
                                 f"{'colour' if colour else 'grey'}, flatbed")
    pages = source.acquire()
    assert len(pages) == 1 and pages[0].suffix == ".png"
    # Written into a private folder of the app's own, readable by the owner only.
    folder = tmp_path / "home" / "scans"
    assert pages[0].parent.parent == folder
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(pages[0].parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(pages[0].stat().st_mode) == 0o600
    with Image.open(pages[0]) as img:
        assert img.mode == ("RGB" if colour else "L")
        w, h = img.size
    # The page is the scan area at the resolution asked for (80 x 100 mm).
    assert abs(w - PAGE_MM[0] / 25.4 * dpi) <= 1 and abs(h - PAGE_MM[1] / 25.4 * dpi) <= 1
    # ... and the app's decoder reads it as it reads any file.
    page = load_page(pages[0], colour=True)
    assert page.shape == (h, w, 3) and 0 < page.mean() < 255
    channels_differ = bool(np.any(page[..., 0] != page[..., 2]))
    assert channels_differ == colour


def test_feeder_scans_every_sheet_and_stops_at_the_cap(test_device, tmp_path: Path) -> None:
    pages = SaneSource("test:1", dpi=200, adf=True).acquire()
    assert len(pages) == TEST_DEVICE_ADF_PAGES < MAX_PAGES
    assert [p.name.rsplit("-", 1)[1] for p in pages] == [f"{i}.png" for i in range(1, 11)]
    assert all(load_page(p).shape == (787, 629) for p in pages)
    assert len({p.parent for p in pages}) == 1  # one folder per scan
    # With a cap, the feeder's batch is ended after that many pages...
    capped = SaneSource("test:1", dpi=200, adf=True, max_pages=3).acquire()
    assert len(capped) == 3 and capped[0].parent != pages[0].parent
    # ...and the device is free again for the next scan.
    assert len(SaneSource("test:1", dpi=300).acquire()) == 1
    # The app's own cap is the decoder's page limit.
    assert SaneSource().max_pages == MAX_PAGES


def test_the_first_scanner_found_is_used_when_none_is_named(test_device) -> None:
    pages = SaneSource("", dpi=200).acquire()
    assert len(pages) == 1
    assert SaneSource().describe().startswith("the first scanner SANE finds")


def test_a_device_that_is_not_there_is_named_in_the_message(test_device,
                                                            tmp_path: Path) -> None:
    with pytest.raises(ServiceError) as err:
        SaneSource("test:7", dpi=200).acquire()
    assert "test:7" in str(err.value) and "no scanner found" in str(err.value)
    with pytest.raises(ServiceError, match="no scanner found"):
        SaneSource("nosuchbackend:0", dpi=200).acquire()
    assert _scans(tmp_path) == []  # nothing half-written is left


def test_a_page_larger_than_the_decoder_accepts_is_refused_and_the_device_closed(
        test_device, tmp_path: Path, monkeypatch) -> None:
    limit = sane_scanner.MAX_PNG_DECODED_BYTES
    monkeypatch.setattr(sane_scanner, "MAX_PNG_DECODED_BYTES", 100_000)
    # Announced too large: refused before the scan is started.
    with pytest.raises(InputImageError, match="announced a page of 629x787 pixels in grey"):
        SaneSource("test:0", dpi=200).acquire()
    assert _scans(tmp_path) == []
    # The device was closed: it scans again at once. (A page that runs long while it is read
    # is tested with a stand-in, in test_scanner_standin.py: the test backend's hand-scanner
    # mode hangs in sane_cancel during a read now and then.)
    monkeypatch.setattr(sane_scanner, "MAX_PNG_DECODED_BYTES", limit)
    pages = SaneSource("test:0", dpi=200).acquire()
    assert len(pages) == 1 and load_page(pages[0]).size > 0


def test_old_scans_are_pruned(test_device, tmp_path: Path) -> None:
    for _ in range(sane_scanner.KEEP_SCANS + 2):
        SaneSource("test:0", dpi=200).acquire()
    assert len(_scans(tmp_path)) == sane_scanner.KEEP_SCANS


# ---- the folder source (no SANE) -----------------------------------------------------------
def test_folder_source_takes_the_newest_image(tmp_path: Path) -> None:
    now = time.time()
    for i, name in enumerate(["a.png", "b.tif", "notes.txt", "c.jpg"]):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (now - 100 + 10 * i, now - 100 + 10 * i))
    os.utime(tmp_path / "b.tif", (now, now))
    source = FolderSource(tmp_path)
    assert source.acquire() == [tmp_path / "b.tif"]
    assert source.describe() == f"the newest image in {tmp_path}"


def test_folder_source_errors(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="the scan folder does not exist"):
        FolderSource(tmp_path / "missing").acquire()
    with pytest.raises(ServiceError, match="no scanned image yet"):
        FolderSource(tmp_path).acquire()


def test_the_settings_choose_the_source(tmp_path: Path) -> None:
    assert scan_source(AppConfig(scan_folder=str(tmp_path))) == FolderSource(tmp_path)
    with pytest.raises(ServiceError, match="No scan folder is set"):
        scan_source(AppConfig())
    cfg = AppConfig(scan_source="sane", scanner_device="test:1", scanner_dpi=200,
                    scanner_colour=True, scanner_adf=True)
    assert scan_source(cfg, tmp_path) == SaneSource("test:1", 200, True, True, tmp_path)


# ---- scanner settings: stored, read back, hostile values refused --------------------------
def test_a_settings_file_from_before_the_scanner_settings_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"model_dir": "", "provider": "cpu", "method": "distance",
                                "target_far": 0.02, "store_path": "", "zone": {},
                                "scan_folder": "/srv/scans", "banknote_model_dir": "",
                                "idle_timeout_minutes": 15}))
    cfg = load_config(path)
    assert cfg.scan_folder == "/srv/scans" and cfg.scan_source == "folder"
    assert (cfg.scanner_device, cfg.scanner_dpi, cfg.scanner_colour, cfg.scanner_adf) == (
        "", 300, False, False)


def test_scanner_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    cfg = AppConfig(scan_source="sane", scanner_device="net:branch-pc:epson2:libusb:001:004",
                    scanner_dpi=200, scanner_colour=True, scanner_adf=True)
    save_config(cfg, path)
    assert load_config(path) == cfg


@pytest.mark.parametrize(("key", "value", "message"), [
    ("scan_source", "twain", "scan_source must be one of folder, sane"),
    ("scan_source", ["sane"], "scan_source must be one of"),
    ("scanner_dpi", "300", "scanner_dpi must be 200 or 300"),
    ("scanner_dpi", True, "scanner_dpi must be 200 or 300"),
    ("scanner_dpi", 600, "scanner_dpi must be 200 or 300, not 600"),
    ("scanner_dpi", 300.0, "scanner_dpi must be 200 or 300"),
    ("scanner_colour", "yes", "scanner_colour must be true or false"),
    ("scanner_adf", 1, "scanner_adf must be true or false"),
    ("scanner_adf", None, "scanner_adf must be true or false"),
    ("scanner_device", "test:0\n; rm -rf /", "control characters"),
    ("scanner_device", " test:0", "spaces at its ends"),
    ("scanner_device", "x" * 10_000, "10000 characters long"),
    ("scanner_device", {"name": "test:0"}, "scanner_device must be a text"),
])
def test_hostile_scanner_settings_are_refused(tmp_path: Path, key: str, value,
                                              message: str) -> None:
    path = tmp_path / "settings.json"
    text = json.dumps({"scan_folder": "/srv/scans", key: value})
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert len(str(err.value)) < 300  # a huge value is not echoed back whole
    assert path.read_text() == text  # the file is left as it is
    # Saving such settings is refused too, and nothing is written.
    with pytest.raises(ConfigError, match="cannot be saved"):
        save_config(AppConfig(**{key: value}), tmp_path / "other.json")
    assert not (tmp_path / "other.json").exists()


# ---- the screens ---------------------------------------------------------------------------
def test_scan_on_the_check_screen_opens_and_checks_the_scanned_page(
        qtbot, test_device, app_parts, cheque_set: Path, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    service, config = app_parts
    config.scan_source, config.scanner_device, config.scanner_dpi = "sane", "test:0", 200
    clerk = _window(qtbot, service, config, "carl")
    _enroll_account(service, cheque_set)
    check = clerk.check_screen
    with qtbot.waitSignal(check.references_loaded, timeout=20000):
        check.picker.load(ACCOUNT)

    # Scan: the test device's page is scanned on a worker, opened and checked (the test
    # picture is no cheque, so the check may refuse it; either way it was checked).
    outcomes: list[object] = []
    check.check_done.connect(outcomes.append)
    check.refused.connect(outcomes.append)
    errors: list[str] = []
    clerk.error_shown.connect(errors.append)
    check.scan()
    qtbot.waitUntil(lambda: bool(outcomes or errors), timeout=30000)
    assert errors == [] and len(outcomes) == 1
    scanned = Path(check.cheque_path)
    assert scanned.parent.parent == tmp_path / "home" / "scans" and scanned.suffix == ".png"
    assert scanned.name in check.cheque_frame.title()

    # The feeder: ten pages scanned, the first opened, the others offered by the page picker
    # (each checked when picked, and refused or judged on its own).
    clerk.config.scanner_adf = True
    outcomes.clear()
    check.scan()
    qtbot.waitUntil(lambda: bool(outcomes or errors), timeout=30000)
    assert errors == []
    assert Path(check.cheque_path).name.endswith("-page-1.png")
    assert check.page_box.isVisibleTo(clerk) and check.page_box.value() == 1
    assert check.page_box.maximum() == TEST_DEVICE_ADF_PAGES
    outcomes.clear()
    check.page_box.setValue(3)
    qtbot.waitUntil(lambda: bool(outcomes or errors), timeout=30000)
    assert errors == [] and len(outcomes) == 1
    assert Path(check.cheque_path).name.endswith("-page-3.png")
    assert check.page_box.value() == 3 and check.page_box.maximum() == TEST_DEVICE_ADF_PAGES
    assert not [b for b in clerk.findChildren(QMessageBox) if b.isVisible()]  # no box to close

    # A scanner that is not there: a message naming it, nothing opened.
    clerk.config.scanner_device = "test:9"
    before = check.cheque_path
    with qtbot.waitSignal(clerk.error_shown, timeout=20000) as err:
        check.scan()
    assert "test:9" in err.args[0] and "no scanner found" in err.args[0]
    assert check.cheque_path == before

    # The folder source through the same button: the newest image there is opened.
    clerk.config.scan_source, clerk.config.scan_folder = "folder", ""
    with qtbot.waitSignal(clerk.error_shown, timeout=5000) as err:
        check.scan()
    assert "No scan folder is set" in err.args[0]
    share = tmp_path / "share"
    share.mkdir()
    newest = share / "cheque.png"
    newest.write_bytes(next((cheque_set / "cheques").glob("*.png")).read_bytes())
    clerk.config.scan_folder = str(share)
    outcomes.clear()
    errors.clear()
    check.scan()
    qtbot.waitUntil(lambda: bool(outcomes or errors), timeout=30000)
    assert errors == [] and check.cheque_path == str(newest)


def test_settings_find_scanners_and_save_the_scanner(qtbot, test_device, app_parts,
                                                    monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))
    service, config = app_parts
    admin = _window(qtbot, service, config, "admin")
    settings = admin.settings_screen
    assert settings.source_box.currentData() == "folder"
    assert not settings.find_button.isEnabled()  # folder mode: the scanner rows are off
    settings.source_box.setCurrentIndex(settings.source_box.findData("sane"))
    assert settings.find_button.isEnabled() and not settings.scan_edit.isEnabled()
    with qtbot.waitSignal(settings.scanners_found, timeout=20000) as found:
        settings.find_button.click()
    assert [s.name for s in found.args[0]] == ["test:0", "test:1"]
    assert [settings.device_box.itemText(i) for i in range(settings.device_box.count())] == [
        "test:0", "test:1"]
    assert "frontend-tester" in settings.scanner_info.text()
    settings.device_box.setCurrentIndex(1)
    settings.dpi_box.setCurrentIndex(settings.dpi_box.findData(200))
    settings.colour_box.setCurrentIndex(1)
    settings.adf_box.setChecked(True)
    with qtbot.waitSignal(settings.saved, timeout=10000):
        settings.save()
    cfg = load_config()
    assert (cfg.scan_source, cfg.scanner_device, cfg.scanner_dpi, cfg.scanner_colour,
            cfg.scanner_adf) == ("sane", "test:1", 200, True, True)
    assert admin.config.scanner_device == "test:1"


def test_settings_without_python_sane_say_what_to_install(qtbot, app_parts,
                                                          monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sane", None)
    service, config = app_parts
    admin = _window(qtbot, service, config, "admin")
    settings = admin.settings_screen
    index = settings.source_box.findData("sane")
    assert "install the [scanner] extra (python-sane) and SANE" in (
        settings.source_box.itemText(index))
    settings.source_box.setCurrentIndex(index)
    assert not settings.find_button.isEnabled()
    assert "[scanner] extra (python-sane)" in settings.scanner_info.text()
    assert "[scanner] extra" in settings.source_box.itemData(  # the technical reason
        index, Qt.ItemDataRole.ToolTipRole)


def test_two_scans_at_once_do_not_both_drive_sane(test_device) -> None:
    # The worker pool has two threads: a second scan waits for the first (or says busy).
    results: list[object] = []

    def scan() -> None:
        try:
            results.append(len(SaneSource("test:0", dpi=200, adf=True).acquire()))
        except ServiceError as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [TEST_DEVICE_ADF_PAGES, TEST_DEVICE_ADF_PAGES]
