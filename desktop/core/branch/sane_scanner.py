"""Scanning through SANE (:class:`SaneSource`, a :class:`~desktop.core.branch.scanner.
ScanSource`): Linux, the ``[scanner]`` extra (python-sane) and the system's SANE library.

A scanner's pages are written as PNG files into a private folder of the app's own
(:func:`scans_dir`, 0700 on POSIX), of which only the newest few scans are kept.

What a scanner sends is untrusted like any file: a page is refused while it is being read as
soon as it passes the limits the decoder would apply to its PNG (:data:`~desktop.core.imaging.
limits.MAX_PIXELS`, :data:`~desktop.core.imaging.limits.MAX_PNG_DECODED_BYTES`), and a
document feeder is read for at most :data:`~desktop.core.imaging.limits.MAX_PAGES` pages.

SANE is used one operation at a time in this process (a lock), each in its own
``sane_init`` ... ``sane_exit``: a scanner plugged in later is found, and no device is left open
whatever goes wrong. Every SANE error becomes a :class:`ServiceError` (the scanner or its
settings) or an :class:`InputImageError` (what it sent) naming the device.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from desktop.core.branch.config import SCANNER_DPIS
from desktop.core.branch.scanner import ScanSource
from desktop.core.cancel import Cancelled, checkpoint, current_token
from desktop.core.errors import N_, InputImageError, Message, ServiceError, VerificationError
from desktop.core.imaging.decode import MAX_PAGES, MAX_PIXELS, MAX_PNG_DECODED_BYTES
from desktop.core.paths import PRIVATE_FILE_MODE, data_dir, make_private_dir

log = logging.getLogger(__name__)

SCANS_NAME = "scans"  # the private folder of scanned pages, in the data folder
KEEP_SCANS = 8  # scans kept: what the check and banknote screens show is re-read from disk
LOCK_WAIT_S = 5.0  # a second scan (or a scanner search) waits this long for the first one
# Nothing from the scanner this long while a page is read: it stopped answering. Generous: a
# flatbed may warm its lamp up for a minute before the first line.
STALL_S = 120.0

# sane_strstatus() texts: python-sane raises its error with only this text. SANE marks them
# for translation but returns them untranslated (python-sane's own ADF loop compares them too).
NO_DOCS = "Document feeder out of documents"
CANNOT_LIST = N_("SANE cannot list the scanners ({detail})")
SCANNER = N_("scanner {name}")
_STATUS_PROBLEMS = {
    "Device busy": N_("device busy: the scanner is in use by another program or still "
                      "working; wait a moment and scan again"),
    NO_DOCS: N_("feeder empty: put the document in the scanner's feeder (or untick the feeder "
                "in Settings to scan from the glass)"),
    "Document feeder jammed": N_("paper jam in the feeder: clear it and scan again"),
    "Scanner cover is open": N_("the scanner's cover is open: close it and scan again"),
    "Error during device I/O": N_("the scanner stopped answering (I/O error): check its "
                                  "cable and power, then scan again"),
    "Access to resource has been denied": N_("access denied: this user may not use the "
                                             "scanner (on Linux: add the user to the "
                                             "'scanner' group)"),
    "Out of memory": N_("the scanner's driver ran out of memory"),
    "Operation was canceled": N_("the scan was cancelled at the scanner"),
    "Operation was cancelled": N_("the scan was cancelled at the scanner"),
    "Operation not supported": N_("option not supported by this scanner"),
}

_SANE_LOCK = threading.Lock()  # one SANE session at a time in this process


@dataclass(frozen=True)
class ScannerInfo:
    """A scanner SANE found: its device name (what the settings keep) and what it is."""

    name: str
    vendor: str
    model: str
    kind: str

    def describe(self) -> str:
        """``test:0 (Noname frontend-tester, virtual device)``."""
        what = " ".join(p for p in (self.vendor, self.model) if p)
        return f"{self.name} ({what}, {self.kind})" if self.kind else f"{self.name} ({what})"


def sane_missing() -> Message | None:
    """None when python-sane and the SANE library can be loaded, else why not (a sentence
    that says what to install)."""
    try:
        _load_sane()
    except ServiceError as exc:
        return exc.args[0]
    return None


def _load_sane() -> ModuleType:
    """Import python-sane (``sane``) only when a scanner is used: the app runs without it."""
    try:
        import sane
    except ImportError as exc:  # also a libsane that cannot be loaded
        raise ServiceError(Message(N_("Scanning from a scanner needs SANE: install the "
                                      "[scanner] extra (python-sane) and SANE (Debian: apt "
                                      "install libsane1 sane-utils; {detail})"),
                                   detail=exc)) from None
    return sane


def _error_type(sane: ModuleType) -> type[BaseException]:
    return sane._sane.error


@contextmanager
def _sane_session(sane: ModuleType, label: str) -> Iterator[None]:
    """``sane_init`` ... ``sane_exit`` under this process's SANE lock."""
    if not _SANE_LOCK.acquire(timeout=LOCK_WAIT_S):
        raise ServiceError(Message(N_("{scanner}: device busy: another scan or scanner search "
                                      "is still running in this app; try again when it has "
                                      "finished"), scanner=label))
    try:
        try:
            sane.init()
        except _error_type(sane) as exc:
            raise ServiceError(Message(N_("SANE cannot start ({detail}): check the SANE "
                                          "installation (scanimage -L lists the scanners it "
                                          "sees)"), detail=exc)) from None
        try:
            yield
        finally:
            sane.exit()
    finally:
        _SANE_LOCK.release()


def list_scanners() -> list[ScannerInfo]:
    """The scanners SANE sees now (USB and network ones; it may take a few seconds)."""
    sane = _load_sane()
    with _sane_session(sane, "SANE"):
        try:
            found = sane.get_devices()
        except _error_type(sane) as exc:
            raise ServiceError(Message(CANNOT_LIST, detail=exc)) from None
    return [ScannerInfo(*(str(v) for v in dev[:4])) for dev in found]


def scans_dir() -> Path:
    """The private folder (0700 on POSIX) where scanned pages are written."""
    return make_private_dir(data_dir() / SCANS_NAME)


def prune_scans(folder: Path, keep: int = KEEP_SCANS) -> None:
    """Delete all but the newest ``keep`` scans (``scan-*`` folders) in ``folder``."""
    scans = sorted((p for p in folder.glob("scan-*") if p.is_dir() and not p.is_symlink()),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for old in scans[keep:]:
        try:
            shutil.rmtree(old)
        except OSError as exc:  # a file held open elsewhere (Windows): next time
            log.warning("cannot delete the old scan %s: %s", old, exc)


@dataclass(frozen=True)
class SaneSource(ScanSource):
    """A scanner through SANE: flatbed (one page) or document feeder (every sheet in it, at
    most ``max_pages``), grey or colour, at 200 or 300 dpi.

    ``device`` is a SANE device name (``scanimage -L``, or *Find scanners* in Settings);
    empty means the first scanner SANE finds. ``out_dir`` is where scans are written
    (default :func:`scans_dir`); each scan gets a folder of its own there.
    """

    device: str = ""
    dpi: int = 300
    colour: bool = False
    adf: bool = False
    out_dir: Path | None = None
    max_pages: int = MAX_PAGES
    stall_s: float = STALL_S

    def scanner(self) -> Message:
        """The scanner in words: by its device name, or the first one SANE finds."""
        return (Message(SCANNER, name=self.device) if self.device else
                Message(N_("the first scanner SANE finds")))

    def describe(self) -> Message:
        """The scanner and its settings."""
        return Message(N_("{scanner}, {dpi} dpi, {mode}, {source}"), scanner=self.scanner(),
                       dpi=self.dpi,
                       mode=Message(N_("colour") if self.colour else N_("grey")),
                       source=Message(N_("document feeder") if self.adf else N_("flatbed")))

    def acquire(self) -> list[Path]:
        """Scan, and return the pages written as PNG files (see the class doc)."""
        if self.dpi not in SCANNER_DPIS:
            raise ServiceError(Message(N_("{dpi} dpi is not offered: scan at {offered} dpi"),
                                       dpi=self.dpi, offered=" / ".join(map(str, SCANNER_DPIS))))
        sane = _load_sane()
        base = Path(self.out_dir) if self.out_dir is not None else scans_dir()
        with _sane_session(sane, self.scanner()):
            make_private_dir(base)  # (inside the lock: no other scan prunes meanwhile)
            prune_scans(base, KEEP_SCANS - 1)
            out = Path(tempfile.mkdtemp(prefix=time.strftime("scan-%Y%m%d-%H%M%S-"),
                                        dir=base))  # 0700, a fresh name
            try:
                name = self.device or _first_device(sane)
                return _Scan(sane, name, out, self.stall_s).run(self.dpi, self.colour, self.adf,
                                                                self.max_pages)
            except BaseException:
                shutil.rmtree(out, ignore_errors=True)  # no half scan is left behind
                raise


def _first_device(sane: ModuleType) -> str:
    try:
        found = sane.get_devices()
    except _error_type(sane) as exc:
        raise ServiceError(Message(CANNOT_LIST, detail=exc)) from None
    if not found:
        raise ServiceError(Message(N_("no scanner found: SANE sees none; check that the "
                                      "scanner is connected and switched on (scanimage -L "
                                      "lists what SANE sees)")))
    return str(found[0][0])


class _Scan:
    """One scan of one opened device (inside a SANE session)."""

    def __init__(self, sane: ModuleType, name: str, out: Path, stall_s: float = STALL_S
                 ) -> None:
        self.sane, self.name, self.out, self.stall_s = sane, name, out, stall_s
        self.error = _error_type(sane)
        self.label = Message(SCANNER, name=name)

    # ---- errors ------------------------------------------------------------------------------
    def failure(self, exc: BaseException, doing: str) -> VerificationError:
        """A SANE error (raised while ``doing``) as a message for the user."""
        text = str(exc).strip() or type(exc).__name__
        if text == "Invalid argument" and doing == "opening it":
            return ServiceError(Message(N_(
                "{scanner}: no scanner found by that name: it is not connected, switched off "
                "or named differently (Settings, Find scanners lists the ones this PC sees)"),
                scanner=self.label))
        if text == "Invalid argument" and doing.startswith("setting"):
            return self.unsupported(Message(N_("it refused {setting}"), setting=doing[8:]))
        problem = _STATUS_PROBLEMS.get(text)
        if problem is None:
            return ServiceError(Message(N_("{scanner}: SANE error while {doing}: {detail}"),
                                        scanner=self.label, doing=doing, detail=text))
        return ServiceError(Message(N_("{scanner}: {problem}"), scanner=self.label,
                                    problem=Message(problem)))

    def unsupported(self, what: str) -> ServiceError:
        """The scanner lacks what the settings ask for."""
        return ServiceError(Message(N_("{scanner}: option not supported by this scanner: "
                                       "{what}; change the scanner settings in Settings"),
                                    scanner=self.label, what=what))

    # ---- the scan ----------------------------------------------------------------------------
    def run(self, dpi: int, colour: bool, adf: bool, max_pages: int) -> list[Path]:
        """Open the device, set it up, read the pages; the device is closed in every case."""
        try:
            dev = self.sane.open(self.name)
        except self.error as exc:
            raise self.failure(exc, "opening it") from None
        try:
            self.configure(dev, dpi, colour, adf)
            return self.read_pages(dev, max_pages if adf else 1, adf)
        finally:
            # Cancel, then close, as scanimage does: sane_close should cancel a started scan
            # itself, but not every backend does (SANE's test backend then leaves its reader
            # thread running, which crashes the process once sane_exit unloads the backend).
            for step in (dev.cancel, dev.close):
                try:
                    step()
                except self.error as exc:  # the scan's own outcome matters more
                    log.warning("%s: %s failed: %s", self.label, step.__name__, exc)

    def set(self, dev: Any, option: str, value: Any, doing: str) -> None:
        """Set one option; a refusal is "option not supported"."""
        try:
            setattr(dev, option, value)
        except (AttributeError, TypeError) as exc:  # python-sane: inactive, read-only...
            raise self.unsupported(Message(N_("cannot set {setting} ({detail})"),
                                           setting=doing, detail=exc)) from None
        except self.error as exc:
            raise self.failure(exc, f"setting {doing}") from None

    def configure(self, dev: Any, dpi: int, colour: bool, adf: bool) -> None:
        """Source, mode, depth and resolution, each checked against what the device offers
        (options a device lacks are left alone where the default does; else refused)."""
        source = _settable(dev, "source")
        if adf:
            choice = _pick(source, ("adf", "feeder"), avoid=("duplex", "back"))
            if choice is None:
                raise self.unsupported(Message(N_(
                    "it has no document feeder (its sources: {sources}); untick the feeder to "
                    "scan from the glass"), sources=_offered(source)) if source else Message(N_(
                    "it has no document feeder; untick the feeder to scan from the glass")))
            self.set(dev, "source", choice, f"source {choice!r}")
        elif source is not None:
            choice = _pick(source, ("flatbed", "flat bed", "platen", "normal", "glass"))
            if choice is None:  # e.g. a sheet-fed scanner: any source that is no feeder
                choice = next((c for c in _choices(source)
                               if not any(w in c.lower() for w in ("adf", "feeder"))), None)
            if choice is None:
                raise self.unsupported(Message(N_("it has no flatbed (its sources: "
                                                  "{sources}); tick the feeder in Settings"),
                                               sources=_offered(source)))
            self.set(dev, "source", choice, f"source {choice!r}")

        mode = _settable(dev, "mode")
        if mode is not None:
            choice = _pick(mode, ("color", "colour")) if colour else (
                _pick(mode, ("gray", "grey"))
                or _pick(mode, ("color", "colour")))  # the app makes colour grey itself
            if choice is None:
                raise self.unsupported(Message(
                    N_("it has no colour mode (its modes: {modes})") if colour else
                    N_("it has no grey mode (its modes: {modes})"), modes=_offered(mode)))
            self.set(dev, "mode", choice, f"mode {choice!r}")

        depth = _settable(dev, "depth")  # 8 bits: 16 gains nothing, 1 (line art) loses grey
        if depth is not None and isinstance(depth.constraint, list) and 8 in depth.constraint:
            self.set(dev, "depth", 8, "depth 8")

        res = _settable(dev, "resolution")
        if res is None:
            raise self.unsupported(Message(N_("it has no resolution setting")))
        if not _allows(res.constraint, dpi):
            raise self.unsupported(Message(N_("it does not offer {dpi} dpi (it offers "
                                              "{offered})"), dpi=dpi,
                                           offered=_offered(res, " dpi")))
        self.set(dev, "resolution", dpi, f"{dpi} dpi")
        try:
            got = float(dev.resolution)
        except (AttributeError, TypeError, ValueError, self.error):
            got = float(dpi)
        if abs(got - dpi) > 0.5:
            raise self.unsupported(Message(N_("it set {got} dpi when asked for {dpi} dpi"),
                                           got=f"{got:g}", dpi=dpi))

    def read_pages(self, dev: Any, max_pages: int, adf: bool) -> list[Path]:
        """Page after page: one from the glass; from the feeder until it is empty or
        ``max_pages`` are read (then the batch is ended: further sheets stay in it)."""
        pages: list[Path] = []
        while len(pages) < max_pages:
            checkpoint()  # cancelled between two sheets: stop before the next one
            number = len(pages) + 1
            # Refuse an oversized page before it is started: cancelling a scan that was
            # started and not read is where drivers are weakest (SANE's test backend hangs).
            self.limits(dev, number)
            try:
                dev.start()
            except self.error as exc:
                if adf and pages and str(exc).strip() == NO_DOCS:
                    break  # the feeder is empty: every sheet was scanned
                raise self.failure(exc, f"starting page {number}") from None
            page = self.read_page(dev, number, keep_batch=adf)
            pages.append(self.write(page, number))
            del page  # one page in memory at a time
        if adf:
            try:
                dev.cancel()  # end the feeder's batch (python-sane's own loop does too)
            except self.error as exc:
                log.warning("%s: ending the feeder's batch failed: %s", self.label, exc)
        return pages

    def limits(self, dev: Any, number: int, started: bool = False) -> tuple[int, int]:
        """(width, most lines) the page may have: what the decoder accepts of its PNG
        (:data:`MAX_PIXELS`, :data:`MAX_PNG_DECODED_BYTES`). Before the scan is started the
        scanner's announced size is an estimate (SANE), and a page announced too large is
        refused; once started, only the width is held to (the length is cut while read)."""
        try:
            fmt, _last, (width, lines), _depth, _bpl = dev.get_parameters()
        except self.error as exc:
            raise self.failure(exc, f"reading page {number}'s size") from None
        samples = 1 if fmt == "gray" else 3
        max_lines = (min(MAX_PIXELS // width, MAX_PNG_DECODED_BYTES // (width * samples))
                     if width > 0 else 0)
        if max_lines < 1 or (not started and lines > max_lines):
            raise InputImageError(f"{self.label}, page {number}", Message(
                N_("the scanner announced a page of {size} pixels in grey, more than a "
                   "scanned document can be: scan at a lower resolution") if samples == 1 else
                N_("the scanner announced a page of {size} pixels in colour, more than a "
                   "scanned document can be: scan at a lower resolution or in grey"),
                size=f"{width}x{lines}"))
        return width, max_lines

    def read_page(self, dev: Any, number: int, keep_batch: bool) -> Any:
        """Read one started page into a Pillow image, stopping (and refusing it) as soon as
        it is longer than the decoder would accept: a hand scanner announces no length
        (-1), and any scanner may send more lines than it announced. A read that the user
        cancels, or that gets nothing from the scanner for :data:`STALL_S`, is ended too
        (:class:`_Watch`)."""
        where = f"{self.label}, page {number}"
        width, max_lines = self.limits(dev, number, started=True)
        over = False
        with _Watch(dev, self.stall_s, where) as watch:

            def progress(done: int, _announced: int) -> None:
                # Called by python-sane after each line. It must never raise (python-sane
                # 2.9 does not check the callback's result): it cancels the scan instead,
                # so that the next read ends it.
                nonlocal over
                watch.alive()
                if done > max_lines and not over:
                    over = True
                    try:
                        dev.cancel()
                    except Exception:  # see above: nothing may escape
                        log.warning("%s: cancelling an oversized page failed", where)

            try:
                image = dev.snap(keep_batch, progress)
            except self.error as exc:
                if over:
                    raise self._too_large(where, width, max_lines) from None
                watch.raise_if_ended(self.label, number)
                raise self.failure(exc, f"reading page {number}") from None
            except RuntimeError as exc:  # python-sane: "Scanner returned no data"
                watch.raise_if_ended(self.label, number)
                raise InputImageError(where, Message(N_("the scanner sent no picture "
                                                        "({detail})"), detail=exc)) from None
        watch.raise_if_ended(self.label, number)
        if over or image.width * image.height > MAX_PIXELS:
            raise self._too_large(where, width, max_lines)
        if image.width == 0 or image.height == 0:
            raise InputImageError(where, Message(N_("the scanner sent an empty page")))
        return image

    @staticmethod
    def _too_large(where: str, width: int, max_lines: int) -> InputImageError:
        return InputImageError(where, Message(N_(
            "the scanner sent a page {width} pixels wide and more than {lines} lines long, more "
            "than a scanned document can be: scan at a lower resolution"), width=width,
            lines=max_lines))

    def write(self, image: Any, number: int) -> Path:
        """Write one page as PNG (lossless), readable by the owner only."""
        path = self.out / f"{self.out.name}-page-{number}.png"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, format="PNG", compress_level=1)  # fast: it is read back at once
        return path


class _Watch:
    """Ends a page's read from another thread when the request it belongs to is cancelled
    (the status bar's Cancel) or the scanner sends nothing for ``stall_s`` seconds: SANE
    allows ``sane_cancel`` at any time, and the read then returns. (A driver that ignores it
    keeps its thread, and the SANE lock, until it returns: the next scan says the device is
    busy.)"""

    def __init__(self, dev: Any, stall_s: float, where: str) -> None:
        self.dev, self.stall_s, self.where = dev, stall_s, where
        self.token = current_token()  # read here: a new thread does not see the request's
        self.last = time.monotonic()
        self.ended: str | None = None  # "cancelled" or "stalled"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="scan-watch", daemon=True)

    def __enter__(self) -> _Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def alive(self) -> None:
        """The scanner sent something."""
        self.last = time.monotonic()

    def _watch(self) -> None:
        while not self._done.wait(min(0.2, self.stall_s / 4)):
            if self.token is not None and self.token.cancelled:
                self.ended = "cancelled"
            elif time.monotonic() - self.last > self.stall_s:
                self.ended = "stalled"
            else:
                continue
            try:
                self.dev.cancel()
            except Exception:  # a watch thread has no one to report to but the log
                log.warning("%s: cancelling the read (%s) failed", self.where, self.ended,
                            exc_info=True)
            return

    def raise_if_ended(self, scanner: Message, page: int) -> None:
        """:class:`Cancelled`, or the scanner stopped answering, when this watch ended it."""
        if self.ended == "cancelled":
            raise Cancelled()
        if self.ended == "stalled":
            raise ServiceError(Message(N_(
                "{scanner}: the scanner stopped answering: nothing came for {seconds} s while "
                "page {page} was read; check the scanner (paper, cable, power) and scan "
                "again"), scanner=scanner, seconds=f"{self.stall_s:g}", page=page))


def _settable(dev: Any, name: str) -> Any | None:
    """The device's option ``name`` when it exists, is active and can be set, else None."""
    opt = dev.opt.get(name.replace("-", "_"))
    if opt is None or not opt.is_active() or not opt.is_settable():
        return None
    return opt


def _choices(opt: Any) -> list[str]:
    constraint = getattr(opt, "constraint", None)
    return [c for c in constraint if isinstance(c, str)] if isinstance(constraint, list) else []


def _pick(opt: Any | None, words: Sequence[str], avoid: Sequence[str] = ()) -> str | None:
    """The first of the option's choices naming one of ``words`` (case-insensitive), one
    without any of ``avoid`` first; None if none does (or the option has no list)."""
    if opt is None:
        return None
    hits = [c for c in _choices(opt) if any(w in c.lower() for w in words)]
    plain = [c for c in hits if not any(w in c.lower() for w in avoid)]
    return (plain or hits or [None])[0]


def _allows(constraint: Any, value: float) -> bool:
    """Whether a SANE constraint (a (min, max, step) range, a list, or None) admits value."""
    if constraint is None:
        return True
    if isinstance(constraint, tuple) and len(constraint) == 3:
        lo, hi, step = constraint
        if not lo <= value <= hi:
            return False
        return not step or step <= 1 or abs((value - lo) / step - round((value - lo) / step)) < 1e-6
    if isinstance(constraint, list):
        return any(isinstance(c, (int, float)) and abs(c - value) < 0.5 for c in constraint)
    return False


def _offered(opt: Any, unit: str = "") -> str:
    """What an option offers, as the messages show it."""
    constraint = getattr(opt, "constraint", None)
    if isinstance(constraint, tuple) and len(constraint) == 3:
        return f"{constraint[0]:g} to {constraint[1]:g}{unit}"
    if isinstance(constraint, list):
        shown = [f"{c:g}" if isinstance(c, (int, float)) else str(c) for c in constraint[:12]]
        return ", ".join(shown) + unit + (", ..." if len(constraint) > 12 else "")
    return "no list of choices"
