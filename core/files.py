"""Uploaded files: PDF only, checked by content, at most 3 MB, with a safe file name."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass

from core.errors import ValidationFailed
from core.text import fr_size

MAX_PDF_BYTES = 3 * 1024 * 1024
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class CheckedPdf:
    file_name: str
    data: bytes
    size: int
    sha256: str


def safe_file_name(name: str) -> str:
    """Keep letters, digits, dot, dash and underscore; drop any folder part; end in .pdf."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-") or "document"
    stem = base[:-4] if base.lower().endswith(".pdf") else base
    return f"{stem[:120] or 'document'}.pdf"


def check_pdf(name: str, data: bytes, field: str = "file") -> CheckedPdf:
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationFailed({field: "Fichier vide : joignez un document PDF."})
    if len(data) > MAX_PDF_BYTES:
        raise ValidationFailed(
            {field: f"Fichier trop volumineux ({fr_size(len(data))}) : 3 Mo au plus."}
        )
    data = bytes(data)
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed({field: "Seuls les documents PDF sont acceptés (contenu non PDF)."})
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data), strict=False)
        if len(reader.pages) < 1:
            raise ValueError("no page")
    except Exception:  # pypdf raises many kinds of errors on broken files
        raise ValidationFailed(
            {field: "Le fichier PDF est illisible ou endommagé : joignez un PDF valide."}
        ) from None
    return CheckedPdf(safe_file_name(name), data, len(data), hashlib.sha256(data).hexdigest())


def make_demo_pdf(title: str, lines: list[str] | None = None) -> bytes:
    """A small real PDF (used by the demo data and tests)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in lines or []:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF written by hand: microseconds instead of fpdf2's milliseconds, for
    the bulk demo data. Text is latin-1 (Helvetica's WinAnsi), anything else becomes '?'."""

    def esc(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = ["BT /F1 12 Tf 60 780 Td 16 TL"]
    body += [f"({esc(line)}) Tj T*" for line in lines]
    body.append("ET")
    stream = "\n".join(body).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
