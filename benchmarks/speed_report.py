"""The goals and the Markdown tables of ``benchmarks/pipeline_speed.py``'s report."""

from __future__ import annotations

GOAL_BATCH_PER_S = 200.0  # signature verifications per second in a batch, 2 CPU cores
GOAL_CHEQUE_MS = 100.0  # from an opened cheque image to a verdict
GOAL_ORT_RATIO = 2.0  # onnxruntime against torch eager, same model and batch


def goals(r: dict) -> list[dict]:
    """The issue's three goals, each with the figure measured and whether it is met."""
    batch = r["signature_batch"]["workers_2"]["items_per_s"]
    cheque = r["cheque"]["latency"]["total"]
    parts = {b: v["onnxruntime"] for b, v in r["ort_vs_torch"]["signature"].items()
             if isinstance(v, dict)}
    graph = next(iter(next(iter(parts.values()))))  # the same-weights float32 one when run
    ratios = {b: v[graph]["ratio"] for b, v in parts.items()}
    worst = min(ratios.values())
    return [
        {"goal": "signature verifications per second in a batch (2 CPU cores)",
         "target": f">= {GOAL_BATCH_PER_S:.0f}/s", "measured": f"{batch:.0f}/s",
         "met": batch >= GOAL_BATCH_PER_S},
        {"goal": "opened cheque image to a verdict (mean over the cheques)",
         "target": f"<= {GOAL_CHEQUE_MS:.0f} ms",
         "measured": f"{cheque['mean_ms']:.1f} ms (p95 {cheque['p95_ms']:.1f} ms)",
         "met": cheque["mean_ms"] <= GOAL_CHEQUE_MS},
        {"goal": f"onnxruntime ({graph}) against torch eager, signature embedder",
         "target": f">= {GOAL_ORT_RATIO:.0f}x",
         "measured": ", ".join(f"{v:.2f}x at batch {b}" for b, v in ratios.items()),
         "met": worst >= GOAL_ORT_RATIO},
    ]


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *["| " + " | ".join(row) + " |" for row in rows], ""]


def _stages(title: str, part: dict) -> list[str]:
    lat, thr = part["latency_b1"], part["throughput_b32"]["items_per_s"]
    rows = [[s, f"{v['mean_ms']:.2f}", f"{v['p95_ms']:.2f}",
             f"{thr[s]:.0f}" if s in thr else ""] for s, v in lat.items() if s != "total"]
    total = lat["total"]
    rows.append(["**all stages**", f"**{total['mean_ms']:.2f}**", f"**{total['p95_ms']:.2f}**",
                 f"{thr.get('all stages, one thread', 0):.0f} (one thread)"
                 if "all stages, one thread" in thr else ""])
    b = part["throughput_b32"]["batch"]
    return [f"**{title}** ({total['n']} items at batch 1, {part['throughput_b32']['items']} "
            f"at batch {b})", "", *_table(["stage", "batch 1 mean ms", "batch 1 p95 ms",
                                           f"batch {b} items/s"], rows)]


def markdown(r: dict) -> str:
    """Every table of the report, with the conditions it was measured in."""
    m = r["meta"]
    mach = m["machine"]
    out = [f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['system']}; Python "
           f"{mach['python']}, onnxruntime {mach['onnxruntime']}, OpenCV {mach['opencv']}; "
           f"{m['threads']} threads, provider {m['provider']}; load average before "
           f"{m['load_before'][0]:.2f}, after {m['load_after'][0]:.2f} (this run included)"
           + (f"; other programs used {m['other_programs_cpu_cores']:.2f} cores on average "
              "meanwhile" if m.get("other_programs_cpu_cores") is not None else "")
           + (" (**quick run: rough figures**)" if m["quick"] else ""),
           f"Signatures: {m['signature_data']}, {m['references_per_account']} references per "
           f"account, model {m['signature_model']}, decision "
           f"{r['signature']['method']} at target FAR {r['signature']['target_far']}. "
           f"Cheques: {m['cheques']}. Banknotes: {m['captures']}, model {m['banknote_model']}.",
           "", f"`{m['command']}`", ""]
    out += _stages("Signatures: query file -> verdict against the account's references",
                   r["signature"])
    out += _stages("Banknotes: capture file -> denomination and verdict (both turns "
                   "embedded)", r["banknote"])
    out += ["At batch 32 (both tables): decoding, preprocessing, deciding and classifying are "
            "per item, one after the other on one thread; embedding is one onnxruntime call "
            "for the batch (64 tensors for 32 notes: both turns).", ""]

    rows = [[f"{v['workers']}", f"{v['items']}", f"{v['items_per_s']:.0f}",
             ", ".join(f"{x:.0f}" for x in v["all_items_per_s"])]
            for v in r["signature_batch"].values()]
    out += ["**Signature verifications in a batch** (`SignatureVerifier.verify_batch`: files "
            "decoded and preprocessed on a thread pool, embedded 32 at a time, each decided)",
            "", *_table(["decode/preprocess threads", "verifications", "per second (median)",
                         "each repeat"], rows)]

    ch = r["cheque"]
    rows = [[s, f"{v['mean_ms']:.1f}", f"{v['p95_ms']:.1f}", f"{v['max_ms']:.1f}"]
            for s, v in ch["latency"].items()]
    rows[-1] = [f"**{c}**" for c in rows[-1]]
    fmts = ", ".join(f"{f} {ms:.0f} ms" for f, ms in ch["per_format_mean_ms"].items())
    out += ["**Cheque: image file opened -> verdict** (one cheque at a time)", "",
            *_table(["stage", "mean ms", "p95 ms", "max ms"], rows),
            f"Mean per format: {fmts}.", ""]

    rows = []
    for model, part in r["ort_vs_torch"].items():
        for b, v in part.items():
            if not isinstance(v, dict):
                continue
            for graph, o in v["onnxruntime"].items():
                rows.append([model, graph, b, f"{o['ms']:.2f}", f"{v['torch_ms']:.2f}",
                             f"{o['items_per_s']:.0f}", f"{v['torch_items_per_s']:.0f}",
                             f"**{o['ratio']:.2f}x**"])
    weights = "; ".join(f"{k}: torch with {v['torch_weights']}"
                        for k, v in r["ort_vs_torch"].items())
    out += ["**onnxruntime against torch eager** (same inputs, alternating rounds in one run; "
            f"{weights})", "",
            *_table(["embedder", "onnxruntime graph", "batch", "ort ms/batch",
                     "torch ms/batch", "ort items/s", "torch items/s", "ort / torch"], rows)]

    out += ["**Peak memory** (peak RSS of a fresh process per scenario)", "",
            *_table(["scenario", "peak RSS MB"],
                    [[k, f"{v:.0f}"] for k, v in r["peak_memory_mb"].items()])]
    cs = r.get("cold_start")
    if cs:
        out += [f"**Cold start** (`{cs['command']}`, {cs['runs']} runs)", "",
                *_table(["measure", "median ms"], [
                    ["spawn to READY (window shown, model loaded)", f"{cs['median_ms']:.0f}"],
                    ["the app's own count from main() to READY",
                     f"{cs['median_ms_since_main']:.0f}"],
                    ["`python -c \"import desktop.core.models.runtime\"`",
                     f"{cs['import_core_runtime_median_ms']:.0f}"],
                    ["`python -c \"pass\"`", f"{cs['python_startup_median_ms']:.0f}"]])]
    out += ["**Goals**", "", *_table(["goal", "target", "measured", "met"], [
        [g["goal"], g["target"], g["measured"], "yes" if g["met"] else "**no**"]
        for g in r["goals"]])]
    return "\n".join(out).rstrip()
