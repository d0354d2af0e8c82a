"""The manifest that travels beside every exported model, and its validation.

A model folder holds ``<model>.onnx`` and ``manifest.json``. The runtime refuses the folder
when the manifest's format version is unknown, the ONNX file's SHA-256 differs from the one
recorded, the preprocessing contract is not one this app implements, or the graph's input
and output shapes disagree with what the manifest states.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.errors import ModelError
from desktop.core.preprocess import SignaturePreprocessing

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
REQUIRED_KEYS = (
    "format_version", "kind", "model_file", "sha256", "input", "output", "preprocessing",
    "calibration", "training",
)


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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

    def calibration_for(self, n_references: int) -> Calibration:
        """The calibration of the largest K not above ``n_references`` (the smallest K if none)."""
        ks = sorted(self.calibrations)
        usable = [k for k in ks if k <= n_references]
        return self.calibrations[usable[-1] if usable else ks[0]]


def load_manifest(folder: str | Path, verify_hash: bool = True) -> ModelManifest:
    """Read and validate ``folder/manifest.json``; raise :class:`ModelError` on any mismatch."""
    folder = Path(folder)
    mpath = folder / MANIFEST_NAME
    try:
        raw = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(folder, f"no {MANIFEST_NAME} in the model folder") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(mpath, f"the manifest cannot be read ({exc})") from None
    if not isinstance(raw, dict):
        raise ModelError(mpath, "the manifest is not a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise ModelError(mpath, f"the manifest lacks {', '.join(missing)}")
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
        cal = raw["calibration"]["per_k"]
        calibrations = {int(k): Calibration.from_dict(int(k), v) for k, v in cal.items()}
        if not calibrations:
            raise ValueError("the calibration table is empty")
        manifest = ModelManifest(
            folder=folder,
            model_path=model_path,
            model_id=str(raw.get("model_id") or f"signature-{raw['sha256'][:12]}"),
            sha256=raw["sha256"],
            preprocessing=prep,
            embedding_size=int(raw["output"]["size"]),
            input_name=str(raw["input"]["name"]),
            output_name=str(raw["output"]["name"]),
            calibrations=calibrations,
            raw=raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(mpath, f"the manifest is invalid: {exc}") from None
    return manifest


def write_manifest(folder: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (sorted keys, UTF-8) and return its path."""
    path = Path(folder) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
