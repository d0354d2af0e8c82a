"""The banknote model's manifest: which files make the model, its classes and its calibration.

A banknote model folder holds ``manifest.json`` and the ONNX files it names, each with its
SHA-256: the embedder, the centroid classifier (distances to per-class centroids; the
centroids are an input with the shipped ones as its default, so enrolled denominations use
the same graph), the multi-class SVM over embeddings, and per-class genuine-vs-counterfeit
SVMs where training had counterfeits of that class; plus reference notes (rectified JPEGs and
their embeddings) that the app shows next to a check, and optionally the learned note finder
(``finder``: :mod:`desktop.core.banknote.finder`).

The folder is signed like the signature model's (:mod:`desktop.core.models.signing`): the signature
over ``manifest.json`` and its ``files`` list (every graph, ``references.npy`` and reference
image) are verified before anything in the manifest is used.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.banknote.preprocess import BanknotePreprocessing
from desktop.core.errors import N_, Message, ModelError, word_for
from desktop.core.models.keys import TrustedKey, TrustStore
from desktop.core.models.manifest import read_signed_manifest
from desktop.core.models.signing import read_verified, sha256_of

KIND = "banknote-embedder"
FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "kind", "model_file", "sha256", "input", "output",
                 "preprocessing", "classes", "centroids", "svm", "authenticity", "references")


SIDE_WORDS = {"front": N_("front"), "back": N_("back")}


def side_word(side: str) -> Message | str:
    """A note's side as a word a window translates ("front", "back"); another side's name as
    it was enrolled."""
    return word_for(SIDE_WORDS, side)


def class_key(currency: str, denomination: str | int, side: str) -> str:
    """The class key of one side of a denomination: ``"<currency>-<denomination>-<side>"``."""
    return f"{currency.strip().upper()}-{str(denomination).strip()}-{side.strip().lower()}"


@dataclass(frozen=True)
class NoteClass:
    """One side of one denomination."""

    currency: str
    denomination: str
    side: str
    aspect: float | None = None  # the note's width / height, when known

    @property
    def key(self) -> str:
        """``"<currency>-<denomination>-<side>"``."""
        return class_key(self.currency, self.denomination, self.side)

    @property
    def label(self) -> Message:
        """How a clerk reads it: ``"ARC 20, front"``."""
        return Message(N_("{currency} {denomination}, {side}"), currency=self.currency,
                       denomination=self.denomination, side=side_word(self.side))

    @staticmethod
    def from_key(key: str) -> NoteClass:
        """Parse a class key (``ValueError`` when it is not one)."""
        parts = key.split("-")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"{key!r} is not a <currency>-<denomination>-<side> key")
        return NoteClass(parts[0], parts[1], parts[2])


@dataclass(frozen=True)
class OnnxFile:
    """One ONNX file of the model and its checked hash."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class AuthenticityModel:
    """A genuine-vs-counterfeit SVM for one class: suspect when ``score > threshold``
    (its output column ``column`` is the SVM's decision value, positive for counterfeit)."""

    file: OnnxFile
    threshold: float
    column: int


@dataclass(frozen=True)
class BanknoteManifest:
    """A validated banknote model folder."""

    folder: Path
    model_id: str
    embedder: OnnxFile
    input_name: str
    output_name: str
    embedding_size: int
    preprocessing: BanknotePreprocessing
    classes: tuple[NoteClass, ...]
    centroids: OnnxFile
    svm: OnnxFile
    temperature: float
    # number of references ("1", "3", "5") or "centroid" -> distance threshold
    distance_thresholds: dict[str, float]
    target_false_alarm: float
    authenticity: dict[str, AuthenticityModel]
    reference_keys: tuple[str, ...]
    reference_files: tuple[Path, ...]
    reference_embeddings: np.ndarray
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    signer: TrustedKey | None = None  # who signed the folder (None: not checked)
    finder: OnnxFile | None = None  # the learned note finder, when the model ships one

    def distance_threshold(self, n_references: int | None) -> float:
        """Authenticity threshold on the distance to a class's centroid: the shipped centroid
        (``None``) or one made from ``n_references`` enrolled images (the calibrated K at or
        below it)."""
        if n_references is None:
            return self.distance_thresholds["centroid"]
        ks = sorted(int(k) for k in self.distance_thresholds if k.isdigit())
        usable = [k for k in ks if k <= max(1, n_references)]
        return self.distance_thresholds[str(usable[-1] if usable else ks[0])]

    def class_for(self, key: str) -> NoteClass | None:
        """The shipped class with this key, if any."""
        return self._class_by_key.get(key)

    @cached_property
    def _class_by_key(self) -> dict[str, NoteClass]:
        # Asked several times per check and per enrolled side: a dict, not a scan of classes.
        return {c.key: c for c in self.classes}


def listed_bytes(folder: Path, path: Path, raw: dict[str, Any], verify: bool) -> bytes:
    """A file of the folder, checked against the signed files list (``raw['files']``) as it
    is read, when the folder is verified at all: what is used is what was checked."""
    if not verify:
        return path.read_bytes()
    return read_verified(path, str(raw["files"].get(path.relative_to(folder).as_posix())))


def _onnx(folder: Path, entry: dict[str, Any], verify: bool) -> OnnxFile:
    path = folder / entry["file"]
    if not path.is_file():
        raise ModelError(path, Message(N_("a model file named in the manifest is missing")))
    if verify and sha256_of(path) != entry["sha256"]:
        raise ModelError(path, Message(N_("the file's SHA-256 does not match its manifest "
                                          "(the file was changed or damaged)")))
    return OnnxFile(path, entry["sha256"])


def load_banknote_manifest(folder: str | Path, verify_hash: bool = True,
                           trust: TrustStore | None = None) -> BanknoteManifest:
    """Read and validate ``folder/manifest.json`` of a banknote model (:class:`ModelError`
    naming the file on any problem), after verifying its signature and files list against
    ``trust`` (default: the app's trusted keys)."""
    folder = Path(folder)
    what = Message(N_("banknote model folder"))
    mpath, raw, signer = read_signed_manifest(folder, REQUIRED_KEYS, what, trust, verify_hash)
    if raw["kind"] != KIND or raw["format_version"] != FORMAT_VERSION:
        raise ModelError(mpath, f"not a banknote model of format {FORMAT_VERSION} (kind "
                         f"{raw['kind']!r}, version {raw['format_version']!r})")
    try:
        prep = BanknotePreprocessing.from_dict(raw["preprocessing"])
        if list(raw["input"]["shape"][1:]) != list(prep.input_shape):
            raise ValueError(f"input shape {raw['input']['shape']} does not match the "
                             f"preprocessing's {list(prep.input_shape)}")
        embedder = _onnx(folder, {"file": raw["model_file"], "sha256": raw["sha256"]},
                         verify_hash)
        classes = tuple(NoteClass(str(c["currency"]), str(c["denomination"]), str(c["side"]),
                                  c.get("aspect")) for c in raw["classes"])
        auth = raw["authenticity"]
        models = {key: AuthenticityModel(_onnx(folder, m, verify_hash), float(m["threshold"]),
                                         int(m["column"]))
                  for key, m in auth.get("svm", {}).items()}
        thresholds = {str(k): float(v) for k, v in auth["distance_threshold"].items()}
        if "centroid" not in thresholds or not any(k.isdigit() for k in thresholds):
            raise ValueError("authenticity.distance_threshold needs 'centroid' and a K")
        refs = raw["references"]
        emb_path = folder / refs["embeddings"]
        ref_emb = np.load(io.BytesIO(listed_bytes(folder, emb_path, raw, verify_hash)),
                          allow_pickle=False).astype(np.float32)
        size = int(raw["output"]["size"])
        if ref_emb.shape != (len(refs["keys"]), size):
            raise ValueError(f"{emb_path.name} has shape {ref_emb.shape}, expected "
                             f"({len(refs['keys'])}, {size})")
        return BanknoteManifest(
            folder=folder, model_id=str(raw.get("model_id") or f"banknote-{raw['sha256'][:12]}"),
            embedder=embedder, input_name=str(raw["input"]["name"]),
            output_name=str(raw["output"]["name"]), embedding_size=size, preprocessing=prep,
            classes=classes, centroids=_onnx(folder, raw["centroids"], verify_hash),
            svm=_onnx(folder, raw["svm"], verify_hash), temperature=float(raw["temperature"]),
            distance_thresholds=thresholds,
            target_false_alarm=float(auth["target_false_alarm"]), authenticity=models,
            reference_keys=tuple(refs["keys"]),
            reference_files=tuple(folder / f for f in refs["files"]),
            reference_embeddings=ref_emb, raw=raw, signer=signer,
            finder=_onnx(folder, raw["finder"], verify_hash) if "finder" in raw else None)
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise ModelError(mpath, f"the manifest is invalid: {exc}") from None
