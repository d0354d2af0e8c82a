"""Int8 static quantisation of the signature embedder, and whether it is worth shipping.

    python -m training.signature.quantize --model FLOAT32_FOLDER --out WORK_FOLDER
        [--ship exported_models/signature] [--calibration 256] [--full-range]

Steps: onnxruntime's pre-processing (graph optimisation; the symbolic shape inference is
skipped, it cannot follow the normalisation's Expand node), then ``quantize_static`` in QDQ
format with per-channel int8 weights in a 7-bit range (onnxruntime's advice for AVX2 CPUs
without VNNI, where full-range u8s8 products can saturate) and uint8 activations, calibrated
(min-max) on ``--calibration`` preprocessed images of the model's *training* writers
(genuine and skilled forgeries, never a validation or test writer). Both graphs then go
through the evaluation of ``python -m training evaluate``
(:func:`training.signature.evaluate.evaluate_features`: held-out test writers, 10 draws of K
references, validation-calibrated thresholds, the writer SVM against the training writers'
background), with the embeddings each ONNX graph gives through onnxruntime, and are timed at
batch 1 and 32 in alternating rounds. ``WORK_FOLDER`` gets ``int8.onnx`` and
``quantization.json`` (EERs, speeds, the verdict).

The verdict: ship only if int8 is faster at both batch sizes and its skilled-forgery EER is
not worse than float32's by more than 0.5 points at any K, for either decision method. With
``--ship`` a passing model is written as a complete model folder (see :func:`ship`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from desktop.core.signature.decision import REPORT_NAMES
from desktop.core.signature.preprocess import SignaturePreprocessing

EER_TOLERANCE = 0.005  # 0.5 percentage points


def calibration_inputs(split: dict, data: str | Path, count: int, seed: int,
                       prep: SignaturePreprocessing) -> np.ndarray:
    """``count`` images of the training writers (genuine and forged), preprocessed by the
    model's own contract ``prep``."""
    from training.signature.data import SignatureImages, read_many
    from training.signature.train import clean_inkmaps

    samples = [s for s in read_many(data) if s.writer in set(split["train"])]
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(len(samples), size=min(count, len(samples)), replace=False))
    return clean_inkmaps(SignatureImages([samples[i] for i in pick]), prep)


def quantize(fp32: Path, out: Path, inputs: np.ndarray, input_name: str,
             reduce_range: bool = False) -> Path:
    """Write the QDQ int8 model calibrated on ``inputs`` to ``out/int8.onnx``."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{input_name: inputs[i: i + 32]}
                                 for i in range(0, len(inputs), 32)])

        def get_next(self) -> dict | None:
            return next(self.batches, None)

    pre, target = out / "fp32_preprocessed.onnx", out / "int8.onnx"
    quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
    quantize_static(str(pre), str(target), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, reduce_range=reduce_range,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax)
    pre.unlink()
    return target


def embed(session, x: np.ndarray, input_name: str, output_name: str) -> np.ndarray:
    """L2-normalised embeddings of ``x`` in chunks of 64, as the app computes them."""
    out = np.concatenate([session.run([output_name], {input_name: x[i: i + 64]})[0]
                          for i in range(0, len(x), 64)])
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def evaluation(session, names: tuple[str, str], prep: SignaturePreprocessing, split: dict,
               data: str | Path, ks: list[int], draws: int, seed: int = 0,
               pixels: bool = False) -> dict:
    """The evaluation of ``python -m training evaluate`` on one ONNX graph's embeddings (see
    the module doc): ``results`` per K and method, the validation ``calibration``, the raw
    test scores for plots, the training writers' ``background`` and the skilled ``eer``
    table. ``pixels`` adds the raw-pixel nearest-neighbour baseline."""
    from training.signature.data import SignatureImages, background_samples, read_many
    from training.signature.evaluate import evaluate_features, pen_for
    from training.signature.robustness import robustness
    from training.signature.train import clean_inkmaps

    samples = read_many(data)
    everything = SignatureImages([s for s in samples if s.writer in
                                  set(split["validation"]) | set(split["test"])])
    val, test = everything.subset(split["validation"]), everything.subset(split["test"])
    background = embed(session, clean_inkmaps(SignatureImages(
        background_samples(samples, split["train"])), prep), *names)
    val_in, test_in = clean_inkmaps(val, prep), clean_inkmaps(test, prep)
    features = {"model": embed(session, test_in, *names)}
    val_features = {"model": embed(session, val_in, *names)}
    if pixels:
        features["pixel_nn"] = test_in.reshape(len(test_in), -1)
        val_features["pixel_nn"] = val_in.reshape(len(val_in), -1)

    def graph(x: np.ndarray) -> np.ndarray:
        return embed(session, x, *names)

    test_pen = pen_for(test, prep, graph, as_scanned=features["model"])
    val_pen = pen_for(val, prep, graph, as_scanned=val_features["model"])
    results, calibration, raw = evaluate_features(features, val, test, val_features, ks,
                                                  draws, seed, background=background,
                                                  val_pen=val_pen, test_pen=test_pen)
    eer = {str(k): {m: results[str(k)][name]["eer_skilled"] for m, name in REPORT_NAMES.items()}
           for k in ks}
    out = {"results": results, "calibration": calibration, "raw": raw,
           "background": background, "eer": eer}
    if pixels:  # the graph to ship: its robustness checks too
        out["robustness"] = robustness(graph, test, prep, features["model"],
                                       [k for k in ks if k in (1, 5)], draws, seed + 1,
                                       pen=test_pen)
    return out


def timings(sessions: dict, x: np.ndarray, input_name: str, rounds: int = 5,
            seconds: float = 0.5) -> dict:
    """Median ms per call at batch 1 and 32 for each session, alternating rounds."""
    out: dict = {name: {} for name in sessions}
    for b in (1, 32):
        feed = {input_name: np.ascontiguousarray(x[:b])}
        times: dict = {name: [] for name in sessions}
        for s in sessions.values():
            s.run(None, feed)
        for _ in range(rounds):
            for name, s in sessions.items():
                end = time.perf_counter() + seconds
                while time.perf_counter() < end:
                    t0 = time.perf_counter()
                    s.run(None, feed)
                    times[name].append((time.perf_counter() - t0) * 1000)
        for name in sessions:
            out[name][str(b)] = float(np.median(times[name]))
    return out


def ship(int8: Path, source: Path, target: Path, split: dict, data: str | Path,
         ev: dict, quantization: dict, key: Path | None = None,
         preprocessing: SignaturePreprocessing | None = None) -> Path:
    """Write a complete model folder at ``target``: the int8 graph as ``embedder.onnx``, a
    manifest with its own SHA-256 and model id, the calibration, security levels and test
    report of the int8 evaluation (``ev``), and ``background.npy`` embedded by the int8
    graph through the app's runtime (:func:`training.signature.export.write_background`); signed
    with ``key`` (Ed25519 private key PEM) when given. ``preprocessing`` replaces the
    source's contract (the one ``ev`` was made under)."""
    import datetime as dt
    import shutil

    from desktop.core.models.manifest import read_manifest_json, write_manifest
    from desktop.core.models.signing import SIGNATURE_NAME, sha256_of, sign_model
    from training.signature.evaluate import __doc__ as protocol_doc
    from training.signature.export import BACKGROUND_FILE, MODEL_FILE, write_background
    from training.signature.report import plot_report, summary_table

    _, raw = read_manifest_json(source, ("model_file",), "model folder")
    carried = {name: (source / name).read_bytes() for name in ("split.json", "history.json")
               if (source / name).is_file()}
    old_report = json.loads((source / "report.json").read_text()) \
        if (source / "report.json").is_file() else {}
    target.mkdir(parents=True, exist_ok=True)
    for name, blob in carried.items():
        (target / name).write_bytes(blob)
    (target / BACKGROUND_FILE).unlink(missing_ok=True)
    (target / SIGNATURE_NAME).unlink(missing_ok=True)  # an old signature no longer applies
    shutil.copyfile(int8, target / MODEL_FILE)
    ks = sorted(int(k) for k in ev["results"])
    plots = []
    for k in ks:
        plots += plot_report(ev["raw"], target, k, "held-out test writers, int8 model")
    summary = summary_table(ev["results"], ks)
    calibration = dict(ev["calibration"])
    calibration.update(data=f"validation writers {split['validation']} of {data}",
                       draws=quantization["draws"])
    calibration["svm"]["background_writers"] = list(split["train"])
    report = {"protocol": protocol_doc.strip().split("\n\n")[1].replace("\n", " "),
              "data": data, "writers": {k: split[k] for k in ("train", "validation",
                                                                   "test")},
              "draws": quantization["draws"], "seed": quantization["seed"],
              "training": old_report.get("training", {}), "results": ev["results"],
              "summary": summary, "robustness": ev.get("robustness"), "plots": plots,
              "quantization": quantization}
    if "writer_svm" in old_report:
        report["writer_svm"] = old_report["writer_svm"]
    (target / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    digest = sha256_of(target / MODEL_FILE)
    raw = {k: v for k, v in raw.items() if k != "background"}
    if preprocessing is not None:
        raw["preprocessing"] = preprocessing.to_dict()
    raw.update(model_file=MODEL_FILE, sha256=digest, model_id=f"signature-{digest[:12]}",
               created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               calibration=calibration)
    raw["training"] = {**raw.get("training", {}), "test_results": summary}
    raw["export"] = {**raw.get("export", {}), "quantization": quantization}
    write_manifest(target, raw)
    raw["background"] = write_background(target, split)
    write_manifest(target, raw)
    if key is not None:
        sign_model(target, key)
    return target


def reship(folder: Path, prep: SignaturePreprocessing, key: Path | None, ks: list[int],
           draws: int, seed: int = 0) -> Path:
    """The shipped int8 folder under another preprocessing contract (version 4's pen
    matching): the same graph evaluated again as :func:`ship` evaluates it (validation
    calibration, test writers, robustness) and written back in place with the new contract,
    calibration and report, signed with ``key``. The quantisation record is carried as it
    was measured."""
    import shutil
    import tempfile

    from desktop.core.models.runtime import create_session
    from desktop.core.signature.manifest import load_manifest

    manifest = load_manifest(folder)  # signature and file hashes verified
    split = json.loads((folder / "split.json").read_text())
    quantization = json.loads((folder / "report.json").read_text())["quantization"]
    session = create_session(manifest.model_path, "cpu")[0]
    ev = evaluation(session, (manifest.input_name, manifest.output_name), prep, split,
                    split["data"], ks, draws, seed, pixels=True)
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(shutil.copyfile(manifest.model_path, Path(tmp) / "int8.onnx"))
        return ship(graph, folder, folder, split, split["data"], ev, quantization, key, prep)


def main(argv: list[str] | None = None) -> int:
    """Quantise, evaluate both graphs, time them, print the verdict; with ``--ship``, write
    the int8 model folder when the verdict is to ship it."""
    import os

    from desktop.core.models.keys import UNCHECKED
    from desktop.core.models.runtime import create_session
    from desktop.core.signature.manifest import load_manifest

    p = argparse.ArgumentParser(prog="python -m training.signature.quantize", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("exported_models/signature"),
                   help="the float32 model folder")
    p.add_argument("--out", type=Path, required=True, help="work folder: int8.onnx, "
                   "quantization.json")
    p.add_argument("--ship", type=Path, default=None, help="write the int8 model folder "
                   "here when it passes (e.g. exported_models/signature)")
    p.add_argument("--key", type=Path, default=None, help="sign the shipped folder with this "
                   "Ed25519 private key (PEM; passphrase in $SIGDESK_KEY_PASSPHRASE)")
    p.add_argument("--data", type=Path, nargs="+", default=None,
                   help="default: the split's data folders")
    p.add_argument("--calibration", type=int, default=256)
    p.add_argument("--full-range", action="store_true", help="8-bit weights instead of 7 "
                   "(saturates on AVX2 CPUs without VNNI)")
    p.add_argument("--k", type=int, nargs="+", default=[1, 3, 5, 10])
    p.add_argument("--draws", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    manifest = load_manifest(args.model, trust=UNCHECKED)  # our own float32 export
    if "quantization" in manifest.raw.get("export", {}):
        raise SystemExit(f"{args.model} is already quantised: give the float32 model folder "
                         "(python -m training export --run RUN --out FOLDER makes one)")
    split = json.loads((args.model / "split.json").read_text())
    data = ([str(d) for d in args.data] if len(args.data) > 1 else str(args.data[0])) \
        if args.data else split["data"]
    args.out.mkdir(parents=True, exist_ok=True)
    names = (manifest.input_name, manifest.output_name)
    prep = manifest.preprocessing
    calib = calibration_inputs(split, data, args.calibration, args.seed, prep)
    int8 = quantize(manifest.model_path, args.out, calib, manifest.input_name,
                    reduce_range=not args.full_range)
    sessions = {"fp32": create_session(manifest.model_path, "cpu")[0],
                "int8": create_session(int8, "cpu")[0]}
    ev = {name: evaluation(s, names, prep, split, data, args.k, args.draws, args.seed,
                           pixels=name == "int8" and args.ship is not None)
          for name, s in sessions.items()}
    eer = {name: e["eer"] for name, e in ev.items()}
    speed = timings(sessions, calib, manifest.input_name)
    worse = max(eer["int8"][k][m] - eer["fp32"][k][m] for k in eer["fp32"]
                for m in REPORT_NAMES)
    faster = all(speed["int8"][b] < speed["fp32"][b] for b in ("1", "32"))
    verdict = faster and worse <= EER_TOLERANCE
    probe = calib[:64]
    diff = float(np.abs(embed(sessions["int8"], probe, *names)
                        - embed(sessions["fp32"], probe, *names)).max())
    quantization = {"from_model_id": manifest.model_id, "from_sha256": manifest.sha256,
                    "tool": "onnxruntime.quantization.quantize_static",
                    "format": "QDQ", "weights": "int8 per channel"
                    + (", 7-bit range" if not args.full_range else ""),
                    "activations": "uint8", "calibration": "MinMax",
                    "calibration_images": len(calib),
                    "calibration_writers": "training writers (genuine and forged)",
                    "seed": args.seed, "draws": args.draws,
                    "max_abs_embedding_diff_vs_float32": diff,
                    "eer_skilled_float32": eer["fp32"], "eer_skilled_int8": eer["int8"],
                    "ms_per_batch": speed, "load_average": [round(v, 2) for v in
                                                            os.getloadavg()],
                    "command": " ".join(["python -m training.signature.quantize",
                                         *(sys.argv[1:] if argv is None else argv)])}
    report = {**quantization, "int8_bytes": int8.stat().st_size,
              "fp32_bytes": manifest.model_path.stat().st_size,
              "worst_eer_change_points": 100 * worse, "int8_faster": faster, "ship": verdict}
    (args.out / "quantization.json").write_text(json.dumps(report, indent=2) + "\n")
    print("| K | method | EER float32 | EER int8 | change (points) |\n|---|---|---|---|---|")
    for k in eer["fp32"]:
        for m in REPORT_NAMES:
            a, b = eer["fp32"][k][m], eer["int8"][k][m]
            print(f"| {k} | {m} | {100 * a:.1f}% | {100 * b:.1f}% | {100 * (b - a):+.1f} |")
    print("\n| batch | float32 ms | int8 ms | speed-up |\n|---|---|---|---|")
    for b in ("1", "32"):
        f, i = speed["fp32"][b], speed["int8"][b]
        print(f"| {b} | {f:.2f} | {i:.2f} | {f / i:.2f}x |")
    print(f"\nworst EER change {100 * worse:+.1f} points, int8 faster: {faster}: "
          f"{'ship int8' if verdict else 'keep float32'} ({args.out}/quantization.json)")
    if args.ship is not None and verdict:
        ship(int8, args.model, args.ship, split, data, ev["int8"], quantization, args.key)
        print(f"int8 model folder written: {args.ship}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
