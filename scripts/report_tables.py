"""Markdown tables from the project's report files: one renderer per generated region.

Each renderer takes a report (the parsed JSON of a committed report file) and gives back the
Markdown the page shows, with its columns and rounding; ``scripts/docs_tables.py`` says which
region of which page each one fills and writes it there. The reports are the truth.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from desktop.core.signature.decision import DEFAULT_TARGET_FAR, REPORT_NAMES  # noqa: E402


def table(head: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, one line per row, no trailing newline."""
    def line(cells: list[str]) -> str:
        return "|" + "".join(f" {c} |" if c else " |" for c in cells)

    return "\n".join([line(head), "|" + "---|" * len(head), *(line(row) for row in rows)])


def pct(v: float, digits: int = 1) -> str:
    return f"{100 * v:.{digits}f}%"


def pct_trim(v: float) -> str:
    """One decimal, without a trailing ``.0`` (100%, 0%, 92.8%)."""
    s = f"{100 * v:.1f}"
    return (s[:-2] if s.endswith(".0") else s) + "%"


def bold(s: str, on: bool = True) -> str:
    return f"**{s}**" if on else s


# --- benchmarks.md: benchmarks/results/speed/report.json --------------------------------

def speed_stages(part: dict) -> str:
    """Stage latency at batch 1 (mean, p95) and throughput at the largest batch."""
    lat, thr = part["latency_b1"], part["throughput_b32"]["items_per_s"]
    b = part["throughput_b32"]["batch"]
    rows = [[s, f"{v['mean_ms']:.2f}", f"{v['p95_ms']:.2f}",
             f"{thr[s]:.0f}" if s in thr else ""] for s, v in lat.items() if s != "total"]
    total, one = lat["total"], thr.get("all stages, one thread")
    rows.append(["**all stages**", bold(f"{total['mean_ms']:.2f}"),
                 bold(f"{total['p95_ms']:.2f}"),
                 f"{one:.0f} (one thread)" if one is not None else ""])
    return table(["stage", "batch 1 mean ms", "batch 1 p95 ms", f"batch {b} items/s"], rows)


def speed_signature(r: dict) -> str:
    return speed_stages(r["signature"])


def speed_banknote(r: dict) -> str:
    return speed_stages(r["banknote"])


def speed_batch(r: dict) -> str:
    runs = sorted(r["signature_batch"].values(), key=lambda v: v["workers"])
    best = max(v["items_per_s"] for v in runs)
    rows = [[f"{v['workers']}" + (" (no pool)" if v["workers"] == 1 else ""),
             bold(f"{v['items_per_s']:.0f}", v["items_per_s"] == best and len(runs) > 1)]
            for v in runs]
    return table(["decode/preprocess threads", "verifications per second"], rows)


def speed_cheque(r: dict) -> str:
    lat = r["cheque"]["latency"]
    rows = [[s, f"{v['mean_ms']:.1f}", f"{v['p95_ms']:.1f}", f"{v['max_ms']:.1f}"]
            for s, v in lat.items() if s != "total"]
    t = lat["total"]
    rows.append(["**total**", *(bold(f"{t[k]:.1f}") for k in ("mean_ms", "p95_ms", "max_ms"))])
    return table(["stage", "mean ms", "p95 ms", "max ms"], rows)


def speed_methods(r: dict) -> str:
    """Milliseconds of one decision per method (the SVM fits added to a check)."""
    part = r["decide_per_method"]
    rows = [[m, f"{v['mean_ms']:.1f}", f"{v['p95_ms']:.1f}"]
            for m, v in part["per_method"].items()]
    return table([f"decision method (K = {part['references']})", "mean ms", "p95 ms"], rows)


GRAPH_NAMES = {"float32 graph of the same weights": "float32, same weights",
               "shipped graph (int8)": "shipped int8",
               "shipped graph (float32)": "shipped float32"}


def speed_ort(r: dict) -> str:
    """ort/torch per embedder, graph and batch; the signature ratios (the goal) in bold."""
    rows = []
    for embedder, part in r["ort_vs_torch"].items():
        batches = [v for v in part.values() if isinstance(v, dict)]
        graphs = list(dict.fromkeys(g for v in batches for g in v["onnxruntime"]))
        for g in graphs:
            for v in batches:
                o = v["onnxruntime"][g]
                rows.append([embedder, GRAPH_NAMES.get(g, g), str(v["batch"]),
                             f"{o['ms']:.2f}", f"{v['torch_ms']:.2f}",
                             bold(f"{o['ratio']:.2f}x", embedder == "signature")])
    return table(["embedder", "onnxruntime graph", "batch", "ort ms/batch", "torch ms/batch",
                  "ort / torch"], rows)


def speed_memory(r: dict) -> str:
    sig = r["signature"]["latency_b1"]["total"]["n"]
    cheques = r["cheque"]["latency"]["total"]["n"]
    notes = r["banknote"]["latency_b1"]["total"]["n"]
    names = {"signature verification (app, batch)":
             f"signature verification (app: {sig} queries through `verify_batch`)",
             "cheque check (app)": f"cheque check (app: {cheques} cheques)",
             "banknote check (app)": f"banknote check (app: {notes} captures)",
             "torch eager (training)": "torch eager (training code, batch of 32)"}
    rows = [[names.get(k, k), f"{v:.0f}"] for k, v in r["peak_memory_mb"].items()]
    return table(["scenario", "peak RSS MB"], rows)


def speed_cold_start(r: dict) -> str:
    c = r["cold_start"]
    runs = c["spawn_to_ready_ms"]
    rows = [["spawn to READY", f"{c['median_ms']:.0f} ({min(runs):.0f}-{max(runs):.0f})"],
            ["the app's own count from main() to READY", f"{c['median_ms_since_main']:.0f}"],
            ['`python -c "import desktop.core.models.runtime"` (numpy, OpenCV, onnxruntime)',
             f"{c['import_core_runtime_median_ms']:.0f}"],
            ['`python -c "pass"`', f"{c['python_startup_median_ms']:.0f}"]]
    return table(["measure", "median ms"], rows)


def _met(goal: dict, note: str = "") -> str:
    return ("yes" + note) if goal["met"] else "no"


def speed_goals(r: dict) -> str:
    batch, cheque, ort = r["goals"]
    w = r["signature_batch"]
    c = r["cheque"]["latency"]["total"]
    sig = r["ort_vs_torch"]["signature"]
    fp32, int8 = "float32 graph of the same weights", "shipped graph (int8)"
    limit = float(re.findall(r"[\d.]+", cheque["target"])[0])
    rows = [["signature verifications per second in a batch", batch["target"],
             f"{w['workers_2']['items_per_s']:.0f}/s "
             f"({w['workers_1']['items_per_s']:.0f}/s without the thread pool)", _met(batch)],
            ["opened cheque image to a verdict", cheque["target"],
             f"{c['mean_ms']:.1f} ms mean, {c['p95_ms']:.1f} ms p95 (max {c['max_ms']:.1f} ms)",
             _met(cheque, " (mean and p95)" if c["max_ms"] > limit else "")],
            ["onnxruntime against torch eager, same model", ort["target"],
             f"{sig['1']['onnxruntime'][fp32]['ratio']:.2f}x at batch 1, "
             f"{sig['32']['onnxruntime'][fp32]['ratio']:.2f}x at batch 32 (float32); "
             f"{sig['1']['onnxruntime'][int8]['ratio']:.2f}x / "
             f"{sig['32']['onnxruntime'][int8]['ratio']:.2f}x for the shipped int8 graph",
             _met(ort)]]
    return table(["goal", "target", "measured", "met"], rows)


# --- training.md: the signature model ----------------------------------------------------

def signature_security(r: dict, k: str = "5") -> str:
    """Per security level: validation FRR, test FAR / FRR, for distance and writer SVM."""
    dist, svm = (r["results"][k][m]["security_levels"] for m in ("model", "model_svm"))
    rows = []
    for d, s in zip(dist, svm, strict=True):
        far = d["target_far"]
        label = f"{100 * far:g}%" + (" (default)" if far == DEFAULT_TARGET_FAR else "")
        rows.append([label] + [x for lv in (d, s) for x in (
            pct(lv["val_frr"]), f"{pct(lv['test_far_skilled'])} / {pct(lv['test_frr'])}")])
    return table(["target FAR", "distance: val FRR", "test FAR / FRR", "writer SVM: val FRR",
                  "test FAR / FRR"], rows)


METHODS = {"model": "Siamese model, distance", "model_svm": "Siamese model, writer SVM",
           "model_znorm": "Siamese model, z-norm distance",
           "model_fusion": "Siamese model, fusion of distance and SVM",
           "pixel_nn": "pixel nearest neighbour", "random": "random scores"}
APP_METHODS = tuple(REPORT_NAMES.values())  # what the app can run
SETS = {"cedar": "CEDAR (English)", "bhsig260_bengali": "BHSig260 (Bengali)",
        "chinese_cross_media": "Chinese cross-media"}


def _set_k(r: dict, name: str, k: str) -> str:
    """The K a data set is reported at: ``k`` if its writers have enough references (the
    Chinese set has two pen-on-paper crops per name, hence K = 1)."""
    return k if name in r["results"][k]["model"].get("per_set", {}) else "1"


def signature_per_set(r: dict, k: str = "5") -> str:
    """Test skilled EER per data set and method, and what a clerk sees at the default level."""
    rows = []
    for name in SETS:
        kk = _set_k(r, name, k)
        if name not in r["results"][kk]["model"].get("per_set", {}):
            continue
        res = r["results"][kk]
        eers = [pct(res[m]["per_set"][name]["eer_skilled"]) if m in res else ""
                for m in APP_METHODS]
        rows.append([SETS[name], kk, *eers])
    return table(["test writers", "K", "EER distance", "EER writer SVM", "EER z-norm",
                  "EER fusion"], rows)


def signature_clerk(r: dict) -> str:
    """At the default security level, pooled test writers: what a clerk sees, per K."""
    rows = []
    for k in sorted(r["results"], key=int):
        for m in APP_METHODS:
            c = r["results"][k].get(m, {}).get("clerk")
            if c is None:
                continue
            w = c["per_writer"]
            v = r["results"][k][m].get("validation_clerk")
            rows.append([k, METHODS[m].split(", ")[1], pct(c["accepted"]),
                         pct(c["called_forged"]), pct(c["far_skilled"]),
                         f"{pct(w['max'])} ({w['above_10pct']} of {w['writers']})",
                         f"{pct(v['accepted'])} / {pct(v['per_writer']['max'])}" if v else ""])
    return table(["K", "method", "genuine accepted", "genuine called forged",
                  "skilled FAR (pooled)", "worst writer's skilled FAR (writers > 10%)",
                  "validation: accepted / worst writer"], rows)


def signature_robustness(r: dict, k: str = "5") -> str:
    """Change of each data set's skilled EER (points) when the test queries are re-captured."""
    rob = r["robustness"]
    names = [n for n in SETS if any(n in rob["clean"].get(kk, {}) for kk in rob["clean"])]
    rows = [["clean queries (EER)"] + [
        pct(rob["clean"][_set_k(r, n, k)][n]) for n in names]]
    for change, row in rob["changes"].items():
        rows.append([change] + [f"{100 * row[_set_k(r, n, k)]['delta'][n]:+.1f}"
                                for n in names])
    head = [f"{SETS[n]}, K = {_set_k(r, n, k)}" for n in names]
    return table(["test queries", *head], rows)


def signature_search(r: dict) -> str:
    """The search rows: validation EER per data set at the best epoch, the largest move of a
    set's validation EER under the robustness changes, and training time."""
    rows = []
    for row in r["rows"]:
        per = row["val_eer_per_set"]
        move = row.get("val_worst_robustness_move")
        rows.append([row["row"], bold(row["change"], row["row"] == r.get("shipped")),
                     *(pct(per[n]) if n in per else "" for n in SETS),
                     pct(row["val_eer_mean"]),
                     "" if move is None else f"{100 * move:.1f}",
                     f"{row['best_epoch']}/{row['epochs']}", f"{row['train_minutes']:g}"])
    return table(["row", "change", "CEDAR", "Bengali", "Chinese", "mean",
                  "robustness (points)", "best epoch", "minutes"], rows)


def signature_results(r: dict, random_for: tuple[str, ...] = ("5",)) -> str:
    """EER/AUC and FRR/FAR at the validation EER threshold; K descending. Random scores
    (no threshold columns) only for the K in ``random_for``."""
    rows = []
    for k in sorted(r["results"], key=int, reverse=True):
        for m in (*APP_METHODS, "pixel_nn", "random"):
            v = r["results"][k].get(m)
            if v is None or (m == "random" and k not in random_for):
                continue
            row = [k, METHODS[m], pct(v["eer_skilled"]), f"{v['auc_skilled']:.3f}",
                   pct(v["eer_random"])]
            row += (["", "", ""] if m == "random" else
                    [pct(v["frr"]), pct(v["far_skilled"]), pct(v["far_random"])])
            rows.append(row)
    return table(["K", "method", "EER skilled", "AUC skilled", "EER random", "FRR",
                  "FAR skilled", "FAR random"], rows)


def signature_int8(manifest: dict) -> str:
    """float32 against int8 skilled-forgery EER, from the manifest's ``export.quantization``."""
    q = manifest["export"]["quantization"]
    fp32, int8 = q["eer_skilled_float32"], q["eer_skilled_int8"]
    rows = []
    for k in sorted(int8, key=int):
        for m, name in (("distance", "distance"), ("svm", "writer SVM"), ("znorm", "z-norm"),
                        ("fusion", "fusion")):
            if m not in int8[k]:
                continue
            a, b = fp32[k][m], int8[k][m]
            rows.append([k, name, pct(a), pct(b), f"{100 * (b - a):+.1f}"])
    return table(["K", "method", "EER float32", "EER int8", "change"], rows)


# --- training.md: Omniglot and banknotes -------------------------------------------------

LOSS_NAMES = {"triplet-hard": "triplet batch-hard", "triplet-semihard": "triplet semi-hard"}
KOCH = ["Koch et al. 2015 (30 alphabets), for reference", "92.0%", "", ""]  # literature


def omniglot(r: dict) -> str:
    """The official 20-way one-shot runs; Koch et al.'s published figure as the last row."""
    cfg = r["config"]
    names = {"model": f"Siamese model ({cfg['backbone']} CNN, "
                      f"{LOSS_NAMES.get(cfg['loss'], cfg['loss'])}, {cfg['size']}x{cfg['size']})",
             "pixel-NN": "pixel nearest neighbour"}
    rows = [[names.get(m, m), bold(pct(v["accuracy"]), m == "model"),
             f"{100 * v['ci_low']:.1f}-{pct(v['ci_high'])}", f"{v['correct']}/{v['trials']}"]
            for m, v in r["official_runs"].items()]
    return table(["method", "accuracy", "95% CI (Wilson)", "correct"], rows + [KOCH])


def banknote(r: dict) -> str:
    """``python -m training banknote-evaluate``'s measures, as the page words them."""
    kinds = r["per_kind"]
    t = r["time_ms"]

    def enrolled(part: dict, what: str) -> list[str]:
        draws = f" ({part['draws']} draws)" if part["draws"] > 1 else ""
        return [what + draws, f"{pct_trim(part['top1'])} / {pct_trim(part['genuine_flagged'])}"
                f" / {pct_trim(part['counterfeit_flagged'])}"]

    two = r["two_sides"]
    stages = ", ".join(f"{s} {v:.0f}" + (" ms" if i == 0 else "")
                       for i, (s, v) in enumerate(t["stages"].items()))
    oracle = r["detection_at_1pct_oracle"]
    rows = [[f"Denomination top-1 / top-3 (centroids), {r['test_genuine']} genuine captures",
             f"{pct_trim(r['top1'])} / {pct_trim(r['top3'])}"],
            ["Denomination top-1, multi-class SVM", pct_trim(r["svm_top1"])],
            ["Genuine notes flagged suspect (calibrated for 1%)",
             pct_trim(r["genuine_flagged"])],
            [f"Counterfeits flagged ({r['test_counterfeit']}): "
             + ", ".join(k.replace("_", " ") for k in kinds),
             f"{pct_trim(r['counterfeit_flagged'])}: "
             + ", ".join(pct_trim(v)[:-1] for v in kinds.values()) + "%"],
            ["Detection at exactly 1% false alarms on the test notes: distance alone / "
             "counterfeit SVM alone",
             f"{pct_trim(oracle['distance'])} / {pct_trim(oracle['counterfeit_svm'])}"],
            enrolled(r["one_shot_k1"], "New denominations enrolled from 1 picture (found by "
                     "printed detail; authenticity not judged): top-1 / genuine flagged / "
                     "counterfeits flagged"),
            enrolled(r["one_shot_k5"], "New denominations enrolled from 5 pictures"),
            ["Front and back of different notes, both sides checked",
             f"{round(two['glued_pairs_caught'] * two['pairs'])} of {two['pairs']} caught"],
            [f"Time per check ({stages})", f"{t['mean']:.0f} ms mean, {t['p95']:.0f} ms p95"]]
    return table(["Measure", "Value"], rows)


def banknote_real(r: dict) -> str:
    """``python -m training banknote-evaluate --real``: the real-note protocols."""
    rows = []

    def row(name: str, x: dict) -> None:
        rows.append([name, str(x["pictures"]), pct(x["top1"]), pct(x["passed_genuine"]),
                     pct(x["refused"]), f"{x['ms_mean']:.0f} / {x['ms_p95']:.0f}"])

    def plural(n: str, what: str) -> str:
        return f"{n} {what}" + ("" if n == "1" else "s")

    if "eur_photos" in r:
        row(f"EUR photos of one note ({r['eur_photos']['enrolled_sides']} sides, 1 flat picture "
            "each)", r["eur_photos"]["single"])
    for k, part in r.get("eur_brl", {}).items():
        for cur, x in part.items():
            row(f"{cur} scans of the other capture condition ({plural(k.split('_')[0], 'scan')}"
                " per side)", x)
    for k, x in r.get("vnd", {}).items():
        row(f"VND photos in hands ({plural(k.split('_')[0], 'photo')} per denomination)", x)
    text = table(["Real pictures (enrolled from)", "pictures", "named right, verified",
                  "passed as genuine", "refused: no note", "ms per check (mean / p95)"], rows)
    if "eur_photos" in r:
        s = r["eur_photos"]["several"]
        text += (f"\n\nEUR photos with several notes: {s['found_and_named']} of {s['notes']} notes "
                 f"found and named in {s['photos']} photos, {s['extra_or_wrong']} extra or "
                 f"wrong ({s['ms_mean']:.0f} ms per photo).")
    if r.get("not_enrolled"):
        parts = [f"{name} {pct(x['named_another_passed'])} passed as another denomination, "
                 f"{pct(x['named_another_suspect'])} named another but suspect, "
                 f"{pct(x['unknown_note'] + x['no_banknote'])} unknown or refused "
                 f"({x['pictures']})" for name, x in r["not_enrolled"].items()]
        text += (" Notes of a denomination not enrolled (each left out in turn): "
                 + "; ".join(parts) + ".")
    nn = r["no_note"]
    text += (f" Pictures without a note ({nn['pictures']}: tables, blank desks, printed pages): "
             f"{pct_trim(nn['no_banknote'])} refused as \"no banknote\", "
             f"{pct_trim(nn['no_side_verified'])} with no side verified.")
    if "no_note_paper" in r:
        pp = r["no_note_paper"]
        text += (f" Real scans of paper without a note ({pp['pictures']} signature scans of "
                 f"the three signature sets, euro sides enrolled): "
                 f"{pct_trim(pp['no_banknote'])} refused as \"no banknote\", "
                 f"{pct_trim(pp['no_side_verified'])} with no side verified.")
    return text


LOCO_PROTOCOLS = {"scans_k1": "scans, other condition, 1 per side",
                  "scans_k4": "scans, other condition, 4 per side",
                  "eur_photos_k1": "photos of one note, 1 flat picture per side",
                  "photos_k1": "photos in hands, 1 per denomination",
                  "photos_k5": "photos in hands, 5 per denomination"}


def banknote_loco(r: dict) -> str:
    """``python -m training banknote-loco``: the embedder's leave-one-currency-out top-1, the
    shipped embedder against one trained without the held-out currency."""
    rows = []
    for cur, base in r["baseline"].items():
        fold = r["folds"].get(cur, {}).get("scores", {})
        for key, name in LOCO_PROTOCOLS.items():
            if key in base:
                rows.append([f"{cur} {name}", pct(base[key]),
                             pct(fold[key]) if key in fold else "not run"])
    return table(["Held-out currency, protocol", "shipped embedder (invented notes only)",
                  "trained without that currency"], rows)
