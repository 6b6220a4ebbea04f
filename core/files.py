"""Uploaded files: PDF only, checked by content, at most 3 MB, with a safe file name."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from core.errors import ValidationFailed
from core.text import UNIT_SPACE, fr_count, fr_size

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
    """Accept a PDF that other roles may open safely, or refuse it with a French message that
    says what is wrong: empty, too large, not a PDF (an image, a ZIP archive…), truncated,
    damaged, protected by a password, without pages, or carrying active content."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationFailed({field: "Fichier vide : joignez un document PDF."})
    if len(data) > MAX_PDF_BYTES:
        raise ValidationFailed({field: _too_large(len(data))})
    data = bytes(data)
    problem = _not_a_pdf(data)
    if problem is None:
        problem = _unusable_pdf(data)
    if problem is not None:
        raise ValidationFailed({field: problem})
    return CheckedPdf(safe_file_name(name), data, len(data), hashlib.sha256(data).hexdigest())


def _too_large(size: int) -> str:
    shown = fr_size(size)
    if shown == fr_size(MAX_PDF_BYTES):  # 3 Mo and one byte would read « (3 Mo) : 3 Mo au plus »
        shown = f"{fr_count(size)}{UNIT_SPACE}octets"
    return f"Fichier trop volumineux ({shown}) : 3 Mo au plus."


# What a file that is not a PDF usually is, by its first bytes.
_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "une archive ZIP (ou un document Word, Excel ou OpenDocument)"),
    (b"PK\x05\x06", "une archive ZIP vide"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "un document Office (Word ou Excel)"),
    (b"\x89PNG", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"II*\x00", "une image TIFF"),
    (b"MM\x00*", "une image TIFF"),
    (b"Rar!", "une archive RAR"),
    (b"7z\xbc\xaf", "une archive 7-Zip"),
    (b"\x1f\x8b", "une archive GZIP"),
    (b"{\\rtf", "un document RTF"),
)
_ZIP_END = re.compile(rb"PK\x05\x06")


def _not_a_pdf(data: bytes) -> str | None:
    if not data.startswith(b"%PDF-"):
        what = next((kind for magic, kind in _OTHER_FORMATS if data.startswith(magic)), None)
        if what is None:
            return "Seuls les documents PDF sont acceptés (contenu non PDF)."
        advice = " : numérisez-la ou enregistrez-la en PDF." if "image" in what else "."
        return f"Seuls les documents PDF sont acceptés : ce fichier est {what}{advice}"
    # A ZIP archive carried behind (or inside) a PDF: the end of its central directory lies in
    # its last 64 Ko, with a central directory entry before it.
    if _ZIP_END.search(data, max(0, len(data) - 65_600)) and b"PK\x01\x02" in data:
        return ("Seuls les documents PDF sont acceptés : ce fichier cache une archive ZIP "
                "derrière le PDF.")
    return None


def _unusable_pdf(data: bytes) -> str | None:
    if b"%%EOF" not in data:
        return ("Le fichier PDF est incomplet (tronqué) : il s'arrête avant sa fin et reste "
                "illisible ; joignez le fichier complet.")
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return ("PDF protégé par mot de passe : retirez la protection (par exemple en "
                    "l'imprimant en PDF) puis joignez-le à nouveau.")
        if len(reader.pages) < 1:
            return "Le fichier PDF ne contient aucune page : joignez le document complet."
        active = _active_content(reader) | _raw_active_content(data)
    except Exception:  # pypdf raises many kinds of errors on broken files
        return "Le fichier PDF est illisible ou endommagé : joignez un PDF valide."
    if active:
        kinds = " et ".join(label for key, label in _ACTIVE_LABELS if key in active)
        return (f"PDF refusé : il contient du contenu actif ({kinds}). Enregistrez-le à "
                "nouveau sans ce contenu (par exemple en l'imprimant en PDF) puis joignez-le.")
    return None


# ------------------------------------------------------------------ active content
JS, LAUNCH, EMBEDDED = "js", "launch", "embedded"
_ACTIVE_LABELS = ((JS, "JavaScript"), (LAUNCH, "action de lancement d'un programme"),
                  (EMBEDDED, "fichier joint intégré"))
# Action types (/S) that run something; a /GoTo, /URI or named action only moves the view.
_ACTIVE_ACTIONS = {"/JavaScript": JS, "/Launch": LAUNCH, "/GoToE": EMBEDDED,
                   "/RichMediaExecute": JS}
# Keys never followed: the page tree's back links and the content, fonts and images of pages,
# which hold no actions and are most of a large file.
_NOT_FOLLOWED = frozenset({"/Parent", "/P", "/Contents", "/Resources", "/Font", "/XObject",
                           "/StructTreeRoot", "/StructParent", "/StructParents", "/Metadata",
                           "/Thumb", "/ParentTree", "/Prev", "/Last"})
_MAX_VISITED = 500_000


def _active_content(reader: Any) -> set[str]:
    """Walk what the catalog reaches (its /OpenAction and /AA, the /Names tree, the pages with
    their /AA and annotations, the form fields, the bookmarks and every /Next), without the
    pages' content, and name the active content met: JavaScript, launch actions, embedded
    files."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    containers = (DictionaryObject, ArrayObject, IndirectObject)
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer.get("/Root")]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        if not isinstance(node, DictionaryObject | ArrayObject):
            continue
        visited += 1
        if visited > _MAX_VISITED:
            raise ValueError("structure too large to inspect")
        if isinstance(node, DictionaryObject):  # streams are dictionaries too: not their data
            kind = _ACTIVE_ACTIONS.get(_name_of(node, "/S"))
            if kind:
                found.add(kind)
            if "/JS" in node:
                found.add(JS)
            if ("/EmbeddedFiles" in node or "/EF" in node
                    or _name_of(node, "/Type") == "/EmbeddedFile"
                    or _name_of(node, "/Subtype") in ("/FileAttachment", "/RichMedia")):
                found.add(EMBEDDED)
            if "/JavaScript" in node and "/S" not in node:  # the /Names tree of scripts
                found.add(JS)
            stack.extend(v for k, v in node.items()
                         if k not in _NOT_FOLLOWED and isinstance(v, containers))
        else:
            stack.extend(v for v in node if isinstance(v, containers))
    return found


def _name_of(node: Any, key: str) -> str:
    """The name under `key`, even written as an indirect object; "" when there is none."""
    return str(node[key]) if key in node else ""


# Names as written in the file, with their #xx escapes decoded: /J#61vaScript is /JavaScript.
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_RAW_ACTIVE = {b"JavaScript": JS, b"JS": JS, b"Launch": LAUNCH, b"EmbeddedFiles": EMBEDDED,
               b"EmbeddedFile": EMBEDDED, b"GoToE": EMBEDDED}
# Outside strings, comments and streams, the next string, comment or stream to skip.
_SKIPPED = re.compile(rb"[(%]|(?<![A-Za-z])stream(?=[\r\n])")
_IN_STRING = re.compile(rb"\\.|[()]", re.DOTALL)
_LINE_END = re.compile(rb"[\r\n]")


def _raw_active_content(data: bytes) -> set[str]:
    """The same names looked for in the bytes, belt and braces: objects that nothing refers
    to, or that a damaged cross-reference table hides from the walk. The text of strings,
    comments and streams (the pages' words, compressed data) is left out, so that a document
    *about* JavaScript is not refused."""
    found: set[str] = set()
    for part in _structure(data):
        if b"/" not in part:
            continue
        for match in _NAME.finditer(part):
            name = match.group(1)
            if b"#" in name:
                name = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
            kind = _RAW_ACTIVE.get(name)
            if kind:
                found.add(kind)
    return found


def _structure(data: bytes) -> list[bytes]:
    """The bytes of `data` that are neither in a string, a comment nor a stream."""
    parts: list[bytes] = []
    pos, end = 0, len(data)
    while pos < end:
        match = _SKIPPED.search(data, pos)
        if match is None:
            parts.append(data[pos:])
            break
        parts.append(data[pos : match.start()])
        token = match.group()
        if token == b"(":
            depth, pos = 1, match.end()
            for inner in _IN_STRING.finditer(data, pos):
                char = inner.group()
                depth += 1 if char == b"(" else -1 if char == b")" else 0
                if depth == 0:
                    pos = inner.end()
                    break
            else:
                pos = end
        elif token == b"%":
            line_end = _LINE_END.search(data, match.end())
            pos = line_end.end() if line_end else end
        else:
            stop = data.find(b"endstream", match.end())
            pos = stop + len(b"endstream") if stop >= 0 else end
    return parts


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
