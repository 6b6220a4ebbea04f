"""Field-level history: the French label and the shown value of every field of a licence, the
changes between two states, and the side-by-side comparison of a revision with the visaed one.

The same functions name and format a field in the history, in its .xlsx and in the comparison,
so "Montant total" reads the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from core.records import ComparedField, FieldChange, GoodsLineView, LicenceDetail
from core.text import fr_amount, fr_date, fr_quantity

HEADER_LABELS: Mapping[str, str] = {
    "recipient": "Destinataire",
    "category": "Catégorie",
    "total_amount": "Montant total",
    "currency": "Devise",
    "customs_regime": "Régime douanier",
    "customs_office": "Bureau douanier",
    "payment_terms": "Modalité de paiement",
    "incoterm": "Incoterm",
}
# Header fields shown as « code – label » from their reference list.
LISTED = ("customs_regime", "customs_office", "payment_terms")

HEADER = "Données de la licence"
COUNTRIES = "Pays de destination"
INVOICES = "Factures"
DOCUMENTS = "Documents"
GOODS = "Marchandises"
VISA = "Visa MCE"


def day(value: dt.date | None) -> str:
    return fr_date(value)


def changes(triples: Iterable[tuple[str, str, str]]) -> list[FieldChange]:
    """(label, old, new) -> the changes, leaving out what did not change."""
    return [FieldChange(label, old, new) for label, old, new in triples if old != new]


def added(pairs: Iterable[tuple[str, str]]) -> list[FieldChange]:
    return changes((label, "", value) for label, value in pairs)


def removed(pairs: Iterable[tuple[str, str]]) -> list[FieldChange]:
    return changes((label, value, "") for label, value in pairs)


# ------------------------------------------------------------------ what each field shows
def header_fields(
    values: Mapping[str, Any], names: Mapping[str, Mapping[str, str]]
) -> list[tuple[str, str, str]]:
    """(field, label, shown value) of the header, in the form's order. `names` maps a listed
    field to its reference list (code -> label)."""
    out = []
    for field, label in HEADER_LABELS.items():
        raw = values.get(field)
        if raw is None or raw == "":
            shown = ""
        elif field == "total_amount":
            shown = fr_amount(Decimal(str(raw)), str(values.get("currency") or ""))
        elif field in LISTED:
            name = names.get(field, {}).get(str(raw), "")
            shown = f"{raw} – {name}" if name and name != raw else str(raw)
        else:
            shown = str(raw)
        out.append((field, label, shown))
    return out


def header_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], names: Mapping[str, Mapping[str, str]]
) -> list[FieldChange]:
    old = {f: shown for f, _, shown in header_fields(before, names)}
    return changes((label, old[f], shown) for f, label, shown in header_fields(after, names))


def invoice_fields(amount: Decimal, currency: str, on: dt.date, file_name: str
                   ) -> list[tuple[str, str]]:
    return [("Facture – Montant", fr_amount(amount, currency)), ("Facture – Date", day(on)),
            ("Facture – Fichier", file_name)]


def document_fields(type_label: str, description: str, on: dt.date, file_name: str
                    ) -> list[tuple[str, str]]:
    return [("Document – Type", type_label), ("Document – Description", description),
            ("Document – Date", day(on)), ("Document – Fichier", file_name)]


def goods_fields(
    line_no: int,
    designation: str,
    origin: str,
    quantity: Decimal,
    net_weight: Decimal,
    supplementary_units: Decimal | None,
    unit_name: str | None,
    tariff: str,
) -> list[tuple[str, str]]:
    units = ""
    if supplementary_units is not None:
        units = f"{fr_quantity(supplementary_units)} {unit_name or ''}".strip()
    prefix = f"Marchandise {line_no}"
    return [
        (f"{prefix} – Désignation commerciale", designation),
        (f"{prefix} – Pays d'origine", origin),
        (f"{prefix} – Quantité", fr_quantity(quantity)),
        (f"{prefix} – Poids net (kg)", fr_quantity(net_weight)),
        (f"{prefix} – Unités complémentaires", units),
        (f"{prefix} – Nomenclature douanière", tariff),
    ]


def _goods_line(g: GoodsLineView) -> list[tuple[str, str]]:
    return goods_fields(g.line_no, g.designation, f"{g.origin_country_name} ({g.origin_country})",
                        g.quantity, g.net_weight, g.supplementary_units,
                        g.supplementary_unit_name, f"{g.tariff_code} – {g.tariff_description}")


def visa_fields(number: str | None, on: dt.date | None, end: dt.date | None
                ) -> list[tuple[str, str]]:
    return [("Numéro de visa", number or ""), ("Date du visa", day(on)),
            ("Fin de validité", day(end))]


# ------------------------------------------------------------------ revisions compared
def licence_fields(detail: LicenceDetail) -> list[tuple[str, str, str]]:
    """Everything the exporter subscribes, as (section, label, value): what the MCE visas."""
    names = {
        "customs_regime": {detail.customs_regime: detail.customs_regime_label},
        "customs_office": {detail.customs_office: detail.customs_office_label},
        "payment_terms": {detail.payment_terms: detail.payment_terms_label},
    }
    values = {f: getattr(detail, f) for f in HEADER_LABELS}
    rows = [(HEADER, label, shown) for _, label, shown in header_fields(values, names)]
    rows.append((COUNTRIES, "Pays",
                 ", ".join(sorted(f"{c.name} ({c.code})" for c in detail.countries))))
    for n, inv in enumerate(detail.invoices, 1):
        rows.append((INVOICES, f"Facture {n}",
                     f"{fr_amount(inv.amount, detail.currency)} du {day(inv.invoice_date)} "
                     f"({inv.file.file_name})"))
    rows.append((INVOICES, "Total des factures", fr_amount(detail.invoices_total, detail.currency)))
    for n, doc in enumerate(detail.documents, 1):
        rows.append((DOCUMENTS, f"Document {n}",
                     f"{doc.doc_type_label} – {doc.description} du {day(doc.doc_date)} "
                     f"({doc.file.file_name})"))
    for g in detail.goods:
        rows += [(GOODS, label, value) for label, value in _goods_line(g)]
    return rows


def snapshot(detail: LicenceDetail) -> str:
    return json.dumps(licence_fields(detail), ensure_ascii=False)


def compare(visaed: str, current: Sequence[tuple[str, str, str]]) -> tuple[ComparedField, ...]:
    """Side by side, in the current order; what only the visaed revision had is listed too."""
    old = {(s, label): value for s, label, value in json.loads(visaed)}
    new = {(s, label): value for s, label, value in current}
    keys = [(s, label) for s, label, _ in current] + [key for key in old if key not in new]
    sections = list(dict.fromkeys([HEADER, COUNTRIES, INVOICES, DOCUMENTS, GOODS]
                                  + [s for s, _ in keys]))
    order = sorted(keys, key=lambda key: sections.index(key[0]))  # stable within a section
    return tuple(ComparedField(s, label, old.get((s, label), ""), new.get((s, label), ""))
                 for s, label in order)
