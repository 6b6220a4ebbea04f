"""Hostile input never reaches the user as a technical error: every filter of the searches and of
the dashboard, the nomenclature import and the edits of the reference lists end in results or in
a `ValidationFailed` / `DomainError` whose message is French, never in another exception.

The inputs are the ones that break naive code: the last code point U+10FFFF (no successor for a
prefix range), U+0000 (refused by PostgreSQL), lone surrogates (that no database driver can
encode), 10 MB strings, unicode digits, negative or huge page numbers, dates at the ends of the
calendar, NaN and infinite amounts; and for the import, files that are not what they claim.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from core import admin, analytics, circuit
from core.database import read_session
from core.errors import DomainError, NotFound, ValidationFailed
from core.models import AuditEvent, ReferenceItem, TariffCode
from core.records import Actor, SearchFilters
from core.reference import import_nomenclature
from core.search import prefix_range, search
from tests.core.test_reference import xlsx_bytes

HUGE = "x" * (10 * 1024 * 1024)
MAX_CODE_POINT = "\U0010ffff"
NUL = "\x00"
SURROGATE = "\ud800"
HOSTILE_TEXTS = [MAX_CODE_POINT, "LE-2026-" + MAX_CODE_POINT, NUL, "LE" + NUL, SURROGATE,
                 "LE-" + SURROGATE, HUGE, "\u202e2026-EL", "٠٨٠٥", "LE\n2026", "%_\\"]
ENGLISH = re.compile(
    r"\b(the|is|not a|invalid|error|could|codec|cannot|expected|found|file|line|"
    r"character|surrogates?|NUL|zip)\b")


def french(message: str) -> str:
    """A message a user may read: French words, a capital, a full stop, no exception text."""
    assert message and message[0].isupper(), message
    assert message.rstrip().endswith((".", "»", ")")), message
    assert not ENGLISH.search(message), message
    assert len(message) < 400, message
    return message


def refused(call: Callable[[], object], *fields: str) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        call()
    for message in info.value.errors.values():
        french(message)
    if fields:
        assert set(info.value.errors) == set(fields), info.value.errors
    return info.value.errors


# ------------------------------------------------------------------ prefix ranges
def test_prefix_range_of_the_last_code_point(db_url: str) -> None:
    from core.models import Licence

    for prefix in (MAX_CODE_POINT, "LE" + MAX_CODE_POINT, "LE" + MAX_CODE_POINT * 3,
                   "L\ud7ff", "LE" + SURROGATE, "LE" + NUL, "A"):
        condition = prefix_range(Licence.registration_number, prefix)
        with read_session() as s:
            assert s.scalars(select(Licence.id).where(condition)).all() == []


def test_a_number_ending_in_the_last_code_point(actors: dict[str, Actor]) -> None:
    """It used to crash with ValueError (chr(0x110000)) on every number search."""
    errors = refused(lambda: search(actors["mce"], SearchFilters(number="LE-2026-\U0010ffff")),
                     "number")
    assert errors["number"] == (
        "Numéro : lettres, chiffres et tirets uniquement (ex. LE-2026-000123).")


@pytest.mark.parametrize("number", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_the_worklists_survive_any_number(actors: dict[str, Actor], number: str) -> None:
    """The counterparties' screens search numbers through the same prefix range."""
    for call in (lambda: circuit.customs_worklist(actors["douane"], number),
                 lambda: circuit.bank_worklist(actors["banque"], number),
                 lambda: circuit.mce_decisions(actors["mce"], circuit.DecisionFilters(number))):
        try:
            page = call()
        except ValidationFailed as exc:
            assert all(french(m) for m in exc.errors.values())
        else:
            assert page.rows == ()


# ------------------------------------------------------------------ search filters
FILTER_LABELS = {
    "number": "Numéro", "recipient": "Destinataire", "currency": "Devise", "country": "Pays",
    "customs_office": "Bureau douanier", "customs_regime": "Régime douanier",
    "tariff_code": "Nomenclature",
}


@pytest.mark.parametrize("field", sorted(FILTER_LABELS))
@pytest.mark.parametrize("value", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_text_in_a_search_filter(actors: dict[str, Actor], field: str,
                                         value: str) -> None:
    filters = SearchFilters(**{field: value})  # type: ignore[arg-type]
    try:
        page = search(actors["mce"], filters)
    except ValidationFailed as exc:
        assert set(exc.errors) == {field}
        assert french(exc.errors[field]).startswith(FILTER_LABELS[field] + " : ")
    else:
        assert page.rows == ()


@pytest.mark.parametrize("value", [NUL, SURROGATE, HUGE, "\u202e", "a\tb", "x" * 201])
def test_recipient_is_refused_when_it_cannot_be_a_name(actors: dict[str, Actor],
                                                       value: str) -> None:
    refused(lambda: search(actors["mce"], SearchFilters(recipient=value)), "recipient")


@pytest.mark.parametrize(("field", "value"), [
    ("currency", "€UR"), ("currency", NUL * 3), ("country", "F" + SURROGATE),
    ("customs_office", "300" + NUL), ("customs_regime", HUGE), ("customs_office", SURROGATE),
    ("tariff_code", "٠٨٠٥"), ("tariff_code", "0805" + MAX_CODE_POINT), ("tariff_code", "²"),
    ("number", "LE" + NUL), ("number", SURROGATE), ("number", HUGE), ("number", "LE 2026"),
])
def test_codes_are_checked_before_any_query(actors: dict[str, Actor], field: str,
                                            value: str) -> None:
    refused(lambda: search(actors["mce"], SearchFilters(**{field: value})), field)  # type: ignore[arg-type]


def test_unknown_statuses_are_refused(actors: dict[str, Actor]) -> None:
    for statuses in (("INCONNU",), (SURROGATE,), ([],), "VISEE"):
        errors = refused(lambda s=statuses: search(  # type: ignore[misc]
            actors["mce"], SearchFilters(statuses=s)), "statuses")
        assert errors["statuses"] == "Statut inconnu."


@pytest.mark.parametrize("field", ["created_from", "created_to", "submitted_from",
                                   "submitted_to"])
@pytest.mark.parametrize("day", [dt.date.min, dt.date(1, 1, 2), dt.date(1989, 12, 31),
                                 dt.date(2101, 1, 1), dt.date.max, "2026-01-01", 20260101])
def test_dates_far_away_or_not_dates(actors: dict[str, Actor], field: str, day: object) -> None:
    errors = refused(lambda: search(actors["mce"], SearchFilters(**{field: day})),  # type: ignore[arg-type]
                     field)
    assert "date" in errors[field].lower()


def test_dates_at_the_limits_are_accepted(actors: dict[str, Actor]) -> None:
    page = search(actors["mce"], SearchFilters(created_from=dt.date(1990, 1, 1),
                                               created_to=dt.date(2100, 12, 31),
                                               submitted_to=dt.date(2100, 12, 31)))
    assert page.rows == ()


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"),
                                    Decimal("-Infinity"), float("nan"), float("inf"),
                                    Decimal("-1"), Decimal("1e30"), Decimal("0.001"), "abc",
                                    True])
def test_absurd_amounts(actors: dict[str, Actor], amount: object) -> None:
    for field in ("amount_min", "amount_max"):
        errors = refused(lambda f=field: search(  # type: ignore[misc]
            actors["mce"], SearchFilters(**{f: amount, "amount_min" if f == "amount_max"
                                          else "amount_max": Decimal(5)})), field)
        assert errors[field].startswith("Montant")


def test_forged_company(actors: dict[str, Actor]) -> None:
    for company in ("1", True, 1.5, 2**70):
        refused(lambda c=company: search(actors["mce"], SearchFilters(company_id=c)),  # type: ignore[misc]
                "company_id")


def test_page_numbers(actors: dict[str, Actor]) -> None:
    mce = actors["mce"]
    for page in (-5, 0, 10**30):
        assert search(mce, SearchFilters(), page=page).rows == ()
    for size in (-1, 0, 10**30):
        assert search(mce, SearchFilters(), page_size=size).rows == ()
    for bad in ("2", 1.5, float("nan"), None):
        refused(lambda b=bad: search(mce, SearchFilters(), page=b))  # type: ignore[misc]
        refused(lambda b=bad: search(mce, SearchFilters(), page_size=b))  # type: ignore[misc]


# Any character, the awkward ones made frequent.
ANY_TEXT = st.text(st.one_of(st.characters(codec=None, exclude_categories=()),
                             st.sampled_from([MAX_CODE_POINT, NUL, SURROGATE, "\u202e", "%"])),
                   max_size=40)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(FILTER_LABELS)), value=ANY_TEXT)
@example(field="number", value="0" + MAX_CODE_POINT)
@example(field="recipient", value=SURROGATE)
@example(field="tariff_code", value="٠")
@example(field="customs_office", value=NUL)
def test_any_text_in_any_search_filter(actors: dict[str, Actor], field: str, value: str) -> None:
    """Any text in any filter gives results or a French ValidationFailed, never another error."""
    try:
        search(actors["mce"], SearchFilters(**{field: value}))  # type: ignore[arg-type]
    except ValidationFailed as exc:
        assert set(exc.errors) <= {field}
        assert french(exc.errors[field]).startswith(FILTER_LABELS[field] + " : ")


# ------------------------------------------------------------------ dashboard filters
F = analytics.DashboardFilters
DASHBOARD_TEXT_FIELDS = ("customs_office", "customs_regime", "currency", "country",
                         "tariff_chapter")


@pytest.mark.parametrize(("filters", "field"), [
    (F(submitted_to=dt.date.max), "submitted_to"),
    (F(submitted_from=dt.date.min), "submitted_from"),
    (F(submitted_from="2026-01-01"), "submitted_from"),  # type: ignore[arg-type]
    (F(tariff_chapter="٠٨"), "tariff_chapter"),
    (F(tariff_chapter=8), "tariff_chapter"),  # type: ignore[arg-type]
    (F(currency=978), "currency"),  # type: ignore[arg-type]
    (F(country=["FR"]), "country"),  # type: ignore[arg-type]
    (F(customs_office="300" + NUL), "customs_office"),
    (F(customs_regime=SURROGATE), "customs_regime"),
    (F(customs_office=HUGE), "customs_office"),
    (F(company_id="1"), "company_id"),  # type: ignore[arg-type]
    (F(statuses=([],)), "statuses"),  # type: ignore[arg-type]
    (F(statuses=(SURROGATE,)), "statuses"),  # type: ignore[arg-type]
])
def test_hostile_dashboard_filters(actors: dict[str, Actor], filters: Any, field: str) -> None:
    refused(lambda: analytics.dashboard(actors["analyste"], filters), field)
    refused(lambda: analytics.licence_rows(actors["analyste"], filters), field)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.sampled_from(DASHBOARD_TEXT_FIELDS), value=ANY_TEXT)
@example(field="customs_regime", value=SURROGATE)
@example(field="tariff_chapter", value="٠٨")
def test_any_text_in_any_dashboard_filter(actors: dict[str, Actor], field: str,
                                          value: str) -> None:
    filters = F(**{field: value})  # type: ignore[arg-type]
    try:
        analytics.by_status(actors["analyste"], filters)
    except ValidationFailed as exc:
        assert set(exc.errors) <= {field}
        french(exc.errors[field])


# ------------------------------------------------------------------ nomenclature import
def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buf.getvalue()


def _count() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(TariffCode)) or 0


NEW = "9999000001"


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("n.xlsx", b"code,description\n", "Fichier illisible : ce n'est pas un classeur Excel"),
    ("n.xlsx", _zip({"notes.txt": b"bonjour"}),
     "Fichier illisible : ce n'est pas un classeur Excel"),
    ("n.csv", _zip({"xl/workbook.xml": b"<"}),
     "Fichier illisible : ce n'est pas un classeur Excel"),
    ("n.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ancien format Excel"),
    ("n.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "protégé par mot de passe"),
    ("n.csv", "code;description\n9999000001;Clémentines\n".encode("cp1252"),
     "Fichier illisible : le texte n'est pas en UTF-8 (ligne 2)"),
    ("n.csv", "code,description\n".encode("utf-16"), "Fichier illisible : encodage UTF-16"),
    ("n.csv", b"code,description\n9999000001,a\x00b\n", "Fichier illisible : octets nuls"),
    ("n.csv", b"", "Fichier vide"),
    ("n.csv", b" \r\n\n", "Fichier vide"),
    ("n.xlsx", xlsx_bytes([]), "Fichier vide"),
    ("n.csv", b"code,description\n", "Aucune ligne de données"),
    ("n.csv", b"code,description\n" + b"9999000001," + HUGE.encode() + b"\n",
     "Fichier illisible : cellule de plus de"),
    ("n.csv", b"code,description\n" + b" " * (20 * 1024 * 1024), "Fichier trop volumineux"),
    ("n.csv", b"code,description\n" + b"\n" * 200_001, "Fichier trop long"),
    ("n.csv", b"code\n0805\n", "Colonnes « code » et « description » obligatoires."),
    ("n.ods", _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
     "Fichier illisible : ce n'est pas un classeur Excel"),
], ids=["xlsx-not-zip", "zip-not-workbook", "csv-is-broken-zip", "xls", "encrypted-xlsx",
        "cp1252", "utf16", "nul", "empty", "blank", "empty-sheet", "header-only", "huge-cell",
        "huge-file", "too-many-lines", "one-column", "ods"])
def test_a_wrong_file_is_reported_in_french(db_url: str, name: str, data: bytes,
                                            expected: str) -> None:
    before = _count()
    report = import_nomenclature(name, data)
    assert (report.inserted, report.updated) == (0, 0)
    assert len(report.rejected) == 1
    line, code, reason = report.rejected[0]
    assert line in (0, 1) and code == "" and expected in french(reason)
    assert _count() == before


def test_a_workbook_that_inflates_is_refused(db_url: str) -> None:
    """A small .xlsx whose sheet would take hundreds of megabytes once decompressed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
        sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                    b'main"><sheetData>')
        for _ in range(150):
            sheet.write(b" " * (1024 * 1024))
        sheet.write(b"</sheetData></worksheet>")
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    report = import_nomenclature("n.xlsx", data)
    assert report.accepted == 0
    assert "décompressé" in french(report.rejected[0][2])


def test_a_sheet_with_a_cell_far_below_is_refused_quickly(db_url: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "description"])
    ws.append([NEW, "Oranges"])
    ws["A1048576"] = "9999000002"
    buf = io.BytesIO()
    wb.save(buf)
    report = import_nomenclature("n.xlsx", buf.getvalue())
    assert report.accepted == 0
    assert "Fichier trop long" in french(report.rejected[0][2])


@pytest.mark.parametrize(("row", "reason"), [
    ([NEW, "=HYPERLINK(A1)"], "Formule interdite"),
    (["=1+9999000000", "Oranges"], "Formule interdite"),
    ([NEW, "Oranges", "=A1"], "Formule interdite"),
    ([NEW, "Oranges\x1b[31m"], "caractères de contrôle"),
    ([NEW, "\u202eseganaro"], "caractères de contrôle"),
    ([NEW, "Oranges\x07"], "caractères de contrôle"),
    ([NEW, "Oranges", "KG\x08"], "caractères de contrôle"),
    (["٩٩٩٩٠٠٠٠٠١", "Chiffres arabes-indiens"], "Code à 10 chiffres attendu."),
])
def test_bad_cells_of_a_csv_are_rejected_line_by_line(db_url: str, row: list[str],
                                                      reason: str) -> None:
    text = "code;description;supplementary_unit\n" + ";".join(row) + "\n9999000009;Bon;\n"
    report = import_nomenclature("n.csv", text.encode())
    assert report.inserted == 1
    assert len(report.rejected) == 1 and report.rejected[0][0] == 2
    assert reason in french(report.rejected[0][2])


def test_formula_cells_of_a_workbook_are_rejected(db_url: str) -> None:
    data = xlsx_bytes([["code", "description"], [NEW, "=CONCATENATE(\"Or\",\"anges\")"],
                  ["=9999000000+2", "Calculé"], ["9999000003", "Bon"]])
    report = import_nomenclature("n.xlsx", data)
    assert report.inserted == 1
    assert [(line, reason) for line, _, reason in report.rejected] == [
        (2, "Formule interdite : saisissez la valeur elle-même."),
        (3, "Formule interdite : saisissez la valeur elle-même.")]


def test_a_long_description_spread_over_lines_is_one_line_of_text(db_url: str) -> None:
    data = f'code,description\n{NEW},"Oranges\n\tdouces   fraîches"\n'.encode()
    assert import_nomenclature("n.csv", data).inserted == 1
    with read_session() as s:
        assert s.get(TariffCode, NEW).description == "Oranges douces fraîches"  # type: ignore[union-attr]


def test_a_huge_code_is_reported_shortened(db_url: str) -> None:
    report = import_nomenclature("n.csv", b"code,description\n" + b"1" * 100_000 + b",x\n")
    line, code, reason = report.rejected[0]
    assert (line, reason) == (2, "Code à 10 chiffres attendu.") and len(code) <= 21


@pytest.mark.parametrize("name", ["n" + SURROGATE + ".csv", "n" + NUL + ".csv", HUGE + ".csv",
                                  "\u202evsc.exe"])
def test_admin_import_with_a_hostile_file_name(actors: dict[str, Actor], name: str) -> None:
    report = admin.import_nomenclature(actors["admin"], name, f"code,description\n{NEW},Ok\n"
                                       .encode())
    assert report.inserted == 1
    with read_session() as s:
        details = s.scalars(select(AuditEvent.details).order_by(AuditEvent.id.desc())).first()
    assert details is not None and len(details) < 300
    assert not re.search(r"[\x00\ud800-\udfff\u202a-\u202e]", details)


def test_admin_import_of_a_wrong_file_is_french(actors: dict[str, Actor]) -> None:
    report = admin.import_nomenclature(actors["admin"], "n.xlsx", b"not a zip")
    french(report.rejected[0][2])


# ------------------------------------------------------------------ reference lists
@pytest.mark.parametrize("label", [SURROGATE, "Bureau" + SURROGATE, NUL, "a\tb", "a\nb",
                                   "\u202eBureau", HUGE, "   ", 42])
def test_hostile_reference_labels(actors: dict[str, Actor], label: object) -> None:
    boss = actors["admin"]
    with read_session() as s:
        before = s.scalars(select(ReferenceItem.label).order_by(ReferenceItem.code)).all()
    refused(lambda: admin.add_reference_item(boss, "office", "999", label), "label")  # type: ignore[arg-type]
    refused(lambda: admin.rename_reference_item(boss, "office", "300", label), "label")  # type: ignore[arg-type]
    with read_session() as s:
        assert s.scalars(select(ReferenceItem.label).order_by(ReferenceItem.code)).all() == before


@pytest.mark.parametrize("code", [SURROGATE, "30" + SURROGATE, NUL, "300" + NUL, HUGE,
                                  MAX_CODE_POINT, "٣٠٠", None, 300, ["300"]])
def test_hostile_reference_codes(actors: dict[str, Actor], code: object) -> None:
    boss = actors["admin"]
    refused(lambda: admin.add_reference_item(boss, "office", code, "Bureau"), "code")  # type: ignore[arg-type]
    for call in (admin.rename_reference_item, admin.deactivate_reference_item,
                 admin.reactivate_reference_item):
        args = (boss, "office", code, "Nouveau libellé")[: 4 if call is
                                                          admin.rename_reference_item else 3]
        with pytest.raises(DomainError) as info:
            call(*args)  # type: ignore[operator]
        assert isinstance(info.value, NotFound | ValidationFailed)
        french(info.value.message)


@pytest.mark.parametrize("list_name", [SURROGATE, NUL, HUGE, None, ["office"], 3])
def test_hostile_reference_list_names(actors: dict[str, Actor], list_name: object) -> None:
    boss = actors["admin"]
    refused(lambda: admin.list_reference(boss, list_name), "list_name")  # type: ignore[arg-type]
    refused(lambda: admin.add_reference_item(boss, list_name, "999", "Bureau"))  # type: ignore[arg-type]
    refused(lambda: admin.deactivate_reference_item(boss, list_name, "300"), "list_name")  # type: ignore[arg-type]

