"""Where the *Scan* button's pages come from, behind one interface (:class:`ScanSource`):

- :class:`FolderSource`: the newest image a scanner saved in a folder (a network share);
- :class:`~desktop.core.branch.sane_scanner.SaneSource`: a scanner driven through SANE
  (Linux; the ``[scanner]`` extra, which installs python-sane, and the system's SANE library).
  Windows WIA and TWAIN are not supported.

Either way the result is a list of image files: the rest of the app opens files by path and
reads them through :mod:`desktop.core.imaging.decode`, with its limits.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from desktop.core.branch.config import AppConfig
from desktop.core.branch.files import newest_image
from desktop.core.errors import N_, Message, ServiceError


class ScanSource(ABC):
    """Something the *Scan* button takes pages from."""

    @abstractmethod
    def describe(self) -> str:
        """Where the pages come from, for the status bar ("scanner test:0, 300 dpi, grey")."""

    @abstractmethod
    def acquire(self) -> list[Path]:
        """The scanned pages as image files, first page first (at least one). Raises
        :class:`ServiceError` or :class:`InputImageError` with a message for the user."""


@dataclass(frozen=True)
class FolderSource(ScanSource):
    """Today's behaviour: the newest image the branch scanner saved in a folder."""

    folder: Path

    def describe(self) -> str:
        """Where the pages come from."""
        return f"the newest image in {self.folder}"

    def acquire(self) -> list[Path]:
        """The newest image file in the folder (one page)."""
        return [newest_image(self.folder)]


def scan_source(cfg: AppConfig, out_dir: Path | None = None) -> ScanSource:
    """The source the settings choose. Raises :class:`ServiceError` when the folder source
    has no folder set."""
    if cfg.scan_source == "sane":
        from desktop.core.branch.sane_scanner import SaneSource  # it subclasses ScanSource

        return SaneSource(cfg.scanner_device, cfg.scanner_dpi, cfg.scanner_colour,
                          cfg.scanner_adf, out_dir)
    if not cfg.scan_folder:
        raise ServiceError(Message(N_("No scan folder is set: an admin sets it in Settings.")))
    return FolderSource(Path(cfg.scan_folder))
