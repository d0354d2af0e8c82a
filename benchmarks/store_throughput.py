"""Store-only throughput (no model): N processes each run the store side of a cheque check
(read the account's references, append the 'verify' audit row, then in one transaction add
the decision and its audit row) for T seconds, then the audit chain and integrity are checked.

    python benchmarks/store_throughput.py LOCATION [processes] [seconds]

LOCATION is an SQLite file or a postgresql:// URL (e.g. $SIGDESK_TEST_PG_URL after
`source .ci/postgres.sh`); use a throw-away store: the benchmark writes into it.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time

import numpy as np


def worker(location: str, seconds: float, barrier, out) -> None:
    """One clerk PC: the store side of cheque checks as fast as it can for ``seconds``."""
    from desktop.core.store.factory import open_store
    from desktop.core.store.records import Decision

    store = open_store(location)
    acc = store.get_account("1")
    barrier.wait()
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        refs = store.references(acc.id)
        v = store.append_audit("carl", "verify", "1", "m", {"refs": [r.id for r in refs]})
        with store.transaction():
            d = store.add_decision(Decision(v.id, acc.id, "c.png", "0" * 64, "m", "distance",
                                            0.2, 0.8, "genuine", "accept", "", "carl"))
            store.append_audit("carl", "decision", "1", "m", {"decision_id": d})
        n += 1
    store.close()
    out.put(n)


def main() -> None:
    """Run the benchmark and print one line."""
    from desktop.core.store.factory import open_store
    from desktop.core.store.records import NewReference

    location = sys.argv[1]
    procs_n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    store = open_store(location, create=True)  # a throw-away store: made when missing
    with store.transaction():
        acc = store.get_account("1") or store.create_account("1", "Holder", "op")
        if not store.references(acc.id):
            store.add_references(acc.id, [NewReference(b"x" * 20000, np.ones(256), "m",
                                                       f"r{i}") for i in range(5)], "op", "e")
        store.append_audit("op", "enroll", "1", "m")
    store.close()
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(procs_n + 1), ctx.Queue()
    ps = [ctx.Process(target=worker, args=(location, seconds, barrier, out))
          for _ in range(procs_n)]
    for p in ps:
        p.start()
    barrier.wait()
    total = sum(out.get() for _ in ps)
    for p in ps:
        p.join()
    store = open_store(location)
    check = store.verify_audit()
    print(f"{procs_n} processes x {seconds:.0f} s: {total} checks ({total / seconds:.0f}/s, "
          f"{3 * total / seconds:.0f} audited writes/s); chain ok={check.ok} rows={check.rows}; "
          f"integrity={store.integrity_check()}")


if __name__ == "__main__":
    main()
