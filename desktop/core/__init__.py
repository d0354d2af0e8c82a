"""The Qt-free, torch-free core of the branch app; everything a screen or a command does goes
through it.

Subpackages, lowest first (each may import only those below it; ``signature`` and
``banknote`` never import each other, nor ``store`` the model code):

- :mod:`~desktop.core.imaging`: reading and decoding input files within the limits.
- :mod:`~desktop.core.models`: signed model folders, manifests, onnxruntime sessions.
- :mod:`~desktop.core.signature`, :mod:`~desktop.core.banknote`: the two kinds of check.
- :mod:`~desktop.core.store.records`: the reference store, its backends and the audit chain.
- :mod:`~desktop.core.access`: passwords, roles, sessions, users.
- :mod:`~desktop.core.branch`: the branch service on top, settings, the self-test.

``errors``, ``paths`` and ``csvsafe`` are shared leaves any of them may use.
"""
