"""Safe image loading: formats scanners write, and every kind of bad file."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, PngImagePlugin, TiffImagePlugin

from desktop.core.errors import InputImageError
from desktop.core.imaging import decode as imageio
from desktop.core.imaging.decode import (
    MAX_NOTE_SIDE,
    MAX_SIDE,
    load_gray,
    load_page,
    load_pages,
    page_count,
    read_input_file,
)
from tests.helpers import png_header_only


def _page(value: int = 40) -> np.ndarray:
    img = np.full((120, 200), 250, np.uint8)
    cv2.line(img, (20, 60), (180, 70), value, 3)
    return img


def test_png_jpeg_and_colour_become_gray(tmp_path: Path) -> None:
    gray = _page()
    cv2.imwrite(str(tmp_path / "a.png"), gray)
    cv2.imwrite(str(tmp_path / "b.jpg"), cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    for name in ("a.png", "b.jpg"):
        out = load_gray(tmp_path / name)
        assert out.shape == gray.shape and out.dtype == np.uint8
        assert abs(int(out[65, 100]) - 40) < 20 and out[5, 5] > 240


def test_multipage_tiff_and_g4(tmp_path: Path) -> None:
    front = Image.fromarray(_page(10))
    back = Image.fromarray(_page(200))
    front.save(tmp_path / "cheque.tif", save_all=True, append_images=[back])
    pages = load_pages(tmp_path / "cheque.tif")
    assert len(pages) == 2 and pages[0][65, 100] < 50 and pages[1][65, 100] > 150

    bilevel = Image.fromarray(_page(0)).point(lambda v: 255 if v > 128 else 0).convert("1")
    bilevel.save(tmp_path / "g4.tif", compression="group4")
    g4 = load_gray(tmp_path / "g4.tif")
    assert set(np.unique(g4)) <= {0, 255} and g4[65, 100] == 0
    assert load_gray(tmp_path / "cheque.tif", page=1)[65, 100] > 150


def test_a_halftone_black_and_white_scan_is_refused(tmp_path: Path) -> None:
    # A tinted background and a faint stroke, dithered into dots by the scanner's halftone
    # mode: strokes can no longer be told from the background. Thresholded, it is read.
    page = np.full((240, 400), 200, np.uint8)
    page[:, 200:] = 235
    cv2.line(page, (20, 120), (380, 140), 40, 4)
    Image.fromarray(page).convert("1").save(tmp_path / "halftone.tif", compression="group4")
    with pytest.raises(InputImageError, match="halftone.tif: a black-and-white scan in "
                                              "halftone"):
        load_gray(tmp_path / "halftone.tif")
    Image.fromarray(page).point(lambda v: 255 if v > 128 else 0).convert("1").save(
        tmp_path / "threshold.tif", compression="group4")
    assert load_gray(tmp_path / "threshold.tif")[130, 200] == 0


def test_transparent_png_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((60, 80, 4), np.uint8)  # fully transparent black: paper
    rgba[30, 10:70] = (0, 0, 0, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    out = load_gray(tmp_path / "t.png")
    assert out[0, 0] == 255 and out[30, 40] == 0


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty.png", b"", "empty"),
        ("notes.png", b"this is a text file, not a picture\n" * 10, "not an image"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, name: str, content: bytes, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputImageError) as err:
        load_gray(path)
    assert name in str(err.value) and fragment in str(err.value)


def test_truncated_png(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "full.png"), np.random.default_rng(0).integers(0, 255, (300, 300),
                                                                             dtype=np.uint8))
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputImageError, match="cut.png: .*truncated"):
        load_gray(tmp_path / "cut.png")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputImageError, match="nothere.png: file not found"):
        load_gray(tmp_path / "nothere.png")


def test_huge_image_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png_header_only(30000, 30000))
    with pytest.raises(InputImageError, match="huge.png: .*pixels"):
        load_gray(path)


def test_colour_pages_are_bgr_and_transparency_is_white(tmp_path: Path) -> None:
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255  # opaque red...
    rgba[:, :5, 3] = 0  # ...with a transparent strip
    Image.fromarray(rgba, "RGBA").save(tmp_path / "red.png")
    (page,) = load_pages(tmp_path / "red.png", colour=True)
    assert page.shape == (20, 30, 3)
    assert tuple(page[10, 20]) == (0, 0, 200) and tuple(page[10, 2]) == (255, 255, 255)


# ---- issue items 13-15, 18: hostile and oversized inputs ------------------------------------
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero: POSIX")


def _ztxt_png(path: Path, text_bytes: int = 80 * 2**20, after_idat: bool = False) -> None:
    """A small valid PNG carrying a zTXt chunk that inflates to ``text_bytes`` (zeros
    compress ~1000:1, so the file stays small)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    block = b"\x00" * 2**20
    body = b"".join(comp.compress(block) for _ in range(text_bytes // len(block)))
    ztxt = chunk(b"zTXt", b"Comment\x00\x00" + body + comp.flush())
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 0, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\xf0" * 64 for _ in range(48))))
    middle = idat + ztxt if after_idat else ztxt + idat
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + middle + chunk(b"IEND", b""))


@posix_only
def test_fifo_and_link_to_dev_zero_are_refused_without_reading(tmp_path: Path) -> None:
    """Item 13: a FIFO named .png and a symlink to /dev/zero are refused before any read
    (before the fix check_cheque's reader blocked on the FIFO / read /dev/zero forever)."""
    fifo = tmp_path / "scan.png"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.png"
    os.symlink("/dev/zero", zero)
    for path, word in ((fifo, "pipe"), (zero, "device")):
        for load in (read_input_file, load_gray, page_count):
            with pytest.raises(InputImageError) as err:
                load(path)
            assert path.name in str(err.value) and word in str(err.value)
    with pytest.raises(InputImageError, match="folder"):
        read_input_file(tmp_path)


def test_reading_is_capped_even_when_the_size_lies(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 13: at most MAX_FILE_BYTES + 1 bytes are read; a file that grows past the limit
    after its size was looked at is refused (the cap is lowered to keep the test small)."""
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000)
    monkeypatch.setattr(imageio, "MAX_FILE_BYTES", 1000)
    real_stat = os.stat

    def stat_says_small(p, *args, **kwargs):  # the file "grew" after stat()
        st = real_stat(p, *args, **kwargs)
        return os.stat_result((st.st_mode, *st[1:6], 10, *st[7:]))

    monkeypatch.setattr(imageio.os, "stat", stat_says_small)
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(imageio.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(InputImageError, match="big.png: the file is too large .* scan at 300"):
        read_input_file(path)
    assert reads and max(reads) <= 1001


@pytest.mark.parametrize("after_idat", [False, True])
def test_huge_ztxt_chunk_is_an_input_error(tmp_path: Path, after_idat: bool) -> None:
    """Item 14: an 80 MB zTXt chunk (a ~80 KB file) raised a bare ValueError ("Decompressed
    data too large") at open() or at load(); now it is an InputImageError naming the file."""
    path = tmp_path / "meta.png"
    _ztxt_png(path, after_idat=after_idat)
    assert path.stat().st_size < 2**20
    # Before the pixels the chunk is met at open() (page counting too); after them, at load().
    for load in (load_gray, page_count) if not after_idat else (load_gray,):
        with pytest.raises(InputImageError) as err:
            load(path)
        assert "meta.png" in str(err.value) and "text" in str(err.value)


@pytest.mark.parametrize("exc", [struct.error("unpack requires a buffer of 4 bytes"),
                                 EOFError(), MemoryError(), IndexError("list index"),
                                 ValueError("bad"), Image.DecompressionBombError("bomb")])
def test_every_decoder_error_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            exc: BaseException) -> None:
    """Item 14: whatever a decoder raises, at open() or at load(), the caller gets an
    InputImageError naming the file."""
    cv2.imwrite(str(tmp_path / "x.png"), _page())

    def boom(*args, **kwargs):
        raise exc

    for target in ("open", "load"):
        with monkeypatch.context() as m:
            if target == "open":
                m.setattr(imageio.Image, "open", boom)
            else:
                m.setattr(PngImagePlugin.PngImageFile, "load", boom)
            with pytest.raises(InputImageError, match="x.png: "):
                load_gray(tmp_path / "x.png")


def _multipage_tiff(path: Path, pages: int) -> None:
    frames = [Image.fromarray(np.full((40, 60), 10 * i, np.uint8)) for i in range(pages)]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_deflate")


def test_only_the_page_asked_for_is_decoded(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 15: asking page 16 of a 16-page TIFF decodes that page only (the old loader
    decoded all 16); counting pages decodes none."""
    path = tmp_path / "pages.tif"
    _multipage_tiff(path, 16)
    decoded: list[int] = []
    real_load = TiffImagePlugin.TiffImageFile.load

    def counting_load(self):
        if self.tile:  # pixels still to decode (later calls return the decoded frame)
            decoded.append(self.tell())
        return real_load(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "load", counting_load)
    assert page_count(path) == 16 and decoded == []
    assert int(load_gray(path, page=15)[0, 0]) == 150
    assert decoded == [15]
    decoded.clear()
    assert int(load_page(path, 3)[0, 0]) == 30 and decoded == [3]
    with pytest.raises(InputImageError, match="pages.tif: has 16 page"):
        load_page(path, 16)
    with pytest.raises(InputImageError, match="has 1 page"):
        cv2.imwrite(str(tmp_path / "one.png"), _page())
        load_page(tmp_path / "one.png", 1)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif"])
def test_oversized_page_comes_back_at_the_side_limit(tmp_path: Path, ext: str) -> None:
    """Item 15: a 7000x7000 page is reduced while decoded so that its longer side is
    MAX_SIDE (3000), grey and colour; the ink survives the reduction."""
    img = np.full((7000, 7000), 250, np.uint8)
    img[3000:3040, 1000:6000] = 20  # a 40-pixel stroke
    path = tmp_path / f"big{ext}"
    Image.fromarray(img).save(path, **({"compress_level": 1} if ext == ".png" else {}))
    del img
    gray = load_gray(path)
    assert gray.shape == (MAX_SIDE, MAX_SIDE)
    row = round(3020 * MAX_SIDE / 7000)
    assert gray[row, MAX_SIDE // 2] < 60 and gray[100, 100] > 230
    assert load_page(path, colour=True, max_side=MAX_NOTE_SIDE).shape == (MAX_NOTE_SIDE,
                                                                         MAX_NOTE_SIDE, 3)
    assert load_page(path, max_side=None).shape == (7000, 7000)


def test_colour_png_over_the_decode_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    """Item 15: PNG has no reduced decode, so a PNG whose pixel data is over 64 MB (here a
    6200x3700 colour header: 69 MB) is refused before decoding; a 49-megapixel grey PNG
    (49 MB) is within the limit (see test_oversized_page_comes_back_at_the_side_limit)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 6200, 3700, 8, 2, 0, 0, 0)
    (tmp_path / "colour.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    with pytest.raises(InputImageError, match="colour.png: the PNG image is too large to "
                                              "decode .*6200x3700"):
        load_gray(tmp_path / "colour.png")


def test_float_tiff_is_scaled_not_blank(tmp_path: Path) -> None:
    """Item 18: a 32-bit float TIFF (values 0..1) used to come back all 0/1 (black, then
    "blank"); its range is now scaled to 8 bits. NaN values are refused by name."""
    page = _page(40).astype(np.float32) / 255.0
    Image.fromarray(page, "F").save(tmp_path / "float.tif")
    gray = load_gray(tmp_path / "float.tif")
    assert gray.dtype == np.uint8 and abs(int(gray[65, 100]) - 40) <= 2 and gray[5, 5] >= 249
    wide = _page(40).astype(np.float32) * 100.0 - 5000.0  # any other range: stretched
    Image.fromarray(wide, "F").save(tmp_path / "wide.tif")
    out = load_gray(tmp_path / "wide.tif")
    assert out.min() == 0 and out.max() == 255
    page[0, 0] = np.nan
    Image.fromarray(page, "F").save(tmp_path / "nan.tif")
    with pytest.raises(InputImageError, match="nan.tif: float TIFF"):
        load_gray(tmp_path / "nan.tif")


# ---- the same limits at the service, the batch and enrollment ------------------------------
def _enrolled(branch, cheque_set: Path) -> str:
    service, s = branch
    number = "1002003000"
    service.create_account(s["operator"], number, "Holder")
    refs = sorted((cheque_set / "references" / number).glob("*.png"))
    service.enroll(s["operator"], number, service.assess_candidates(
        s["operator"], service.load_candidates(s["operator"], refs), number))
    return number


@posix_only
def test_service_and_batch_refuse_fifo_dev_zero_and_ztxt(branch, cheque_set: Path,
                                                         tmp_path: Path) -> None:
    """Items 13 and 14 end to end: check_cheque refuses a FIFO, a link to /dev/zero and a
    zTXt bomb with InputImageError naming the file (before: blocked, read forever, or a bare
    ValueError); enrollment rejects them as candidates; the batch writes one error row each
    and finishes, so a resume cannot stop at the same row forever."""
    from desktop.batch import REPORT_COLUMNS, run_batch
    from tests.helpers import read_csv

    service, s = branch
    number = _enrolled(branch, cheque_set)
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "fifo.png")
    os.symlink("/dev/zero", folder / "zero.png")
    _ztxt_png(folder / "meta.png")
    bad = ("fifo.png", "zero.png", "meta.png")
    for name in bad:
        with pytest.raises(InputImageError, match=name):
            service.check_cheque(s["clerk"], number, folder / name)
    cands = service.load_candidates(s["operator"], [folder / n for n in bad])
    assert [c.usable for c in cands] == [False] * 3
    assert [c.name for c in cands] == list(bad)  # each row names its file, with why:
    assert ["pipe" in cands[0].problems[0], "device" in cands[1].problems[0],
            "oversized text" in cands[2].problems[0]] == [True] * 3

    out = tmp_path / "report.csv"
    counts = run_batch(service, s["clerk"], folder, [(n, number) for n in bad], out,
                       progress=False)
    rows = read_csv(out)
    assert counts["error"] == 3 and [r["file"] for r in rows] == list(bad)
    assert all(r["status"] == "error" and r["file"] in r["reasons"] for r in rows)
    assert list(rows[0]) == list(REPORT_COLUMNS)


def test_account_search_is_capped_and_cleaned(branch) -> None:
    """Item 18: a 50,000-character search raised sqlite3.OperationalError; now longer than
    64 characters is a ServiceError saying so, and control characters are dropped."""
    from desktop.core.errors import ServiceError

    service, s = branch
    service.create_account(s["operator"], "1002003000", "Ada Lovelace")
    with pytest.raises(ServiceError, match=r"search text too long \(max 64 characters\)"):
        service.search_accounts(s["clerk"], "a" * 50_000)
    assert [a.account_number for a in service.search_accounts(s["clerk"], "Ada\x00\x1b")] == [
        "1002003000"]
    assert service.search_accounts(s["clerk"], "x" * 64) == []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_a_rotation_stored_in_exif_is_applied(tmp_path: Path, fmt: str) -> None:
    """A phone photo saved upright through EXIF orientation 6 (turn 90 degrees clockwise):
    the page comes back as a person sees it, whichever format stored the tag."""
    img = np.zeros((40, 100), np.uint8)
    img[:, :50] = 255  # white on the left: on top once turned
    path = tmp_path / f"turned.{fmt.lower()}"
    if fmt == "TIFF":
        Image.fromarray(img).save(path, fmt, tiffinfo={274: 6})
    else:
        exif = Image.Exif()
        exif[274] = 6
        Image.fromarray(img).save(path, fmt, exif=exif.tobytes())
    page = load_gray(path)
    assert page.shape == (100, 40)
    assert page[:10].mean() > 200 and page[-10:].mean() < 50
