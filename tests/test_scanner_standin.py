"""Scanning through SANE where the test device cannot go: a stand-in for python-sane's device
(``_fake_sane``) gives SANE's errors (busy, jammed, feeder empty, cover open...), scanners
that lack an option, a hand scanner that never ends a page and a scanner that stops
answering, and python-sane missing. The test backend's ``read-status-code`` option could
fail reads too, but its reader thread then hangs or crashes the process now and then
(sane-backends 1.1/1.2), which no test may depend on. Real scans from SANE's ``test``
device: :mod:`tests.test_scanner`.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from desktop.core.branch import sane_scanner
from desktop.core.branch.sane_scanner import SaneSource, list_scanners, sane_missing
from desktop.core.errors import InputImageError, ServiceError
from tests.test_branch_gui import _window
from tests.test_scanner import _scans


class FakeSaneError(Exception):
    """Stands for python-sane's _sane.error (its message is sane_strstatus's text)."""


class FakeOption:
    def __init__(self, constraint, active: bool = True, settable: bool = True) -> None:
        self.constraint, self.active, self.settable = constraint, active, settable

    def is_active(self) -> bool:
        return self.active

    def is_settable(self) -> bool:
        return self.settable


class FakeDevice:
    """A device with the given options; ``start`` raises ``start_error`` when set."""

    def __init__(self, options: dict, start_error: str | None = None,
                 read_error: str | None = None) -> None:
        self.opt = options
        self.start_error, self.read_error = start_error, read_error
        self.closed = False
        self.values: dict[str, object] = {}

    def __setattr__(self, key, value):
        if key in getattr(self, "opt", {}):
            self.values[key] = value
        else:
            object.__setattr__(self, key, value)

    def __getattr__(self, key):
        if key in self.__dict__.get("values", {}):
            return self.values[key]
        raise AttributeError(key)

    def start(self) -> None:
        if self.start_error:
            raise FakeSaneError(self.start_error)

    def get_parameters(self):
        return "gray", 1, (100, 120), 8, 100

    def snap(self, no_cancel=False, progress=None):
        if self.read_error:
            raise FakeSaneError(self.read_error)
        return Image.new("L", (100, 120), 255)

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class HandScanner(FakeDevice):
    """A scanner that announces no page length (-1) and sends lines until it is cancelled."""

    cancelled = False

    def get_parameters(self):
        return "gray", 1, (100, -1), 8, 100

    def snap(self, no_cancel=False, progress=None):
        for line in range(1, 100_000):
            progress(line, -1)
            if self.cancelled:
                raise FakeSaneError("Operation was cancelled")
        return Image.new("L", (100, 100_000), 255)

    def cancel(self) -> None:
        object.__setattr__(self, "cancelled", True)


def _fake_sane(monkeypatch, device: FakeDevice | None = None, open_error: str | None = None):
    calls: list[str] = []

    def open_(name: str):
        calls.append(f"open {name}")
        if open_error:
            raise FakeSaneError(open_error)
        return device

    fake = SimpleNamespace(init=lambda: calls.append("init"), exit=lambda: calls.append("exit"),
                           open=open_, get_devices=lambda: [("fake:0", "V", "M", "flatbed")],
                           _sane=SimpleNamespace(error=FakeSaneError))
    monkeypatch.setattr(sane_scanner, "_load_sane", lambda: fake)
    return calls


def _options(**overrides) -> dict:
    opts = {"source": FakeOption(["Flatbed", "ADF Front", "ADF Duplex"]),
            "mode": FakeOption(["Lineart", "Gray", "Color"]),
            "depth": FakeOption([1, 8, 16]),
            "resolution": FakeOption((50.0, 1200.0, 1.0))}
    opts.update(overrides)
    return {k: v for k, v in opts.items() if v is not None}


def test_feeder_empty_on_the_first_sheet_is_said_and_the_device_closed(monkeypatch,
                                                                       tmp_path: Path) -> None:
    dev = FakeDevice(_options(), start_error=sane_scanner.NO_DOCS)
    calls = _fake_sane(monkeypatch, dev)
    with pytest.raises(ServiceError, match="scanner fake:0: feeder empty"):
        SaneSource("fake:0", dpi=300, adf=True, out_dir=tmp_path).acquire()
    assert dev.closed and calls == ["init", "open fake:0", "exit"]
    # The simplex feeder was chosen (not the duplex one), grey, 8 bits, 300 dpi.
    assert dev.values == {"source": "ADF Front", "mode": "Gray", "depth": 8,
                          "resolution": 300}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("status", "message"), [
    ("Device busy", "device busy: the scanner is in use by another program"),
    ("Document feeder out of documents", "feeder empty"),
    ("Document feeder jammed", "paper jam in the feeder"),
    ("Scanner cover is open", "cover is open"),
    ("Error during device I/O", "stopped answering (I/O error)"),
    ("Access to resource has been denied", "access denied"),
    ("Operation was cancelled", "cancelled at the scanner"),
    ("Something new", "SANE error while"),
])
@pytest.mark.parametrize("when", ["start", "read"])
def test_sane_errors_name_the_device_and_the_problem_and_close_it(
        monkeypatch, tmp_path: Path, status: str, message: str, when: str) -> None:
    dev = FakeDevice(_options(), **{f"{when}_error": status})
    calls = _fake_sane(monkeypatch, dev)
    with pytest.raises(ServiceError) as err:
        SaneSource("fake:0", dpi=300, adf=True, out_dir=tmp_path).acquire()
    assert str(err.value).startswith("scanner fake:0: ") and message in str(err.value)
    assert dev.closed and calls == ["init", "open fake:0", "exit"]
    assert list(tmp_path.iterdir()) == []  # no half scan is left


def test_a_feeder_page_that_fails_discards_the_pages_before_it(monkeypatch,
                                                               tmp_path: Path) -> None:
    dev = FakeDevice(_options())
    _fake_sane(monkeypatch, dev)
    reads = []

    def snap(no_cancel=False, progress=None):
        reads.append(no_cancel)
        if len(reads) == 3:
            raise FakeSaneError("Document feeder jammed")
        return Image.new("L", (100, 120), 255)

    dev.snap = snap
    with pytest.raises(ServiceError, match="paper jam"):
        SaneSource("fake:0", dpi=300, adf=True, out_dir=tmp_path).acquire()
    assert reads == [True, True, True] and dev.closed
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("options", "settings", "message"), [
    (_options(source=FakeOption(["Flatbed"])), {"adf": True},
     "it has no document feeder (its sources: Flatbed)"),
    (_options(source=None), {"adf": True}, "it has no document feeder"),
    (_options(source=FakeOption(["ADF"])), {}, "it has no flatbed"),
    (_options(mode=FakeOption(["Lineart", "Gray"])), {"colour": True},
     "it has no colour mode (its modes: Lineart, Gray)"),
    (_options(resolution=FakeOption([75, 150, 300, 600])), {"dpi": 200},
     "it does not offer 200 dpi (it offers 75, 150, 300, 600 dpi)"),
    (_options(resolution=FakeOption((75.0, 150.0, 1.0))), {"dpi": 300},
     "it does not offer 300 dpi (it offers 75 to 150 dpi)"),
    (_options(resolution=None), {}, "it has no resolution setting"),
    (_options(resolution=FakeOption((50.0, 1200.0, 1.0), active=False)), {},
     "it has no resolution setting"),
])
def test_options_the_scanner_lacks_are_refused_and_it_is_closed(
        monkeypatch, tmp_path: Path, options: dict, settings: dict, message: str) -> None:
    dev = FakeDevice(options)
    calls = _fake_sane(monkeypatch, dev)
    with pytest.raises(ServiceError) as err:
        SaneSource("fake:0", **{"dpi": 300, **settings}, out_dir=tmp_path).acquire()
    assert str(err.value).startswith("scanner fake:0: option not supported by this scanner: ")
    assert message in str(err.value)
    assert dev.closed and calls[-1] == "exit"


def test_grey_from_a_colour_only_scanner_scans_in_colour(monkeypatch, tmp_path: Path) -> None:
    dev = FakeDevice(_options(mode=FakeOption(["Color"])), start_error="Device busy")
    _fake_sane(monkeypatch, dev)
    with pytest.raises(ServiceError, match="scanner fake:0: device busy"):
        SaneSource("fake:0", dpi=200, out_dir=tmp_path).acquire()
    assert dev.values["mode"] == "Color" and dev.values["source"] == "Flatbed"


def test_a_busy_device_at_open_and_a_scan_already_running(monkeypatch, tmp_path: Path) -> None:
    calls = _fake_sane(monkeypatch, open_error="Device busy")
    with pytest.raises(ServiceError, match="scanner fake:0: device busy"):
        SaneSource("fake:0", out_dir=tmp_path).acquire()
    assert calls == ["init", "open fake:0", "exit"]
    # A second scan while one is running in this app waits, then says so.
    monkeypatch.setattr(sane_scanner, "LOCK_WAIT_S", 0.01)
    with sane_scanner._SANE_LOCK:
        with pytest.raises(ServiceError, match="another scan or scanner search is still"):
            SaneSource("fake:0", out_dir=tmp_path).acquire()


def test_without_python_sane_the_message_says_what_to_install(monkeypatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "sane", None)  # import sane raises ImportError
    assert "install the [scanner] extra (python-sane) and SANE" in sane_missing()
    for call in (SaneSource("test:0", out_dir=tmp_path).acquire, list_scanners):
        with pytest.raises(ServiceError, match=r"install the \[scanner\] extra \(python-sane\)"):
            call()


def test_a_page_that_runs_long_while_read_is_stopped_and_refused(monkeypatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.setattr(sane_scanner, "MAX_PNG_DECODED_BYTES", 100_000)
    device = HandScanner(_options(source=None))
    _fake_sane(monkeypatch, device)
    with pytest.raises(InputImageError, match=r"sent a page \d+ pixels wide and more than "
                                              r"\d+ lines long") as err:
        SaneSource("fake:0", dpi=200, out_dir=tmp_path).acquire()
    assert str(err.value).startswith("scanner fake:0, page 1: ")
    assert device.cancelled and device.closed and _scans(tmp_path) == []


class HungScanner(FakeDevice):
    """A scanner that starts a page and then sends nothing, until ``sane_cancel`` (which
    SANE allows from another thread) makes the read return."""

    def __init__(self, options: dict) -> None:
        super().__init__(options)
        object.__setattr__(self, "cancel_event", threading.Event())
        object.__setattr__(self, "reading", threading.Event())

    def snap(self, no_cancel=False, progress=None):
        progress(1, 120)  # one line, then silence
        self.reading.set()
        if not self.cancel_event.wait(30):
            raise AssertionError("nobody cancelled the hung read")
        raise FakeSaneError("Operation was cancelled")

    def cancel(self) -> None:
        self.cancel_event.set()


def test_a_scanner_that_stops_answering_is_given_up_on(monkeypatch, tmp_path: Path) -> None:
    device = HungScanner(_options(source=None))
    _fake_sane(monkeypatch, device)
    with pytest.raises(ServiceError, match=r"scanner fake:0: the scanner stopped answering: "
                                           r"nothing came for 0.5 s while page 1 was read"):
        SaneSource("fake:0", dpi=200, out_dir=tmp_path, stall_s=0.5).acquire()
    assert device.closed and _scans(tmp_path) == []


def test_a_scan_the_user_cancels_stops_and_leaves_nothing(monkeypatch, tmp_path: Path) -> None:
    from desktop.core.cancel import Cancelled, CancelToken, cancellable

    device = HungScanner(_options(source=None))
    _fake_sane(monkeypatch, device)
    token, outcome = CancelToken(), []

    def scan() -> None:
        with cancellable(token):
            try:
                SaneSource("fake:0", dpi=200, out_dir=tmp_path).acquire()
            except Cancelled as exc:
                outcome.append(exc)

    worker = threading.Thread(target=scan)
    worker.start()
    assert device.reading.wait(10)
    token.cancel()  # the status bar's Cancel
    worker.join(10)
    assert not worker.is_alive() and len(outcome) == 1
    assert device.closed and _scans(tmp_path) == []


def test_the_status_bar_cancel_stops_a_scan(qtbot, monkeypatch, app_parts,
                                            tmp_path: Path) -> None:
    device = HungScanner(_options(source=None))
    _fake_sane(monkeypatch, device)
    service, config = app_parts
    config.scan_source, config.scanner_device, config.scanner_dpi = "sane", "fake:0", 200
    clerk = _window(qtbot, service, config, "carl")
    errors: list[str] = []
    clerk.error_shown.connect(errors.append)
    clerk.check_screen.scan()
    qtbot.waitUntil(device.reading.is_set, timeout=10000)
    qtbot.waitUntil(lambda: clerk.runner.running() == 1, timeout=30000)  # models loaded
    assert clerk.cancel_button.isVisible()
    clerk.cancel_button.click()
    assert clerk.cancel_button.isHidden() and clerk.busy.isHidden()
    qtbot.waitUntil(lambda: not clerk.runner.busy(), timeout=10000)
    assert errors == [] and clerk.check_screen.cheque_path is None and device.closed
