"""Uploaded PDFs (`core.files.check_pdf`): what is refused, with which French message, and that
ordinary PDFs (the hand-written demo ones, fpdf2's, pypdf's) are still accepted.

The hostile files are small and built here, with pypdf's writer or by hand, so that every
place where a PDF can hide an action is tried: the catalog's /OpenAction and /AA, the /Names
tree, pages' /AA, annotations' /A and /AA, form fields, bookmarks, chained /Next actions, names
written with #xx escapes, and objects that nothing references (found by the raw byte scan).
"""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from core.errors import ValidationFailed
from core.files import MAX_PDF_BYTES, check_pdf, make_demo_pdf, tiny_pdf

ACTIVE = "contenu actif"


# ------------------------------------------------------------------ builders
def hand_pdf(
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    extra: tuple[bytes, ...] = (),
    content: bytes = b"BT /F1 12 Tf 60 780 Td (Facture) Tj ET",
    info: bytes = b"",
) -> bytes:
    """A one-page PDF written by hand, with room for extra catalog and page entries and extra
    objects (numbered from 6 on). `info` becomes the document information dictionary."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R " + page + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *extra,
    ]
    if info:
        objects.append(info)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    info_ref = b" /Info %d 0 R" % len(objects) if info else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, info_ref, xref)
    return bytes(out)


def compressed_pdf(action: bytes) -> bytes:
    """A PDF 1.5 whose /OpenAction (object 7) lives in a compressed object stream (object 6),
    with a cross-reference stream (object 8): the action's names are not in the raw bytes."""
    inner = b"7 0 " + action
    first = inner.index(action)
    packed = zlib.compress(inner)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 7 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Producer (test) >>",
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (first, len(packed)) + packed + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref_offset = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    rows += [b"\x01" + off.to_bytes(4, "big") + b"\x00\x00" for off in offsets]
    rows.append(b"\x02" + (6).to_bytes(4, "big") + b"\x00\x00")  # object 7: in 6, index 0
    rows.append(b"\x01" + xref_offset.to_bytes(4, "big") + b"\x00\x00")  # object 8 itself
    table = b"".join(rows)
    out += (b"8 0 obj\n<< /Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % len(table) + table + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def _writer() -> PdfWriter:
    return PdfWriter(clone_from=PdfReader(io.BytesIO(tiny_pdf(["Facture"]))))


def _bytes(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _name(value: str) -> NameObject:
    return NameObject(value)


def _refused(data: bytes) -> str:
    with pytest.raises(ValidationFailed) as info:
        check_pdf("piece.pdf", data, "file")
    assert set(info.value.errors) == {"file"}
    return info.value.errors["file"]


# ------------------------------------------------------------------ what stays accepted
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(tiny_pdf(["Facture 2026-001", "12 500,50 EUR"]), id="tiny_pdf"),
        pytest.param(make_demo_pdf("Facture", ["ligne 1", "ligne 2"]), id="fpdf2"),
        pytest.param(hand_pdf(), id="by-hand"),
        pytest.param(hand_pdf(catalog=b"/OpenAction [3 0 R /Fit]"), id="open-at-page-1"),
        pytest.param(hand_pdf(catalog=b"/OpenAction << /S /GoTo /D [3 0 R /XYZ 0 842 1] >>"),
                     id="open-with-goto"),
        pytest.param(hand_pdf(catalog=b"/PageMode /UseOutlines /Outlines 6 0 R", extra=(
            b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
            b"<< /Title (Facture) /Parent 6 0 R /A << /S /GoTo /D [3 0 R /Fit] >> >>",
        )), id="bookmark-goto"),
        pytest.param(hand_pdf(page=b"/Annots [6 0 R]", extra=(
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] "
            b"/A << /S /URI /URI (https://www.portnet.ma) >> >>",
        )), id="web-link"),
        # The words are text of the page or of the title, not names of the structure.
        pytest.param(hand_pdf(content=b"BT /F1 12 Tf 60 780 Td (Guide /JavaScript /Launch "
                                      b"/EmbeddedFiles /JS) Tj ET"), id="words-in-the-text"),
        pytest.param(hand_pdf(info=b"<< /Title (Notes \\(/JS\\) et /JavaScript) >>"),
                     id="words-in-the-title"),
        pytest.param(compressed_pdf(b"<< /S /GoTo /D [3 0 R /Fit] >>"), id="compressed-goto"),
    ],
)
def test_ordinary_pdfs_are_accepted(data: bytes) -> None:
    checked = check_pdf("../Facture été.PDF", data)
    assert checked.data == data and checked.size == len(data)
    assert checked.file_name == "Facture_ete.pdf"


def test_a_view_only_open_action_written_by_pypdf_is_accepted() -> None:
    writer = _writer()
    writer.root_object[_name("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, _name("/FitH"), NumberObject(842)])
    writer.page_mode = "/UseThumbs"
    check_pdf("f.pdf", _bytes(writer))


# ------------------------------------------------------------------ active content
def test_document_javascript_is_refused() -> None:
    writer = _writer()
    writer.add_open_action(JavaScript("app.alert('bonjour');"))
    message = _refused(_bytes(writer))
    assert message.startswith("PDF refusé : il contient du contenu actif (JavaScript)")


def test_page_open_javascript_is_refused() -> None:
    writer = _writer()
    writer.pages[0].add_action(PageTrigger.OPEN, JavaScript("app.alert(1);"))
    assert "JavaScript" in _refused(_bytes(writer))


def test_embedded_file_is_refused() -> None:
    writer = _writer()
    writer.add_attachment("notes.txt", b"bonjour")
    message = _refused(_bytes(writer))
    assert ACTIVE in message and "fichier joint" in message


def test_launch_open_action_is_refused() -> None:
    writer = _writer()
    writer.root_object[_name("/OpenAction")] = DictionaryObject({
        _name("/S"): _name("/Launch"), _name("/F"): TextStringObject("calc.exe")})
    message = _refused(_bytes(writer))
    assert ACTIVE in message and "lancement" in message


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        pytest.param(hand_pdf(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
                     "JavaScript", id="open-action-js"),
        pytest.param(hand_pdf(catalog=b"/AA << /WC << /S /JavaScript /JS (x) >> >>"),
                     "JavaScript", id="catalog-aa"),
        pytest.param(hand_pdf(catalog=b"/OpenAction 6 0 R", extra=(
            b"<< /S /Launch /Win << /F (cmd.exe) >> >>",)), "lancement", id="indirect-launch"),
        pytest.param(hand_pdf(catalog=b"/OpenAction << /S /GoTo /D [3 0 R /Fit] "
                                      b"/Next [<< /S /JavaScript /JS (x) >>] >>"),
                     "JavaScript", id="goto-then-js"),
        pytest.param(hand_pdf(page=b"/AA << /C << /S /Launch /F (x.exe) >> >>"),
                     "lancement", id="page-close"),
        pytest.param(hand_pdf(page=b"/Annots [6 0 R]", extra=(
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] "
            b"/A << /S /JavaScript /JS 7 0 R >> >>",
            b"<< /Length 5 >>\nstream\nx=1;\nendstream",
        )), "JavaScript", id="link-js"),
        pytest.param(hand_pdf(page=b"/Annots [6 0 R]", extra=(
            b"<< /Type /Annot /Subtype /Widget /Rect [0 0 10 10] "
            b"/AA << /E << /S /Launch /F (a.exe) >> >> >>",
        )), "lancement", id="widget-aa"),
        pytest.param(hand_pdf(page=b"/Annots [6 0 R]", extra=(
            b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] "
            b"/FS << /Type /Filespec /F (a.txt) /EF << /F 7 0 R >> >> >>",
            b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nhi\nendstream",
        )), "fichier joint", id="file-attachment-annotation"),
        pytest.param(hand_pdf(catalog=b"/AcroForm << /Fields [6 0 R] >>", extra=(
            b"<< /FT /Tx /T (montant) /AA << /K << /S /JavaScript /JS (x) >> >> >>",
        )), "JavaScript", id="form-field-keystroke"),
        pytest.param(hand_pdf(catalog=b"/Outlines 6 0 R", extra=(
            b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
            b"<< /Title (Ouvrir) /Parent 6 0 R /A << /S /Launch /F (x.exe) >> >>",
        )), "lancement", id="bookmark-launch"),
        pytest.param(hand_pdf(catalog=b"/Names << /EmbeddedFiles 6 0 R >>", extra=(
            b"<< /Names [(a.txt) << /Type /Filespec /F (a.txt) >>] >>",)),
                     "fichier joint", id="names-embedded-files"),
        # Names may be written with #xx escapes: /J#61vaScript is /JavaScript.
        pytest.param(hand_pdf(catalog=b"/OpenAction << /S /J#61vaScript /J#53 (x) >>"),
                     "JavaScript", id="escaped-names"),
        # In a compressed object stream: only the walk of the structure sees it.
        pytest.param(compressed_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
                     "JavaScript", id="compressed-object-stream"),
        pytest.param(compressed_pdf(b"<< /S /Launch /F (calc.exe) >>"),
                     "lancement", id="compressed-launch"),
        # Nothing refers to object 6: only the raw scan of the bytes sees it.
        pytest.param(hand_pdf(extra=(b"<< /S /JavaScript /JS (app.alert(1)) >>",)),
                     "JavaScript", id="unreferenced-object"),
        pytest.param(hand_pdf(extra=(b"<< /Type /Action /S /Launch /F (x.exe) >>",)),
                     "lancement", id="unreferenced-launch"),
    ],
)
def test_actions_hidden_anywhere_are_refused(data: bytes, kind: str) -> None:
    message = _refused(data)
    assert ACTIVE in message and kind in message


# ------------------------------------------------------------------ encrypted
@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
@pytest.mark.parametrize("user_password", ["", "secret"])
def test_encrypted_pdf_is_refused_as_such(algorithm: str, user_password: str) -> None:
    writer = _writer()
    writer.encrypt(user_password, "proprietaire", algorithm=algorithm)
    message = _refused(_bytes(writer))
    assert message.startswith("PDF protégé par mot de passe : ")
    assert "illisible" not in message


# ------------------------------------------------------------------ not a usable PDF
def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("facture.pdf", tiny_pdf(["Facture"]))
    return buf.getvalue()


def test_empty_file() -> None:
    assert _refused(b"") == "Fichier vide : joignez un document PDF."


def test_too_large() -> None:
    data = tiny_pdf(["gros"])
    data += b"%" * (MAX_PDF_BYTES + 1 - len(data))
    assert _refused(data) == "Fichier trop volumineux (3\u202f145\u202f729\u00a0octets) : 3 Mo au plus."


def test_not_a_pdf() -> None:
    message = _refused(b"MZ\x90\x00 un programme")
    assert message.startswith("Seuls les documents PDF sont acceptés")


def test_an_image_is_named_as_such() -> None:
    message = _refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert message.startswith("Seuls les documents PDF sont acceptés") and "image" in message


def test_a_zip_renamed_pdf() -> None:
    message = _refused(_zip())
    assert message.startswith("Seuls les documents PDF sont acceptés") and "ZIP" in message


def test_a_zip_appended_to_a_pdf() -> None:
    message = _refused(tiny_pdf(["Facture"]) + _zip())
    assert "ZIP" in message


def test_a_truncated_pdf() -> None:
    data = make_demo_pdf("Facture", ["ligne"] * 20)
    message = _refused(data[: len(data) * 2 // 3])
    assert message.startswith("Le fichier PDF est incomplet (tronqué)")


def test_a_damaged_pdf() -> None:
    data = bytearray(hand_pdf())
    start = data.index(b"xref")
    data[start:] = b"\x00" * (len(data) - start - 6) + b"%%EOF\n"
    data[9:200] = b"#" * 191
    assert _refused(bytes(data)) == (
        "Le fichier PDF est illisible ou endommagé : joignez un PDF valide.")


def test_a_pdf_without_pages() -> None:
    data = hand_pdf().replace(b"/Kids [3 0 R] /Count 1", b"/Kids [] /Count 0")
    assert "aucune page" in _refused(data)
