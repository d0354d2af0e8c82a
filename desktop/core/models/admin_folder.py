"""Is a folder of trusted keys out of reach of every account but an administrator?

The app trusts the public keys a PC's administrator added only when the folder holding them,
every folder above it and every key file in it can be changed by an administrator alone: were
any of them writable by the account running the app (a clerk's), anyone at that desk could
add a key of their own, sign a doctored model with it and point the settings at that model.

POSIX: the folder, its parents and the ``*.pub`` files are owned by an administrator (root),
none is writable by group or others (a parent with the sticky bit, such as ``/tmp``, may be),
the key files are plain files (no links), and ``access(2)`` (which reads access-control
lists) says the running account cannot write any of them. Windows, where file modes say
nothing about ACLs: the running account must fail to create a file in the folder, to open a
key file for writing, and to open the folder or a key file with the right to change its
permissions or owner (an owner always may, so a folder the clerk made and set read-only for
itself is refused too). The Windows branch has not been run here (no Windows machine).

This module imports neither Qt nor torch.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Collection
from pathlib import Path

from desktop.core.errors import N_, Message

ADMIN_UIDS: frozenset[int] = frozenset({0})
PUBLIC_SUFFIX = ".pub"
_LOOSE = stat.S_IWGRP | stat.S_IWOTH


def key_files(folder: Path) -> list[Path]:
    """The ``*.pub`` files of ``folder``, sorted (none when it does not exist)."""
    return sorted(folder.glob(f"*{PUBLIC_SUFFIX}")) if folder.is_dir() else []


def admin_only_problem(folder: Path, admins: Collection[int] | None = None
                       ) -> Message | None:
    """Why the keys in ``folder`` cannot be trusted, or None when only an administrator can
    change the folder and its key files. ``admins``: the user ids counted as administrators
    (POSIX; default :data:`ADMIN_UIDS`, root)."""
    admins = ADMIN_UIDS if admins is None else admins
    try:
        if os.name == "nt":
            return writable_here(folder) or _windows_permissions_problem(folder)
        return _posix_problem(folder.resolve(strict=True), admins)
    except (OSError, AttributeError, ValueError) as exc:  # AttributeError: ctypes' Windows API
        return Message(N_("{folder} cannot be checked ({detail})"), folder=folder, detail=exc)


def _posix_problem(folder: Path, admins: Collection[int]) -> Message | None:
    for path in (folder, *folder.parents):  # resolved: no link is left in the chain
        st = path.stat()
        if st.st_uid not in admins:
            return Message(N_("{path} belongs to user id {uid}, not to an administrator"),
                           path=path, uid=st.st_uid)
        sticky = path != folder and st.st_mode & stat.S_ISVTX
        if st.st_mode & _LOOSE and not sticky:
            return Message(N_("other accounts can change {path} (mode {mode})"),
                           path=path, mode=f"{stat.S_IMODE(st.st_mode):o}")
    files = key_files(folder)
    for path in files:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode):
            return Message(N_("{path} is not a plain file (a link?)"), path=path)
        if st.st_uid not in admins:
            return Message(N_("{path} belongs to user id {uid}, not to an administrator"),
                           path=path, uid=st.st_uid)
        if st.st_mode & _LOOSE:
            return Message(N_("other accounts can change {path} (mode {mode})"),
                           path=path, mode=f"{stat.S_IMODE(st.st_mode):o}")
    if os.geteuid() not in admins:  # an access-control list may still let this account in
        for path in (folder, *files):
            if os.access(path, os.W_OK):
                return Message(N_("this account can change {path}"), path=path)
    return None


def writable_here(folder: Path) -> Message | None:
    """Whether the running account can add a file to ``folder`` or change one of its key
    files, found by trying (what Windows' access-control lists allow): a reason, or None."""
    probe = folder / f".sigdesk-write-test-{secrets.token_hex(8)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        pass
    else:
        os.close(fd)
        probe.unlink(missing_ok=True)
        return Message(N_("this account can add files to {path}"), path=folder)
    for path in key_files(folder):
        try:
            with open(path, "r+b"):  # opened for writing, nothing written
                return Message(N_("this account can change {path}"), path=path)
        except OSError:
            continue
    return None


def _windows_permissions_problem(folder: Path) -> Message | None:
    """Windows: whether the running account may change the permissions or the owner of the
    folder or of a key file (``CreateFileW`` asking for ``WRITE_DAC`` / ``WRITE_OWNER``)."""
    import ctypes
    from ctypes import wintypes

    write_dac, write_owner = 0x00040000, 0x00080000
    share_all, open_existing, backup_semantics = 0x7, 3, 0x02000000
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateFileW.restype = wintypes.HANDLE
    kernel32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD,
                                     wintypes.LPVOID, wintypes.DWORD, wintypes.DWORD,
                                     wintypes.HANDLE]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    invalid = wintypes.HANDLE(-1).value
    for path in (folder, *key_files(folder)):
        for right in (write_dac, write_owner):
            handle = kernel32.CreateFileW(str(path), right, share_all, None, open_existing,
                                          backup_semantics, None)
            if handle not in (None, 0, invalid):
                kernel32.CloseHandle(handle)
                return Message(N_("this account can change the permissions of {path}"),
                               path=path)
    return None
