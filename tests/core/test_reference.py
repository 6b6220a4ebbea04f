"""Reference data: French country and currency names, Incoterms 2020, the shipped code lists and
nomenclature, and the nomenclature import from CSV and Excel."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core import reference
from core.database import read_session
from core.models import TariffCode
from core.reference import (
    CODE_LISTS,
    INCOTERMS,
    code_list,
    countries,
    currencies,
    destination_countries,
    import_nomenclature,
)


def _ascii_key(name: str) -> str:
    """An independent accent-folding key: strip the accents, ignore the case."""
    return unicodedata.normalize("NFD", name).encode("ascii", "ignore").decode().lower()


# ------------------------------------------------------------------ countries and currencies
def test_countries_have_french_names() -> None:
    c = countries()
    assert c["DE"] == "Allemagne" and c["ES"] == "Espagne" and c["MA"] == "Maroc"
    assert c["GB"] == "Royaume-Uni" and c["US"] == "États-Unis"
    assert len(c) >= 249 and all(re.fullmatch(r"[A-Z]{2}", code) for code in c)


def test_countries_sort_without_regard_to_accents() -> None:
    names = list(countries().values())
    assert names == sorted(names, key=_ascii_key)
    caimans = names.index("Îles Caïmans")
    assert caimans < names.index("Zimbabwe")
    assert _ascii_key(names[caimans - 1])[0] == "i" and _ascii_key(names[caimans + 1])[0] == "i"
    assert names.index("Égypte") < names.index("Espagne") < names.index("Estonie")
    assert names[-1] == "Zimbabwe"


def test_destination_countries_exclude_morocco() -> None:
    dest = destination_countries()
    assert "MA" not in dest and "Maroc" not in dest.values()
    assert dest["FR"] == "France"
    assert len(dest) == len(countries()) - 1
    assert list(dest.values()) == [v for k, v in countries().items() if k != "MA"]


def test_currencies_in_french_without_metals_or_test_codes() -> None:
    cur = currencies()
    assert cur["EUR"] == "Euro"
    assert cur["USD"] == "Dollar américain"
    assert cur["MAD"] == "Dirham marocain"
    assert list(cur)[:3] == ["EUR", "USD", "MAD"]
    for code in ("XAU", "XAG", "XXX", "XTS", "XDR"):
        assert code not in cur
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in cur)


def test_incoterms_2020_exactly() -> None:
    assert set(INCOTERMS) == {"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB",
                              "CFR", "CIF"}
    assert len(INCOTERMS) == 11
    assert INCOTERMS["FOB"] == "FOB – Franco à bord"
    assert "DAT" not in INCOTERMS and "DDU" not in INCOTERMS  # Incoterms 2010, withdrawn


# ------------------------------------------------------------------ shipped lists
def test_every_code_list_is_filled_after_upgrade(db_url: str) -> None:
    with read_session() as s:
        lists = {name: code_list(s, name) for name in CODE_LISTS}
    for name, file_name in CODE_LISTS.items():
        shipped = reference.read_csv(reference.REFERENCE_DIR / file_name)
        assert lists[name], name
        assert list(lists[name]) == [r["code"].strip() for r in shipped], name
        assert all(label.strip() for label in lists[name].values()), name
    payment = list(lists["payment_terms"].items())
    assert payment[0] == ("VF", "Vente ferme")
    assert "LE" in lists["category"]
    assert len(lists["regime"]) >= 5 and len(lists["office"]) >= 10
    assert len(lists["document_type"]) >= 5


def test_shipped_nomenclature(db_url: str) -> None:
    with read_session() as s:
        rows = list(s.execute(select(TariffCode.code, TariffCode.description, TariffCode.chapter)))
    assert len(rows) >= 250
    assert all(re.fullmatch(r"\d{10}", code) for code, _, _ in rows)
    assert all(desc.strip() for _, desc, _ in rows)
    assert all(chapter == code[:2] for code, _, chapter in rows)


# ------------------------------------------------------------------ nomenclature import
def _tariffs() -> dict[str, tuple[str, str | None]]:
    with read_session() as s:
        return {c: (d, u) for c, d, u in s.execute(
            select(TariffCode.code, TariffCode.description, TariffCode.supplementary_unit))}


def _existing_code() -> str:
    return min(_tariffs())


NEW_1, NEW_2 = "9999000001", "9999000002"


def test_import_csv_with_commas(db_url: str) -> None:
    before = _tariffs()
    existing = _existing_code()
    data = (
        "code,description,supplementary_unit\n"
        f"{existing},\"Description revue, par l'administration\",\n"       # line 2: update
        f"{NEW_1},Oranges douces de démonstration,\n"                      # line 3: insert
        f"9999.00.00.02,Articles en paires,PAIRE\n"                         # line 4: dots ok
        "12345,Code trop court,\n"                                          # line 5
        "9999000003,,\n"                                                    # line 6
        f"{NEW_1},Doublon dans le fichier,\n"                               # line 7
        "99990000AB,Lettres,\n"                                             # line 8
    ).encode()
    report = import_nomenclature("nomenclature.csv", data)
    assert (report.inserted, report.updated, report.accepted) == (2, 1, 3)
    assert [(line, code) for line, code, _ in report.rejected] == [
        (5, "12345"), (6, "9999000003"), (7, NEW_1), (8, "99990000AB")]
    reasons = [reason for *_, reason in report.rejected]
    assert reasons == ["Code à 10 chiffres attendu.",
                       "Description vide ou trop longue (500 max).",
                       "Code en double dans le fichier.",
                       "Code à 10 chiffres attendu."]
    after = _tariffs()
    assert len(after) == len(before) + 2
    assert after[existing] == ("Description revue, par l'administration", None)
    assert after[NEW_1] == ("Oranges douces de démonstration", None)
    assert after[NEW_2] == ("Articles en paires", "PAIRE")
    assert "9999000003" not in after
    with read_session() as s:
        assert s.scalar(select(TariffCode.chapter).where(TariffCode.code == NEW_1)) == "99"


def test_import_csv_with_semicolons_and_a_bom(db_url: str) -> None:
    """What a French Excel saves as « CSV (séparateur : point-virgule) »."""
    data = (
        "\ufeffCode;Description;Supplementary_Unit\r\n"
        f"{NEW_1};Oranges, mandarines, clémentines;\r\n"
        f"{NEW_2};Chaussures, en paires;PAIRE\r\n"
        "1;Trop court, avec virgule;\r\n"
    ).encode()
    report = import_nomenclature("export.csv", data)
    assert (report.inserted, report.updated) == (2, 0)
    assert report.rejected == [(4, "1", "Code à 10 chiffres attendu.")]
    after = _tariffs()
    assert after[NEW_1] == ("Oranges, mandarines, clémentines", None)
    assert after[NEW_2] == ("Chaussures, en paires", "PAIRE")


def test_reported_lines_are_the_lines_of_the_file(db_url: str) -> None:
    data = (
        "code,description\n"
        f"{NEW_1},\"Une description\nsur deux lignes\"\n"  # lines 2-3
        "\n"                                                # line 4, blank
        "123,Mauvais code\n"                                # line 5
    ).encode()
    report = import_nomenclature("n.csv", data)
    assert report.inserted == 1
    assert report.rejected == [(5, "123", "Code à 10 chiffres attendu.")]


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_xlsx(db_url: str) -> None:
    before = _tariffs()
    existing = _existing_code()
    data = xlsx_bytes([
        ["code", "description", "supplementary_unit"],
        [existing, "Libellé mis à jour depuis Excel", None],   # line 2
        [NEW_1, "Nouveau code texte", None],                   # line 3
        [9999000002, "Nouveau code saisi en nombre", "NOMBRE"],  # line 4
        ["123", "Code trop court", None],                     # line 5
        [NEW_1, "Encore lui", None],                          # line 6
        ["9999000004", "   ", None],                          # line 7
    ])
    report = import_nomenclature("Nomenclature.XLSX", data)
    assert (report.inserted, report.updated) == (2, 1)
    assert [(line, code, reason) for line, code, reason in report.rejected] == [
        (5, "123", "Code à 10 chiffres attendu."),
        (6, NEW_1, "Code en double dans le fichier."),
        (7, "9999000004", "Description vide ou trop longue (500 max)."),
    ]
    after = _tariffs()
    assert len(after) == len(before) + 2
    assert after[existing][0] == "Libellé mis à jour depuis Excel"
    assert after[NEW_1] == ("Nouveau code texte", None)
    assert after[NEW_2] == ("Nouveau code saisi en nombre", "NOMBRE")


def test_empty_rows_of_a_sheet_are_not_reported(db_url: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "description"])
    ws.append([NEW_1, "Premier"])
    ws["A5"] = NEW_2          # rows 3 and 4 left empty
    ws["B5"] = "Second"
    ws["A9"] = None           # a touched but empty cell further down
    ws["B9"] = ""
    buf = io.BytesIO()
    wb.save(buf)
    report = import_nomenclature("n.xlsx", buf.getvalue())
    assert (report.inserted, report.rejected) == (2, [])


def _count() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(TariffCode)) or 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("n.csv", f"codes,libelle\n{NEW_1},Oranges\n".encode()),
        ("n.csv", f"code;libellé\n{NEW_1};Oranges\n".encode()),
        ("n.csv", b"code,libelle\n"),
        ("n.xlsx", xlsx_bytes([["Code SH", "Description"], [NEW_1, "Oranges"]])),
    ],
)
def test_wrong_columns_import_nothing(db_url: str, name: str, data: bytes) -> None:
    before = _count()
    report = import_nomenclature(name, data)
    assert (report.inserted, report.updated) == (0, 0)
    assert report.rejected == [(1, "", "Colonnes « code » et « description » obligatoires.")]
    assert _count() == before


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("n.csv", b"\xff\xfe\x00c\x00o\x00d\x00e"),
        ("n.xlsx", b"PK\x03\x04 not really a workbook"),
    ],
)
def test_unreadable_file_is_reported_in_french(db_url: str, name: str, data: bytes) -> None:
    before = _count()
    report = import_nomenclature(name, data)
    assert report.accepted == 0 and len(report.rejected) == 1
    line, code, reason = report.rejected[0]
    assert (line, code) == (0, "") and reason.startswith("Fichier illisible")
    assert _count() == before


def test_import_reports_progress_by_chunk(db_url: str) -> None:
    rows = "".join(f"99990{n:05d},Ligne {n}\n" for n in range(1, 6))
    seen: list[tuple[int, int]] = []
    report = import_nomenclature("n.csv", f"code,description\n{rows}".encode(),
                                 progress=lambda done, total: seen.append((done, total)), chunk=2)
    assert report.inserted == 5 and seen == [(2, 5), (4, 5), (5, 5)]
