"""Worst accepted inputs: time and peak memory of reading, decoding and checking one cheque.

Generates the largest files the app accepts (and two it must refuse quickly), then runs each
case in a fresh subprocess, pinned to ``--cores`` CPUs with OpenCV and BLAS limited to as many
threads, and measures wall time and peak resident memory (``VmHWM`` from
``/proc/self/status``, the process's high-water mark, so the interpreter and libraries are
included; ``base`` is the resident size after the imports, before the file is touched), and
CPU seconds (all threads), which stay honest when other work shares the machine.

Each case does what the branch service does before the network: read the file
(``imageio.read_input_file``), decode the one page asked for, reduced to ``MAX_SIDE``
(``imageio.load_page``), cut out the signature (``cheque.extract_signature``) and preprocess
it (``preprocess.preprocess_signature``). The network embedding that follows works on a
128x192 ink map whatever the input and is left out.

Cases (49 Mpx is just under ``MAX_PIXELS``; every file is under ``MAX_FILE_BYTES``):

* ``tiff-16x7000x7000-p16``: a 16-page RGB TIFF (JPEG-compressed, to stay under the file
  limit) of 7000x7000 pages, page 16 asked for (a square page is then refused as not
  cheque-shaped, after decoding it);
* ``tiff-16x49mpx-p16``: the same with cheque-shaped 9200x5320 pages, checked to the end;
* ``jpeg-49mpx``: one cheque-shaped 9200x5320 colour page;
* ``png-49mpx-grey``: the same page in grey (49 MB of pixel data, under the PNG limit);
* ``png-22mpx-rgb``: a 6200x3580 colour PNG, the largest colour PNG accepted;
* ``png-49mpx-rgb``: the 9200x5320 colour PNG, refused from its header (147 MB of pixels);
* ``png-ztxt-80mb``: a small PNG whose zTXt chunk inflates to 80 MB (refused);
* ``dev-zero-link``: a ``.png`` symlink to ``/dev/zero`` (refused; POSIX only).

    python benchmarks/input_limits.py [--cores 2] [--workdir DIR] [--keep] [--max-side N]

Prints a Markdown table; exits 1 when an accepted case takes over ``--max-seconds`` (2) or
``--max-mb`` (500).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHEQUE_SIZE = (9200, 5320)  # 48.9 Mpx, width/height 1.73: about the largest accepted cheque
SQUARE = (7000, 7000)


def _status_mb(key: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB (0 when unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def run_case(path: str, page: int, max_side: int | None = None) -> dict:
    """Child process: read, decode, extract and preprocess; return the figures."""
    import cv2

    from desktop.core.errors import InputImageError
    from desktop.core.imaging.decode import load_page, read_input_file
    from desktop.core.signature.cheque import DEFAULT_ZONE, extract_signature
    from desktop.core.signature.preprocess import preprocess_signature

    cv2.setNumThreads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    base = _status_mb("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    shape = None
    try:
        data = read_input_file(path)
        gray = (load_page(path, page, data=data) if max_side is None
                else load_page(path, page, data=data, max_side=max_side))
        shape = gray.shape
        del data
        extraction = extract_signature(gray, DEFAULT_ZONE, path=path)
        preprocess_signature(extraction.signature, path=path)
        outcome = "checked"
    except InputImageError as exc:
        outcome = "refused: " + exc.problem
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_s": cpu, "peak_mb": _status_mb("VmHWM"), "base_mb": base,
            "decoded": None if shape is None else f"{shape[1]}x{shape[0]}", "outcome": outcome}


def _cheque_page(size: tuple[int, int], seed: int = 0):
    """A synthetic signed colour cheque scaled up to ``size`` (BGR uint8)."""
    import cv2
    import numpy as np

    from training.signature.cheques import make_cheque
    from training.signature.synthetic import make_writer

    rng = np.random.default_rng(seed)
    cheque = make_cheque(rng, make_writer(rng), dpi=300, angle=0.5, colour=True)
    return cv2.resize(cheque.front, size, interpolation=cv2.INTER_CUBIC)


def _ztxt_png(path: Path, text_bytes: int = 80 * 2**20) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    block = b"\x00" * 2**20
    body = b"".join(comp.compress(block) for _ in range(text_bytes // len(block)))
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 0, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\xf0" * 64 for _ in range(48))))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr
                     + chunk(b"zTXt", b"Comment\x00\x00" + body + comp.flush())
                     + idat + chunk(b"IEND", b""))


def _multipage_tiff(path: Path, size: tuple[int, int], pages: int = 16) -> None:
    """``pages`` RGB pages of ``size``, JPEG-compressed; the last is the signed cheque."""
    import cv2
    from PIL import Image

    last = Image.fromarray(cv2.cvtColor(_cheque_page(size, seed=1), cv2.COLOR_BGR2RGB))
    filler = Image.new("RGB", size, (246, 244, 238))
    filler.save(path, save_all=True, append_images=[filler] * (pages - 2) + [last],
                compression="jpeg", quality=90)


def generate(workdir: Path, reuse: bool = False) -> list[tuple[str, Path, int]]:
    """Write the cases' files under ``workdir`` (keeping those there with ``reuse``):
    (name, path, page index) each."""
    import cv2

    def fresh(name: str) -> Path | None:
        path = workdir / name
        return None if reuse and os.path.lexists(path) else path

    if tif := fresh("square16.tif"):
        _multipage_tiff(tif, SQUARE)
    if tif := fresh("cheque16.tif"):
        _multipage_tiff(tif, CHEQUE_SIZE)
    names = ("cheque.jpg", "cheque.png", "grey.png", "rgb22.png")
    if any(fresh(n) for n in names):
        page = _cheque_page(CHEQUE_SIZE, seed=2)
        cv2.imwrite(str(workdir / "cheque.jpg"), page, [cv2.IMWRITE_JPEG_QUALITY, 92])
        cv2.imwrite(str(workdir / "cheque.png"), page, [cv2.IMWRITE_PNG_COMPRESSION, 6])
        cv2.imwrite(str(workdir / "grey.png"), cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))
        cv2.imwrite(str(workdir / "rgb22.png"),
                    cv2.resize(page, (6200, 3580), interpolation=cv2.INTER_AREA))
        del page
    if z := fresh("ztxt.png"):
        _ztxt_png(z)
    cases = [("tiff-16x7000x7000-p16", workdir / "square16.tif", 15),
             ("tiff-16x49mpx-p16", workdir / "cheque16.tif", 15),
             ("jpeg-49mpx", workdir / "cheque.jpg", 0),
             ("png-49mpx-grey", workdir / "grey.png", 0),
             ("png-22mpx-rgb", workdir / "rgb22.png", 0),
             ("png-49mpx-rgb", workdir / "cheque.png", 0),
             ("png-ztxt-80mb", workdir / "ztxt.png", 0)]
    if hasattr(os, "symlink") and Path("/dev/zero").exists():
        if link := fresh("zero.png"):
            link.unlink(missing_ok=True)
            os.symlink("/dev/zero", link)
        cases.append(("dev-zero-link", workdir / "zero.png", 0))
    return cases


def measure(path: Path, page: int, cores: int, max_side: int | None = None) -> dict:
    """Run one case in a fresh interpreter limited to ``cores`` CPUs."""
    env = dict(os.environ, OMP_NUM_THREADS=str(cores), OPENBLAS_NUM_THREADS=str(cores),
               MKL_NUM_THREADS=str(cores), PYTHONPATH=str(ROOT))
    code = ("import json, os, sys\n"
            f"cpus = sorted(os.sched_getaffinity(0))[:{cores}] "
            "if hasattr(os, 'sched_setaffinity') else []\n"
            "cpus and os.sched_setaffinity(0, cpus)\n"
            "from benchmarks.input_limits import run_case\n"
            "side = int(sys.argv[3]) or None\n"
            "print(json.dumps(run_case(sys.argv[1], int(sys.argv[2]), side)))\n")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(page),
                           str(max_side or 0)], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        nan = float("nan")
        return {"seconds": nan, "cpu_s": nan, "peak_mb": nan, "base_mb": nan,
                "decoded": None, "outcome": "CRASHED: " + done.stderr.strip()[-300:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Generate the inputs, measure each case, print the table."""
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--workdir", type=Path, default=None,
                   help="where the inputs are written (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the generated inputs")
    p.add_argument("--reuse", action="store_true",
                   help="use the inputs already in --workdir instead of writing them again")
    p.add_argument("--max-seconds", type=float, default=2.0)
    p.add_argument("--max-mb", type=float, default=500.0)
    p.add_argument("--max-side", type=int, default=None,
                   help="decode to this longer side instead of imageio.MAX_SIDE")
    args = p.parse_args(argv)

    from desktop.core.imaging.decode import MAX_FILE_BYTES, MAX_SIDE

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="input-limits-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        cases = generate(workdir, args.reuse and args.workdir is not None)
        print(f"generated {len(cases)} inputs in {time.perf_counter() - t0:.0f} s under "
              f"{workdir}; longer side {args.max_side or MAX_SIDE}, {args.cores} cores, Python "
              f"{sys.version.split()[0]}\n")
        print("| case | file MB | decoded to | outcome | wall s | CPU s | peak RSS MB | base MB |")
        print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |")
        over = []
        for name, path, page in cases:
            size = path.stat().st_size / 2**20 if path.is_file() and not path.is_symlink() \
                else 0.0
            if size * 2**20 > MAX_FILE_BYTES:
                print(f"| {name} | {size:.1f} | - | (over the file limit: not an accepted "
                      "input) | | | | |")
                continue
            r = measure(path, page, args.cores, args.max_side)
            outcome = r["outcome"] if len(r["outcome"]) < 90 else r["outcome"][:87] + "..."
            print(f"| {name} | {size:.1f} | {r['decoded'] or '-'} | {outcome} | "
                  f"{r['seconds']:.2f} | {r['cpu_s']:.2f} | {r['peak_mb']:.0f} | "
                  f"{r['base_mb']:.0f} |")
            if not (r["seconds"] <= args.max_seconds and r["peak_mb"] <= args.max_mb):
                over.append(name)
        if over:
            print(f"\nover {args.max_seconds:g} s or {args.max_mb:g} MB: {', '.join(over)}")
        return 1 if over else 0
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
