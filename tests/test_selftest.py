"""The app's self-test (what the built installer runs) and its start-up flags."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.branch.selftest import EXPECTED_NAME, run_self_test
from desktop.core.paths import (
    default_banknote_model_dir,
    default_signature_model,
    samples_dir,
    translations_dir,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def samples(tmp_path: Path) -> Path:
    """A private copy of the bundled samples, to spoil."""
    return Path(shutil.copytree(samples_dir(), tmp_path / "samples"))


def _edit(folder: Path, change) -> None:
    path = folder / EXPECTED_NAME
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _run(folder: Path):
    return run_self_test(folder, default_signature_model(), default_banknote_model_dir(), "cpu")


def test_shipped_models_pass_on_the_bundled_samples() -> None:
    report = _run(samples_dir())
    assert report.ok, report.as_text()
    names = " ".join(c.name for c in report.checks)
    for part in ("models", "enroll", "genuine.jpg", "forged.tif", "missing_thread.jpg",
                 "audit chain"):
        assert part in names
    assert "self-test passed" in report.as_text()


def test_a_wrong_verdict_fails_and_names_the_sample(samples: Path) -> None:
    _edit(samples, lambda d: d["cheques"][1].update(verdict="genuine"))
    report = _run(samples)
    assert not report.ok
    failed = [c for c in report.checks if not c.ok]
    assert len(failed) == 1 and "forged.tif" in failed[0].name
    assert "expected genuine" in failed[0].detail


def test_a_drifted_distance_fails(samples: Path) -> None:
    _edit(samples, lambda d: d["banknotes"][0].update(distance=d["banknotes"][0]["distance"]
                                                       + 0.05))
    assert not _run(samples).ok


def test_a_damaged_sample_fails_with_the_file_named(samples: Path) -> None:
    (samples / "cheques" / "genuine.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 50)
    report = _run(samples)
    assert not report.ok
    bad = next(c for c in report.checks if not c.ok)
    assert "genuine.jpg" in bad.name and "genuine.jpg" in bad.detail


def test_samples_of_another_model_are_refused(samples: Path) -> None:
    _edit(samples, lambda d: d.update(signature_model_id="signature-000000000000"))
    report = _run(samples)
    assert not report.ok
    assert any("python -m training samples" in c.detail for c in report.checks if not c.ok)


def test_missing_description_is_named(tmp_path: Path) -> None:
    report = _run(tmp_path)
    assert not report.ok and str(tmp_path / EXPECTED_NAME) in report.checks[0].detail


def test_samples_are_regenerated_with_the_same_verdicts(tmp_path: Path) -> None:
    from training.samples import write_samples

    shipped = json.loads((samples_dir() / EXPECTED_NAME).read_text())
    desc = write_samples(tmp_path / "again", first_seed=shipped["seed"], tries=1)
    for kind in ("cheques", "banknotes"):
        assert len(desc[kind]) == len(shipped[kind])
        for made, ship in zip(desc[kind], shipped[kind], strict=True):
            # The same files, verdicts and notes; the distances only as close as another
            # OpenCV or Pillow build's image codecs allow (0.005-0.017 between 4.x and 5.x).
            assert {k: v for k, v in made.items() if k != "distance"} == \
                {k: v for k, v in ship.items() if k != "distance"}
            assert made["distance"] == pytest.approx(ship["distance"], rel=0.05, abs=0.02)


def test_qt_translations_are_found_and_installed(qapp) -> None:
    from desktop.core.paths import app_translations_dir
    from desktop.startup import install_translations

    assert sorted(translations_dir().glob("qtbase_zh_CN.qm"))
    installed = install_translations(qapp, "zh_CN")
    try:
        files = sorted(Path(t.filePath()).name for t in installed)
        assert files == ["qtbase_zh_CN.qm", "sigdesk_zh_CN.qm"]
        assert Path(installed[-1].filePath()).parent == app_translations_dir()
    finally:
        install_translations(qapp, "en")


def test_app_self_test_flag_runs_the_window_too(qapp, capsys) -> None:
    from desktop.app import main

    assert main(["--self-test", "--provider", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "PASS  window" in out and "PASS  translations" in out and "self-test passed" in out


def test_exit_when_ready_prints_the_ready_line(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SIGDESK_HOME": str(tmp_path)}
    for extra, window in ((["--compare"], "compare"), ([], "login")):
        proc = subprocess.run([sys.executable, "-m", "desktop", *extra, "--exit-when-ready",
                               "--provider", "cpu"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        line = next(x for x in proc.stdout.splitlines() if x.startswith("READY "))
        ready = json.loads(line.removeprefix("READY "))
        assert ready["window"] == window and ready["visible"] and ready["ms_since_start"] > 0
