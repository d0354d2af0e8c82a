"""``sigdesk-keys``: the public keys this PC trusts model signatures from.

    sigdesk-keys list                        # trusted keys, and keys found but not trusted
    sudo sigdesk-keys add bank-2026.pub [--label bank-2026]

``add`` checks the file (an Ed25519 public key, not a private key, not trusted already) and
copies it into the machine-wide folder only the PC's administrator can change
(``/etc/sigdesk/trusted_keys``, ``%ProgramData%\\SigDesk\\trusted_keys`` from an elevated
prompt); the app records the key in its audit log the next time it starts. Removing a key is
deleting its file there, as the administrator.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.core.errors import ServiceError
from desktop.core.models.admin_folder import admin_only_problem
from desktop.core.models.keys import (
    add_trusted_key,
    default_trust,
    describe_signer,
    machine_keys_dir,
)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    ap = argparse.ArgumentParser(prog="sigdesk-keys", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the trusted keys, and keys found but not trusted")
    a = sub.add_parser("add", help="trust a public key (run as the PC's administrator)")
    a.add_argument("file", type=Path, help="the Ed25519 public key (.pub)")
    a.add_argument("--label", default=None, help="its name here (default: the file's stem)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 when done (``list``: and no key was found but left untrusted), 1 when
    ``list`` found keys that are not trusted, 2 when ``add`` was refused."""
    args = build_parser().parse_args(argv)
    if args.command == "add":
        try:
            key = add_trusted_key(args.file, args.label)
        except ServiceError as exc:
            print(f"sigdesk-keys: {exc}", file=sys.stderr)
            return 2
        print(f"added {key.label} {key.key_id} to {machine_keys_dir()}")
        problem = admin_only_problem(machine_keys_dir())
        if problem is not None:
            print(f"sigdesk-keys: but the app will not trust it: {problem}", file=sys.stderr)
            return 2
        return 0
    trust = default_trust()
    for key in trust.keys:
        print(f"trusted  {key.key_id}  {key.label} ({key.origin}): "
              f"{describe_signer(key)}")
    for ignored in trust.ignored:
        print(f"NOT trusted  {', '.join(ignored.key_ids)} in {ignored.folder}: "
              f"{ignored.reason}")
    print(f"the administrator's keys go to {machine_keys_dir()}")
    return 1 if trust.ignored else 0


if __name__ == "__main__":
    sys.exit(main())
