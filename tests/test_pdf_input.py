"""PDF scans: pages rendered by PDFium under the image limits, checked and enrolled page by page,
and picked on the clerk's screen."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from desktop.core.errors import InputImageError
from desktop.core.imaging.decode import (
    MAX_NOTE_SIDE,
    MAX_PAGES,
    MAX_SIDE,
    load_page,
    page_count,
    sniff_format,
)
from tests.conftest import PASSWORDS
from tests.helpers import read_csv

ACCOUNT = "1002003001"


def _page(width: int = 600, height: int = 300, value: int = 30) -> Image.Image:
    img = np.full((height, width), 250, np.uint8)
    cv2.line(img, (width // 10, height // 2), (9 * width // 10, height // 2 + 10), value, 5)
    return Image.fromarray(img)


def _pdf(path: Path, pages: list[Image.Image], dpi: float = 300) -> Path:
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=dpi)
    return path


def test_pages_are_counted_and_rendered_at_300_dpi(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "scan.pdf", [_page(), _page(300, 600, value=120)], dpi=150)
    assert sniff_format(pdf.read_bytes()) == "PDF"
    assert page_count(pdf) == 2
    first, second = load_page(pdf, 0), load_page(pdf, 1)
    # 600 x 300 pixels at 150 dpi are 4 x 2 inches: 1200 x 600 pixels at 300 dpi.
    assert abs(first.shape[1] - 1200) <= 1 and abs(first.shape[0] - 600) <= 1
    assert abs(second.shape[0] - 1200) <= 1 and first.dtype == np.uint8
    assert first.min() < 60 and second.min() > 90  # each page's own ink, not the other's
    assert np.median(first) > 240  # paper stays light
    colour = load_page(pdf, 0, colour=True)
    assert colour.shape == (*first.shape, 3)


def test_colour_pages_come_back_bgr(tmp_path: Path) -> None:
    red = Image.new("RGB", (200, 100), (220, 20, 20))
    bgr = load_page(_pdf(tmp_path / "red.pdf", [red]), colour=True)
    b, g, r = (int(c) for c in bgr[50, 100])
    assert r > 200 and g < 60 and b < 60


def test_large_pages_are_reduced_while_rendered(tmp_path: Path) -> None:
    # 2400 x 1200 pixels at 100 dpi: 24 x 12 inches, 7200 pixels wide at 300 dpi.
    pdf = _pdf(tmp_path / "poster.pdf", [_page(2400, 1200)], dpi=100)
    assert max(load_page(pdf).shape) == MAX_SIDE
    assert max(load_page(pdf, colour=True, max_side=MAX_NOTE_SIDE).shape[:2]) == MAX_NOTE_SIDE


def test_a_page_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    # 100 x 100 inches: 900 million pixels at 300 dpi.
    pdf = _pdf(tmp_path / "huge.pdf", [_page(100, 100)], dpi=1)
    with pytest.raises(InputImageError, match=r"huge\.pdf.*million pixels.*limit"):
        load_page(pdf)


def test_damaged_and_cut_pdfs_are_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with pytest.raises(InputImageError, match=r"bad\.pdf.*PDF.*damaged"):
        load_page(bad)
    with pytest.raises(InputImageError, match=r"bad\.pdf"):
        page_count(bad)
    whole = _pdf(tmp_path / "whole.pdf", [_page(), _page()]).read_bytes()
    for keep in (20, len(whole) // 3):
        cut = tmp_path / f"cut{keep}.pdf"
        cut.write_bytes(whole[:keep])
        try:  # PDFium repairs what it can: a page it renders is a real page, else a refusal
            page = load_page(cut)
        except InputImageError as exc:
            assert cut.name in str(exc)
        else:
            assert page.ndim == 2 and page.size > 0


def test_pages_past_the_limit_are_not_offered(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "long.pdf", [_page(60, 30) for _ in range(MAX_PAGES + 4)])
    assert page_count(pdf) == MAX_PAGES
    assert load_page(pdf, MAX_PAGES - 1).size > 0
    with pytest.raises(InputImageError, match=rf"page {MAX_PAGES + 1} was asked for"):
        load_page(pdf, MAX_PAGES)


def test_pdfium_is_used_by_one_thread_at_a_time(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "scan.pdf", [_page(), _page(value=90)])
    want = [load_page(pdf, 0), load_page(pdf, 1)]
    got: list[tuple[int, np.ndarray]] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(5):
                got.append((i % 2, load_page(pdf, i % 2)))
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 20
    assert all(np.array_equal(page, want[i]) for i, page in got)


def _cheque_pdf(cheque_set: Path, tmp_path: Path, kind: str) -> Path:
    row = next(r for r in read_csv(cheque_set / "truth.csv")
               if r["account_number"] == ACCOUNT and r["kind"] == kind)
    with Image.open(cheque_set / "cheques" / row["file"]) as img:
        cheque = img.convert("L")
    return _pdf(tmp_path / f"{kind}.pdf", [Image.new("L", cheque.size, 255), cheque])


def _enroll(service, sessions, cheque_set: Path) -> None:
    op = sessions["operator"]
    service.create_account(op, ACCOUNT, "Irene Okafor")
    refs = sorted((cheque_set / "references" / ACCOUNT).glob("*.png"))
    service.enroll(op, ACCOUNT, service.assess_candidates(op, service.load_candidates(op, refs)))


def test_a_cheque_on_page_two_of_a_pdf_is_checked_and_audited(branch, cheque_set: Path,
                                                             tmp_path: Path) -> None:
    service, sessions = branch
    _enroll(service, sessions, cheque_set)
    pdf = _cheque_pdf(cheque_set, tmp_path, "genuine")
    with pytest.raises(InputImageError, match="blank"):  # page 1 is blank paper
        service.check_cheque(sessions["clerk"], ACCOUNT, pdf)
    check = service.check_cheque(sessions["clerk"], ACCOUNT, pdf, page=1)
    assert check.result.decision == "genuine"
    verify = [e for e in service.store.audit_entries() if e.action.startswith("verify")]
    assert verify[-1].details["page"] == 2


def test_each_page_of_a_pdf_is_an_enrollment_candidate(branch, cheque_set: Path,
                                                      tmp_path: Path) -> None:
    service, sessions = branch
    refs = sorted((cheque_set / "references" / ACCOUNT).glob("*.png"))[:3]
    pages = [Image.open(p).convert("L") for p in refs]
    pdf = _pdf(tmp_path / "refs.pdf", pages)
    cands = service.load_candidates(sessions["operator"], [pdf])
    assert [c.name for c in cands] == ["refs.pdf p.1", "refs.pdf p.2", "refs.pdf p.3"]
    assert all(c.usable for c in service.assess_candidates(sessions["operator"], cands))


def test_the_clerk_picks_the_page_with_the_cheque(qtbot, app_parts, cheque_set: Path,
                                                 tmp_path: Path) -> None:
    from desktop.ui.branch_window import BranchWindow

    service, config = app_parts
    win = BranchWindow(service, service.login("carl", PASSWORDS["carl"]), config)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_ready, timeout=30000):
        win.show()
    op = service.login("olga", PASSWORDS["olga"])
    service.create_account(op, ACCOUNT, "Irene Okafor")
    refs = sorted((cheque_set / "references" / ACCOUNT).glob("*.png"))
    service.enroll(op, ACCOUNT, service.assess_candidates(op, service.load_candidates(op, refs)))
    check = win.check_screen
    with qtbot.waitSignal(check.references_loaded, timeout=20000):
        check.picker.load(ACCOUNT)
    assert check.page_box.isHidden()
    with qtbot.waitSignal(check.refused, timeout=30000):
        check.open_cheque(str(_cheque_pdf(cheque_set, tmp_path, "genuine")))
    assert not check.page_box.isHidden() and check.page_box.maximum() == 2
    assert check.verdict_label.text() == "PAGE NOT USABLE"
    assert "blank" in check.summary_label.text()
    assert "pick another page" in check.summary_label.text()
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.page_box.setValue(2)
    assert done.args[0].result.decision == "genuine" and check.page_box.value() == 2
    assert check.verdict_label.text() == "GENUINE"
    # A document feeder's pages, one file each: the same page picker, over the files.
    blank = tmp_path / "scan-page-1.png"
    cv2.imwrite(str(blank), np.full((700, 1600), 250, np.uint8))  # a blank separator sheet
    row = next(r for r in read_csv(cheque_set / "truth.csv")
               if r["account_number"] == ACCOUNT and r["kind"] == "genuine")
    genuine = tmp_path / f"scan-page-2{Path(row['file']).suffix}"
    genuine.write_bytes((cheque_set / "cheques" / row["file"]).read_bytes())
    with qtbot.waitSignal(check.refused, timeout=30000):
        check.open_scanned([str(blank), str(genuine)])
    assert check.page_box.maximum() == 2 and check.page_box.value() == 1
    assert check.verdict_label.text() == "PAGE NOT USABLE" and check.cheque_path == str(blank)
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.page_box.setValue(2)
    assert check.cheque_path == str(genuine) and check.page_box.value() == 2
    assert done.args[0].result.decision == "genuine"
    verified = [e for e in service.store.audit_entries() if e.action == "verify"]
    assert max(verified, key=lambda e: e.id).details["cheque"] == genuine.name  # its own file
    # A file opened by hand afterwards is one document again: the picker offers its pages.
    with qtbot.waitSignal(check.check_done, timeout=30000):
        check.open_cheque(str(genuine))
    assert check.scanned == [] and check.page_box.maximum() == page_count(genuine)
