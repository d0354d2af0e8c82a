"""Timed stages for ``benchmarks/pipeline_speed.py``, each through the app's own core code.

Latency at batch 1: every item goes through the stages one at a time (mean and 95th
percentile per stage). Throughput at batch 32: 32 items pass each stage before the next
stage starts; decoding, preprocessing and deciding are per-item operations run back to back
on one thread, embedding is one onnxruntime call for the 32 items.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from speed_data import ChequeFile, SignatureWorkload

SIGNATURE_STAGES = ("decode", "preprocess", "embed", "decide")
CHEQUE_STAGES = ("open and decode", "extract signature", "preprocess", "embed", "decide")
BANKNOTE_STAGES = ("decode", "find and rectify", "preprocess", "embed", "classify and judge")


def summary(ms: Sequence[float]) -> dict[str, float]:
    """Mean, median, 95th percentile and maximum of milliseconds, and the count."""
    a = np.asarray(ms, dtype=np.float64)
    return {"mean_ms": float(a.mean()), "p50_ms": float(np.median(a)),
            "p95_ms": float(np.percentile(a, 95)), "max_ms": float(a.max()), "n": int(a.size)}


def _clock() -> float:
    return time.perf_counter() * 1000.0


def default_decision() -> tuple[str, float | None]:
    """The method and security level a new branch starts with (the app's defaults)."""
    from desktop.core.branch.decisions import DecisionSettings

    s = DecisionSettings()
    return s.method, s.target_far


def account_references(verifier, workload: SignatureWorkload) -> list[np.ndarray]:
    """Each account's reference embeddings, as the store keeps them after enrollment."""
    return [verifier.embed_inkmaps([verifier.prepare(p).inkmap for p in a.references])
            for a in workload.accounts]


def account_widths(verifier, workload: SignatureWorkload) -> list[list[float]]:
    """Each account's references' scanned stroke widths, which the contract's pen matching
    reads (empty lists when it does not match pens), as measured when each is prepared."""
    if not verifier.manifest.preprocessing.match_pen:
        return [[] for _ in workload.accounts]
    return [[verifier.prepare(p).width for p in a.references] for a in workload.accounts]


def query_jobs(workload: SignatureWorkload, refs: list,
               n: int) -> list[tuple[Path, Any]]:
    """``n`` (query file, what its account keeps: ``refs[account]``, e.g. the reference
    embeddings) pairs, cycling the queries."""
    every = [(q, r) for a, r in zip(workload.accounts, refs, strict=True) for q in a.queries]
    return list(itertools.islice(itertools.cycle(every), n))


def signature_stages(verifier, jobs: list[tuple[Path, np.ndarray]], batch: int = 32,
                     warmup: int = 3) -> dict:
    """Per-stage latency at batch 1 and throughput at batch ``batch`` for signatures."""
    from desktop.core.imaging.decode import load_gray
    from desktop.core.signature.preprocess import preprocess_signature

    method, far = default_decision()
    prep = verifier.manifest.preprocessing
    for path, refs in jobs[:warmup]:
        verifier.decide(refs, verifier.embed_inkmaps(
            [preprocess_signature(load_gray(path), prep, path)])[0], method, far)
    lat: dict[str, list[float]] = {s: [] for s in (*SIGNATURE_STAGES, "total")}
    verdicts: dict[str, int] = {}
    for path, refs in jobs:
        t0 = _clock()
        gray = load_gray(path)
        t1 = _clock()
        inkmap = preprocess_signature(gray, prep, path)
        t2 = _clock()
        query = verifier.embed_inkmaps([inkmap])[0]
        t3 = _clock()
        result = verifier.decide(refs, query, method, far)
        t4 = _clock()
        for stage, ms in zip(lat, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
            lat[stage].append(ms)
        verdicts[result.decision] = verdicts.get(result.decision, 0) + 1

    spent = dict.fromkeys(SIGNATURE_STAGES, 0.0)
    items = 0
    for start in range(0, len(jobs) - batch + 1, batch):
        part = jobs[start: start + batch]
        t0 = _clock()
        grays = [load_gray(p) for p, _ in part]
        t1 = _clock()
        inkmaps = [preprocess_signature(g, prep, p) for g, (p, _) in zip(grays, part,
                                                                          strict=True)]
        t2 = _clock()
        emb = verifier.embed_inkmaps(inkmaps)
        t3 = _clock()
        for (_, refs), query in zip(part, emb, strict=True):
            verifier.decide(refs, query, method, far)
        t4 = _clock()
        for stage, ms in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            spent[stage] += ms
        items += len(part)
    through = {s: 1000.0 * items / ms for s, ms in spent.items() if ms > 0}
    through["all stages, one thread"] = 1000.0 * items / sum(spent.values())
    return {"method": method, "target_far": far, "verdicts": verdicts,
            "latency_b1": {s: summary(v) for s, v in lat.items()},
            "throughput_b32": {"batch": batch, "items": items, "items_per_s": through}}


def signature_batch(verifier, jobs: list[tuple[Path, np.ndarray]], workers: Sequence[int],
                    repeats: int, widths: list[list[float]] | None = None) -> dict:
    """Verifications per second through :meth:`SignatureVerifier.verify_batch` (files
    decoded and preprocessed on a thread pool, embedded 32 at a time, each decided; each
    query's pen matched to its references' ``widths`` when given)."""
    method, far = default_decision()
    verifier.verify_batch(jobs[:32], method, far, workers=max(workers),
                          widths=widths[:32] if widths else None)  # warm-up
    out = {}
    for w in workers:
        rates = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            results = verifier.verify_batch(jobs, method, far, workers=w, widths=widths)
            rates.append(len(results) / (time.perf_counter() - t0))
        failed = sum(not hasattr(r, "decision") for r in results)
        out[f"workers_{w}"] = {"workers": w, "items": len(jobs), "repeats": repeats,
                               "items_per_s": float(np.median(rates)),
                               "all_items_per_s": [round(r, 1) for r in rates],
                               "failed": failed}
    return out


def decide_per_method(verifier, jobs: list[tuple[Path, np.ndarray]], n: int = 60,
                      warmup: int = 3) -> dict:
    """Milliseconds of one ``decide`` (query embedding against its account's references) for
    each decision method the model offers, at the default level: what choosing a method in
    Settings adds to every check (the SVM and the fusion fit one SVM per check)."""
    from desktop.core.imaging.decode import load_gray
    from desktop.core.signature.preprocess import preprocess_signature

    prep = verifier.manifest.preprocessing
    picked = jobs[:n]
    queries = verifier.embed_inkmaps([preprocess_signature(load_gray(p), prep, p)
                                      for p, _ in picked])
    out = {}
    for method in verifier.methods():
        for (_, refs), q in list(zip(picked, queries, strict=True))[:warmup]:
            verifier.decide(refs, q, method)
        ms = []
        for (_, refs), q in zip(picked, queries, strict=True):
            t0 = _clock()
            verifier.decide(refs, q, method)
            ms.append(_clock() - t0)
        out[method] = summary(ms)
    return {"references": int(len(picked[0][1])) if picked else 0, "per_method": out}


def cheque_end_to_end(verifier, cheques: list[ChequeFile], warmup: int = 2) -> dict:
    """From a cheque image file opened to a verdict, per cheque, with the stages' share. The
    preprocessing stage is the branch service's: under pen matching it reads the references'
    stroke widths from their stored PNG scans first, each scan once (:class:`StoredWidths`:
    a cheque of an account checked before finds them measured; what the warm-up measured is
    forgotten before the timing)."""
    import cv2

    from desktop.core.branch.files import decode_png
    from desktop.core.imaging.decode import load_pages
    from desktop.core.signature.cheque import DEFAULT_ZONE, extract_signature
    from desktop.core.signature.preprocess import matched_inkmap
    from desktop.core.signature.stored_widths import StoredWidths

    method, far = default_decision()
    prep = verifier.manifest.preprocessing
    prepared = [[verifier.prepare(r) for r in c.references] for c in cheques]
    refs = [verifier.embed_inkmaps([p.inkmap for p in ps]) for ps in prepared]
    stored = {c.path: [cv2.imencode(".png", p.gray)[1].tobytes() for p in ps]
              for c, ps in zip(cheques, prepared, strict=True)}

    def one(c: ChequeFile, r: np.ndarray) -> tuple[list[float], str]:
        t0 = _clock()
        pages = load_pages(c.path, data=c.path.read_bytes())
        t1 = _clock()
        ext = extract_signature(pages[0], DEFAULT_ZONE, c.path)
        t2 = _clock()
        widths = measured.widths([(b, None) for b in stored[c.path]], prep)
        inkmap, _ = matched_inkmap(ext.signature, prep, c.path, widths)
        t3 = _clock()
        query = verifier.embed_inkmaps([inkmap])[0]
        t4 = _clock()
        result = verifier.decide(r, query, method, far)
        t5 = _clock()
        return [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t5 - t0], result.decision

    measured = StoredWidths(decode_png)
    for c, r in list(zip(cheques, refs, strict=True))[:warmup]:
        one(c, r)
    measured = StoredWidths(decode_png)  # as a branch's service starts: nothing measured
    lat: dict[str, list[float]] = {s: [] for s in (*CHEQUE_STAGES, "total")}
    per_format: dict[str, list[float]] = {}
    verdicts: dict[str, dict[str, int]] = {"genuine cheques": {}, "forged cheques": {}}
    for c, r in zip(cheques, refs, strict=True):
        times, verdict = one(c, r)
        for stage, ms in zip(lat, times, strict=True):
            lat[stage].append(ms)
        per_format.setdefault(c.fmt, []).append(times[-1])
        kind = verdicts["forged cheques" if c.forged else "genuine cheques"]
        kind[verdict] = kind.get(verdict, 0) + 1
    return {"method": method, "target_far": far, "verdicts": verdicts,
            "latency": {s: summary(v) for s, v in lat.items()},
            "per_format_mean_ms": {f: float(np.mean(v)) for f, v in per_format.items()}}


def banknote_stages(model, files: list[Path], batch: int = 32, warmup: int = 1) -> dict:
    """Per-stage latency of a banknote check (the check's own stage timings plus the
    decoding) and throughput at batch ``batch`` (embedding both turns of the batch's notes in
    one call)."""
    import cv2

    from desktop.core.banknote.detect import load_bgr, read_note
    from desktop.core.banknote.preprocess import preprocess_banknote

    for path in files[:warmup]:
        model.check(load_bgr(path), path)
    lat: dict[str, list[float]] = {s: [] for s in (*BANKNOTE_STAGES, "total")}
    verdicts: dict[str, int] = {}
    for path in files:
        t0 = _clock()
        image = load_bgr(path)
        decode = _clock() - t0
        check = model.check(image, path)
        times = [decode, *(check.timings_ms[s] for s in BANKNOTE_STAGES[1:])]
        for stage, ms in zip(lat, [*times, sum(times)], strict=True):
            lat[stage].append(ms)
        verdicts[check.verdict] = verdicts.get(check.verdict, 0) + 1

    prep = model.manifest.preprocessing
    spent = dict.fromkeys(BANKNOTE_STAGES[:4], 0.0)
    items = 0
    for start in range(0, len(files) - batch + 1, batch):
        part = files[start: start + batch]
        t0 = _clock()
        images = [load_bgr(p) for p in part]
        t1 = _clock()
        notes = [read_note(im, p, prep).upright for im, p in zip(images, part, strict=True)]
        t2 = _clock()
        tensors = np.stack([preprocess_banknote(n, prep) for note in notes
                            for n in (note, cv2.rotate(note, cv2.ROTATE_180))])
        t3 = _clock()
        model.embed(tensors)
        t4 = _clock()
        for stage, ms in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            spent[stage] += ms
        items += len(part)
    through = {s: 1000.0 * items / ms for s, ms in spent.items() if ms > 0}
    # Classifying is per note (centroid graph, SVMs, nearest references) whatever the batch.
    classify = lat["classify and judge"]
    through["classify and judge"] = 1000.0 * len(classify) / sum(classify)
    return {"verdicts": verdicts, "latency_b1": {s: summary(v) for s, v in lat.items()},
            "throughput_b32": {"batch": batch, "items": items, "items_per_s": through}}


def race(fns: dict[str, Callable[[], object]], rounds: int, seconds: float) -> dict[str, float]:
    """Median milliseconds per call of each function, alternating between them in
    ``rounds`` rounds of about ``seconds`` each, so that load changes hit all alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            end = time.perf_counter() + seconds
            while True:
                t0 = time.perf_counter()
                fn()
                t1 = time.perf_counter()
                times[name].append((t1 - t0) * 1000.0)
                if t1 > end:
                    break
    return {name: float(np.median(v)) for name, v in times.items()}


def ort_vs_torch(ort_graphs: dict[str, Callable[[np.ndarray], object]], torch_model,
                 x: np.ndarray, batches: Sequence[int], rounds: int, seconds: float) -> dict:
    """onnxruntime graphs against torch eager on the same inputs, batch by batch, timed in
    alternating rounds of one run; a ratio above 1 means onnxruntime is faster."""
    import torch

    out = {}
    for b in batches:
        xb = np.ascontiguousarray(x[:b])
        tb = torch.from_numpy(xb)

        def torch_embed(tb=tb) -> object:
            with torch.inference_mode():
                return torch_model(tb)

        fns = {name: (lambda fn=fn, xb=xb: fn(xb)) for name, fn in ort_graphs.items()}
        ms = race({**fns, "torch": torch_embed}, rounds, seconds)
        out[str(b)] = {"batch": b, "torch_ms": ms["torch"],
                       "torch_items_per_s": 1000.0 * b / ms["torch"],
                       "onnxruntime": {name: {"ms": ms[name],
                                              "items_per_s": 1000.0 * b / ms[name],
                                              "ratio": ms["torch"] / ms[name]}
                                       for name in ort_graphs}}
    return out
