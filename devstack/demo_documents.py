"""The files of the demo's documents, made in code: a one-page PDF certificate (fpdf2 with the DejaVu face billing
prints invoices with, so the Vietnamese reads right) and a small PNG "photo" of one (Pillow). Real files, so the
registration service's check by content accepts them and the review page opens them.
"""

from __future__ import annotations

import io
from pathlib import Path

# What the demo fair asks of each exhibitor kind (in the catalogue's order, as the service answers them): the
# registration certificate of the kind, a food safety certificate of those selling food (households, enterprises),
# and the CNNT decision of whoever claims a recognised product's points (no demo registration does, so it is
# required of none of them).
DEMO_REQUIREMENTS: dict[str, list[str]] = {
    "enterprise": ["business_registration", "cscnnt_product_decision", "food_safety_certificate"],
    "household": ["business_registration", "cscnnt_product_decision", "food_safety_certificate"],
    "cooperative": ["cooperative_registration", "cscnnt_product_decision"],
}

# Each demo exhibitor's files: (document type, its title on the file, "pdf" or "png", accepted by the organizer).
# The two approved exhibitors have every required document accepted (an approval waits for them); Mèo Vạc's
# certificate waits for review and its food safety certificate is not sent yet, so the review queue shows both.
DEMO_DOCUMENTS: dict[str, list[tuple[str, str, str, bool]]] = {
    "ex-dongvan": [("cooperative_registration", "Giấy chứng nhận đăng ký hợp tác xã", "pdf", True)],
    "ex-yenminh": [("business_registration", "Giấy chứng nhận đăng ký doanh nghiệp", "pdf", True),
                   ("food_safety_certificate", "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "png", True)],
    "ex-meovac": [("business_registration", "Giấy chứng nhận đăng ký hộ kinh doanh", "pdf", False)],
}


def _dejavu() -> Path:
    """DejaVu Sans from matplotlib's data (the face the invoices use; every Vietnamese letter)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def certificate_pdf(title: str, holder: str, number: str) -> bytes:
    """A one-page A4 PDF: the certificate's title, its holder and number, marked as demo data."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.add_font("DejaVu", "", str(_dejavu()))
    pdf.add_page()
    pdf.set_font("DejaVu", size=11)
    pdf.cell(0, 8, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, "Độc lập – Tự do – Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("DejaVu", size=15)
    pdf.multi_cell(0, 9, title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", size=12)
    pdf.multi_cell(0, 8, f"Cấp cho: {holder}\nSố: {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", size=9)
    pdf.cell(0, 6, "Dữ liệu mẫu của hangviet — không có giá trị pháp lý.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def certificate_png() -> bytes:
    """A small PNG, as a phone's picture of a certificate would be: a framed page, a few lines and a red seal."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 320), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 231, 311), outline=(150, 20, 20), width=3)
    for row in range(60, 220, 20):
        draw.line((28, row, 212 - (row % 40), row), fill=(60, 60, 60), width=2)
    draw.ellipse((150, 230, 210, 290), outline=(200, 0, 0), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
