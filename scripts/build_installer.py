"""Build the one-folder app with PyInstaller and run the built app's self-test.

    python scripts/build_installer.py [--dist dist] [--archive] [--cpu-only] [--deb]

Works the same on Windows and Linux (run it in the environment that has the app installed
with its ``build`` extra: ``pip install -e ".[build]"``). Steps:

1. ``pyinstaller --noconfirm build.spec`` into ``<dist>/sigdesk``;
2. checks that no torch and no other Qt binding went into the bundle;
3. runs ``sigdesk-console --self-test`` from another folder with a clean environment (no
   source tree on the path, a temporary data folder), which loads the bundled models and
   checks the bundled samples; the build fails unless it exits 0;
4. prints the folder's size (and, with ``--archive``, writes and sizes a .zip on Windows or
   a .tar.gz elsewhere: the file a branch PC receives);
5. with ``--deb`` (Linux), packages the folder as ``<dist>/sigdesk_<version>_<arch>.deb``
   (``scripts/build_deb.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("torch", "PyQt5", "PyQt6", "PySide2", "pytorch_metric_learning", "matplotlib")


def folder_size(folder: Path) -> int:
    """Bytes in every file under ``folder`` (links to a file inside count once, as the file)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def forbidden_parts(bundle: Path) -> list[str]:
    """Top-level entries of the bundle that belong to torch or another Qt binding."""
    internal = bundle / "_internal"
    names = [p.name for p in (internal.iterdir() if internal.is_dir() else bundle.iterdir())]
    return sorted(n for n in names
                  if any(n == f or n.startswith((f + ".", f + "-", "lib" + f)) for f in FORBIDDEN))


def self_test(bundle: Path) -> tuple[int, str, float]:
    """Run the built app's self-test as a user would, far from the source tree."""
    exe = bundle / ("sigdesk-console.exe" if os.name == "nt" else "sigdesk-console")
    with tempfile.TemporaryDirectory(prefix="sigdesk-home-") as home:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SIGDESK_", "PYTHON", "VIRTUAL_ENV", "QT_"))}
        env.update(SIGDESK_HOME=home, HOME=home, QT_QPA_PLATFORM="offscreen")
        start = time.perf_counter()
        proc = subprocess.run([str(exe), "--self-test"], cwd=home, env=env,
                              capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Build, check and self-test; exit status 0 only when the built app passed."""
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dist", type=Path, default=ROOT / "dist")
    p.add_argument("--work", type=Path, default=ROOT / "build")
    p.add_argument("--archive", action="store_true", help="also write the .zip / .tar.gz")
    p.add_argument("--cpu-only", action="store_true",
                   help="leave out onnxruntime's CUDA provider (a smaller CPU-only build)")
    p.add_argument("--deb", action="store_true",
                   help="also package the folder as a .deb (Linux; scripts/build_deb.py)")
    args = p.parse_args(argv)
    if args.deb and not sys.platform.startswith("linux"):
        p.error("--deb builds a Debian package: Linux only")

    env = dict(os.environ)
    if args.cpu_only:
        env["SIGDESK_CPU_ONLY"] = "1"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(args.dist), "--workpath", str(args.work),
                    str(ROOT / "build.spec")], check=True, env=env)
    built = time.perf_counter() - start
    bundle = args.dist / "sigdesk"
    print(f"built {bundle} in {built:.0f} s; {folder_size(bundle) / 2**20:.0f} MB on disk")

    bad = forbidden_parts(bundle)
    if bad:
        print(f"FAILED: the bundle contains {', '.join(bad)}", file=sys.stderr)
        return 1
    code, output, seconds = self_test(bundle)
    print(output.rstrip())
    print(f"built app's self-test: exit status {code} after {seconds:.1f} s")
    if code != 0:
        return 1
    if args.archive:
        kind = "zip" if os.name == "nt" else "gztar"
        base = args.dist / f"sigdesk-{platform.system().lower()}-{platform.machine().lower()}"
        made = Path(shutil.make_archive(str(base), kind, root_dir=args.dist,
                                        base_dir="sigdesk"))
        print(f"archive {made}: {made.stat().st_size / 2**20:.0f} MB")
    if args.deb:
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "build_deb.py"),
                               "--bundle", str(bundle), "--out", str(args.dist)]).returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
