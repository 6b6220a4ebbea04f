"""Excel, CSV and PDF exports, read back with openpyxl, csv and pypdf."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
from decimal import Decimal
from typing import Any

import openpyxl
import pypdf
import pytest

from core.exports.pdf import blank_licence_pdf, licence_pdf, pdf_safe_text
from core.exports.tables import history_xlsx, search_csv, search_xlsx
from core.lifecycle import ROLE_LABELS, Action, Role, Status
from core.records import (
    CountryView,
    DocumentView,
    FieldChange,
    FileView,
    GoodsLineView,
    HistoryRow,
    ImputationLineView,
    ImputationView,
    InvoiceView,
    LicenceDetail,
    LicenceRow,
    RepatriationView,
)
from core.text import fr_amount

NUMBER = "LE-2026-000123"
RECIPIENT = "Société Générale d’Import « Cœur de Lyon » – 50 € la pièce"
VISA = "MCE-VISA-2026/0457"
REFUSAL = "Pièces manquantes : l’œuvre d’art n’est pas décrite (valeur > 10 000 €)"
HISTORY_HEADERS = [
    "Date (heure du Maroc)",
    "Utilisateur",
    "Profil",
    "Action",
    "Statut avant",
    "Statut après",
    "Champ",
    "Ancienne valeur",
    "Nouvelle valeur",
    "Motif / détails",
]
SEARCH_HEADERS = [
    "N° d'enregistrement",
    "Statut",
    "Exportateur",
    "Destinataire",
    "Montant total",
    "Devise",
    "Régime douanier",
    "Bureau douanier",
    "Créée le (heure du Maroc)",
    "Soumise le (heure du Maroc)",
    "Fin de validité",
]
DESIGNATIONS = (
    "Huile d’olive vierge extra « Cœur d’Atlas », bidons de 5 L",
    "Tomates cerises fraîches en barquettes de 250 g, catégorie I, calibre 20-25 mm",
    "Sardines à l’huile végétale, boîtes ¼ club 125 g",
    "Tapis berbère en laine nouée main",
    "Œufs de poisson (boutargue) séchés",
    "Clémentines",
)


def _file(i: int, name: str) -> FileView:
    return FileView(id=i, file_name=name, size=12_345, sha256="0" * 64)


def _goods(count: int) -> tuple[GoodsLineView, ...]:
    lines = []
    for n in range(1, count + 1):
        imputed = Decimal("40") if n <= 2 else Decimal("0")
        lines.append(
            GoodsLineView(
                id=n,
                line_no=n,
                designation=f"{DESIGNATIONS[(n - 1) % len(DESIGNATIONS)]} #{n}",
                origin_country="MA",
                origin_country_name="Maroc",
                quantity=Decimal("1250.5"),
                net_weight=Decimal("1200.125"),
                supplementary_units=Decimal("300") if n % 2 else None,
                tariff_code="1509200000",
                tariff_description="Huile d’olive vierge extra",
                supplementary_unit_name="l" if n % 2 else None,
                imputed_quantity=imputed,
                imputed_value=imputed * Decimal("12.5"),
            )
        )
    return tuple(lines)


def make_detail(goods_count: int = 6, **changes: Any) -> LicenceDetail:
    created = dt.datetime(2026, 3, 2, 9, 15)
    detail = LicenceDetail(
        id=1,
        registration_number=NUMBER,
        category="LE",
        company_id=7,
        company_name="Coopérative Agricole Aït Ourir SARL",
        company_ice="001234567000089",
        recipient=RECIPIENT,
        total_amount=Decimal("1234567.89"),
        currency="EUR",
        customs_regime="EF",
        customs_regime_label="Exportation ferme",
        customs_office="300",
        customs_office_label="Casablanca Port",
        payment_terms="VF",
        payment_terms_label="Vente ferme",
        incoterm="FOB",
        status=Status.PARTIALLY_IMPUTED,
        version=5,
        revision=1,
        created_by="exp1",
        created_at=created,
        updated_at=created,
        submitted_at=dt.datetime(2026, 3, 3, 10, 0),
        decided_at=dt.datetime(2026, 3, 5, 11, 0),
        visa_number=VISA,
        visa_date=dt.date(2026, 3, 5),
        validity_end=dt.date(2026, 9, 5),
        refusal_reason=None,
        correction_reason="Corriger le poids net de la ligne 2, s’il vous plaît",
        cancellation_reason=None,
        copied_from=None,
        countries=(CountryView(1, "FR", "France"), CountryView(2, "CI", "Côte d’Ivoire")),
        invoices=(
            InvoiceView(1, Decimal("1000000"), dt.date(2026, 2, 27), _file(1, "facture_001.pdf")),
            InvoiceView(2, Decimal("234567.89"), dt.date(2026, 2, 28), _file(2, "facture_002.pdf")),
        ),
        documents=(
            DocumentView(
                1,
                "CO",
                "Certificat d’origine",
                "Certificat EUR.1 – lot n° 4",
                dt.date(2026, 2, 26),
                _file(3, "eur1.pdf"),
            ),
        ),
        goods=_goods(goods_count),
        imputations=(
            ImputationView(
                id=1,
                declaration_ref="DUM 300-2026-0001234",
                declaration_date=dt.date(2026, 3, 10),
                customs_office="300",
                customs_office_label="Casablanca Port",
                created_at=dt.datetime(2026, 3, 10, 14, 0),
                created_by="douane1",
                lines=(
                    ImputationLineView(1, 1, Decimal("40"), Decimal("500.00")),
                    ImputationLineView(2, 2, Decimal("40"), Decimal("500.00")),
                ),
            ),
        ),
        repatriations=(
            RepatriationView(
                1,
                Decimal("600.00"),
                dt.date(2026, 4, 2),
                "ATW-2026-REF-778",
                dt.datetime(2026, 4, 2, 9, 0),
                "banque1",
                _file(4, "swift.pdf"),
            ),
        ),
    )
    return dataclasses.replace(detail, **changes)


def make_history() -> list[HistoryRow]:
    t0 = dt.datetime(2026, 4, 2, 9, 15)  # stored UTC; 10:15 in Morocco (UTC+1 outside Ramadan)
    return [
        HistoryRow(
            t0, "exp1", "exportateur", Action.CREATE, Action.CREATE.label, None, Status.DRAFT, None
        ),
        HistoryRow(
            t0 + dt.timedelta(days=1),
            "exp1",
            "exportateur",
            Action.SUBMIT,
            Action.SUBMIT.label,
            Status.DRAFT,
            Status.SUBMITTED,
            None,
        ),
        HistoryRow(
            t0 + dt.timedelta(days=2),
            "mce1",
            "mce",
            Action.REFUSE,
            Action.REFUSE.label,
            Status.SUBMITTED,
            Status.REFUSED,
            REFUSAL,
        ),
        HistoryRow(
            t0 + dt.timedelta(days=3, hours=1),
            "mallory",
            "exportateur",
            Action.COPY,
            Action.COPY.label,
            Status.REFUSED,
            Status.REFUSED,
            '=HYPERLINK("x")',
        ),
    ]


def make_rows(count: int) -> list[LicenceRow]:
    base = dt.datetime(2026, 1, 1, 8, 30)
    return [
        LicenceRow(
            id=i,
            registration_number=f"LE-2026-{i:06d}",
            status=(Status.VISAED, Status.DRAFT, Status.SETTLED)[i % 3],
            company_name="Coopérative Agricole Aït Ourir SARL",
            recipient=RECIPIENT if i % 2 else None,
            total_amount=Decimal("1234567.89") + i,
            currency="EUR",
            customs_regime="EF",
            customs_office="300",
            created_at=base + dt.timedelta(minutes=i),
            submitted_at=base + dt.timedelta(days=1) if i % 3 != 1 else None,
            validity_end=dt.date(2026, 9, 5) if i % 3 == 0 else None,
            version=1,
        )
        for i in range(1, count + 1)
    ]


def _sheet(data: bytes, name: str) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [name]
    return list(workbook[name].iter_rows(values_only=True))


def _pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    # Amounts use no-break spaces; compare on plain spaces.
    return [(page.extract_text() or "").replace("\u00a0", " ") for page in reader.pages]


def _flat(text: str) -> str:
    """Text with line breaks folded: a wrapped table cell reads as one line."""
    return re.sub(r"\s+", " ", text)


# --- Excel / CSV -----------------------------------------------------------------------------


def test_history_xlsx_headers_rows_dates_and_french_labels() -> None:
    data = history_xlsx(NUMBER, make_history())
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Historique"]
    rows = list(sheet.iter_rows(values_only=True))
    assert NUMBER in str(rows[0][0])
    header_index = 2  # title, blank line, header
    assert list(rows[header_index]) == HISTORY_HEADERS
    body = rows[header_index + 1 :]
    assert len(body) == 4
    assert isinstance(body[0][0], dt.datetime)
    assert body[0][0] == dt.datetime(2026, 4, 2, 10, 15)  # Moroccan time, as the header says
    assert sheet.cell(header_index + 2, 1).number_format == "dd/mm/yyyy hh:mm"
    assert body[1][4] == "Brouillon" and body[1][5] == "Soumise pour visa MCE"
    assert body[2][5] == "Refusée"
    assert body[2][3] == "Visa MCE refusé"
    assert body[2][9] == REFUSAL
    assert body[2][6:9] == (None, None, None)  # no field changed
    # A text that looks like a formula stays text.
    assert body[3][9] == '=HYPERLINK("x")'
    assert sheet.cell(header_index + 5, 10).data_type == "s"
    assert sheet.freeze_panes == f"A{header_index + 2}"
    assert sheet.auto_filter.ref == f"A{header_index + 1}:J{header_index + 5}"
    assert sheet.cell(header_index + 1, 1).font.b
    assert 8 <= sheet.column_dimensions["J"].width <= 62


def test_history_xlsx_accepts_aware_datetimes() -> None:
    # PostgreSQL gives aware datetimes: 10:15 at UTC+2 is 08:15 UTC, 09:15 in Morocco in July.
    aware = dt.datetime(2026, 7, 2, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    row = HistoryRow(
        aware, "exp1", "exportateur", Action.CREATE, Action.CREATE.label, None, Status.DRAFT, None
    )
    rows = _sheet(history_xlsx(NUMBER, [row]), "Historique")
    assert rows[2][0] == "Date (heure du Maroc)"
    assert rows[-1][0] == dt.datetime(2026, 7, 2, 9, 15)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (dt.datetime(2026, 1, 15, 23, 30), dt.datetime(2026, 1, 16, 0, 30)),  # winter: UTC+1
        (dt.datetime(2026, 8, 1, 12, 0), dt.datetime(2026, 8, 1, 13, 0)),  # summer: UTC+1
        (dt.datetime(2026, 3, 1, 12, 0), dt.datetime(2026, 3, 1, 12, 0)),  # Ramadan 2026: UTC+0
    ],
)
def test_history_xlsx_shows_moroccan_time(stored: dt.datetime, shown: dt.datetime) -> None:
    row = HistoryRow(
        stored, "exp1", "exportateur", Action.CREATE, Action.CREATE.label, None, Status.DRAFT, None
    )
    rows = _sheet(history_xlsx(NUMBER, [row]), "Historique")
    assert rows[2][0] == "Date (heure du Maroc)"
    assert rows[3][0] == shown


def test_history_xlsx_one_row_per_changed_field() -> None:
    t0 = dt.datetime(2026, 5, 4, 8, 0)
    changes = (
        FieldChange("Montant total", "10 000,00 EUR", "12 500,50 EUR"),
        FieldChange("Destinataire", "", "Fruits d'Europe GmbH"),
        FieldChange("Pays de destination", "Espagne", ""),
    )
    rows = [
        HistoryRow(
            t0,
            "exp1",
            "exportateur",
            Action.EDIT,
            Action.EDIT.label,
            Status.DRAFT,
            Status.DRAFT,
            "Modification du brouillon",
            changes,
        ),
        HistoryRow(
            t0 + dt.timedelta(hours=2),
            "mce1",
            "mce",
            Action.GRANT_VISA,
            Action.GRANT_VISA.label,
            Status.SUBMITTED,
            Status.VISAED,
            None,
        ),
    ]
    sheet = _sheet(history_xlsx(NUMBER, rows), "Historique")
    assert list(sheet[2]) == HISTORY_HEADERS
    body = sheet[3:]
    assert len(body) == 4  # three changed fields, then the visa with none
    event = (
        dt.datetime(2026, 5, 4, 9, 0),  # 08:00 UTC
        "exp1",
        ROLE_LABELS[Role.EXPORTER],
        Action.EDIT.label,
        Status.DRAFT.label,
        Status.DRAFT.label,
    )
    for line in body[:3]:
        assert line[:6] == event  # the event's columns repeat on each of its rows
        assert line[9] == "Modification du brouillon"
    assert [line[6:9] for line in body[:3]] == [
        ("Montant total", "10 000,00 EUR", "12 500,50 EUR"),
        ("Destinataire", None, "Fruits d'Europe GmbH"),
        ("Pays de destination", "Espagne", None),
    ]
    visa = body[3]
    assert visa[0] == dt.datetime(2026, 5, 4, 11, 0)
    assert visa[1:4] == ("mce1", ROLE_LABELS[Role.MCE], Action.GRANT_VISA.label)
    assert visa[6:] == (None, None, None, None)


def test_search_xlsx_columns_and_numeric_amount() -> None:
    rows = _sheet(search_xlsx(make_rows(3)), "Licences")
    assert list(rows[0]) == SEARCH_HEADERS
    assert len(rows) == 4
    first = rows[1]
    assert first[0] == "LE-2026-000001"
    assert first[1] == "Brouillon"
    assert first[3] == RECIPIENT
    assert isinstance(first[4], (int, float)) and first[4] == pytest.approx(1234568.89)
    assert first[8] == dt.datetime(2026, 1, 1, 9, 31)  # 08:31 UTC, 09:31 in Morocco
    assert rows[3][1] == "Visée" and rows[3][10] == dt.datetime(2026, 9, 5)
    assert rows[2][3] is None


def test_search_xlsx_number_formats() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(search_xlsx(make_rows(2))))
    sheet = workbook["Licences"]
    assert sheet.cell(2, 5).number_format == "#,##0.00"
    assert sheet.cell(2, 9).number_format == "dd/mm/yyyy hh:mm"
    assert sheet.freeze_panes == "A2"


def test_search_csv_semicolon_bom_and_decimal_comma() -> None:
    data = search_csv(make_rows(3))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == SEARCH_HEADERS
    assert len(rows) == 4
    assert rows[1][4] == "1234568,89"
    assert rows[1][3] == RECIPIENT
    assert rows[1][1] == "Brouillon"
    assert rows[1][8] == "01/01/2026 09:31"  # stored 08:31 UTC
    assert rows[3][10] == "05/09/2026"


def test_search_csv_neutralises_formulas() -> None:
    row = make_rows(1)[0]
    data = search_csv([dataclasses.replace(row, recipient="=cmd|' /C calc'!A0")])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][3] == "'=cmd|' /C calc'!A0"


# --- PDF -------------------------------------------------------------------------------------


def test_licence_pdf_shows_the_licence() -> None:
    detail = make_detail(goods_count=6, refusal_reason=REFUSAL)
    pages = _pdf_pages(licence_pdf(detail))
    text = "\n".join(pages)
    flat = _flat(text)
    assert NUMBER in text
    assert "ROYAUME DU MAROC — Licence d'Exportation" in text
    assert RECIPIENT in flat
    assert "€" in text and "’" in text and "Œ" in text
    for line in detail.goods:
        assert line.designation in flat, line.designation
    assert VISA in text
    assert "1 234 567,89 EUR" in text
    assert "Imputée partiellement".upper() in text
    assert "DUM 300-2026-0001234" in text
    assert "ATW-2026-REF-778" in text
    assert "Total rapatrié" in text
    assert REFUSAL in flat
    assert "Corriger le poids net" in flat
    assert "Côte d’Ivoire" in text
    assert "05/09/2026" in text
    assert "reclamation.portnet.ma" in text
    assert "Page 1/" in pages[0]


def test_licence_pdf_shows_moroccan_dates_and_times() -> None:
    # Stored UTC; in Morocco (UTC+1) both moments are already the next day.
    detail = make_detail(
        goods_count=1,
        created_at=dt.datetime(2026, 12, 31, 23, 30),
        submitted_at=dt.datetime(2027, 1, 4, 23, 5),
    )
    pages = _pdf_pages(licence_pdf(detail, generated_at=dt.datetime(2026, 7, 1, 23, 10)))
    text = _flat("\n".join(pages))
    assert "Généré le 02/07/2026 à 00:10 (heure du Maroc)" in text
    assert "UTC" not in text
    assert "01/01/2027" in text and "31/12/2026" not in text
    assert "05/01/2027" in text


def test_licence_pdf_long_goods_list_repeats_the_table_header() -> None:
    detail = make_detail(goods_count=40)
    pages = _pdf_pages(licence_pdf(detail))
    assert len(pages) > 1
    pages_with_goods = [p for p in pages if re.search(r"#\d+\b", p)]
    assert len(pages_with_goods) > 1
    for page in pages_with_goods:
        assert "Désignation commerciale" in page
        assert "Poids net (kg)" in page
    flat = _flat("\n".join(pages))
    for line in detail.goods:
        assert line.designation in flat
    for number, page in enumerate(pages, start=1):
        assert f"Page {number}/{len(pages)}" in page


def test_licence_pdf_without_visa_or_optional_sections() -> None:
    detail = make_detail(
        goods_count=1,
        status=Status.DRAFT,
        visa_number=None,
        visa_date=None,
        validity_end=None,
        recipient=None,
        submitted_at=None,
        documents=(),
        imputations=(),
        repatriations=(),
        correction_reason=None,
    )
    text = "\n".join(_pdf_pages(licence_pdf(detail)))
    assert "Non visée" in text
    assert "Aucun document" in text
    assert "Imputations douanières" not in text
    assert "Rapatriements" not in text
    assert "Motifs" not in text
    assert "—" in text  # empty recipient / submission date


def test_licence_pdf_replaces_characters_outside_windows_1252() -> None:
    detail = make_detail(goods_count=1, recipient="Ünïcode ≤ 5 — 日本 \u202f; emoji 🚢 e\u0301")
    text = _flat("\n".join(_pdf_pages(licence_pdf(detail))))
    assert "Ünïcode <= 5 — ?? ; emoji ? é" in text


def test_pdf_safe_text_is_idempotent_and_windows_1252() -> None:
    raw = "L’œuvre coûte 5 € — ≤ 日\tfin\x00"
    safe = pdf_safe_text(raw)
    assert safe == pdf_safe_text(safe)
    safe.encode("windows-1252")
    assert unicodedata.is_normalized("NFC", safe)


def test_fr_amount_is_exact() -> None:
    assert fr_amount(Decimal("1234567.89"), "EUR") == "1\u202f234\u202f567,89\u00a0EUR"
    assert fr_amount(Decimal("0.1") + Decimal("0.2")) == "0,30"
    assert fr_amount(Decimal("999999999999.99")) == "999\u202f999\u202f999\u202f999,99"


def test_blank_licence_pdf() -> None:
    pages = _pdf_pages(blank_licence_pdf())
    text = "\n".join(pages)
    assert "Licence d'Exportation" in text
    assert re.search(r"LE-\d{4}-\d{6}", text) is None
    for label in (
        "Exportateur",
        "Destinataire",
        "Marchandises",
        "Désignation commerciale",
        "Visa du Ministère du Commerce Extérieur",
        "Fin de validité",
    ):
        assert label in text
    assert "Page 1/" in pages[0]
