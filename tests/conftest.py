"""Shared fixtures: synthetic signatures and a tiny model trained and exported on them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_MODEL = ROOT / "exported_models" / "signature"


@pytest.fixture(autouse=True)
def _english_interface(request: pytest.FixtureRequest):
    """Windows in English, as the app shows them on an English system (plural forms
    included): installed for every test that builds Qt widgets, whatever ran before."""
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        yield
        return
    from desktop.startup import install_translations

    install_translations(request.getfixturevalue("qapp"), "en")
    yield


@pytest.fixture(scope="session", autouse=True)
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test Ed25519 key pair (``test.key``, ``test.pub``) made for this session. The test
    models are signed with it, and it is trusted in this process only (never shipped trust):
    ``signing_key.with_suffix(".pub")`` is its public key. The DEMO key is accepted on copies
    of the shipped models too, which tests edit (the app accepts it on the shipped folders
    only: tests/test_trusted_keys.py)."""
    from desktop.core.models.keys import (
        allow_demo_key_anywhere_in_this_process,
        generate_key_pair,
        trust_key_in_this_process,
    )
    from tests import helpers

    private, public = generate_key_pair(tmp_path_factory.mktemp("keys"), "test")
    trust_key_in_this_process(public)
    allow_demo_key_anywhere_in_this_process()
    helpers.TEST_SIGNING_KEY = private
    return private


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small <writer>/{genuine,forged}/ data set made by the project's generator."""
    from training.signature.synthetic import generate_dataset

    return generate_dataset(tmp_path_factory.mktemp("synth"), n_writers=8, n_genuine=6,
                            n_forged=3, seed=7)


@pytest.fixture(scope="session")
def tiny_run(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder trained for a few steps on synthetic data, evaluated (for calibration)."""
    from training.__main__ import main as training_main

    run = tmp_path_factory.mktemp("run")
    args = ["--data", str(synthetic_dir), "--run", str(run), "--val-writers", "2",
            "--test-writers", "2", "--epochs", "2", "--batches-per-epoch", "3",
            "--writers-per-batch", "4", "--width", "8", "--embedding-size", "32",
            # so that the contract's thin-stroke step and its pen matching run end to end
            "--min-stroke", "3.2", "--match-pen"]
    assert training_main(["train", *args]) == 0
    assert training_main(["evaluate", "--run", str(run), "--draws", "2"]) == 0
    return run


@pytest.fixture(scope="session")
def tiny_model(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory,
               signing_key: Path) -> Path:
    """The tiny run exported to ONNX with its manifest, signed with the test key."""
    from training.signature.export import export_run

    return export_run(tiny_run, tmp_path_factory.mktemp("model"), key=signing_key)


@pytest.fixture()
def model_copy(tiny_model: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model folder that a test may damage."""
    import shutil

    return Path(shutil.copytree(tiny_model, tmp_path / "copy"))


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    """The model the app ships with (committed under exported_models/)."""
    assert (SHIPPED_MODEL / "manifest.json").is_file(), "the shipped model is missing"
    return SHIPPED_MODEL


@pytest.fixture()
def sig_copy(shipped_model: Path, tmp_path: Path) -> Path:
    """A private copy of the shipped (demo-signed) signature model folder."""
    return Path(shutil.copytree(shipped_model, tmp_path / "signature"))


@pytest.fixture()
def note_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped (demo-signed) banknote model folder."""
    from desktop.core.paths import default_banknote_model_dir

    return Path(shutil.copytree(default_banknote_model_dir(), tmp_path / "banknote"))


@pytest.fixture()
def other_key(tmp_path: Path) -> tuple[Path, Path]:
    """A key pair nobody trusts yet: (private, public)."""
    from desktop.core.models.keys import generate_key_pair

    return generate_key_pair(tmp_path / "other-keys", "branch-bank")


@pytest.fixture(scope="session")
def shipped_notes_model():
    """The shipped banknote model (part of the repository: missing is a failure)."""
    from desktop.core.banknote.model import BanknoteModel
    from desktop.core.paths import default_banknote_model_dir

    folder = default_banknote_model_dir()
    assert (folder / "manifest.json").is_file(), f"the shipped banknote model is missing: {folder}"
    return BanknoteModel(folder, "cpu")


@pytest.fixture()
def bank(branch, shipped_notes_model):
    """The ``branch`` service (admin, operator olga, clerk carl) with the banknote model set
    after start-up, as the app does once it is loaded."""
    service, sessions = branch
    service.notes.model = shipped_notes_model
    return service, sessions


@pytest.fixture(scope="session")
def cheque_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two account holders: five reference signatures each, a genuine and a forged cheque."""
    from training.signature.cheques import generate_cheque_set

    return generate_cheque_set(tmp_path_factory.mktemp("cheques"), n_accounts=2, references=5,
                               genuine=1, forged=1, seed=11,
                               formats=("png-gray", "tiff-g4", "jpeg-colour"))


PASSWORDS = {"admin": "admin-pass-123", "olga": "operator-pass-1", "carl": "clerk-pass-123"}


@pytest.fixture()
def branch(tmp_path: Path, shipped_model: Path):
    """A fresh store with an admin, an operator (olga) and a clerk (carl), on the shipped
    model. Returns (service, {role: session})."""
    from desktop.core.branch.service import BranchService
    from desktop.core.signature.verification import SignatureVerifier
    from desktop.core.store.backends import SQLiteStore

    service = BranchService(SQLiteStore(tmp_path / "branch.sqlite"),
                            SignatureVerifier(shipped_model, "cpu"))
    admin = service.create_first_admin("admin", PASSWORDS["admin"])
    service.create_user(admin, "olga", "operator", PASSWORDS["olga"])
    service.create_user(admin, "carl", "clerk", PASSWORDS["carl"])
    sessions = {"admin": admin, "operator": service.login("olga", PASSWORDS["olga"]),
                "clerk": service.login("carl", PASSWORDS["carl"])}
    yield service, sessions
    service.store.close()


# ==== Store backends (issue 6: PostgreSQL) — one block, owned by the store tests ===========
# The store tests run on SQLite and on PostgreSQL through `open_test_store`; PostgreSQL comes
# from $SIGDESK_TEST_PG_URL (`source .ci/postgres.sh`), each store in a fresh schema. Without
# it the PostgreSQL cases skip, unless SIGDESK_REQUIRE_PG=1 (CI), where they fail.


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The PostgreSQL test server's URL (skips, or fails under SIGDESK_REQUIRE_PG=1)."""
    from tests.store_backends import server_url

    return server_url()


@pytest.fixture()
def pg_url(pg_server_url: str):
    """A URL whose search path is a fresh, empty schema (dropped after the test)."""
    from tests.store_backends import drop_schema, new_schema, with_schema

    schema = new_schema(pg_server_url)
    yield with_schema(pg_server_url, schema)
    drop_schema(pg_server_url, schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def open_test_store(request, tmp_path: Path):
    """``open_test_store(name="store", migrate=True, migrations=None)``: a store of the
    parametrised backend (SQLite file or PostgreSQL schema); the same name opens the same
    store again. Each has a ``location`` (file path or URL). ``migrations``: other Alembic
    scripts than the app's (tests/test_store_revision.py). Everything is closed and dropped
    after the test."""
    from tests.store_backends import drop_schema, new_schema, with_schema

    backend = request.param
    url = request.getfixturevalue("pg_server_url") if backend == "postgresql" else ""
    opened, schemas = [], {}

    def location(name: str = "store") -> str:
        if backend == "sqlite":
            return str(tmp_path / f"{name}.sqlite")
        if name not in schemas:
            schemas[name] = new_schema(url)
        return with_schema(url, schemas[name])

    def factory(name: str = "store", migrate: bool = True, migrations=None):
        if backend == "sqlite":
            from desktop.core.store.backends import SQLiteStore

            store = SQLiteStore(location(name), migrate=migrate, migrations=migrations)
        else:
            from desktop.core.store.backends import PostgresStore

            store = PostgresStore(location(name), migrate=migrate, migrations=migrations)
        opened.append(store)
        return store

    factory.backend = backend
    factory.location = location
    yield factory
    for store in opened:
        store.close()
    for schema in schemas.values():
        drop_schema(url, schema)
# ==== end of the store backends block ========================================================


@pytest.fixture()
def app_parts(tmp_path: Path, shipped_model: Path):
    """A store with the three users, a service whose model each window loads itself (the branch
    window tests)."""
    from desktop.core.branch.config import AppConfig
    from desktop.core.branch.service import BranchService
    from desktop.core.store.backends import SQLiteStore

    service = BranchService(SQLiteStore(tmp_path / "gui.sqlite"), None)
    admin = service.create_first_admin("admin", PASSWORDS["admin"])
    service.create_user(admin, "olga", "operator", PASSWORDS["olga"])
    service.create_user(admin, "carl", "clerk", PASSWORDS["carl"])
    config = AppConfig(model_dir=str(shipped_model), provider="cpu")
    yield service, config
    service.store.close()


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(request: pytest.FixtureRequest):
    """Qt tests run as the app does: the cyclic garbage collector only on the GUI thread
    (:mod:`desktop.ui.gc_guard`), so that a worker thread never frees an earlier test's
    windows (that crashed the suite once). Other tests keep automatic collection."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("qapp")
    from desktop.ui.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector()
    yield
    collector.stop()
