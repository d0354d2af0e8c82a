"""Safe image loading: formats scanners write, and every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from desktop.core.errors import InputImageError
from desktop.core.imageio import load_gray, load_pages
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
