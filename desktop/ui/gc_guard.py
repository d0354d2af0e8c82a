"""Python's cyclic garbage collector, run on the GUI thread only.

The collector runs on whichever thread happens to allocate when a generation's threshold is
crossed. With worker threads (model loading, checks) that can be a worker; if the cycles it
frees hold Qt objects (a closed window, a dialog, their signal connections), they are
destroyed off the GUI thread, which Qt forbids and which can crash the process: the test
suite once died with a segmentation fault "garbage-collecting" in a worker thread that was
loading a model. So automatic collection is switched off while the app runs, and a timer on
the GUI thread collects instead, generation by generation as the thresholds would have.
Reference counting still frees everything that is not in a cycle at once, on any thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500  # how often the GUI thread looks at the collector's counts


class GuiThreadCollector(QObject):
    """Disables automatic collection and collects from a GUI-thread timer (see module doc).

    Create it on the GUI thread once the ``QApplication`` exists; :meth:`stop` restores
    automatic collection (the app never needs to: the process ends with it).
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> int | None:
        """Collect the generation the thresholds call for, if any; returns it (or None)."""
        counts = gc.get_count()
        generation = None
        for gen, (count, threshold) in enumerate(zip(counts, self.thresholds, strict=False)):
            if count <= threshold:
                break
            generation = gen
        if generation is not None:
            gc.collect(generation)
        return generation

    def stop(self) -> None:
        """Stop the timer, collect once here, and restore automatic collection."""
        self.timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
