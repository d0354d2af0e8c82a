"""The generated tables in docs/ match the committed reports (scripts/docs_tables.py)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load():
    path = ROOT / "scripts" / "docs_tables.py"
    spec = importlib.util.spec_from_file_location("docs_tables", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_tables"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


docs_tables = _load()


def test_generated_tables_match_the_reports():
    stale = docs_tables.update(ROOT, write=False)
    assert not stale, ("docs tables differ from their reports; run "
                       "`python scripts/docs_tables.py`:\n" + "\n".join(stale))


def test_every_region_reads_a_committed_report():
    for region in docs_tables.REGIONS:
        assert (ROOT / region.source).is_file(), region.source
        assert not region.source.startswith("..")


def test_speed_batch_renders_a_hand_made_report():
    report = {"signature_batch": {
        "workers_2": {"workers": 2, "items_per_s": 313.4},
        "workers_1": {"workers": 1, "items_per_s": 250.6},
    }}
    assert docs_tables.speed_batch(report) == (
        "| decode/preprocess threads | verifications per second |\n"
        "|---|---|\n"
        "| 1 (no pool) | 251 |\n"
        "| 2 | **313** |")


def test_int8_table_change_is_from_the_unrounded_eers():
    manifest = {"export": {"quantization": {
        "eer_skilled_float32": {"3": {"distance": 0.2, "svm": 0.20762}},
        "eer_skilled_int8": {"3": {"distance": 0.21, "svm": 0.20625}},
    }}}
    assert docs_tables.signature_int8(manifest).splitlines()[2:] == [
        "| 3 | distance | 20.0% | 21.0% | +1.0 |",
        "| 3 | writer SVM | 20.8% | 20.6% | -0.1 |",
    ]


def test_the_real_banknote_table_renders_a_hand_made_report():
    tally = {"pictures": 66, "top1": 0.9394, "passed_genuine": 0.9394, "refused": 0.0303,
             "ms_mean": 142.2, "ms_p95": 244.0}
    report = {"eur_photos": {"enrolled_sides": 16, "single": tally,
                             "several": {"photos": 13, "notes": 28, "found_and_named": 26,
                                         "extra_or_wrong": 0, "ms_mean": 568.2}},
              "vnd": {"5_per_class": {**tally, "pictures": 240}},
              "not_enrolled": {"EUR photos": {"pictures": 66, "no_banknote": 0.0,
                                              "unknown_note": 0.25,
                                              "named_another_suspect": 0.75,
                                              "named_another_passed": 0.0}},
              "no_note": {"pictures": 40, "no_banknote": 1.0, "no_side_verified": 1.0},
              "no_note_paper": {"pictures": 120, "no_banknote": 0.5, "no_side_verified": 1.0}}
    lines = docs_tables.banknote_real(report).splitlines()
    assert lines[2] == ("| EUR photos of one note (16 sides, 1 flat picture each) | 66 | 93.9% | "
                        "93.9% | 3.0% | 142 / 244 |")
    assert lines[3].startswith("| VND photos in hands (5 photos per denomination) | 240 |")
    assert lines[5].startswith("EUR photos with several notes: 26 of 28 notes found and named")
    assert ("Notes of a denomination not enrolled (each left out in turn): EUR photos 0.0% "
            "passed as another denomination, 75.0% named another but suspect, 25.0% unknown "
            "or refused (66).") in lines[5]
    assert lines[5].endswith('(120 signature scans of the three signature sets, euro sides '
                             'enrolled): 50% refused as "no banknote", 100% with no side '
                             'verified.')


def test_the_loco_table_puts_a_fold_beside_the_baseline_and_marks_folds_not_run():
    report = {"baseline": {"EUR": {"scans_k1": 0.296, "eur_photos_k1": 0.348},
                           "BRL": {"scans_k1": 0.206}},
              "folds": {"EUR": {"scores": {"scans_k1": 0.557, "eur_photos_k1": 0.409}}}}
    lines = docs_tables.banknote_loco(report).splitlines()
    assert lines[2] == "| EUR scans, other condition, 1 per side | 29.6% | 55.7% |"
    assert lines[3] == "| EUR photos of one note, 1 flat picture per side | 34.8% | 40.9% |"
    assert lines[4] == "| BRL scans, other condition, 1 per side | 20.6% | not run |"


def test_check_lists_a_stale_region_and_the_rewrite_fixes_it(tmp_path):
    for rel in {r.page for r in docs_tables.REGIONS} | {r.source for r in docs_tables.REGIONS}:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tmp_path / rel)
    page = tmp_path / "docs" / "benchmarks.md"
    text = page.read_text(encoding="utf-8")
    assert text.count("| decode | ") >= 1  # the stage table's first row, whatever its figures
    page.write_text(text.replace("| decode | ", "| decode | 9", 1), encoding="utf-8")
    assert docs_tables.update(tmp_path, write=False) == [
        "docs/benchmarks.md: speed-signature (from benchmarks/results/speed/report.json)"]
    assert docs_tables.update(tmp_path) != []
    assert page.read_text(encoding="utf-8") == text
    assert docs_tables.update(tmp_path, write=False) == []


def test_check_lists_a_region_whose_markers_are_gone(tmp_path):
    for rel in {r.page for r in docs_tables.REGIONS} | {r.source for r in docs_tables.REGIONS}:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tmp_path / rel)
    page = tmp_path / "docs" / "training.md"
    region = next(r for r in docs_tables.REGIONS if r.name == "omniglot")
    page.write_text(page.read_text(encoding="utf-8").replace(
        docs_tables.start_marker(region), ""), encoding="utf-8")
    assert docs_tables.update(tmp_path, write=False) == [
        "docs/training.md: omniglot (markers missing or repeated)"]
