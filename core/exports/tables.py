"""Spreadsheet downloads: a licence's history (.xlsx), search results — which are also the
dashboard's licence list — (.xlsx with optional progress, or .csv), and the dashboard's figures
(.xlsx, one sheet per figure). Every sheet is written by `write_sheet`, so they all share the same
header, formats, widths, frozen header and filter.

Every function returns bytes and writes nothing to disk. Never imports streamlit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core import reference
from core.analytics import (
    NEAR_EXPIRY_LIMIT,
    Dashboard,
    DashboardFilters,
    Progress,
    month_label,
    monthly_table,
    ratio,
)
from core.lifecycle import ROLE_LABELS, SUBMITTED_STATUSES, SYSTEM, Role, Status
from core.records import FieldChange, HistoryRow, LicenceRow
from core.text import (
    LOCAL_TIME_LABEL,
    fr_count,
    fr_date,
    fr_datetime,
    fr_number,
    local_naive,
    with_local_time,
)

T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Labels written by every export (the notation itself is core.text's)
# ---------------------------------------------------------------------------------------------


def role_label(role: str) -> str:
    if role == SYSTEM:
        return "Système"
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def code_label(code: str, label: str) -> str:
    """`code – label`, or whichever of the two is known."""
    if code and label and label != code:
        return f"{code} – {label}"
    return code or label


# ---------------------------------------------------------------------------------------------
# Cells, columns and sheets
# ---------------------------------------------------------------------------------------------

Value = str | Decimal | dt.datetime | dt.date | None

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
AMOUNT_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00%"
HOURS_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.000"
MAX_WIDTH = 60
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", start_color="1F3864", end_color="1F3864")
HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
WRAP_ALIGN = Alignment(vertical="top", wrap_text=True)
TITLE_FONT = Font(bold=True, size=13, color="1F3864")


@dataclass(frozen=True)
class Column:
    title: str
    number_format: str | None = None
    wrap: bool = False


@dataclass(frozen=True)
class Sheet:
    """One table on its own sheet, under an optional title line (and a note below the title).
    `format_empty_cells`: the column's number format also goes on empty cells (a value typed
    there later takes it); otherwise only on the cells that hold a number or a date."""

    name: str
    title: str | None
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Value]]
    note: str = ""
    format_empty_cells: bool = False


def xlsx_value(value: Value) -> Value:
    """Excel refuses control characters in text, and a cell holds no time zone: a stored time
    (UTC) goes in as Moroccan wall time, under a column titled with `with_local_time`."""
    if isinstance(value, dt.datetime):
        return local_naive(value)
    return _ILLEGAL_XLSX.sub(" ", value) if isinstance(value, str) else value


def looks_like_formula(value: Value) -> bool:
    return isinstance(value, str) and value.startswith("=") and len(value) > 1


def _display_width(value: Value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, Decimal):
        return len(fr_number(value))
    return max(len(line) for line in value.split("\n"))


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence[Value]]) -> list[float]:
    """openpyxl has no autofit: the longest content of each column, within [8, MAX_WIDTH]."""
    widths = [len(c.title) for c in columns]
    for row in rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _display_width(value))
    return [float(min(MAX_WIDTH, max(8, w + 2))) for w in widths]


def write_sheet(ws: Any, sheet: Sheet) -> None:
    """The sheet's title, note, styled header and rows, with number formats, column widths, a
    frozen header and a filter. Rows are appended (openpyxl's normal mode, not write-only:
    without lxml its write-only mode writes every string inline and is slower — 10 000 search
    rows: 4.4 s vs 2.7 s)."""
    ws.title = sheet.name
    header = 1
    if sheet.title is not None:
        ws.cell(1, 1, sheet.title).font = TITLE_FONT
        header = 3  # a blank line between the title and the table
        if sheet.note:
            ws.cell(2, 1, sheet.note)
            header = 4
    for col, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(header, col, column.title)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    formulas: list[tuple[int, int]] = []
    for r, row in enumerate(sheet.rows, start=header + 1):
        values = [xlsx_value(v) for v in row]
        ws.append(values)
        formulas.extend((r, c) for c, v in enumerate(values, 1) if looks_like_formula(v))
    for r, c in formulas:
        ws.cell(r, c).data_type = "s"  # a text starting with "=" stays text, never a formula
    _format_columns(ws, sheet, header)
    ws.freeze_panes = ws.cell(header + 1, 1).coordinate
    last = get_column_letter(len(sheet.columns))
    ws.auto_filter.ref = f"A{header}:{last}{header + max(1, len(sheet.rows))}"
    for i, width in enumerate(column_widths(sheet.columns, sheet.rows), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _format_columns(ws: Any, sheet: Sheet, header: int) -> None:
    for col, column in enumerate(sheet.columns, start=1):
        if column.number_format is None and not column.wrap:
            continue
        cells = ws.iter_rows(
            min_row=header + 1, max_row=header + len(sheet.rows), min_col=col, max_col=col
        )
        for (cell,) in cells:
            if column.number_format is not None and (
                sheet.format_empty_cells or not (cell.value is None or isinstance(cell.value, str))
            ):
                cell.number_format = column.number_format
            if column.wrap:
                cell.alignment = WRAP_ALIGN


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """The sheets, in order, as an .xlsx file."""
    workbook = Workbook()
    for i, sheet in enumerate(sheets):
        write_sheet(workbook.active if i == 0 else workbook.create_sheet(), sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Reporting(Sequence[T]):
    """A list that reports its first full iteration (the sheet's rows being appended) as
    progress(done, total)."""

    def __init__(self, items: list[T], progress: Progress | None, every: int = 1000) -> None:
        self.items, self.progress, self.every, self.reported = items, progress, every, False

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __iter__(self) -> Iterator[T]:
        if self.reported or self.progress is None:
            yield from self.items
            return
        total = len(self.items)
        for i, item in enumerate(self.items, start=1):
            yield item
            if i % self.every == 0 or i == total:
                self.progress(i, total)
        self.reported = True


# ---------------------------------------------------------------------------------------------
# A licence's history, search results (the dashboard's licence list)
# ---------------------------------------------------------------------------------------------

# Times go to Excel as Moroccan wall time (a cell holds no time zone), hence the labelled titles.
HISTORY_COLUMNS = (
    Column(with_local_time("Date"), DATETIME_FORMAT),
    Column("Utilisateur"),
    Column("Profil"),
    Column("Action"),
    Column("Statut avant"),
    Column("Statut après"),
    Column("Champ"),
    Column("Ancienne valeur", wrap=True),
    Column("Nouvelle valeur", wrap=True),
    Column("Motif / détails", wrap=True),
)

SEARCH_COLUMNS = (
    Column("N° d'enregistrement"),
    Column("Statut"),
    Column("Exportateur"),
    Column("Destinataire"),
    Column("Montant total", AMOUNT_FORMAT),
    Column("Devise"),
    Column("Régime douanier"),
    Column("Bureau douanier"),
    Column(with_local_time("Créée le"), DATETIME_FORMAT),
    Column(with_local_time("Soumise le"), DATETIME_FORMAT),
    Column("Fin de validité", DATE_FORMAT),
)


def _history_values(row: HistoryRow) -> list[list[Value]]:
    """One spreadsheet row per changed field, the event's own columns repeated on each; an
    event without field changes keeps one row with the change columns empty."""
    changes: tuple[FieldChange | None, ...] = row.changes or (None,)
    return [
        [
            row.occurred_at,
            row.username,
            role_label(row.role),
            row.action_label,
            row.status_before.label if row.status_before else None,
            row.status_after.label,
            change.label if change else None,
            (change.old or None) if change else None,
            (change.new or None) if change else None,
            row.details or None,
        ]
        for change in changes
    ]


def licence_values(row: LicenceRow) -> list[Value]:
    return [
        row.registration_number,
        row.status.label,
        row.company_name,
        row.recipient or None,
        row.total_amount,
        row.currency,
        row.customs_regime,
        row.customs_office,
        row.created_at,
        row.submitted_at,
        row.validity_end,
    ]


def history_xlsx(registration_number: str, rows: Sequence[HistoryRow]) -> bytes:
    """The licence's history as an .xlsx file, sheet « Historique »."""
    title = f"Historique de la Licence d'Exportation {registration_number}"
    values = [values for r in rows for values in _history_values(r)]
    return workbook_bytes(
        [Sheet("Historique", title, HISTORY_COLUMNS, values, format_empty_cells=True)]
    )


def search_xlsx(rows: Sequence[LicenceRow], progress: Progress | None = None) -> bytes:
    """Search results as an .xlsx file, sheet « Licences »; progress(rows written, total)
    while it writes."""
    values = _Reporting([licence_values(r) for r in rows], progress)
    return workbook_bytes(
        [Sheet("Licences", None, SEARCH_COLUMNS, values, format_empty_cells=True)]
    )


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return fr_datetime(value)
    if isinstance(value, dt.date):
        return fr_date(value)
    if isinstance(value, Decimal):
        return fr_number(value, 2, group="")
    # A spreadsheet would run a cell starting with = + - @ as a formula (CSV injection).
    return "'" + value if value.startswith(_CSV_FORMULA_START) else value


def search_csv(rows: Sequence[LicenceRow]) -> bytes:
    """Search results as CSV for a French Excel: UTF-8 with BOM, « ; », decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.title for c in SEARCH_COLUMNS])
    for row in rows:
        writer.writerow([_csv_value(v) for v in licence_values(row)])
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------------------------
# The dashboard's figures (computed by core.analytics)
# ---------------------------------------------------------------------------------------------


def describe_filters(
    filters: DashboardFilters,
    offices: dict[str, str] | None = None,
    regimes: dict[str, str] | None = None,
    companies: dict[int, str] | None = None,
) -> list[tuple[str, str]]:
    """The dashboard's filters in French, for the screen and the export."""

    def day(d: dt.date | None) -> str:
        return fr_date(d, empty="…")

    period = (
        "toutes"
        if not (filters.submitted_from or filters.submitted_to)
        else f"du {day(filters.submitted_from)} au {day(filters.submitted_to)}"
    )
    out = [("Période (date de soumission)", period)]
    if filters.statuses:
        out.append(("Statuts", ", ".join(Status(s).label for s in filters.statuses)))
    if filters.customs_office:
        office = (offices or {}).get(filters.customs_office, "")
        out.append(("Bureau douanier", code_label(filters.customs_office, office)))
    if filters.customs_regime:
        regime = (regimes or {}).get(filters.customs_regime, "")
        out.append(("Régime douanier", code_label(filters.customs_regime, regime)))
    if filters.currency:
        out.append(("Devise", filters.currency))
    if filters.country:
        country = reference.countries().get(filters.country, "")
        out.append(("Pays de destination", code_label(filters.country, country)))
    if filters.tariff_chapter:
        out.append(("Chapitre tarifaire", filters.tariff_chapter))
    if filters.company_id is not None:
        out.append(("Exportateur", (companies or {}).get(filters.company_id, str(filters.company_id))))
    return out


def _n(value: int | float | Decimal | None) -> Decimal | None:
    """Numbers go to Excel as numbers (Decimal: what `column_widths` measures and writes)."""
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


_C = Column


def _dashboard_sheets(dashboard: Dashboard, filters_text: list[tuple[str, str]]) -> list[Sheet]:
    r = dashboard.rates
    overall = dashboard.processing.overall
    summary: list[list[Value]] = [[label, value, None] for label, value in filters_text]
    metrics: list[list[Value]] = [
        ["Licences (soumises, hors brouillons)", _n(dashboard.total), "licences"],
        ["Décisions de visa MCE", _n(r.decided), "décisions"],
        ["Délai MCE médian", _n(overall.median_hours), "heures"],
        ["Délai MCE 90e centile", _n(overall.p90_hours), "heures"],
        ["Taux de refus", _n(r.refusal_rate), "fraction"],
        ["Taux de renvoi pour correction", _n(r.send_back_rate), "fraction"],
        ["Taux d'imputation (quantités)", _n(r.imputation_rate), "fraction"],
        ["Taux d'apurement", _n(r.settlement_rate), "fraction"],
        [f"Licences expirant sous {dashboard.near_expiry.days} jours", _n(dashboard.near_expiry.total), "licences"],
    ]
    summary += metrics
    total = dashboard.total
    months = monthly_table(dashboard.monthly_by_status)
    expiry = dashboard.near_expiry
    return [
        Sheet(
            "Synthèse",
            "Tableau de bord des licences d'exportation",
            (_C("Indicateur"), _C("Valeur"), _C("Unité")),
            summary,
            f"Généré le {fr_datetime(dashboard.generated_at)} ({LOCAL_TIME_LABEL}). "
            "Filtres et indicateurs clés ; les taux sont des fractions (0,25 = 25 %).",
        ),
        Sheet(
            "Par statut",
            "Licences par statut",
            (_C("Statut"), _C("Licences", COUNT_FORMAT), _C("Part", PERCENT_FORMAT)),
            [[s.label, _n(s.count), _n(ratio(s.count, total))] for s in dashboard.by_status],
        ),
        Sheet(
            "Valeur par devise",
            "Montant total par devise (jamais additionné entre devises)",
            (
                _C("Devise"),
                _C("Libellé"),
                _C("Licences", COUNT_FORMAT),
                _C("Montant total", AMOUNT_FORMAT),
            ),
            [[c.currency, c.name, _n(c.count), c.total] for c in dashboard.value_by_currency],
        ),
        Sheet(
            "Mensuel par statut",
            "Licences par mois de soumission et statut",
            (
                _C("Mois"),
                *(_C(s.label, COUNT_FORMAT) for s in SUBMITTED_STATUSES),
                _C("Total", COUNT_FORMAT),
            ),
            [
                [month_label(m), *(_n(c[s]) for s in SUBMITTED_STATUSES), _n(sum(c.values()))]
                for m, c in months
            ],
        ),
        Sheet(
            "Pays de destination",
            "Principaux pays de destination",
            (_C("Code"), _C("Pays"), _C("Licences", COUNT_FORMAT)),
            [[c.code, c.name, _n(c.count)] for c in dashboard.top_countries],
            "Une licence à plusieurs destinations compte pour chacune.",
        ),
        Sheet(
            "Chapitres tarifaires",
            "Principaux chapitres tarifaires (2 premiers chiffres)",
            (
                _C("Chapitre"),
                _C("Licences", COUNT_FORMAT),
                _C("Lignes de marchandises", COUNT_FORMAT),
            ),
            [[c.chapter, _n(c.licences), _n(c.lines)] for c in dashboard.top_chapters],
        ),
        Sheet(
            "Bureaux douaniers",
            "Licences par bureau douanier",
            (_C("Code"), _C("Bureau douanier"), _C("Licences", COUNT_FORMAT)),
            [[o.code, o.label, _n(o.count)] for o in dashboard.by_office],
        ),
        Sheet(
            "Délai MCE",
            "Délai de traitement MCE (soumission → décision), par mois de décision",
            (
                _C("Mois"),
                _C("Décisions", COUNT_FORMAT),
                _C("Médiane (h)", HOURS_FORMAT),
                _C("90e centile (h)", HOURS_FORMAT),
            ),
            [
                [month_label(m.month), _n(m.decided), _n(m.median_hours), _n(m.p90_hours)]
                for m in dashboard.processing.months
            ]
            + [
                [
                    "Toute la période",
                    _n(overall.decided),
                    _n(overall.median_hours),
                    _n(overall.p90_hours),
                ]
            ],
            "Percentiles continus (interpolation linéaire, comme percentile_cont).",
        ),
        Sheet(
            "Taux",
            "Taux de refus, de renvoi, d'imputation et d'apurement",
            (
                _C("Indicateur"),
                _C("Numérateur", QUANTITY_FORMAT),
                _C("Dénominateur", QUANTITY_FORMAT),
                _C("Taux", PERCENT_FORMAT),
            ),
            [
                ["Refus / décisions de visa", _n(r.refused), _n(r.decided), _n(r.refusal_rate)],
                [
                    "Renvoyées pour correction / soumises",
                    _n(r.sent_back),
                    _n(r.licences),
                    _n(r.send_back_rate),
                ],
                [
                    "Quantité imputée / quantité autorisée",
                    r.imputed_quantity,
                    r.licensed_quantity,
                    _n(r.imputation_rate),
                ],
                [
                    "Apurées / (imputées partiellement + totalement + apurées)",
                    _n(r.settled),
                    _n(r.partially_imputed + r.fully_imputed + r.settled),
                    _n(r.settlement_rate),
                ],
            ],
        ),
        Sheet(
            "Proches expiration",
            f"Licences visées ou imputées partiellement expirant sous {expiry.days} jours",
            (
                _C("N° d'enregistrement"),
                _C("Exportateur"),
                _C("Statut"),
                _C("Fin de validité", DATE_FORMAT),
                _C("Jours restants", COUNT_FORMAT),
            ),
            [
                [
                    e.registration_number,
                    e.company_name,
                    e.status.label,
                    e.validity_end,
                    _n(e.days_left),
                ]
                for e in expiry.rows
            ],
            f"{fr_count(expiry.total)} licence(s) ; la liste s'arrête à "
            f"{fr_count(NEAR_EXPIRY_LIMIT)}."
            if expiry.total > len(expiry.rows)
            else "",
        ),
    ]


def dashboard_xlsx(dashboard: Dashboard, filters_text: list[tuple[str, str]] | None = None) -> bytes:
    """The figures as an .xlsx workbook, one sheet per figure, numbers as numbers."""
    return workbook_bytes(_dashboard_sheets(dashboard, filters_text or describe_filters(dashboard.filters)))
