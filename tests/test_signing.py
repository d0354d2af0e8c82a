"""Model folders are signed (Ed25519) and the app refuses any change it did not sign (issue 7).

Most tests work on private copies of the shipped, demo-signed models: the attack in the issue
was a one-digit edit of the shipped manifest. No training happens here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from desktop.core.banknote.manifest import load_banknote_manifest
from desktop.core.errors import ModelError
from desktop.core.models.keys import (
    DEMO_KEY_ID,
    TrustedKey,
    TrustStore,
    default_trust,
    key_id,
    load_private_key,
    load_public_key,
    shipped_keys_dir,
)
from desktop.core.models.signing import SIGNATURE_NAME, list_model_files, sign_model
from desktop.core.paths import default_banknote_model_dir
from desktop.core.signature.manifest import load_manifest
from desktop.ui.wording import signer_short

ROOT = Path(__file__).resolve().parents[1]
DEMO_PRIVATE = ROOT / "training" / "demo_signing_key" / "demo.key"


def _edit_bytes(path: Path, pattern: str, replace) -> None:
    """Change the manifest text in place like a person with an editor would (no re-sign)."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, replace, text, count=1)
    assert n == 1 and new != text
    path.write_text(new, encoding="utf-8")


# ---- the shipped models and the demo key -----------------------------------------------------
def test_shipped_models_are_signed_by_the_labelled_demo_key(shipped_model: Path) -> None:
    sig = load_manifest(shipped_model)
    note = load_banknote_manifest(default_banknote_model_dir())
    for signer in (sig.signer, note.signer):
        assert signer is not None and signer.demo and signer.key_id == DEMO_KEY_ID
        assert "DEMO key" in signer.describe() and "not for production" in signer.describe()
        assert "DEMO" in signer_short(signer)
    # the model ids are still derived from the graph's hash, as before signing
    assert sig.model_id == f"signature-{sig.sha256[:12]}"
    assert note.model_id == f"banknote-{note.raw['sha256'][:12]}"
    # every file the app reads is in the signed list
    files = sig.raw["files"]
    assert {"embedder.onnx", "background.npy"} <= set(files)
    assert files["background.npy"] == sig.raw["background"]["sha256"]
    nfiles = note.raw["files"]
    assert {"embedder.onnx", "centroids.onnx", "denomination_svm.onnx", "references.npy",
            *note.raw["references"]["files"],
            *(m["file"] for m in note.raw["authenticity"]["svm"].values())} <= set(nfiles)


def test_the_committed_demo_private_key_is_the_shipped_demo_public_key() -> None:
    shipped = load_public_key(shipped_keys_dir() / "demo.pub")
    assert key_id(shipped) == DEMO_KEY_ID
    assert key_id(load_private_key(DEMO_PRIVATE).public_key()) == DEMO_KEY_ID
    readme = (DEMO_PRIVATE.parent / "README.md").read_text()
    assert "NOT FOR PRODUCTION" in readme and "PUBLIC" in readme


def test_a_key_other_than_the_demo_key_is_not_labelled_demo(other_key) -> None:
    key = TrustedKey.from_file(other_key[1])
    assert not key.demo and "DEMO" not in key.describe()
    assert key.describe().startswith("signed by branch-bank key ")


# ---- refusals --------------------------------------------------------------------------------
@pytest.mark.parametrize(("pattern", "replace"), [
    # one digit of a threshold: the attack (all forged demo cheques came out genuine)
    (r'("accept_distance": -0\.)(\d)', lambda m: m.group(1) + str((int(m.group(2)) + 1) % 10)),
    (r'("threshold": -?0\.)(\d)', lambda m: m.group(1) + str((int(m.group(2)) + 1) % 10)),
    (r'"model_id": "signature-[0-9a-f]+"', '"model_id": "signature-000000000000"'),
    (r'"blur_sigma": 1\.0', '"blur_sigma": 0.5'),
])
def test_an_edited_manifest_is_refused_naming_manifest_json(sig_copy: Path, pattern: str,
                                                           replace) -> None:
    _edit_bytes(sig_copy / "manifest.json", pattern, replace)
    with pytest.raises(ModelError, match=r"manifest\.json: signature does not match \(the "
                                         r"manifest was changed after signing"):
        load_manifest(sig_copy)


def test_an_edited_banknote_threshold_is_refused(note_copy: Path) -> None:
    _edit_bytes(note_copy / "manifest.json", r'("centroid": 0\.)(\d)',
                lambda m: m.group(1) + str((int(m.group(2)) + 1) % 10))
    with pytest.raises(ModelError, match=r"manifest\.json: signature does not match"):
        load_banknote_manifest(note_copy)


def test_a_replaced_background_is_refused_naming_it(sig_copy: Path) -> None:
    arr = np.load(sig_copy / "background.npy")
    np.save(sig_copy / "background.npy", arr[::-1].copy())  # same shape, other rows
    with pytest.raises(ModelError, match=r"background\.npy: SHA-256 differs from the "
                                         r"manifest's files list"):
        load_manifest(sig_copy)


def test_a_replaced_graph_is_refused_naming_it(sig_copy: Path, note_copy: Path) -> None:
    with open(sig_copy / "embedder.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match=r"embedder\.onnx: SHA-256 differs"):
        load_manifest(sig_copy)
    victim = next(iter(sorted((note_copy / "authenticity").glob("*.onnx"))))
    shutil.copyfile(note_copy / "centroids.onnx", victim)
    with pytest.raises(ModelError, match=re.escape(victim.name) + ": SHA-256 differs"):
        load_banknote_manifest(note_copy)


def test_a_changed_reference_image_or_table_is_refused(note_copy: Path) -> None:
    ref = sorted((note_copy / "references").glob("*.jpg"))[0]
    ref.write_bytes(ref.read_bytes()[:-1])
    with pytest.raises(ModelError, match=re.escape(ref.name) + ": SHA-256 differs"):
        load_banknote_manifest(note_copy)


def test_an_unlisted_file_is_refused_but_os_litter_is_ignored(sig_copy: Path) -> None:
    (sig_copy / "Thumbs.db").write_bytes(b"thumbnail cache")  # Windows Explorer's
    assert load_manifest(sig_copy).signer.demo
    (sig_copy / "extra.onnx").write_bytes(b"not signed")
    with pytest.raises(ModelError, match=r"extra\.onnx: the file is not in the manifest's "
                                         r"signed files list"):
        load_manifest(sig_copy)


def test_a_missing_listed_file_is_refused(sig_copy: Path) -> None:
    (sig_copy / "report.json").unlink()
    with pytest.raises(ModelError, match=r"report\.json: the file is missing"):
        load_manifest(sig_copy)


def test_a_missing_signature_is_refused(sig_copy: Path, note_copy: Path) -> None:
    (sig_copy / SIGNATURE_NAME).unlink()
    with pytest.raises(ModelError, match=r"manifest\.sig: the model is not signed"):
        load_manifest(sig_copy)
    (note_copy / SIGNATURE_NAME).unlink()
    with pytest.raises(ModelError, match=r"manifest\.sig: the model is not signed"):
        load_banknote_manifest(note_copy)


def test_a_damaged_signature_file_is_refused(sig_copy: Path) -> None:
    record = json.loads((sig_copy / SIGNATURE_NAME).read_text())
    record["signature"] = "!!not base64!!"
    (sig_copy / SIGNATURE_NAME).write_text(json.dumps(record))
    with pytest.raises(ModelError, match=r"manifest\.sig: the signature file cannot be read"):
        load_manifest(sig_copy)


def test_a_signature_by_an_untrusted_key_is_refused(sig_copy: Path, other_key) -> None:
    signer = sign_model(sig_copy, other_key[0])
    with pytest.raises(ModelError, match=rf"manifest\.sig: key_id {signer.key_id}: signed by "
                                         r"a key this app does not trust"):
        load_manifest(sig_copy)


def test_an_edit_re_signed_by_an_untrusted_key_is_still_refused(sig_copy: Path,
                                                                other_key) -> None:
    """The attacker's path after this change: edit, then sign with a key of their own."""
    _edit_bytes(sig_copy / "manifest.json", r'"blur_sigma": 1\.0', '"blur_sigma": 0.5')
    sign_model(sig_copy, other_key[0])
    with pytest.raises(ModelError, match="does not trust"):
        load_manifest(sig_copy)


def test_the_signature_is_checked_before_the_contract(sig_copy: Path) -> None:
    """An edit that would also break the preprocessing contract meets the signature first."""
    _edit_bytes(sig_copy / "manifest.json", r'"version": \d+', '"version": 99')
    with pytest.raises(ModelError, match="signature does not match"):
        load_manifest(sig_copy)


# ---- trust: explicit trust -----------------------------------------------------------------
def test_explicit_trust_replaces_the_default(sig_copy: Path, other_key) -> None:
    only_other = TrustStore([TrustedKey.from_file(other_key[1], "branch-bank")])
    with pytest.raises(ModelError, match="does not trust"):  # the demo key is not in it
        load_manifest(sig_copy, trust=only_other)
    sign_model(sig_copy, other_key[0])
    assert load_manifest(sig_copy, trust=only_other).signer.label == "branch-bank"


def test_the_test_key_is_not_shipped_trust(signing_key: Path) -> None:
    test_id = TrustedKey.from_file(signing_key.with_suffix(".pub")).key_id
    shipped = sorted(shipped_keys_dir().glob("*.pub"))
    assert [key_id(load_public_key(p)) for p in shipped] == [DEMO_KEY_ID]
    assert default_trust().get(test_id) is not None  # trusted in this test process only


def test_the_app_objects_load_signed_folders_and_refuse_edits(sig_copy: Path,
                                                              note_copy: Path) -> None:
    from desktop.core.banknote.model import BanknoteModel
    from desktop.core.signature.embedder import Embedder

    assert Embedder(sig_copy, "cpu").manifest.signer.demo
    assert BanknoteModel(note_copy, "cpu").manifest.signer.demo
    _edit_bytes(sig_copy / "manifest.json", r'"blur_sigma": 1\.0', '"blur_sigma": 0.5')
    with pytest.raises(ModelError, match="signature does not match"):
        Embedder(sig_copy, "cpu")
    np.save(note_copy / "references.npy", np.zeros((1, 64), np.float32))
    with pytest.raises(ModelError, match=r"references\.npy: SHA-256 differs"):
        BanknoteModel(note_copy, "cpu")


# ---- the tools: keygen, sign, the audited admin action ---------------------------------------
def test_keygen_and_sign_commands(tmp_path: Path, sig_copy: Path, monkeypatch,
                                  capsys) -> None:
    from training.__main__ import main

    monkeypatch.setenv("SIGDESK_KEY_PASSPHRASE", "correct horse battery staple")
    assert main(["keygen", "--out", str(tmp_path / "k"), "--name", "bank"]) == 0
    private = tmp_path / "k" / "bank.key"
    if os.name == "posix":
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"ENCRYPTED" in private.read_bytes()
    assert main(["keygen", "--out", str(tmp_path / "k"), "--name", "bank"]) == 2  # no overwrite
    (sig_copy / "notes.txt").write_text("added before signing, so listed")
    assert main(["sign", "--model", str(sig_copy), "--key", str(private)]) == 0
    assert "notes.txt" in json.loads((sig_copy / "manifest.json").read_text())["files"]
    assert list_model_files(sig_copy) == json.loads(
        (sig_copy / "manifest.json").read_text())["files"]
    trust = TrustStore([TrustedKey.from_file(tmp_path / "k" / "bank.pub")])
    assert load_manifest(sig_copy, trust=trust).signer.label == "bank"
    monkeypatch.delenv("SIGDESK_KEY_PASSPHRASE")
    capsys.readouterr()
    assert main(["sign", "--model", str(sig_copy), "--key", str(private)]) == 2
    assert "is encrypted" in capsys.readouterr().err


def test_a_graph_swapped_after_the_folder_was_verified_is_not_run(model_copy: Path) -> None:
    """The session runs the bytes it hashed: replacing embedder.onnx between the manifest's
    check and the session is refused, naming the file."""
    from desktop.core.models.runtime import create_session
    from desktop.core.signature.manifest import load_manifest

    manifest = load_manifest(model_copy)
    other = model_copy.parent / "other.onnx"
    other.write_bytes(manifest.model_path.read_bytes())
    create_session(other, "cpu", expected_sha256=manifest.sha256)  # the same bytes: fine
    manifest.model_path.write_bytes(manifest.model_path.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="embedder.onnx: SHA-256 differs from the signed"):
        create_session(manifest.model_path, "cpu", expected_sha256=manifest.sha256)


def test_files_read_after_the_folder_was_verified_are_hashed_as_read(sig_copy: Path,
                                                                     note_copy: Path) -> None:
    """The background set (read when a writer SVM is first needed) and the banknote reference
    pictures (read at the first check, maybe hours after loading) are checked as they are
    read: swapped after the folder was verified, they are refused, not used."""
    from desktop.core.banknote.model import BanknoteModel

    manifest = load_manifest(sig_copy)
    arr = np.load(sig_copy / "background.npy")
    np.save(sig_copy / "background.npy", np.zeros_like(arr))  # same shape and type
    with pytest.raises(ModelError, match=r"background\.npy: the file's SHA-256 does not match"):
        manifest.background.load()
    model = BanknoteModel(note_copy, "cpu")
    ref = model.manifest.reference_files[0]
    ref.write_bytes(sorted((note_copy / "references").glob("*.jpg"))[-1].read_bytes())
    with pytest.raises(ModelError, match=re.escape(ref.name) + ": the file's SHA-256"):
        model.side_index()


@pytest.mark.parametrize("name, text", [
    ("manifest.json", '{"format_version": ' + "9" * 5000 + "}"),
    ("manifest.json", "[" * 20000 + "]" * 20000),
    (SIGNATURE_NAME, "[" * 20000 + "]" * 20000),
])
def test_a_manifest_that_cannot_be_parsed_is_named(sig_copy: Path, name: str, text: str
                                                   ) -> None:
    (sig_copy / name).write_text(text)
    with pytest.raises(ModelError, match=re.escape(name)):
        load_manifest(sig_copy)
