"""Signature verification desktop app: Qt-free runtime in desktop.core, widgets in desktop.ui."""

__version__ = "0.1.0"
