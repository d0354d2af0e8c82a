"""``verify``: check a query signature against reference signatures from a terminal.

Exit status: 0 when a verdict was reached (whatever it is), 2 for unusable input or model.
With ``--json`` the whole result (or ``{"error": ...}``) is printed as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from desktop.core.errors import VerificationError
from desktop.core.paths import default_signature_model
from desktop.core.runtime import PROVIDER_CHOICES


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
    p.add_argument("--method", choices=("distance", "svm"), default="distance",
                   help="distance score or the per-writer SVM")
    p.add_argument("--target-far", type=float, default=None,
                   help="security level as a target FAR (e.g. 0.01); default 0.02")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``verify`` console script."""
    args = build_parser().parse_args(argv)
    from desktop.core.verification import SignatureVerifier

    try:
        verifier = SignatureVerifier(args.model or default_signature_model(), args.provider)
        result, _, _ = verifier.verify_files(args.reference, args.query, args.method,
                                             args.target_far)
    except (VerificationError, ValueError) as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        print(f"verify: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"query": str(args.query),
                          "references": [str(p) for p in args.reference],
                          **result.to_dict()}, indent=2))
    else:
        print(f"verdict:    {result.decision}")
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
