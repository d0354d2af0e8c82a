"""Update the app's translations from its source, and compile them.

    python scripts/update_translations.py          # new strings into the .ts, then compile
    python scripts/update_translations.py --check  # exit 1: untranslated string or stale .qm

The source language is English. ``desktop/i18n/sigdesk_<language>.ts`` holds each language's
words (edited with Qt Linguist, ``pyside6-linguist``, or by hand) and is compiled to the
``.qm`` the app loads (``desktop.startup.install_translations``); the English file holds only
the plural forms ("1 reference", "5 references" for the source's "%n reference(s)"). Every
string the windows show goes through ``self.tr`` / ``QCoreApplication.translate`` in
``desktop/ui`` and ``desktop/app.py``, and every message of the Qt-free core to a person is
marked ``N_("...")``; ``pyside6-lupdate`` finds them. Locations are left
out of the ``.ts`` (``-locations none``) so that moving code does not change it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "desktop" / "i18n"
LANGUAGES = ("en", "zh_CN")


def sources() -> list[Path]:
    """The Python files whose strings are translated: the windows', and the core's whose
    messages to a person are marked with ``N_`` (``desktop/core/errors.py``)."""
    core = [p for p in sorted((ROOT / "desktop" / "core").rglob("*.py"))
            if "N_(" in p.read_text(encoding="utf-8")]
    return sorted((ROOT / "desktop" / "ui").glob("*.py")) + [ROOT / "desktop" / "app.py", *core]


def _tool(name: str) -> str:
    found = shutil.which(f"pyside6-{name}") or shutil.which(
        f"pyside6-{name}", path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit(f"pyside6-{name} not found: install PySide6 (PySide6-Essentials)")
    return found


def lupdate(ts: Path) -> None:
    """Add new strings to ``ts`` (existing translations kept, vanished strings dropped); the
    source language's file takes the plural strings only."""
    plural = ["-pluralonly"] if ts.stem.endswith("_en") else []
    language = ts.stem.removeprefix("sigdesk_")
    # the core's N_("...") is QT_TR_NOOP to lupdate: its sentences have the context ""
    subprocess.run([_tool("lupdate"), "-silent", "-locations", "none", "-no-obsolete",
                    "-tr-function-alias", "QT_TR_NOOP+=N_",
                    "-source-language", "en", "-target-language", language, *plural,
                    *map(str, sources()), "-ts", str(ts)], check=True)


def lrelease(ts: Path, qm: Path) -> None:
    """Compile ``ts`` to ``qm``."""
    subprocess.run([_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def untranslated(ts: Path) -> list[str]:
    """``context: source`` of every message without a finished translation."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            tr = message.find("translation")
            text = "".join(tr.itertext()).strip() if tr is not None else ""
            if tr is None or tr.get("type") in ("unfinished", "vanished", "obsolete") or not text:
                out.append(f"{name}: {message.findtext('source', '')}")
    return out


def check() -> list[str]:
    """Problems: strings in the source missing from a .ts or untranslated, stale .qm files."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang in LANGUAGES:
            ts, qm = I18N / f"sigdesk_{lang}.ts", I18N / f"sigdesk_{lang}.qm"
            if not ts.is_file() or not qm.is_file():
                problems.append(f"{ts.name} or {qm.name} is missing")
                continue
            fresh = Path(tmp) / ts.name
            shutil.copy(ts, fresh)
            lupdate(fresh)
            problems += [f"{lang}: untranslated: {m}" for m in untranslated(fresh)]
            built = Path(tmp) / qm.name
            lrelease(ts, built)
            if built.read_bytes() != qm.read_bytes():
                problems.append(f"{qm.name} is not compiled from {ts.name}: run "
                                "scripts/update_translations.py")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Update and compile every language, or only check them with ``--check``."""
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 on problems")
    args = p.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) if problems else "translations complete and compiled")
        return 1 if problems else 0
    for lang in LANGUAGES:
        ts = I18N / f"sigdesk_{lang}.ts"
        lupdate(ts)
        lrelease(ts, I18N / f"sigdesk_{lang}.qm")
        left = untranslated(ts)
        print(f"{ts.name}: {len(left)} string(s) still to translate")
        for m in left:
            print("  " + m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
