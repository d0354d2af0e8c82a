"""The timed concurrency load run (formerly the body of tests/test_store_concurrency.py): N
clerk-PC processes, each with the real signature model, run a random mix of creating
accounts, enrolling, checking cheques and deciding, enrolling reference notes, revoking and
logging in on one shared store for T seconds; then the store is held to exactly what the
workers reported (each once, audit chain and row digests verified).

    python benchmarks/store_concurrency.py LOCATION [seconds] [processes]

LOCATION is a throw-away SQLite file (created) or an empty postgresql:// database (e.g.
$SIGDESK_TEST_PG_URL after `source .ci/postgres.sh`). The test itself runs a fixed script per
worker instead (no time limit).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the load for the given time and print one line of counts and the rate."""
    sys.path.insert(0, str(ROOT))
    from desktop.core.paths import default_signature_model
    from tests.store_workload import set_up
    from tests.test_store_concurrency import _check_store, run_workers
    from training.signature.cheques import generate_cheque_set

    location = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    with tempfile.TemporaryDirectory() as tmp:
        cheques = generate_cheque_set(Path(tmp), n_accounts=2, references=5, genuine=1,
                                      forged=1, seed=11)
        setup_rows = set_up(location)
        reports = run_workers(location, default_signature_model(), cheques, seconds, workers)
        _check_store(location, reports, setup_rows)
    print("store verified: every reported row once, audit chain and row digests intact")


if __name__ == "__main__":
    main()
