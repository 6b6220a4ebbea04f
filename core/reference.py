"""Reference data: ISO countries and currencies in French (pycountry), Incoterms 2020, the code
lists of `db/reference/*.csv` and the customs nomenclature."""

from __future__ import annotations

import csv
import gettext
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from zipfile import BadZipFile

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import PROJECT_ROOT
from core.models import ReferenceItem, TariffCode

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
    from core.database import write_session

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
CODE_RE = re.compile(r"^\d{10}$")


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, reason)

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated


def _rows_from_file(name: str, data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(lower-cased header, [(line number in the file, row)]); empty rows are left out, and the
    line numbers stay those of the file even across blank lines and multi-line cells."""
    rows: list[tuple[int, dict[str, str]]] = []
    if name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet_rows = wb.worksheets[0].iter_rows(values_only=True)
            header = [str(h or "").strip().lower() for h in next(sheet_rows, ())]
            for line_no, values in enumerate(sheet_rows, start=2):
                cells = ["" if v is None else str(v) for v in values]
                if any(c.strip() for c in cells):
                    rows.append((line_no, dict(zip(header, cells, strict=False))))
        finally:
            wb.close()
        return header, rows
    text = data.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    header = [f.strip().lower() for f in next(reader, [])]
    last_line = reader.line_num
    for cells in reader:
        first_line, last_line = last_line + 1, reader.line_num
        if any(c.strip() for c in cells):
            rows.append((first_line, dict(zip(header, cells, strict=False))))
    return header, rows


def import_nomenclature(
    name: str,
    data: bytes,
    *,
    url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 2000,
) -> ImportReport:
    """Insert or update tariff lines from CSV or Excel (columns: code, description and optionally
    supplementary_unit). Bad lines are reported, not imported; good ones are."""
    from core.database import write_session

    report = ImportReport()
    try:
        header, rows = _rows_from_file(name, data)
    except (UnicodeDecodeError, csv.Error, KeyError, ValueError, OSError, BadZipFile) as exc:
        report.rejected.append((0, "", f"Fichier illisible : {exc}"))
        return report
    if not {"code", "description"} <= set(header):
        report.rejected.append((1, "", "Colonnes « code » et « description » obligatoires."))
        return report
    seen: set[str] = set()
    valid: list[dict[str, str | None]] = []
    for line_no, row in rows:
        code = re.sub(r"[\s.]", "", row.get("code") or "")
        desc = (row.get("description") or "").strip()
        unit = (row.get("supplementary_unit") or row.get("unite") or "").strip() or None
        if not CODE_RE.match(code):
            report.rejected.append((line_no, code, "Code à 10 chiffres attendu."))
        elif not desc or len(desc) > 500:
            report.rejected.append((line_no, code, "Description vide ou trop longue (500 max)."))
        elif unit is not None and len(unit) > 20:
            report.rejected.append((line_no, code, "Unité complémentaire trop longue (20 max)."))
        elif code in seen:
            report.rejected.append((line_no, code, "Code en double dans le fichier."))
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
    from core.database import read_session

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


def search_tariffs(query: str, limit: int = 50, url: str | None = None) -> list[Tariff]:
    """The magnifying glass: by code prefix (digits, dots and spaces ignored) or by words."""
    from core.database import read_session

    text = (query or "").strip()
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
