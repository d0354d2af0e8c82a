"""The GUI-thread garbage collector: automatic collection off, the timer collects."""

from __future__ import annotations

import gc
import weakref

from desktop.ui.gc_guard import GuiThreadCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_collects_cycles_on_the_gui_thread_only(qtbot) -> None:
    # (the autouse fixture has installed one collector already; this one is checked directly)
    collector = GuiThreadCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        node = _Node()
        alive = weakref.ref(node)
        del node
        for _ in range(gc.get_threshold()[0] + 10):  # cross generation 0's threshold
            _Node()
        assert alive() is not None  # nothing collected it behind the timer's back
        qtbot.waitUntil(lambda: alive() is None)  # the timer, on this (GUI) thread, did
    finally:
        collector.stop()
    assert not gc.isenabled()  # the fixture's collector still holds collection off


def test_stop_restores_automatic_collection() -> None:
    assert gc.isenabled()
    collector = GuiThreadCollector()
    assert not gc.isenabled()
    collector.stop()
    assert gc.isenabled() and not collector.timer.isActive()
