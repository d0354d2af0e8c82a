"""The manifest that travels beside every exported model, and its validation.

A model folder holds ``<model>.onnx`` and ``manifest.json``. The runtime refuses the folder
when the manifest's format version is unknown, the ONNX file's SHA-256 differs from the one
recorded, the preprocessing contract is not one this app implements, or the graph's input
and output shapes disagree with what the manifest states.

Optional fields (format version 1 still; a model without them loads and offers only the
distance method at its default security level):

``calibration.svm``, ``calibration.znorm``, ``calibration.fusion``
    ``{"score": <name>, "params": {...}, "per_k": {K: <same entry as calibration.per_k>}}``:
    the writer-dependent SVM's, the z-normalised distance's and the fused score's calibration
    on the validation writers (all need the background set; the fusion also the SVM's).
``calibration.security_levels``
    ``{<method>: {K: [{"target_far", "threshold", "far_skilled", "far_random", "frr"}, ...]}}``:
    for each method and K the validation threshold at each target skilled-forgery FAR and the
    rates measured there.
``background``
    ``{"file", "sha256", "shape", "dtype", "writers", ...}``: the SVM's negatives, an
    ``(N, D)`` float32 ``.npy`` of the training writers' genuine embeddings (the SVM's
    negatives, the z-norm's cohort); its SHA-256 and shape are checked like the model's.

Before any of that, the folder's Ed25519 signature (``manifest.sig``) and the manifest's
``files`` list are verified against the trusted keys (:mod:`desktop.core.models.signing`): a
manifest changed by one digit, a replaced file or an unlisted one is refused before a threshold
is used.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.errors import N_, Message, ModelError
from desktop.core.models.keys import TrustedKey, TrustStore
from desktop.core.models.manifest import read_signed_manifest
from desktop.core.models.signing import read_verified, sha256_of
from desktop.core.signature.preprocess import SignaturePreprocessing

FORMAT_VERSION = 1
BACKGROUND_METHODS = ("svm", "znorm", "fusion")  # methods needing the background set
REQUIRED_KEYS = (
    "format_version", "kind", "model_file", "sha256", "input", "output", "preprocessing",
    "calibration", "training",
)


@dataclass(frozen=True)
class Calibration:
    """Decision thresholds on the embedding distance, for a given number K of references.

    Distances are Euclidean between L2-normalised embeddings (0 = identical, 2 = opposite).
    ``threshold`` is the equal-error point on validation writers (similarity 0.5 there);
    at or below ``accept_distance`` the verdict is *genuine*, above ``reject_distance`` it is
    *forged*, and in between *needs review*. Similarity is ``1 / (1 + exp(slope * (d - t)))``.
    """

    k: int
    threshold: float
    accept_distance: float
    reject_distance: float
    slope: float
    operating_point: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, k: int, data: dict[str, Any]) -> Calibration:
        """Read one entry of the manifest's ``calibration.per_k`` table."""
        cal = cls(
            k=int(k),
            threshold=float(data["threshold"]),
            accept_distance=float(data["accept_distance"]),
            reject_distance=float(data["reject_distance"]),
            slope=float(data["slope"]),
            operating_point=dict(data.get("operating_point", {})),
        )
        if not (cal.accept_distance <= cal.threshold <= cal.reject_distance) or cal.slope <= 0:
            raise ValueError(f"calibration for K={k} is not ordered accept <= threshold <= reject")
        return cal


@dataclass(frozen=True)
class SecurityLevel:
    """One row of a security-level table: the validation threshold at a target skilled FAR.

    ``threshold`` is the largest score whose skilled-forgery FAR on the validation writers
    does not exceed ``target_far``; ``far_skilled``, ``far_random`` and ``frr`` were measured
    there on the same validation scores.
    """

    target_far: float
    threshold: float
    far_skilled: float
    far_random: float
    frr: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SecurityLevel:
        """Read one row of ``calibration.security_levels[method][K]``."""
        level = cls(**{name: float(data[name]) for name in (
            "target_far", "threshold", "far_skilled", "far_random", "frr")})
        if not 0.0 < level.target_far < 1.0 or not math.isfinite(level.threshold):
            raise ValueError(f"security level {data!r} is not a target FAR in (0, 1) "
                             "with a finite threshold")
        return level

    def to_dict(self) -> dict[str, float]:
        """Plain JSON-ready form."""
        return {"target_far": self.target_far, "threshold": self.threshold,
                "far_skilled": self.far_skilled, "far_random": self.far_random,
                "frr": self.frr}


@dataclass(frozen=True)
class BackgroundSet:
    """The writer-dependent SVM's negatives: other writers' genuine embeddings (``.npy``)."""

    path: Path
    sha256: str
    shape: tuple[int, ...]
    writers: tuple[str, ...]

    def load(self) -> np.ndarray:
        """The (N, D) float32 array; raises :class:`ModelError` naming the file if unusable."""
        data = read_verified(self.path, self.sha256)  # hashed as read, not only at load
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelError(self.path, f"the background set cannot be read ({exc})") from None
        if arr.shape != self.shape or arr.dtype != np.float32:
            raise ModelError(
                self.path, f"the background set is {arr.dtype} {list(arr.shape)}, the "
                f"manifest states float32 {list(self.shape)}"
            )
        return arr


def _read_background(folder: Path, raw: dict[str, Any], embedding_size: int,
                     verify_hash: bool) -> BackgroundSet | None:
    """Parse and check the optional ``background`` field (see the module docstring)."""
    entry = raw.get("background")
    if entry is None:
        return None
    path = folder / str(entry["file"])
    shape = tuple(int(n) for n in entry["shape"])
    if len(shape) != 2 or shape[0] < 1 or shape[1] != embedding_size:
        raise ModelError(path, f"the manifest states a background shape {list(shape)}; "
                         f"expected (N >= 1, {embedding_size})")
    if str(entry.get("dtype", "float32")) != "float32":
        raise ModelError(path, "the background set must be float32")
    if not path.is_file():
        raise ModelError(path, "the background set named in the manifest is missing")
    if verify_hash and sha256_of(path) != entry["sha256"]:
        raise ModelError(path, "the background set's SHA-256 does not match its manifest "
                         "(the file was changed or damaged)")
    try:
        # Only the header is read here; the data is loaded when the SVM method is used.
        header = np.load(path, mmap_mode="r", allow_pickle=False)
        actual = (tuple(header.shape), header.dtype)
        del header
    except (OSError, ValueError) as exc:
        raise ModelError(path, f"the background set cannot be read ({exc})") from None
    if actual != (shape, np.dtype(np.float32)):
        raise ModelError(path, f"the background set is {actual[1]} {list(actual[0])}, the "
                         f"manifest states float32 {list(shape)}")
    return BackgroundSet(path=path, sha256=str(entry["sha256"]), shape=shape,
                         writers=tuple(str(w) for w in entry.get("writers", [])))


def _read_per_k(table: dict[str, Any]) -> dict[int, Calibration]:
    calibrations = {int(k): Calibration.from_dict(int(k), v) for k, v in table.items()}
    if not calibrations:
        raise ValueError("the calibration table is empty")
    return calibrations


def _read_security_levels(cal: dict[str, Any]) -> dict[str, dict[int, tuple[SecurityLevel, ...]]]:
    out: dict[str, dict[int, tuple[SecurityLevel, ...]]] = {}
    for method, per_k in (cal.get("security_levels") or {}).items():
        out[str(method)] = {
            int(k): tuple(sorted((SecurityLevel.from_dict(row) for row in rows),
                                 key=lambda lv: lv.target_far))
            for k, rows in per_k.items()
        }
    return out


def _pick_k(table: dict[int, Any], n_references: int) -> int:
    """The calibrated K to use with ``n_references`` references.

    With one reference the score is a plain distance; with two or more it is relative to the
    references' spread, a different scale. So K = 1 serves only one reference, and two or
    more use the largest calibrated K >= 2 not above ``n_references`` (the smallest K >= 2
    when all are above). Raises ``ValueError`` when no K of the right kind is calibrated.
    """
    same_kind = [k for k in sorted(table) if (k == 1) == (n_references == 1)]
    if not same_kind:
        raise ValueError(f"the model has no calibration usable with {n_references} "
                         f"reference(s) (calibrated K: {sorted(table)})")
    usable = [k for k in same_kind if k <= n_references]
    return usable[-1] if usable else same_kind[0]


@dataclass(frozen=True)
class ModelManifest:
    """A validated manifest; ``raw`` keeps every field for display and audit."""

    folder: Path
    model_path: Path
    model_id: str
    sha256: str
    preprocessing: SignaturePreprocessing
    embedding_size: int
    input_name: str
    output_name: str
    calibrations: dict[int, Calibration]
    raw: dict[str, Any]
    # Optional (see the module docstring): empty / None on models exported without them.
    # per background method ('svm', 'znorm', 'fusion'): its calibration per K, its score's name
    method_calibrations: dict[str, dict[int, Calibration]] = field(default_factory=dict)
    method_scores: dict[str, str] = field(default_factory=dict)
    security_levels: dict[str, dict[int, tuple[SecurityLevel, ...]]] = field(
        default_factory=dict)
    background: BackgroundSet | None = None
    signer: TrustedKey | None = None  # who signed the folder (None: not checked)

    def calibration_for(self, n_references: int, method: str = "distance") -> Calibration:
        """The calibration of the largest K not above ``n_references`` (the smallest K if none),
        for ``method`` ('distance' or one of :data:`BACKGROUND_METHODS`)."""
        table = self.calibrations if method == "distance" else \
            self.method_calibrations.get(method, {})
        if not table:
            raise ValueError(f"this model has no calibration for the {method!r} method")
        return table[_pick_k(table, n_references)]

    def levels_for(self, n_references: int, method: str = "distance") -> tuple[
        SecurityLevel, ...
    ]:
        """The security-level table of ``method`` for the K that :meth:`calibration_for`
        picks (empty when the manifest has none)."""
        cal = self.calibration_for(n_references, method)
        return self.security_levels.get(method, {}).get(cal.k, ())


def load_manifest(folder: str | Path, verify_hash: bool = True,
                  trust: TrustStore | None = None) -> ModelManifest:
    """Read and validate ``folder/manifest.json``; raise :class:`ModelError` on any mismatch.

    The folder's signature and files list are verified first against ``trust`` (default: the
    app's trusted keys, :func:`desktop.core.models.keys.default_trust`)."""
    folder = Path(folder)
    what = Message(N_("model folder"))
    mpath, raw, signer = read_signed_manifest(folder, REQUIRED_KEYS, what, trust, verify_hash)
    if raw["format_version"] != FORMAT_VERSION:
        raise ModelError(
            mpath, f"manifest format version {raw['format_version']!r} is not supported "
            f"(this app reads version {FORMAT_VERSION})"
        )
    if raw["kind"] != "signature-embedder":
        raise ModelError(mpath, f"model kind {raw['kind']!r} is not a signature embedder")
    model_path = folder / raw["model_file"]
    if not model_path.is_file():
        raise ModelError(model_path, "the model file named in the manifest is missing")
    if verify_hash:
        actual = sha256_of(model_path)
        if actual != raw["sha256"]:
            raise ModelError(
                model_path, "the model file's SHA-256 does not match its manifest "
                "(the file was changed or damaged)"
            )
    try:
        prep = SignaturePreprocessing.from_dict(raw["preprocessing"])
        shape = list(raw["input"]["shape"])
        if shape[1:] != list(prep.input_shape):
            raise ValueError(
                f"input shape {shape} does not match the preprocessing's {list(prep.input_shape)}"
            )
        calibrations = _read_per_k(raw["calibration"]["per_k"])
        extra = {m: raw["calibration"][m] for m in BACKGROUND_METHODS
                 if raw["calibration"].get(m)}
        security_levels = _read_security_levels(raw["calibration"])
        embedding_size = int(raw["output"]["size"])
        background = _read_background(folder, raw, embedding_size, verify_hash)
        manifest = ModelManifest(
            folder=folder,
            model_path=model_path,
            model_id=str(raw.get("model_id") or f"signature-{raw['sha256'][:12]}"),
            sha256=raw["sha256"],
            preprocessing=prep,
            embedding_size=embedding_size,
            input_name=str(raw["input"]["name"]),
            output_name=str(raw["output"]["name"]),
            calibrations=calibrations,
            raw=raw,
            method_calibrations={m: _read_per_k(c["per_k"]) for m, c in extra.items()},
            method_scores={m: str(c["score"]) for m, c in extra.items()},
            security_levels=security_levels,
            background=background,
            signer=signer,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(mpath, f"the manifest is invalid: {exc}") from None
    return manifest
