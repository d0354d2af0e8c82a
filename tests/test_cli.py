"""The ``verify`` command end to end on synthetic signature images."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _writer_files(synthetic_dir: Path, writer: int, kind: str) -> list[Path]:
    return sorted((synthetic_dir / f"writer{writer:03d}" / kind).glob("*.png"))


def test_verify_json_in_a_subprocess(synthetic_dir: Path, tiny_model: Path, tmp_path: Path,
                                     signing_key: Path) -> None:
    refs = _writer_files(synthetic_dir, 0, "genuine")[:3]
    query = _writer_files(synthetic_dir, 0, "genuine")[4]
    # The subprocess trusts the test key for itself only, as the test process does.
    run_cli = ("import sys; from desktop.core.models.keys import trust_key_in_this_process; "
               "from desktop.cli import main; trust_key_in_this_process(sys.argv[1]); "
               "sys.exit(main(sys.argv[2:]))")
    out = subprocess.run(
        [sys.executable, "-c", run_cli, str(signing_key.with_suffix(".pub")), "--model",
         str(tiny_model), "--provider", "cpu", "--json", "-r", *map(str, refs), "-q",
         str(query)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        env={**os.environ, "SIGDESK_HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert 0.0 <= result["similarity"] <= 1.0
    assert result["decision"] in ("genuine", "needs review", "forged")
    assert result["provider"] == "CPU" and len(result["reference_similarities"]) == 3
    assert result["model_id"].startswith("signature-") and result["query"] == str(query)


def test_same_image_is_genuine_on_the_shipped_model(synthetic_dir: Path, shipped_model: Path,
                                                    capsys) -> None:
    ref = _writer_files(synthetic_dir, 1, "genuine")[0]
    assert main(["--model", str(shipped_model), "--json", "-r", str(ref), "-q", str(ref)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["distance"] < 1e-3 and result["decision"] == "genuine"
    assert result["similarity"] > 0.9
    # ...and said to be a copy of the reference: no one signs exactly the same way twice.
    [warning] = result["warnings"]
    assert f"the query is a copy of the reference {ref}" in warning


def test_a_whole_cheque_as_the_query_is_warned_about(cheque_set: Path, synthetic_dir: Path,
                                                     shipped_model: Path, capsys) -> None:
    refs = [str(p) for p in _writer_files(synthetic_dir, 1, "genuine")[:3]]
    cheque = next((cheque_set / "cheques").glob("*.png"))
    assert main(["--model", str(shipped_model), "-r", *refs, "-q", str(cheque)]) == 0
    out = capsys.readouterr().out
    assert "WARNING:" in out and "cheque" in out.split("WARNING:", 1)[1]


def test_human_readable_output(synthetic_dir: Path, tiny_model: Path, capsys) -> None:
    refs = _writer_files(synthetic_dir, 2, "genuine")[:2]
    assert main(["--model", str(tiny_model), "-r", *map(str, refs), "-q",
                 str(_writer_files(synthetic_dir, 2, "forged")[0])]) == 0
    text = capsys.readouterr().out
    assert "verdict:" in text and "similarity:" in text and "provider:" in text


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("empty.png", b"", "empty"),
    ("letter.png", b"Dear customer,\n", "not an image"),
])
def test_bad_query_exits_2_naming_the_file(tmp_path: Path, synthetic_dir: Path,
                                           tiny_model: Path, capsys, name: str,
                                           content: bytes, fragment: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    ref = _writer_files(synthetic_dir, 0, "genuine")[0]
    assert main(["--model", str(tiny_model), "--json", "-r", str(ref), "-q", str(bad)]) == 2
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert name in error and fragment in error and name in captured.err


def test_missing_model_folder_exits_2(tmp_path: Path, synthetic_dir: Path, capsys) -> None:
    ref = _writer_files(synthetic_dir, 0, "genuine")[0]
    assert main(["--model", str(tmp_path), "-r", str(ref), "-q", str(ref)]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_method_and_security_level_options(synthetic_dir: Path, shipped_model: Path,
                                           capsys) -> None:
    refs = [str(p) for p in _writer_files(synthetic_dir, 2, "genuine")[:3]]
    query = _writer_files(synthetic_dir, 2, "genuine")[4]
    base = ["--model", str(shipped_model), "--json", "-r", *refs, "-q", str(query)]
    assert main([*base, "--method", "svm", "--target-far", "0.01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "svm" and result["target_far"] == 0.01
    assert result["calibrated_k"] == 3
    assert main([*base, "--target-far", "0.03"]) == 0  # between levels: the stricter one
    assert json.loads(capsys.readouterr().out)["target_far"] == 0.02
    assert main([*base, "--target-far", "0.001"]) == 2  # stricter than any calibrated level
    assert "0.001" in json.loads(capsys.readouterr().out)["error"]


def test_duplicate_references_exit_2_naming_both(tmp_path: Path, synthetic_dir: Path,
                                                 tiny_model: Path, capsys) -> None:
    """Item 18: ``-r a.png a.png`` scored the same file twice; the same file, a byte copy
    under another name and a re-encoded copy (near-duplicate) are now refused with exit 2 and
    a message naming both files."""
    import shutil

    import cv2

    a, other = _writer_files(synthetic_dir, 3, "genuine")[:2]
    query = _writer_files(synthetic_dir, 3, "genuine")[3]
    copy = Path(shutil.copy(a, tmp_path / "copy.png"))
    resaved = tmp_path / "resaved.jpg"
    cv2.imwrite(str(resaved), cv2.imread(str(a), cv2.IMREAD_GRAYSCALE),
                [cv2.IMWRITE_JPEG_QUALITY, 80])
    for refs, words in (([a, a], ["given twice"]), ([a, other, copy], ["same content"]),
                        ([a, other, resaved], ["near-duplicate"])):
        code = main(["--model", str(tiny_model), "--json", "-r", *map(str, refs),
                     "-q", str(query)])
        captured = capsys.readouterr()
        assert code == 2, captured.out
        error = json.loads(captured.out)["error"]
        assert str(a) in error and str(refs[-1]) in error, error
        assert all(w in error for w in words), error
    assert main(["--model", str(tiny_model), "--json", "-r", str(a), str(other),
                 "-q", str(query)]) == 0
