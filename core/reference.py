"""Reference data: ISO countries and currencies in French (pycountry), Incoterms 2020, the code
lists of `db/reference/*.csv` and the customs nomenclature."""

from __future__ import annotations

import csv
import datetime as dt
import gettext
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import PROJECT_ROOT
from core.database import current_url, migrate, read_session, write_session
from core.models import ReferenceItem, TariffCode
from core.text import UNIT_SPACE, fr_count, fr_size

REFERENCE_DIR = PROJECT_ROOT / "db" / "reference"

# list name in the database -> CSV file shipped with the project
CODE_LISTS: Mapping[str, str] = MappingProxyType(
    {
        "category": "categories.csv",
        "regime": "customs_regimes.csv",
        "office": "customs_offices.csv",
        "document_type": "document_types.csv",
        "payment_terms": "payment_terms.csv",
    }
)
LIST_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "category": "Catégories de licence",
        "regime": "Régimes douaniers",
        "office": "Bureaux douaniers",
        "document_type": "Types de document",
        "payment_terms": "Modalités de paiement",
    }
)

INCOTERMS: Mapping[str, str] = MappingProxyType(
    {
        "EXW": "EXW – À l'usine",
        "FCA": "FCA – Franco transporteur",
        "CPT": "CPT – Port payé jusqu'à",
        "CIP": "CIP – Port payé, assurance comprise, jusqu'à",
        "DAP": "DAP – Rendu au lieu de destination",
        "DPU": "DPU – Rendu au lieu de destination déchargé",
        "DDP": "DDP – Rendu droits acquittés",
        "FAS": "FAS – Franco le long du navire",
        "FOB": "FOB – Franco à bord",
        "CFR": "CFR – Coût et fret",
        "CIF": "CIF – Coût, assurance et fret",
    }
)

MOROCCO = "MA"


def fold(text: str) -> str:
    """Sort key that ignores accents and case, so « Îles » sorts with the I's."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()


@lru_cache(maxsize=1)
def countries() -> Mapping[str, str]:
    """ISO 3166 alpha-2 code -> French name, sorted by French name."""
    fr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    names = {c.alpha_2: fr.gettext(c.name) for c in pycountry.countries}
    return MappingProxyType(dict(sorted(names.items(), key=lambda kv: fold(kv[1]))))


def destination_countries() -> Mapping[str, str]:
    return MappingProxyType({k: v for k, v in countries().items() if k != MOROCCO})


# Funds, precious metals, testing and other codes nobody invoices in.
_NON_TRADING_CURRENCIES = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
     "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW", "VED"}
)


@lru_cache(maxsize=1)
def currencies() -> Mapping[str, str]:
    """Active ISO 4217 code -> French name; the usual ones first, then by name."""
    fr = gettext.translation("iso4217", pycountry.LOCALES_DIR, languages=["fr"])
    names = {
        c.alpha_3: fr.gettext(c.name)
        for c in pycountry.currencies
        if c.alpha_3 not in _NON_TRADING_CURRENCIES
    }
    usual = [c for c in ("EUR", "USD", "MAD", "GBP", "CHF", "CAD", "JPY", "CNY", "AED", "SAR")
             if c in names]
    rest = sorted((c for c in names if c not in usual), key=lambda c: fold(names[c]))
    return MappingProxyType({c: names[c] for c in usual + rest})


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


def load_defaults(url: str | None = None) -> None:
    """Fill the code lists and the nomenclature from the shipped CSV files when they are empty."""
    with write_session(url) as session:
        for list_name, file_name in CODE_LISTS.items():
            exists = session.scalar(
                select(func.count()).select_from(ReferenceItem).where(
                    ReferenceItem.list_name == list_name
                )
            )
            if exists:
                continue
            for order, row in enumerate(read_csv(REFERENCE_DIR / file_name)):
                session.add(
                    ReferenceItem(
                        list_name=list_name, code=row["code"].strip(),
                        label=row["label"].strip(), active=True, sort_order=order,
                    )
                )
        if not session.scalar(select(func.count()).select_from(TariffCode)):
            rows = read_csv(REFERENCE_DIR / "nomenclature.csv")
            session.add_all(
                TariffCode(
                    code=r["code"], description=r["description"].strip(),
                    supplementary_unit=(r.get("supplementary_unit") or "").strip() or None,
                    chapter=r["code"][:2],
                )
                for r in rows
            )


def code_list(session: Session, list_name: str, *, include_inactive: bool = False) -> dict[str, str]:
    """code -> label of one reference list, in its display order."""
    query = select(ReferenceItem.code, ReferenceItem.label).where(
        ReferenceItem.list_name == list_name
    )
    if not include_inactive:
        query = query.where(ReferenceItem.active.is_(True))
    rows = session.execute(query.order_by(ReferenceItem.sort_order, ReferenceItem.code))
    return {code: label for code, label in rows}


# ---------------------------------------------------------------- nomenclature import
CODE_RE = re.compile(r"\A[0-9]{10}\Z")
# A full nomenclature is some 20 000 lines and a few megabytes: far beyond, it is not one.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_LINES = 100_000
# What a workbook may inflate to once unzipped, and the columns read from its sheet (a forged
# sheet size would otherwise make every row thousands of cells wide).
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_IMPORT_COLUMNS = 50
_OLE_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or an .xlsx with a password
_SAVE_AS = "enregistrez-le en .xlsx ou en « CSV UTF-8 »."
NOT_A_WORKBOOK = f"Fichier illisible : ce n'est pas un classeur Excel (.xlsx) valide ; {_SAVE_AS}"
FORMULA = "Formule interdite : saisissez la valeur elle-même."
# Controls, line separators, direction marks, lone surrogates: never part of a description.
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_FORMULA_CELL = "="  # what a formula cell of a workbook is read as


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, reason)

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated


class _Unreadable(Exception):
    """The whole file is refused; `message` (French) is the report's only line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _size(num_bytes: int, limit: int) -> str:
    shown = fr_size(num_bytes)
    if shown == fr_size(limit):  # « (20 Mo) : 20 Mo au plus » would explain nothing
        shown = f"{fr_count(num_bytes)}{UNIT_SPACE}octets"
    return shown


def _too_long() -> _Unreadable:
    return _Unreadable(f"Fichier trop long : {fr_count(MAX_IMPORT_LINES)} lignes au plus.")


def _rows_from_file(name: str, data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(lower-cased header, [(line number in the file, row)]); empty rows are left out, and the
    line numbers stay those of the file even across blank lines and multi-line cells. The kind
    of file is read from its content (a workbook is a ZIP archive), not trusted from its name.
    Raises `_Unreadable` with the French reason when the file as a whole cannot be read."""
    if len(data) > MAX_IMPORT_BYTES:
        raise _Unreadable(f"Fichier trop volumineux ({_size(len(data), MAX_IMPORT_BYTES)}) : "
                          f"{fr_size(MAX_IMPORT_BYTES)} au plus.")
    if not data.strip():
        raise _Unreadable("Fichier vide : aucune ligne à importer.")
    if data.startswith(_OLE_FILE):
        if name.lower().endswith((".xlsx", ".xlsm")):
            raise _Unreadable("Fichier illisible : classeur protégé par mot de passe (ou ancien "
                              f"format .xls) ; retirez la protection et {_SAVE_AS}")
        raise _Unreadable(f"Fichier illisible : ancien format Excel (.xls) ; {_SAVE_AS}")
    if data.startswith(b"PK"):
        return _rows_from_workbook(data)
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise _Unreadable(NOT_A_WORKBOOK)
    return _rows_from_csv(data)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal | dt.date | dt.time):
        return str(value)
    return _FORMULA_CELL  # array and data-table formulas are objects, not text


def _rows_from_workbook(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _Unreadable(NOT_A_WORKBOOK) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise _Unreadable(f"Fichier illisible : classeur trop volumineux une fois décompressé "
                          f"({fr_size(unzipped)}) ; {fr_size(MAX_UNZIPPED_BYTES)} au plus.")
    try:
        # Formulas are read as formulas (not their cached results), to be refused by line.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of errors on what is not a workbook
        raise _Unreadable(NOT_A_WORKBOOK) from None
    try:
        if not wb.worksheets:
            raise _Unreadable(NOT_A_WORKBOOK)
        header: list[str] = []
        rows: list[tuple[int, dict[str, str]]] = []
        sheet = wb.worksheets[0].iter_rows(values_only=True, max_col=MAX_IMPORT_COLUMNS)
        for line_no, values in enumerate(sheet, start=1):
            if line_no > MAX_IMPORT_LINES + 1:
                raise _too_long()
            if values.count(None) == len(values):
                continue
            cells = [_cell(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if not header:
                header = [c.strip().lower() for c in cells]
            else:
                rows.append((line_no, dict(zip(header, cells, strict=False))))
    except _Unreadable:
        raise
    except Exception:  # damaged XML inside the archive
        raise _Unreadable(NOT_A_WORKBOOK) from None
    finally:
        wb.close()
    if not header:
        raise _Unreadable("Fichier vide : aucune ligne à importer.")
    return header, rows


def _rows_from_csv(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable(f"Fichier illisible : encodage UTF-16 non pris en charge ; {_SAVE_AS}")
    if b"\x00" in data:
        raise _Unreadable("Fichier illisible : octets nuls, ce n'est pas un texte CSV ; "
                          + _SAVE_AS)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _Unreadable(f"Fichier illisible : le texte n'est pas en UTF-8 (ligne {line}) ; "
                          + _SAVE_AS) from None
    reader = csv.reader(io.StringIO(text), dialect=_dialect(text))
    header: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    last_line = 0
    try:
        for cells in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if last_line > MAX_IMPORT_LINES + 1:
                raise _too_long()
            if not any(c.strip() for c in cells):
                continue
            if not header:
                header = [c.strip().lower() for c in cells]
            else:
                rows.append((first_line, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        line = reader.line_num
        if "field larger" in str(exc):
            raise _Unreadable(f"Fichier illisible : cellule de plus de "
                              f"{fr_count(csv.field_size_limit())} caractères (ligne {line})."
                              ) from None
        raise _Unreadable(f"Fichier illisible : structure CSV incorrecte (ligne {line}), "
                          "vérifiez les guillemets.") from None
    return header, rows


def _dialect(text: str) -> Any:
    """The separator that makes « code » and « description » columns of the header line; else
    the sniffer's guess; else commas (the columns check then says what is missing). The
    sniffer alone is misled by rows whose trailing empty cells were left out."""
    first = next((line for line in text[:65_536].splitlines() if line.strip()), "")
    for delimiter in (";", ",", "\t"):
        try:
            cells = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            continue
        if {"code", "description"} <= {c.strip().lower() for c in cells}:
            class Header(csv.excel):
                pass

            Header.delimiter = delimiter
            return Header
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:  # a single column, or too few lines to tell
        return csv.excel


def _shown(code: str) -> str:
    return code if len(code) <= 20 else code[:20] + "…"


def _line_problem(code: str, raw: tuple[str, str, str], desc: str,
                  unit: str | None) -> str | None:
    """Why one line of the file cannot be imported, or None."""
    if any(cell.strip().startswith(_FORMULA_CELL) for cell in raw):
        return FORMULA
    if not CODE_RE.match(code):
        return "Code à 10 chiffres attendu."
    if not desc or len(desc) > 500:
        return "Description vide ou trop longue (500 max)."
    if _FORBIDDEN.search(desc):
        return "Description : caractères de contrôle ou de sens d'écriture interdits."
    if unit is not None and len(unit) > 20:
        return "Unité complémentaire trop longue (20 max)."
    if unit is not None and _FORBIDDEN.search(unit):
        return "Unité complémentaire : caractères de contrôle ou de sens d'écriture interdits."
    return None


def import_nomenclature(
    name: str,
    data: bytes,
    *,
    url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 2000,
) -> ImportReport:
    """Insert or update tariff lines from CSV or Excel (columns: code, description and optionally
    supplementary_unit). Bad lines are reported, not imported; good ones are. A file that cannot
    be read at all is reported as one line 0 with its reason, and nothing is imported."""
    report = ImportReport()
    if not isinstance(data, bytes | bytearray):
        data = b""
    try:
        header, rows = _rows_from_file(name if isinstance(name, str) else "", bytes(data))
    except _Unreadable as exc:
        report.rejected.append((0, "", exc.message))
        return report
    if not {"code", "description"} <= set(header):
        report.rejected.append((1, "", "Colonnes « code » et « description » obligatoires."))
        return report
    if not rows:
        report.rejected.append((0, "", "Aucune ligne de données sous l'en-tête : rien à "
                                       "importer."))
        return report
    seen: set[str] = set()
    valid: list[dict[str, str | None]] = []
    for line_no, row in rows:
        raw_code = row.get("code") or ""
        raw_desc = row.get("description") or ""
        raw_unit = row.get("supplementary_unit") or row.get("unite") or ""
        code = re.sub(r"[\s.]", "", raw_code)
        desc = " ".join(raw_desc.split())  # line breaks and runs of spaces: one space
        unit = raw_unit.strip() or None
        problem = _line_problem(code, (raw_code, raw_desc, raw_unit), desc, unit)
        if problem is None and code in seen:
            problem = "Code en double dans le fichier."
        if problem is not None:
            report.rejected.append((line_no, _shown(code), problem))
        else:
            seen.add(code)
            valid.append({"code": code, "description": desc, "supplementary_unit": unit})
    total = len(valid)
    for start in range(0, total, chunk):
        part = valid[start : start + chunk]
        with write_session(url) as session:
            existing = set(
                session.scalars(
                    select(TariffCode.code).where(TariffCode.code.in_([r["code"] for r in part]))
                )
            )
            for r in part:
                code = str(r["code"])
                if code in existing:
                    tariff = session.get(TariffCode, code)
                    assert tariff is not None
                    tariff.description = str(r["description"])
                    tariff.supplementary_unit = r["supplementary_unit"]
                    report.updated += 1
                else:
                    session.add(
                        TariffCode(
                            code=code, description=str(r["description"]),
                            supplementary_unit=r["supplementary_unit"], chapter=code[:2],
                        )
                    )
                    report.inserted += 1
        if progress:
            progress(min(start + chunk, total), total)
    return report


@dataclass(frozen=True)
class FormOptions:
    """Every drop-down list of the licence screens, code -> French label."""

    categories: Mapping[str, str]
    currencies: Mapping[str, str]
    regimes: Mapping[str, str]
    offices: Mapping[str, str]
    payment_terms: Mapping[str, str]
    incoterms: Mapping[str, str]
    document_types: Mapping[str, str]
    countries: Mapping[str, str]
    destinations: Mapping[str, str]


def form_options(url: str | None = None) -> FormOptions:
    with read_session(url) as session:
        return FormOptions(
            categories=code_list(session, "category"),
            currencies=currencies(),
            regimes=code_list(session, "regime"),
            offices=code_list(session, "office"),
            payment_terms=code_list(session, "payment_terms"),
            incoterms=INCOTERMS,
            document_types=code_list(session, "document_type"),
            countries=countries(),
            destinations=destination_countries(),
        )


@dataclass(frozen=True)
class Tariff:
    code: str
    description: str
    supplementary_unit: str | None


def cache_key() -> str:
    """Which database the screens' cached reads come from (tests switch databases): the key of
    every cache of reference lists and figures."""
    return current_url()


_UNSEARCHABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def search_tariffs(query: str, limit: int = 50, url: str | None = None) -> list[Tariff]:
    """The magnifying glass: by code prefix (digits, dots and spaces ignored) or by words."""
    text = (query or "").strip()
    if _UNSEARCHABLE.search(text):  # control characters and lone surrogates match nothing
        return []
    digits = re.sub(r"[\s.]", "", text)
    with read_session(url) as session:
        stmt = select(TariffCode)
        if digits.isdigit():
            upper = digits[:-1] + chr(ord(digits[-1]) + 1)
            stmt = stmt.where(TariffCode.code >= digits, TariffCode.code < upper)
        elif text:
            for word in text.split()[:5]:
                needle = word.lower().replace("%", "").replace("_", "")
                stmt = stmt.where(func.lower(TariffCode.description).contains(needle))
        return [
            Tariff(t.code, t.description, t.supplementary_unit)
            for t in session.scalars(stmt.order_by(TariffCode.code).limit(limit))
        ]


def prepare_database(url: str | None = None) -> None:
    """The database ready to serve: the schema at the latest migration, then the reference lists
    and the nomenclature loaded where they are empty."""
    migrate(url)
    load_defaults(url)
