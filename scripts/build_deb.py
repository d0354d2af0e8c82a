"""Package the built one-folder app as a Debian package (``.deb``).

    python scripts/build_deb.py [--bundle dist/sigdesk] [--out dist] [--compression xz]

Takes the folder that ``scripts/build_installer.py`` built and self-tested (``dist/sigdesk``,
with its ``sigdesk`` and ``sigdesk-console`` executables) and writes
``<out>/sigdesk_<version>_<arch>.deb`` with ``dpkg-deb --build --root-owner-group``. The
package installs:

- the bundle's contents under ``/opt/sigdesk/``;
- ``/usr/bin/sigdesk`` and ``/usr/bin/sigdesk-console``: two-line shell launchers that
  ``exec`` the executables in ``/opt/sigdesk`` (the PyInstaller bootloader finds its
  ``_internal`` folder beside its own executable);
- ``/usr/share/applications/sigdesk.desktop`` (the menu entry) and the icon
  ``/usr/share/icons/hicolor/<n>x<n>/apps/sigdesk.png`` (drawn here with Pillow);
- ``postinst``/``postrm`` scripts that refresh the desktop database and the icon cache, when
  those tools are installed, and do nothing else.

Settings and the store stay in each user's data folder (``~/.local/share/SigDesk``, or
``$SIGDESK_HOME``): the package never creates, changes or removes anything there, and
``dpkg -r``/``dpkg -P`` leave it in place. Every directory and executable is 0755, every other
file 0644, and everything is owned by root.

The pieces of the package (control file, desktop entry, launchers, maintainer scripts, the
staged tree) are plain functions, unit-tested without PyInstaller in
``tests/test_deb_package.py``; ``.ci/deb_roundtrip.sh`` installs the package, runs its
self-test and purges it.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "sigdesk"
PREFIX = "/opt/sigdesk"
LAUNCHERS = ("sigdesk", "sigdesk-console")
ICON_SIZES = (48, 128, 256)
DESKTOP_FILE = f"usr/share/applications/{PACKAGE}.desktop"
DEFAULT_MAINTAINER = "SigDesk maintainers <sigdesk@example.invalid>"
# System libraries the bundle loads but does not carry (PyInstaller leaves libc, libGL and
# libEGL to the system; libxkbcommon, fontconfig and D-Bus are carried only when the build
# machine had them, so they are asked for as well: the same list `.ci/run` installs for Qt's
# offscreen platform), plus what Qt's X11 plugin links (libxcb, xcb-icccm, xcb-keysyms).
DEPENDS = ("libegl1", "libgl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3", "libxcb1",
           "libxcb-icccm4", "libxcb-keysyms1")
# Qt's Wayland plugin, and a font for Qt to draw with (the X11 plugin works without them).
# Fonts: DejaVu for Latin text, WenQuanYi Micro Hei for the Simplified Chinese interface
# (a PC without a CJK font shows empty boxes).
RECOMMENDS = ("libwayland-cursor0", "libwayland-egl1", "fonts-dejavu-core",
              "fonts-wqy-microhei")
SUMMARY = "offline signature and banknote verification for bank branches"
DESCRIPTION = (
    "SigDesk checks the signature on a scanned cheque against the account holder's\n"
    "enrolled reference signatures, and a banknote against reference notes, with\n"
    "signed ONNX models shipped in the package. It runs offline on the branch PC;\n"
    "each user's settings and store live in that user's data folder, which the\n"
    "package never touches (removing or purging it leaves them in place)."
)


# ---- versions and the machine --------------------------------------------------------------
def project_version(root: Path = ROOT) -> str:
    """The project's version: ``[project].version`` of ``pyproject.toml``, else the installed
    distribution's (``importlib.metadata``)."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8")
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', text)
            if match:
                return match.group(1)
        else:
            version = tomllib.loads(text).get("project", {}).get("version")
            if version:
                return str(version)
    from importlib.metadata import version

    return version(PACKAGE)


def debian_version(version: str) -> str:
    """A PEP 440 version written so that dpkg orders it the same way: pre-releases and dev
    releases sort before the release (``1.0rc1`` -> ``1.0~rc1``, ``1.0.dev3`` ->
    ``1.0~~dev3``, before ``1.0~a1``), post releases after it (``1.0.post1`` ->
    ``1.0+post1``)."""
    public, _, local = version.strip().lower().removeprefix("v").partition("+")
    match = re.fullmatch(r"(\d+(?:\.\d+)*)"
                         r"(?:[-_.]?(alpha|a|beta|b|rc|c|preview|pre)[-_.]?(\d*))?"
                         r"(?:[-_.]?post[-_.]?(\d*))?"
                         r"(?:[-_.]?dev[-_.]?(\d*))?", public)
    if not match or (local and not re.fullmatch(r"[a-z0-9.]+", local)):
        raise ValueError(f"cannot write {version!r} as a Debian version")
    release, pre, pre_n, post, dev = match.groups()
    out = release
    if pre:
        out += "~" + {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc",
                      "preview": "rc"}.get(pre, pre) + (pre_n or "0")
    if post is not None:
        out += "+post" + (post or "0")
    if dev is not None:  # before every pre-release of the same release too: 1.0~~dev1
        out += ("~dev" if pre or post is not None else "~~dev") + (dev or "0")
    return out + (f"+{local}" if local else "")


def debian_arch() -> str:
    """This machine's Debian architecture (``dpkg --print-architecture``: amd64, arm64…)."""
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                          text=True).stdout.strip()


def glibc_version() -> str | None:
    """The C library version the bundle was built against (``2.36``), or None if not glibc."""
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        return None
    match = re.fullmatch(r"glibc (\d+\.\d+)", found.strip())
    return match.group(1) if match else None


# ---- the package's text files (pure) -------------------------------------------------------
def depends_field(glibc: str | None, extra: Iterable[str] = DEPENDS) -> str:
    """The ``Depends`` value: the C library at least as new as the build machine's (the
    bundle's Python and extension modules were linked against it), then ``extra``."""
    parts = ([f"libc6 (>= {glibc})"] if glibc else []) + list(extra)
    return ", ".join(parts)


def control_text(version: str, arch: str, installed_size_kib: int, *,
                 maintainer: str = DEFAULT_MAINTAINER, depends: str | None = None,
                 recommends: Sequence[str] = RECOMMENDS) -> str:
    """The ``DEBIAN/control`` file (one paragraph, ending with a newline)."""
    if depends is None:
        depends = depends_field(None)
    if not re.fullmatch(r"[a-z0-9-]+", arch):
        raise ValueError(f"not a Debian architecture: {arch!r}")
    body = "\n".join(" " + (line if line.strip() else ".") for line in DESCRIPTION.splitlines())
    fields = [
        ("Package", PACKAGE),
        ("Version", version),
        ("Architecture", arch),
        ("Maintainer", maintainer),
        ("Installed-Size", str(int(installed_size_kib))),
        ("Depends", depends),
        ("Recommends", ", ".join(recommends)),
        ("Section", "misc"),
        ("Priority", "optional"),
        ("Description", f"{SUMMARY}\n{body}"),
    ]
    return "".join(f"{name}: {value}\n" for name, value in fields if value)


def desktop_entry_text() -> str:
    """The menu entry ``/usr/share/applications/sigdesk.desktop`` (freedesktop.org format)."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.4\n"
        "Name=SigDesk\n"
        "GenericName=Signature verification\n"
        "Comment=Check cheque signatures and banknotes offline\n"
        f"Exec={LAUNCHERS[0]}\n"
        f"TryExec={LAUNCHERS[0]}\n"
        f"Icon={PACKAGE}\n"
        "Terminal=false\n"
        "Categories=Office;Finance;\n"
        "Keywords=signature;cheque;check;banknote;bank;verification;\n"
        "StartupNotify=true\n"
    )


def launcher_text(name: str, prefix: str = PREFIX) -> str:
    """The ``/usr/bin/<name>`` launcher: ``exec`` the bundle's executable with every argument
    (a script rather than a link, so the bundle's executable sees its own real path)."""
    if name not in LAUNCHERS:
        raise ValueError(f"no launcher named {name!r}")
    return f'#!/bin/sh\n# SigDesk: the app lives in {prefix}.\nexec {prefix}/{name} "$@"\n'


_REFRESH = (
    "if command -v update-desktop-database >/dev/null 2>&1; then\n"
    "    update-desktop-database -q /usr/share/applications || true\n"
    "fi\n"
    "if command -v gtk-update-icon-cache >/dev/null 2>&1 "
    "&& [ -f /usr/share/icons/hicolor/index.theme ]; then\n"
    "    gtk-update-icon-cache -q -f -t /usr/share/icons/hicolor || true\n"
    "fi\n"
)


def postinst_text() -> str:
    """``DEBIAN/postinst``: refresh the menu and icon caches when their tools exist. It
    touches nothing in users' home folders."""
    return ("#!/bin/sh\nset -e\n"
            "# Menu and icon caches only; users' data folders are never touched.\n"
            'case "$1" in\n    configure)\n'
            + _indent(_REFRESH, 8) + "        ;;\nesac\nexit 0\n")


def postrm_text() -> str:
    """``DEBIAN/postrm``: refresh the caches after remove and purge. Purging does not remove
    anything dpkg did not install: each user's settings and store stay where they are."""
    return ("#!/bin/sh\nset -e\n"
            "# Users' data folders (~/.local/share/SigDesk, $SIGDESK_HOME) are left in place,\n"
            "# on remove and on purge.\n"
            'case "$1" in\n    remove|purge)\n'
            + _indent(_REFRESH, 8) + "        ;;\nesac\nexit 0\n")


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


# ---- the icon -------------------------------------------------------------------------------
def draw_icon(size: int):
    """The app icon, ``size`` pixels square (a Pillow RGBA image): a navy rounded tile, a
    cream cheque with its printed lines, a handwritten signature stroke over the signature
    line and a green check mark. Drawn at four times the size and reduced (anti-aliasing)."""
    from PIL import Image, ImageDraw

    s = 4 * size
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)

    def px(value: float) -> int:
        return round(value * s)

    d.rounded_rectangle((px(0.04), px(0.04), px(0.96), px(0.96)), radius=px(0.2),
                        fill=(27, 54, 93, 255))
    # the cheque: a cream card, its top band, the amount box and the printed lines
    d.rounded_rectangle((px(0.12), px(0.26), px(0.88), px(0.74)), radius=px(0.05),
                        fill=(250, 245, 232, 255))
    d.rounded_rectangle((px(0.12), px(0.26), px(0.88), px(0.34)), radius=px(0.05),
                        fill=(120, 160, 205, 255))
    d.rectangle((px(0.12), px(0.31), px(0.88), px(0.34)), fill=(120, 160, 205, 255))
    d.rounded_rectangle((px(0.64), px(0.39), px(0.82), px(0.47)), radius=px(0.015),
                        outline=(150, 150, 160, 255), width=max(1, px(0.012)))
    for y, right in ((0.42, 0.56), (0.50, 0.48)):
        d.line((px(0.18), px(y), px(right), px(y)), fill=(175, 175, 185, 255),
               width=max(1, px(0.014)))
    d.line((px(0.18), px(0.68), px(0.6), px(0.68)), fill=(150, 150, 160, 255),
           width=max(1, px(0.01)))
    # the signature: a looping stroke (a prolate trochoid) ending in a flourish
    points = []
    steps = 600
    for i in range(steps + 1):
        f = i / steps
        t = f * 6.5 * math.pi
        x = 0.2 + 0.02 * t - 0.04 * math.sin(t)
        y = 0.6 - 0.06 * math.cos(t) * (1 - 0.4 * f) - 0.02 * f
        points.append((px(x), px(y)))
    tail = points[-1]
    points += [(tail[0] + px(0.1 * k / 30), tail[1] + px(0.035 * math.sin(k / 30 * math.pi)))
               for k in range(1, 31)]
    d.line(points, fill=(20, 40, 140, 255), width=px(0.022), joint="curve")
    # the verdict: a green disc with a white check mark
    cx, cy, r = 0.76, 0.76, 0.15
    d.ellipse((px(cx - r), px(cy - r), px(cx + r), px(cy + r)), fill=(36, 150, 80, 255),
              outline=(255, 255, 255, 255), width=px(0.018))
    d.line([(px(cx - 0.07), px(cy + 0.0)), (px(cx - 0.02), px(cy + 0.055)),
            (px(cx + 0.075), px(cy - 0.055))], fill=(255, 255, 255, 255), width=px(0.032),
           joint="curve")
    return img.resize((size, size), Image.Resampling.LANCZOS)


# ---- the staged tree -------------------------------------------------------------------------
def check_bundle(bundle: Path) -> None:
    """Refuse a folder that is not a built one-folder app: both executables must be there
    (executable), and every link in it must stay inside it (a link out of the bundle would
    dangle once installed under /opt)."""
    if not bundle.is_dir():
        raise SystemExit(f"no bundle at {bundle} (run scripts/build_installer.py first)")
    for name in LAUNCHERS:
        exe = bundle / name
        if not exe.is_file() or not os.access(exe, os.X_OK):
            raise SystemExit(f"{bundle} has no executable {name}: not a built SigDesk folder")
    top = bundle.resolve()
    for link in (p for p in bundle.rglob("*") if p.is_symlink()):
        target = os.readlink(link)
        resolved = (link.parent / target).resolve()
        if os.path.isabs(target) or not resolved.is_relative_to(top):
            raise SystemExit(f"{link} links out of the bundle ({target})")


def normalize_modes(tree: Path) -> None:
    """Every directory 0755, every file 0755 when it was executable by anyone, else 0644
    (links keep theirs: Linux has none of its own)."""
    os.chmod(tree, 0o755)
    for path in tree.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir():
            os.chmod(path, 0o755)
        elif path.is_file():
            executable = path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            os.chmod(path, 0o755 if executable else 0o644)


def installed_size_kib(tree: Path) -> int:
    """``Installed-Size`` as dpkg-gencontrol counts it: each file's size in KiB rounded up,
    plus one for every directory and link (the ``DEBIAN`` folder left out)."""
    total = 0
    for path in tree.rglob("*"):
        rel = path.relative_to(tree)
        if rel.parts and rel.parts[0] == "DEBIAN":
            continue
        if path.is_file() and not path.is_symlink():
            total += math.ceil(path.stat().st_size / 1024)
        else:
            total += 1
    return total


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)


def stage_tree(bundle: Path, root: Path, version: str, arch: str, *,
               maintainer: str = DEFAULT_MAINTAINER, glibc: str | None = None) -> Path:
    """Lay out the package's files under ``root`` (which must not exist yet) as they will be
    installed, with ``DEBIAN/`` holding control, postinst and postrm; returns ``root``."""
    check_bundle(bundle)
    root.mkdir(parents=True)
    shutil.copytree(bundle, root / PREFIX.lstrip("/"), symlinks=True)
    for name in LAUNCHERS:
        _write(root / "usr" / "bin" / name, launcher_text(name), 0o755)
    _write(root / DESKTOP_FILE, desktop_entry_text(), 0o644)
    for size in ICON_SIZES:
        icon = root / "usr/share/icons/hicolor" / f"{size}x{size}" / "apps" / f"{PACKAGE}.png"
        icon.parent.mkdir(parents=True, exist_ok=True)
        draw_icon(size).save(icon, optimize=True)
    normalize_modes(root)
    control = control_text(version, arch, installed_size_kib(root), maintainer=maintainer,
                           depends=depends_field(glibc))
    _write(root / "DEBIAN" / "control", control, 0o644)
    _write(root / "DEBIAN" / "postinst", postinst_text(), 0o755)
    _write(root / "DEBIAN" / "postrm", postrm_text(), 0o755)
    os.chmod(root / "DEBIAN", 0o755)
    return root


def deb_name(version: str, arch: str) -> str:
    """The file name Debian tools expect: ``sigdesk_<version>_<arch>.deb`` (no epoch)."""
    return f"{PACKAGE}_{version.split(':')[-1]}_{arch}.deb"


def build_deb(bundle: Path, out_dir: Path, *, version: str | None = None,
              arch: str | None = None, maintainer: str = DEFAULT_MAINTAINER,
              compression: str = "xz", glibc: str | None = None) -> Path:
    """Stage ``bundle`` in a temporary folder of ``out_dir``, build the package there with
    ``dpkg-deb --build --root-owner-group`` and return its path (the staged copy is removed,
    whatever happens). ``glibc`` defaults to this machine's C library version."""
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("dpkg-deb not found: build the .deb on Debian or Ubuntu (package dpkg)")
    version = debian_version(version or project_version())
    arch = arch or debian_arch()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / deb_name(version, arch)
    with tempfile.TemporaryDirectory(prefix=".sigdesk-deb-", dir=out_dir) as tmp:
        root = stage_tree(bundle, Path(tmp) / "root", version, arch, maintainer=maintainer,
                          glibc=glibc or glibc_version())
        subprocess.run(["dpkg-deb", "--build", "--root-owner-group", f"-Z{compression}",
                        str(root), str(target)], check=True, stdout=subprocess.DEVNULL)
    return target


def main(argv: list[str] | None = None) -> int:
    """Build the package from an already-built bundle; print its path and size."""
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", type=Path, default=ROOT / "dist" / "sigdesk",
                   help="the built one-folder app (default: dist/sigdesk)")
    p.add_argument("--out", type=Path, default=None,
                   help="where the .deb goes (default: the bundle's parent folder)")
    p.add_argument("--version", default=None, help="package version (default: pyproject's)")
    p.add_argument("--arch", default=None, help="default: dpkg --print-architecture")
    p.add_argument("--maintainer", default=os.environ.get("SIGDESK_DEB_MAINTAINER",
                                                          DEFAULT_MAINTAINER))
    p.add_argument("--compression", default="xz", choices=("xz", "gzip", "zstd", "none"),
                   help="dpkg-deb's compressor (default xz; zstd needs dpkg 1.21.18 or later "
                        "on the installing PC)")
    args = p.parse_args(argv)
    if not sys.platform.startswith("linux"):
        p.error("a Debian package is built on Linux")
    start = time.perf_counter()
    made = build_deb(args.bundle, args.out or args.bundle.parent, version=args.version,
                     arch=args.arch, maintainer=args.maintainer, compression=args.compression)
    print(f"package {made}: {made.stat().st_size / 2**20:.0f} MB "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
