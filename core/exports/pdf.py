"""The licence printed as an official-looking A4 form (« Imprimer ») and the blank form to fill
by hand (« Imprimer Vide »), with fpdf2's core fonts. The footer's help-desk line comes from the
settings (`core.config`).

Every function returns bytes and writes nothing to disk. Never imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.util import Padding

from core.config import settings
from core.exports.tables import code_label
from core.lifecycle import STATUS_COLOURS, Status
from core.records import GoodsLineView, LicenceDetail
from core.reference import INCOTERMS, currencies
from core.text import (
    LOCAL_TIME_LABEL,
    fr_amount,
    fr_date,
    fr_quantity,
    fr_time,
    utc_naive,
)

DASH = "—"
CATEGORY_LABELS = {"LE": "Licence d'Exportation"}


# Characters outside windows-1252 that have a readable equivalent; anything else becomes "?".
_PDF_TRANSLATION = str.maketrans(
    {
        "\u202f": "\u00a0",
        "\u2009": " ",
        "\u2007": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\u2190": "<-",
        "\u2248": "~",
        "\u2260": "!=",
        "\r": "",
        "\t": " ",
    }
)
_PDF_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def pdf_safe_text(text: str) -> str:
    """Text the PDF core fonts can draw: NFC, windows-1252 only ("?" for the rest), no controls
    except line breaks. Idempotent."""
    text = unicodedata.normalize("NFC", text).translate(_PDF_TRANSLATION)
    text = _PDF_CONTROL.sub(" ", text)
    return text.encode("windows-1252", errors="replace").decode("windows-1252")


Pairs = tuple[tuple[str, str], ...]
Cells = tuple[str, ...]

DARK_BLUE = (31, 56, 100)
LIGHT_BLUE = (221, 231, 244)
LABEL_GREY = (242, 244, 247)
TEXT_GREY = (90, 90, 90)
ZEBRA = (248, 249, 251)
MARGIN = 12.0
PAGE_WIDTH = 210.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN  # 186 mm
BLANK_ROW_HEIGHT = 8.0
BOX_PADDING = Padding(1.5, 1.5, 1.5, 1.5)


@dataclass(frozen=True)
class _TableSpec:
    headings: Cells
    widths: tuple[float, ...]
    aligns: tuple[str, ...]


INVOICE_TABLE = _TableSpec(("Montant", "Date", "Fichier"), (50, 30, 106), ("R", "C", "L"))
DOCUMENT_TABLE = _TableSpec(
    ("Type", "Description", "Date", "Fichier"), (42, 70, 22, 52), ("L", "L", "C", "L")
)
GOODS_TABLE = _TableSpec(
    (
        "N°",
        "Désignation commerciale",
        "Nomenclature",
        "Origine",
        "Quantité",
        "Poids net (kg)",
        "Unités compl.",
        "Imputé",
        "Reste",
    ),
    (9, 45, 22, 22, 18, 19, 19, 16, 16),
    ("C", "L", "C", "L", "R", "R", "R", "R", "R"),
)
IMPUTATION_TABLE = _TableSpec(
    ("Déclaration", "Date", "Bureau", "Ligne", "Quantité", "Valeur"),
    (38, 22, 54, 14, 24, 34),
    ("L", "C", "L", "C", "R", "R"),
)
REPATRIATION_TABLE = _TableSpec(
    ("Référence bancaire", "Date", "Montant"), (96, 30, 60), ("L", "C", "R")
)


@dataclass(frozen=True)
class _Grid:
    """Rows of one table of the form; `blank_rows` empty rows to fill by hand."""

    rows: tuple[Cells, ...] = ()
    total: Cells | None = None
    blank_rows: int = 0
    empty_text: str = ""


@dataclass(frozen=True)
class _Form:
    """Everything the form shows, already as text. The blank form has the same shape."""

    number: str
    status: Status | None
    category: str
    exporter: Pairs
    general: Pairs
    countries: str
    invoices: _Grid
    documents: _Grid
    goods: _Grid
    visa: Pairs
    imputations: _Grid | None = None
    repatriations: _Grid | None = None
    repatriation_summary: str = ""
    reasons: Pairs = ()
    blank: bool = False


EXPORTER_LABELS = ("Raison sociale", "ICE")
GENERAL_LABELS = (
    "Destinataire",
    "Catégorie",
    "Montant total",
    "Devise",
    "Régime douanier",
    "Bureau douanier",
    "Modalité de paiement",
    "Incoterm",
    "Créée le",
    "Soumise le",
)
VISA_LABELS = ("N° de visa", "Date du visa", "Fin de validité")


def _or_dash(value: str | None) -> str:
    return value.strip() if value and value.strip() else DASH


def _currency_label(code: str) -> str:
    return code_label(code, currencies().get(code, ""))


def _general_values(detail: LicenceDetail) -> tuple[str, ...]:
    category = code_label(detail.category, CATEGORY_LABELS.get(detail.category, ""))
    return (
        _or_dash(detail.recipient),
        _or_dash(category),
        fr_amount(detail.total_amount, detail.currency),
        _or_dash(_currency_label(detail.currency)),
        _or_dash(code_label(detail.customs_regime, detail.customs_regime_label)),
        _or_dash(code_label(detail.customs_office, detail.customs_office_label)),
        _or_dash(detail.payment_terms_label or detail.payment_terms),
        _or_dash(INCOTERMS.get(detail.incoterm, detail.incoterm)),
        _or_dash(fr_date(detail.created_at)),
        _or_dash(fr_date(detail.submitted_at)),
    )


def _quantity(value: Decimal) -> str:
    """Up to 3 decimals; plain spaces so a huge figure wraps between digit groups in a table."""
    return fr_quantity(value, group=" ")


def _supplementary(line: GoodsLineView) -> str:
    if line.supplementary_units is None:
        return DASH
    unit = f" {line.supplementary_unit_name}" if line.supplementary_unit_name else ""
    return _quantity(line.supplementary_units) + unit


def _goods_cells(line: GoodsLineView) -> Cells:
    return (
        str(line.line_no),
        _or_dash(line.designation),
        _or_dash(line.tariff_code),
        _or_dash(line.origin_country_name or line.origin_country),
        _quantity(line.quantity),
        _quantity(line.net_weight),
        _supplementary(line),
        _quantity(line.imputed_quantity),
        _quantity(line.remaining_quantity),
    )


def _invoices_grid(detail: LicenceDetail) -> _Grid:
    rows = tuple(
        (fr_amount(i.amount, detail.currency), fr_date(i.invoice_date), _or_dash(i.file.file_name))
        for i in detail.invoices
    )
    total = None
    if len(rows) > 1:
        total = (f"Total : {fr_amount(detail.invoices_total, detail.currency)}", "", "")
    return _Grid(rows, total, empty_text="Aucune facture.")


def _documents_grid(detail: LicenceDetail) -> _Grid:
    rows = tuple(
        (
            _or_dash(doc.doc_type_label or doc.doc_type),
            _or_dash(doc.description),
            fr_date(doc.doc_date),
            _or_dash(doc.file.file_name),
        )
        for doc in detail.documents
    )
    return _Grid(rows, empty_text="Aucun document.")


def _undone(reference: str, mark: str, undone_at: dt.datetime | None) -> str:
    """A reversed imputation or a withdrawn repatriation stays listed, marked with the day it
    was undone (and out of the total)."""
    suffix = f" ({mark} le {fr_date(undone_at)})" if undone_at is not None else ""
    return _or_dash(reference) + suffix


def _imputations_grid(detail: LicenceDetail) -> _Grid | None:
    if not detail.imputations:
        return None
    rows = tuple(
        (
            _undone(imp.declaration_ref, "annulée", imp.reversed_at),
            fr_date(imp.declaration_date),
            _or_dash(imp.customs_office_label or imp.customs_office),
            str(line.line_no),
            _quantity(line.quantity),
            fr_amount(line.value, detail.currency),
        )
        for imp in detail.imputations
        for line in imp.lines
    )
    total = ("Total imputé", "", "", "", "", fr_amount(detail.imputed_value, detail.currency))
    return _Grid(rows, total)


def _repatriations_grid(detail: LicenceDetail) -> _Grid | None:
    if not detail.repatriations:
        return None
    rows = tuple(
        (
            _undone(r.bank_reference, "retiré", r.withdrawn_at),
            fr_date(r.repatriation_date),
            fr_amount(r.amount, detail.currency),
        )
        for r in detail.repatriations
    )
    return _Grid(rows, ("Total rapatrié", "", fr_amount(detail.repatriated_amount, detail.currency)))


def _repatriation_summary(detail: LicenceDetail) -> str:
    if not detail.repatriations:
        return ""
    rest = max(Decimal(0), detail.imputed_value - detail.repatriated_amount)
    return (
        f"Valeur imputée : {fr_amount(detail.imputed_value, detail.currency)} — "
        f"rapatriée : {fr_amount(detail.repatriated_amount, detail.currency)} — "
        f"reste à rapatrier : {fr_amount(rest, detail.currency)}"
    )


def _visa_values(detail: LicenceDetail) -> tuple[str, ...]:
    if not detail.visa_number:
        return ("Non visée", "", "")
    return (detail.visa_number, fr_date(detail.visa_date) or DASH, fr_date(detail.validity_end) or DASH)


def _reasons(detail: LicenceDetail) -> Pairs:
    reasons = (
        ("Motif du refus", detail.refusal_reason),
        ("Motif du renvoi pour correction", detail.correction_reason),
        ("Motif de l'annulation", detail.cancellation_reason),
    )
    return tuple((label, text.strip()) for label, text in reasons if text and text.strip())


def _form_from_detail(detail: LicenceDetail) -> _Form:
    extra: Pairs = (("Copiée de", detail.copied_from),) if detail.copied_from else ()
    return _Form(
        number=detail.registration_number,
        status=detail.status,
        category=code_label(detail.category, CATEGORY_LABELS.get(detail.category, "")),
        exporter=tuple(
            zip(EXPORTER_LABELS, (_or_dash(detail.company_name), _or_dash(detail.company_ice)), strict=True)
        ),
        general=tuple(zip(GENERAL_LABELS, _general_values(detail), strict=True)) + extra,
        countries=", ".join(c.name or c.code for c in detail.countries) or DASH,
        invoices=_invoices_grid(detail),
        documents=_documents_grid(detail),
        goods=_Grid(tuple(_goods_cells(g) for g in detail.goods), empty_text="Aucune marchandise."),
        visa=tuple(zip(VISA_LABELS, _visa_values(detail), strict=True)),
        imputations=_imputations_grid(detail),
        repatriations=_repatriations_grid(detail),
        repatriation_summary=_repatriation_summary(detail),
        reasons=_reasons(detail),
    )


def _blank_pairs(labels: Iterable[str]) -> Pairs:
    return tuple((label, "") for label in labels)


def _blank_form() -> _Form:
    return _Form(
        number="",
        status=None,
        category="",
        exporter=_blank_pairs(EXPORTER_LABELS),
        general=_blank_pairs(GENERAL_LABELS),
        countries="",
        invoices=_Grid(blank_rows=4),
        documents=_Grid(blank_rows=4),
        goods=_Grid(blank_rows=10),
        visa=_blank_pairs(VISA_LABELS),
        blank=True,
    )


def helpdesk_line() -> str:
    """The footer's help-desk line, from the settings (the same as the screens' footer)."""
    cfg = settings()
    return f"HelpDesk PortNet : {cfg.helpdesk_phone} — {cfg.helpdesk_url}"


class _LicencePdf(FPDF):
    """A4 portrait, core fonts in windows-1252, every text sanitised, running header/footer."""

    def __init__(self, running_title: str, generated_at: dt.datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.running_title = running_title
        self.generated_at = generated_at
        self.helpdesk = helpdesk_line()
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_creator("Export Licence Desk")
        self.set_title(running_title)
        self.set_creation_date(generated_at.replace(tzinfo=dt.UTC))

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_safe_text(text))

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(*TEXT_GREY)
        self.cell(0, 5, f"{self.running_title} (suite)", align="R")
        self.ln(8)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*DARK_BLUE)
        self.set_line_width(0.3)
        self.line(MARGIN, self.get_y(), PAGE_WIDTH - MARGIN, self.get_y())
        self.set_font("Helvetica", "", 7)
        self.set_text_color(*TEXT_GREY)
        self.ln(1)
        self.cell(0, 4, self.helpdesk, align="C", new_x="LMARGIN", new_y="NEXT")
        when = self.generated_at
        stamp = f"Généré le {fr_date(when)} à {fr_time(when)} ({LOCAL_TIME_LABEL})"
        self.cell(CONTENT_WIDTH / 2, 4, stamp, align="L")
        self.cell(CONTENT_WIDTH / 2, 4, f"Page {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def ensure_space(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _draw_title_band(pdf: _LicencePdf, form: _Form) -> None:
    top, height = MARGIN, 26.0
    pdf.set_fill_color(*DARK_BLUE)
    pdf.rect(MARGIN, top, CONTENT_WIDTH, height, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(MARGIN + 4, top + 3)
    pdf.set_font("Helvetica", "B", 12.5)
    pdf.cell(110, 7, "ROYAUME DU MAROC — Licence d'Exportation")
    pdf.set_xy(MARGIN + 4, top + 11)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(
        104,
        4,
        "Ministère chargé du Commerce Extérieur\n"
        "Guichet unique national des procédures du commerce extérieur — PortNet",
    )
    _draw_identity(pdf, form, top)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(top + height + 4)


def _draw_identity(pdf: _LicencePdf, form: _Form, top: float) -> None:
    """The right part of the band: number, status badge, category (lines to fill when blank)."""
    x, width, label_w = MARGIN + 111, CONTENT_WIDTH - 115, 27.5
    rows = (("N° d'enregistrement", form.number), ("Statut", ""), ("Catégorie", form.category))
    for i, (label, value) in enumerate(rows):
        y = top + 3 + i * 7
        pdf.set_xy(x, y)
        pdf.set_font("Helvetica", "", 7.5)
        pdf.cell(label_w, 6, f"{label} :")
        if form.blank:
            pdf.set_draw_color(255, 255, 255)
            pdf.line(x + label_w, y + 5, x + width, y + 5)
        elif label == "Statut" and form.status is not None:
            _draw_badge(pdf, form.status, x + label_w, y + 0.5, width - label_w)
        else:
            pdf.set_font("Helvetica", "B", 10 if i == 0 else 8.5)
            pdf.cell(width - label_w, 6, value)


def _draw_badge(pdf: _LicencePdf, status: Status, x: float, y: float, max_w: float) -> None:
    text, size = status.label.upper(), 8.0
    pdf.set_font("Helvetica", "B", size)
    while pdf.get_string_width(text) + 4 > max_w and size > 5:
        size -= 0.5
        pdf.set_font("Helvetica", "B", size)
    width = min(max_w, pdf.get_string_width(text) + 5)
    pdf.set_fill_color(*_hex_rgb(STATUS_COLOURS[status]))
    pdf.set_draw_color(255, 255, 255)
    pdf.set_line_width(0.3)
    pdf.set_xy(x, y)
    pdf.cell(width, 5, text, border=1, fill=True, align="C")


def _section_title(pdf: _LicencePdf, title: str, keep_with: float = 20) -> None:
    """A coloured title bar, moved to the next page with its first lines if they would not fit."""
    pdf.ensure_space(7 + keep_with)
    pdf.set_fill_color(*LIGHT_BLUE)
    pdf.set_text_color(*DARK_BLUE)
    pdf.set_font("Helvetica", "B", 9.5)
    pdf.cell(CONTENT_WIDTH, 6.5, title, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)  # tables fill unstyled cells with the current colour
    pdf.set_draw_color(170, 180, 195)
    pdf.set_line_width(0.2)


LABEL_STYLE = FontFace(
    family="Helvetica", emphasis="BOLD", size_pt=7.5, color=TEXT_GREY, fill_color=LABEL_GREY
)
VALUE_STYLE = FontFace(family="Helvetica", emphasis="", size_pt=9, fill_color=(255, 255, 255))
HEADING_STYLE = FontFace(
    family="Helvetica", emphasis="BOLD", size_pt=7.5, color=(255, 255, 255), fill_color=DARK_BLUE
)
TOTAL_STYLE = FontFace(family="Helvetica", emphasis="BOLD", size_pt=8, fill_color=LABEL_GREY)


def _chunks(pairs: Pairs, size: int) -> Iterator[Pairs]:
    for start in range(0, len(pairs), size):
        yield pairs[start : start + size]


def _draw_pairs(
    pdf: _LicencePdf, pairs: Pairs, *, blank: bool, columns: int = 2, width: float = CONTENT_WIDTH
) -> None:
    """Label/value boxes, `columns` pairs per line; tall empty boxes on the blank form."""
    label_w = 34.0
    value_w = width / columns - label_w
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(
        col_widths=(label_w, value_w) * columns,
        width=width,
        align="LEFT",
        first_row_as_headings=False,
        line_height=4.6,
        text_align="LEFT",
        padding=(1.2, 1.5),
        v_align="MIDDLE",
    ) as table:
        for chunk in _chunks(pairs, columns):
            row = table.row(min_height=BLANK_ROW_HEIGHT if blank else None)
            for label, value in chunk + (("", ""),) * (columns - len(chunk)):
                row.cell(label, style=LABEL_STYLE)
                row.cell(value, style=VALUE_STYLE)
    pdf.ln(3)


def _draw_grid(pdf: _LicencePdf, spec: _TableSpec, grid: _Grid) -> None:
    """A table whose header repeats on every page it runs onto; rows grow to wrap long text."""
    if not grid.rows and not grid.blank_rows:
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.set_text_color(*TEXT_GREY)
        pdf.cell(CONTENT_WIDTH, 6, grid.empty_text or DASH, border=1, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(3)
        return
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(
        col_widths=spec.widths,
        width=sum(spec.widths),
        align="LEFT",
        headings_style=HEADING_STYLE,
        line_height=4,
        text_align=spec.aligns,
        padding=(1, 1.2),
        repeat_headings=1,
        cell_fill_mode="ROWS",
        cell_fill_color=ZEBRA,
        v_align="TOP",
    ) as table:
        table.row(spec.headings, v_align="MIDDLE")
        for cells in grid.rows:
            table.row(cells)
        for _ in range(grid.blank_rows):
            table.row(("",) * len(spec.headings), min_height=BLANK_ROW_HEIGHT)
        if grid.total is not None:
            table.row(grid.total, style=TOTAL_STYLE)
    pdf.ln(3)


def _draw_text_box(pdf: _LicencePdf, text: str, *, blank: bool, lines: int = 2) -> None:
    pdf.set_font("Helvetica", "", 9)
    if blank:
        pdf.cell(
            CONTENT_WIDTH, BLANK_ROW_HEIGHT * lines, "", border=1, new_x="LMARGIN", new_y="NEXT"
        )
    else:
        _boxed_text(pdf, text, line_height=5)
    pdf.ln(3)


def _boxed_text(pdf: _LicencePdf, text: str, *, line_height: float) -> None:
    """Free text across the page in a bordered box, growing (and running on) with the text."""
    pdf.multi_cell(
        CONTENT_WIDTH,
        line_height,
        text,
        border=1,
        padding=BOX_PADDING,
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _draw_visa(pdf: _LicencePdf, form: _Form) -> None:
    """Visa fields on the left, a box for the Ministry's stamp and signature on the right."""
    height = 34.0
    _section_title(pdf, "Visa du Ministère du Commerce Extérieur", keep_with=height)
    top = pdf.get_y()
    left_w = 104.0
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(
        col_widths=(34, left_w - 34),
        width=left_w,
        align="LEFT",
        first_row_as_headings=False,
        line_height=5,
        text_align="LEFT",
        padding=(1.2, 1.5),
    ) as table:
        for label, value in form.visa:
            row = table.row(min_height=height / len(form.visa))
            row.cell(label, style=LABEL_STYLE)
            row.cell(value, style=VALUE_STYLE)
    bottom = pdf.get_y()
    _draw_signature_box(pdf, MARGIN + left_w + 4, top, CONTENT_WIDTH - left_w - 4, height)
    pdf.set_y(max(bottom, top + height) + 4)


def _draw_signature_box(pdf: _LicencePdf, x: float, y: float, w: float, h: float) -> None:
    pdf.set_draw_color(170, 180, 195)
    pdf.rect(x, y, w, h)
    pdf.set_xy(x + 2, y + 1.5)
    pdf.set_font("Helvetica", "B", 7.5)
    pdf.set_text_color(*TEXT_GREY)
    pdf.cell(w - 4, 4, "Cachet et signature du Ministère", align="C")
    pdf.set_font("Helvetica", "", 7.5)
    pdf.set_xy(x + 2, y + h - 6)
    pdf.cell(14, 4, "Date :")
    pdf.set_draw_color(150, 150, 150)
    pdf.line(x + 14, y + h - 2.5, x + w - 3, y + h - 2.5)
    pdf.set_text_color(0, 0, 0)


def _draw_reasons(pdf: _LicencePdf, reasons: Pairs) -> None:
    _section_title(pdf, "Motifs", keep_with=12)
    for label, text in reasons:
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(CONTENT_WIDTH, 5, f"{label} :", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        _boxed_text(pdf, text, line_height=4.6)
        pdf.ln(2)
    pdf.ln(1)


def _draw_form(pdf: _LicencePdf, form: _Form) -> None:
    blank = form.blank
    _draw_title_band(pdf, form)
    _section_title(pdf, "Exportateur")
    _draw_pairs(pdf, form.exporter, blank=blank)
    _section_title(pdf, "Informations générales", keep_with=30)
    _draw_pairs(pdf, form.general, blank=blank)
    _section_title(pdf, "Pays de destination")
    _draw_text_box(pdf, form.countries, blank=blank, lines=2 if blank else 1)
    _section_title(pdf, "Factures")
    _draw_grid(pdf, INVOICE_TABLE, form.invoices)
    _section_title(pdf, "Documents")
    _draw_grid(pdf, DOCUMENT_TABLE, form.documents)
    # The blank goods table stays on one page; a filled one may run on, header repeated.
    _section_title(
        pdf,
        "Marchandises",
        keep_with=12 + form.goods.blank_rows * BLANK_ROW_HEIGHT if blank else 24,
    )
    _draw_grid(pdf, GOODS_TABLE, form.goods)
    _draw_visa(pdf, form)
    if form.imputations is not None:
        _section_title(pdf, "Imputations douanières")
        _draw_grid(pdf, IMPUTATION_TABLE, form.imputations)
    if form.repatriations is not None:
        _section_title(pdf, "Rapatriements")
        _draw_grid(pdf, REPATRIATION_TABLE, form.repatriations)
        if form.repatriation_summary:
            pdf.set_font("Helvetica", "I", 8)
            pdf.multi_cell(
                CONTENT_WIDTH, 4.5, form.repatriation_summary, new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(3)
    if form.reasons:
        _draw_reasons(pdf, form.reasons)


def _render(form: _Form, running_title: str, generated_at: dt.datetime | None) -> bytes:
    stamp = utc_naive(generated_at or dt.datetime.now(dt.UTC))
    pdf = _LicencePdf(running_title, stamp)
    pdf.add_page()
    _draw_form(pdf, form)
    return bytes(pdf.output())


def licence_pdf(detail: LicenceDetail, *, generated_at: dt.datetime | None = None) -> bytes:
    """The licence printed as an official-looking A4 form (« Imprimer »)."""
    title = f"Licence d'Exportation {detail.registration_number}"
    return _render(_form_from_detail(detail), title, generated_at)


def blank_licence_pdf(*, generated_at: dt.datetime | None = None) -> bytes:
    """The empty form to fill by hand (« Imprimer Vide »)."""
    return _render(_blank_form(), "Licence d'Exportation (formulaire vierge)", generated_at)
