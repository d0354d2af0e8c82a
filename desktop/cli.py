"""``verify``: check a query signature against reference signatures from a terminal.

Exit status: 0 when a verdict was reached (whatever it is), 2 for unusable input or model
(including a reference given twice: the same file, the same bytes, or a near-duplicate). A
query that looks like a whole cheque, or is a copy of a reference, gets a warning beside the
verdict (``warnings`` in the JSON).
With ``--json`` the whole result (or ``{"error": ...}``) is printed as one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from desktop.core.errors import InputImageError, VerificationError
from desktop.core.imaging.decode import read_input_file
from desktop.core.models.runtime import PROVIDER_CHOICES
from desktop.core.paths import default_signature_model
from desktop.core.signature.decision import METHODS


def build_parser() -> argparse.ArgumentParser:
    """The ``verify`` argument parser."""
    p = argparse.ArgumentParser(prog="verify", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-r", "--reference", nargs="+", required=True, type=Path,
                   help="one or more enrolled reference signatures")
    p.add_argument("-q", "--query", required=True, type=Path, help="the signature to check")
    p.add_argument("--model", type=Path, default=None,
                   help="model folder (default: the shipped exported_models/signature)")
    p.add_argument("--provider", choices=PROVIDER_CHOICES, default="auto")
    p.add_argument("--method", choices=METHODS, default="distance",
                   help="distance score, the per-writer SVM, the z-normalised distance or "
                   "the fusion of distance and SVM")
    p.add_argument("--target-far", type=float, default=None,
                   help="security level as a target FAR (e.g. 0.01); default 0.02")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def same_references(paths: Sequence[Path]) -> None:
    """Refuse a reference given twice: the same file (after resolving links) or the same
    bytes (SHA-256) under two names. Raises :class:`InputImageError` naming both files
    (unreadable files raise theirs)."""
    seen_path: dict[Path, Path] = {}
    seen_hash: dict[str, Path] = {}
    for path in paths:
        real = path.resolve()
        if real in seen_path:
            raise InputImageError(path, f"is given twice as a reference (same file as "
                                        f"{seen_path[real]}); each reference must be a "
                                        "different signature")
        seen_path[real] = path
        digest = hashlib.sha256(read_input_file(path)).hexdigest()
        if digest in seen_hash:
            raise InputImageError(path, f"has the same content as the reference "
                                        f"{seen_hash[digest]} (a copy of one signature); each "
                                        "reference must be a different signature")
        seen_hash[digest] = path


def near_duplicate_references(paths: Sequence[Path], inkmaps: Sequence[np.ndarray]) -> None:
    """Refuse two references whose blurred ink maps correlate above enrollment's
    ``DUPLICATE_CORRELATION`` (the same signature re-saved or scanned again; see
    :mod:`desktop.core.signature.enrollment`). Enrollment's second test, embedding distance, is left
    out: its threshold was measured on the shipped model and means nothing for another."""
    from desktop.core.signature.enrollment import DUPLICATE_CORRELATION, blurred_correlation

    for i in range(len(paths)):
        for j in range(i):
            if blurred_correlation(inkmaps[i], inkmaps[j]) > DUPLICATE_CORRELATION:
                raise InputImageError(paths[i], f"is a near-duplicate of the reference "
                                                f"{paths[j]} (the same signature scanned or "
                                                "saved twice); each reference must be a "
                                                "different signature")


def query_warnings(query: Path, query_inkmap: np.ndarray, crop_warning: str | None,
                   paths: Sequence[Path], inkmaps: Sequence[np.ndarray]) -> list[str]:
    """What a person should know about the query beside the verdict: it looks like a whole
    cheque rather than a signature cut out, or it is a copy of a reference (the same bytes,
    or ink maps correlating as enrollment's near-duplicates do): no one signs exactly the
    same way twice, so a copy suggests a pasted or traced signature."""
    from desktop.core.signature.enrollment import DUPLICATE_CORRELATION, blurred_correlation

    warnings = [crop_warning] if crop_warning else []
    digest = hashlib.sha256(read_input_file(query)).hexdigest()
    for path, inkmap in zip(paths, inkmaps, strict=True):
        same = hashlib.sha256(read_input_file(path)).hexdigest() == digest
        if same or blurred_correlation(query_inkmap, inkmap) > DUPLICATE_CORRELATION:
            warnings.append(f"the query is a copy of the reference {path} (the same "
                            f"{'file content' if same else 'image, re-saved or re-scanned'}):"
                            " no one signs exactly the same way twice; suspect a pasted or "
                            "traced signature")
    return warnings


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``verify`` console script."""
    args = build_parser().parse_args(argv)
    from desktop.core.signature.verification import SignatureVerifier

    try:
        same_references(args.reference)
        verifier = SignatureVerifier(args.model or default_signature_model(), args.provider)
        refs = [verifier.prepare(p) for p in args.reference]
        query = verifier.prepare(args.query, check_crop=True)
        near_duplicate_references(args.reference, [r.inkmap for r in refs])
        warnings = query_warnings(args.query, query.inkmap, query.warning, args.reference,
                                  [r.inkmap for r in refs])
        result = verifier.verify(refs, query, args.method, args.target_far)
    except (VerificationError, ValueError) as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        print(f"verify: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"query": str(args.query),
                          "references": [str(p) for p in args.reference],
                          **result.to_dict(), "warnings": warnings}, indent=2))
    else:
        print(f"verdict:    {result.decision}")
        for warning in warnings:
            print(f"WARNING:    {warning}")
        print(f"similarity: {result.similarity:.3f} (0.5 at the calibrated threshold)")
        print(f"score:      {result.distance:.4f} (genuine <= {result.accept_distance:.4f}, "
              f"forged > {result.reject_distance:.4f})")
        for path, sim in zip(args.reference, result.reference_similarities, strict=True):
            print(f"  {sim:.3f}  {path}")
        print(f"provider:   {result.provider}" +
              (f" ({result.provider_reason})" if result.provider_reason else ""))
        print(f"model:      {result.model_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
