"""The Debian package's pieces (scripts/build_deb.py), without PyInstaller: the control file,
the menu entry, the launchers, the maintainer scripts, the icon, the staged tree's modes,
and one real ``dpkg-deb --build`` of a tiny fake bundle (skipped where dpkg-deb is missing).
Nothing is installed here: ``.ci/deb_roundtrip.sh`` installs and purges the real package."""

from __future__ import annotations

import configparser
import importlib.util
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    path = ROOT / "scripts" / "build_deb.py"
    spec = importlib.util.spec_from_file_location("build_deb", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_deb"] = module
    spec.loader.exec_module(module)
    return module


build_deb = _load()
needs_dpkg_deb = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="no dpkg-deb")
needs_posix = pytest.mark.skipif(os.name != "posix", reason="file modes and sh are POSIX")


def parse_control(text: str) -> dict[str, str]:
    """One deb822 paragraph as {field: value}; continuation lines joined with newlines."""
    fields: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        assert line.strip(), "a blank line would end the paragraph"
        if line[0] in " \t":
            fields[last] += "\n" + line[1:]
        else:
            last, _, value = line.partition(":")
            assert last not in fields, f"field {last} twice"
            fields[last] = value.strip()
    return fields


def fake_bundle(folder: Path) -> Path:
    """A folder shaped like the built app: two executables that print their arguments, a
    private data file, a library with odd modes and a link inside the bundle."""
    bundle = folder / "sigdesk"
    (bundle / "_internal" / "sub").mkdir(parents=True)
    for name in ("sigdesk", "sigdesk-console"):
        exe = bundle / name
        exe.write_text('#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n')
        os.chmod(exe, 0o700)
    (bundle / "_internal" / "data.txt").write_text("model data\n")
    os.chmod(bundle / "_internal" / "data.txt", 0o600)
    (bundle / "_internal" / "libfake.so.1.0").write_bytes(b"\x7fELF fake")
    os.chmod(bundle / "_internal" / "libfake.so.1.0", 0o775)
    os.symlink("libfake.so.1.0", bundle / "_internal" / "libfake.so.1")
    os.chmod(bundle / "_internal" / "sub", 0o700)
    return bundle


# ---- control ---------------------------------------------------------------------------------
def test_control_names_the_package_version_arch_and_the_qt_libraries():
    depends = build_deb.depends_field("2.36")
    fields = parse_control(build_deb.control_text("0.1.0", "amd64", 883668,
                                                  maintainer="Ops <ops@bank.example>",
                                                  depends=depends))
    assert fields["Package"] == "sigdesk"
    assert fields["Version"] == "0.1.0"
    assert fields["Architecture"] == "amd64"
    assert fields["Maintainer"] == "Ops <ops@bank.example>"
    assert fields["Installed-Size"] == "883668"
    deps = [d.strip() for d in fields["Depends"].split(",")]
    assert deps[0] == "libc6 (>= 2.36)"
    # what .ci/run installs for Qt's offscreen platform, and Qt's X11 plugin's libraries
    for lib in ("libegl1", "libgl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3",
                "libxcb-icccm4", "libxcb-keysyms1"):
        assert lib in deps
    summary, *body = fields["Description"].split("\n")
    assert summary and len(summary) < 80
    assert body and all(len(line) < 80 for line in body)


def test_control_without_a_known_c_library_and_a_bad_arch():
    assert not build_deb.depends_field(None).startswith("libc6")
    fields = parse_control(build_deb.control_text("1.0", "arm64", 1))
    assert fields["Architecture"] == "arm64"
    assert fields["Maintainer"] == build_deb.DEFAULT_MAINTAINER
    with pytest.raises(ValueError):
        build_deb.control_text("1.0", "x86_64 ", 1)


@pytest.mark.parametrize(("pep440", "debian"), [
    ("0.1.0", "0.1.0"), ("1.0rc1", "1.0~rc1"), ("1.0.dev3", "1.0~~dev3"), ("1.0b2", "1.0~b2"),
    ("1.0.post1", "1.0+post1"), ("1.0rc1.dev2", "1.0~rc1~dev2"), ("2.0+local.7", "2.0+local.7"),
])
def test_debian_version(pep440, debian):
    assert build_deb.debian_version(pep440) == debian


def test_debian_versions_sort_like_pep440():
    ordered = ["0.9", "1.0.dev1", "1.0a1", "1.0b2", "1.0rc1.dev2", "1.0rc1", "1.0",
               "1.0.post1.dev1", "1.0.post1", "1.1.dev0"]
    versions = [build_deb.debian_version(v) for v in ordered]
    if shutil.which("dpkg") is None:
        pytest.skip("no dpkg to compare versions")
    for low, high in zip(versions, versions[1:], strict=False):
        assert subprocess.run(["dpkg", "--compare-versions", low, "lt", high]).returncode == 0, (
            low, high)


def test_debian_version_refuses_what_it_cannot_write():
    with pytest.raises(ValueError):
        build_deb.debian_version("not a version")


def test_project_version_and_file_name():
    assert build_deb.debian_version(build_deb.project_version())[0].isdigit()
    assert build_deb.deb_name("0.1.0", "amd64") == "sigdesk_0.1.0_amd64.deb"
    assert build_deb.deb_name("1:2.0", "arm64") == "sigdesk_2.0_arm64.deb"


# ---- menu entry, launchers, maintainer scripts -------------------------------------------------
def test_desktop_entry_keys():
    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str
    entry.read_string(build_deb.desktop_entry_text())
    assert entry.sections() == ["Desktop Entry"]
    keys = entry["Desktop Entry"]
    assert keys["Type"] == "Application"
    assert keys["Exec"] == "sigdesk"
    assert keys["TryExec"] == "sigdesk"
    assert keys["Icon"] == "sigdesk"
    assert keys["Terminal"] == "false"
    assert keys["Name"] == "SigDesk"
    categories = keys["Categories"]
    assert categories.endswith(";") and "Office" in categories.split(";")


def test_desktop_entry_validates(tmp_path):
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("no desktop-file-validate (desktop-file-utils)")
    path = tmp_path / "sigdesk.desktop"
    path.write_text(build_deb.desktop_entry_text())
    proc = subprocess.run([validate, str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "error" not in proc.stdout + proc.stderr, proc.stdout


def test_launcher_text():
    text = build_deb.launcher_text("sigdesk-console")
    assert text.startswith("#!/bin/sh\n")
    assert 'exec /opt/sigdesk/sigdesk-console "$@"\n' in text
    assert 'exec /opt/sigdesk/sigdesk "$@"\n' in build_deb.launcher_text("sigdesk")
    with pytest.raises(ValueError):
        build_deb.launcher_text("sigdesk-batch")


@needs_posix
def test_launcher_passes_every_argument_through(tmp_path):
    bundle = fake_bundle(tmp_path)
    launcher = tmp_path / "launcher"
    launcher.write_text(build_deb.launcher_text("sigdesk-console", prefix=str(bundle)))
    out = subprocess.run(["sh", str(launcher), "--self-test", "two words", ""],
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[--self-test]", "[two words]", "[]"]


@needs_posix
@pytest.mark.parametrize("script", ["postinst_text", "postrm_text"])
def test_maintainer_scripts_only_refresh_caches(script, tmp_path):
    text = getattr(build_deb, script)()
    assert text.startswith("#!/bin/sh\nset -e\n") and text.endswith("exit 0\n")
    path = tmp_path / script
    path.write_text(text)
    assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
    assert "command -v update-desktop-database" in text
    assert "command -v gtk-update-icon-cache" in text
    # they never touch users' folders, and remove nothing themselves
    code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for word in ("rm ", "rmdir", "/home", "~", "$HOME", ".local", "SIGDESK_HOME"):
        assert not any(word in line for line in code), word


# ---- the icon ----------------------------------------------------------------------------------
def test_icon_is_a_drawn_picture_not_a_blank_square():
    icon = build_deb.draw_icon(64)
    assert icon.size == (64, 64) and icon.mode == "RGBA"
    assert icon.getpixel((0, 0))[3] == 0  # rounded corners are transparent
    assert icon.getpixel((32, 32))[3] == 255
    colours = icon.convert("RGB").quantize(8).getcolors()
    assert len([n for n, _ in colours if n > 40]) >= 4  # tile, cheque, ink, check mark


# ---- the staged tree -------------------------------------------------------------------------
@needs_posix
def test_staged_tree_layout_and_modes(tmp_path):
    from PIL import Image

    bundle = fake_bundle(tmp_path)
    root = build_deb.stage_tree(bundle, tmp_path / "root", "0.1.0", "amd64", glibc="2.36")
    opt = root / "opt" / "sigdesk"
    assert (opt / "_internal" / "data.txt").read_text() == "model data\n"
    assert os.readlink(opt / "_internal" / "libfake.so.1") == "libfake.so.1.0"
    for name in ("sigdesk", "sigdesk-console"):
        assert (root / "usr" / "bin" / name).read_text() == build_deb.launcher_text(name)
    assert ((root / "usr/share/applications/sigdesk.desktop").read_text()
            == build_deb.desktop_entry_text())
    for size in build_deb.ICON_SIZES:
        with Image.open(root / f"usr/share/icons/hicolor/{size}x{size}/apps/sigdesk.png") as im:
            assert im.size == (size, size)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.lstat().st_mode)

    executables = {opt / "sigdesk", opt / "sigdesk-console", opt / "_internal/libfake.so.1.0",
                   root / "usr/bin/sigdesk", root / "usr/bin/sigdesk-console",
                   root / "DEBIAN/postinst", root / "DEBIAN/postrm"}
    assert mode(root) == 0o755
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        want = 0o755 if path.is_dir() or path in executables else 0o644
        assert mode(path) == want, (path, oct(mode(path)))
    control = parse_control((root / "DEBIAN" / "control").read_text())
    assert control["Depends"].startswith("libc6 (>= 2.36), ")
    assert int(control["Installed-Size"]) >= len(list(root.rglob("*"))) - 4
    # the bundle itself is left as it was
    assert mode(bundle / "_internal" / "data.txt") == 0o600


@needs_posix
def test_a_folder_that_is_not_a_built_app_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="no bundle"):
        build_deb.check_bundle(tmp_path / "missing")
    bundle = fake_bundle(tmp_path)
    (bundle / "sigdesk-console").unlink()
    with pytest.raises(SystemExit, match="no executable sigdesk-console"):
        build_deb.check_bundle(bundle)


@needs_posix
def test_a_link_out_of_the_bundle_is_refused(tmp_path):
    bundle = fake_bundle(tmp_path)
    os.symlink("/etc/hostname", bundle / "_internal" / "outside")
    with pytest.raises(SystemExit, match="links out of the bundle"):
        build_deb.check_bundle(bundle)


# ---- one real build --------------------------------------------------------------------------
@needs_dpkg_deb
def test_dpkg_deb_builds_a_package_from_a_fake_bundle(tmp_path):
    bundle = fake_bundle(tmp_path)
    arch = build_deb.debian_arch() if shutil.which("dpkg") else "amd64"
    out = tmp_path / "out"
    deb = build_deb.build_deb(bundle, out, version="0.1.0rc1", arch=arch, compression="gzip",
                              maintainer="Ops <ops@bank.example>", glibc="2.36")
    assert deb == out / f"sigdesk_0.1.0~rc1_{arch}.deb"
    assert sorted(p.name for p in out.iterdir()) == [deb.name]  # the staged copy is gone

    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True,
                          check=True).stdout
    for member in ("control", "postinst", "postrm"):
        assert member in info
    fields = {}
    for name in ("Package", "Version", "Architecture", "Maintainer", "Depends"):
        fields[name] = subprocess.run(["dpkg-deb", "--field", str(deb), name],
                                      capture_output=True, text=True, check=True).stdout.strip()
    assert fields == {"Package": "sigdesk", "Version": "0.1.0~rc1", "Architecture": arch,
                      "Maintainer": "Ops <ops@bank.example>",
                      "Depends": build_deb.depends_field("2.36")}

    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    entries = {line.split()[-1] if " -> " not in line else line.split()[-3]: line.split()[:2]
               for line in listing}
    assert all(owner == "root/root" for _, owner in entries.values())
    assert entries["./opt/sigdesk/sigdesk"][0] == "-rwxr-xr-x"
    assert entries["./opt/sigdesk/_internal/data.txt"][0] == "-rw-r--r--"
    assert entries["./opt/sigdesk/_internal/sub/"][0] == "drwxr-xr-x"
    assert entries["./opt/sigdesk/_internal/libfake.so.1"][0].startswith("l")
    assert entries["./usr/bin/sigdesk-console"][0] == "-rwxr-xr-x"
    assert entries["./usr/share/applications/sigdesk.desktop"][0] == "-rw-r--r--"
    assert entries["./usr/share/icons/hicolor/256x256/apps/sigdesk.png"][0] == "-rw-r--r--"
    # nothing outside the app's folder, the launchers, the menu entry and the icons
    allowed = ("./opt/sigdesk/", "./usr/bin/sigdesk", "./usr/share/applications/sigdesk.desktop",
               "./usr/share/icons/hicolor/")
    parents = ("./", "./opt/", "./usr/", "./usr/bin/", "./usr/share/",
               "./usr/share/applications/", "./usr/share/icons/")
    for path in entries:
        assert path in parents or path.startswith(allowed), path

    # the launcher inside the package, byte for byte
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True,
                               check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        member = tar.getmember("./usr/bin/sigdesk")
        assert (member.uid, member.gid, member.mode) == (0, 0, 0o755)
        assert tar.extractfile(member).read().decode() == build_deb.launcher_text("sigdesk")
