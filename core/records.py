"""Plain, frozen data that services return: never live ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from core.lifecycle import Role, Status

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who acts. Services re-read the user from the database: these fields are only a claim."""

    user_id: int
    username: str
    role: str
    company_id: int | None = None
    full_name: str = ""
    company_name: str = ""

    @property
    def is_exporter(self) -> bool:
        return self.role == Role.EXPORTER


@dataclass(frozen=True)
class CountryView:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class FileView:
    id: int
    file_name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class InvoiceView:
    id: int
    amount: Decimal
    invoice_date: dt.date
    file: FileView


@dataclass(frozen=True)
class DocumentView:
    id: int
    doc_type: str
    doc_type_label: str
    description: str
    doc_date: dt.date
    file: FileView


@dataclass(frozen=True)
class GoodsLineView:
    id: int
    line_no: int
    designation: str
    origin_country: str
    origin_country_name: str
    quantity: Decimal
    net_weight: Decimal
    supplementary_units: Decimal | None
    tariff_code: str
    tariff_description: str
    supplementary_unit_name: str | None
    imputed_quantity: Decimal = Decimal("0")
    imputed_value: Decimal = Decimal("0")

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.imputed_quantity


@dataclass(frozen=True)
class ImputationLineView:
    goods_line_id: int
    line_no: int
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class ImputationView:
    id: int
    declaration_ref: str
    declaration_date: dt.date
    customs_office: str
    customs_office_label: str
    created_at: dt.datetime
    created_by: str
    lines: tuple[ImputationLineView, ...]
    # A mistaken imputation reversed by customs stays on record, out of every sum.
    reversed_at: dt.datetime | None = None
    reversed_by: str | None = None
    reversal_reason: str | None = None

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None

    @property
    def total_value(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal("0"))


@dataclass(frozen=True)
class RepatriationView:
    id: int
    amount: Decimal
    repatriation_date: dt.date
    bank_reference: str
    created_at: dt.datetime
    created_by: str
    file: FileView
    # A proof withdrawn by the bank stays on record, out of every sum.
    withdrawn_at: dt.datetime | None = None
    withdrawn_by: str | None = None
    withdrawal_reason: str | None = None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True)
class LicenceDetail:
    id: int
    registration_number: str
    category: str
    company_id: int
    company_name: str
    company_ice: str
    recipient: str | None
    total_amount: Decimal
    currency: str
    customs_regime: str
    customs_regime_label: str
    customs_office: str
    customs_office_label: str
    payment_terms: str
    payment_terms_label: str
    incoterm: str
    status: Status
    version: int
    revision: int
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    visa_number: str | None
    visa_date: dt.date | None
    validity_end: dt.date | None
    refusal_reason: str | None
    correction_reason: str | None
    cancellation_reason: str | None
    copied_from: str | None
    countries: tuple[CountryView, ...] = ()
    invoices: tuple[InvoiceView, ...] = ()
    documents: tuple[DocumentView, ...] = ()
    goods: tuple[GoodsLineView, ...] = ()
    imputations: tuple[ImputationView, ...] = ()
    repatriations: tuple[RepatriationView, ...] = ()
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def invoices_total(self) -> Decimal:
        return sum((i.amount for i in self.invoices), Decimal("0"))

    @property
    def imputed_value(self) -> Decimal:
        return sum((i.total_value for i in self.imputations if not i.is_reversed), Decimal("0"))

    @property
    def repatriated_amount(self) -> Decimal:
        return sum((r.amount for r in self.repatriations if not r.is_withdrawn), Decimal("0"))

    @property
    def is_complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class LicenceRow:
    """One line of a search result."""

    id: int
    registration_number: str
    status: Status
    company_name: str
    recipient: str | None
    total_amount: Decimal
    currency: str
    customs_regime: str
    customs_office: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    validity_end: dt.date | None
    version: int


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list read through core (search results, work queues, the decisions, the
    administration log): its rows, how many match in all, which page, how many rows a page
    holds."""

    rows: tuple[T, ...]
    total: int
    page: int
    page_size: int
    capped: bool = False  # more matches than `total`: the count stopped there

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a history event: French label, old and new value as shown."""

    label: str
    old: str
    new: str

    @property
    def text(self) -> str:
        """« Montant total : 10 000,00 → 12 500,00 EUR » ; an addition or a removal reads as such."""
        if not self.old:
            return f"{self.label} : {self.new} (ajout)"
        if not self.new:
            return f"{self.label} : {self.old} (retrait)"
        return f"{self.label} : {self.old} → {self.new}"


@dataclass(frozen=True)
class HistoryRow:
    occurred_at: dt.datetime  # naive UTC, as stored
    username: str
    role: str
    action: str
    action_label: str
    status_before: Status | None
    status_after: Status
    details: str | None
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class ComparedField:
    """One line of the side-by-side comparison of a new revision with the visaed one."""

    section: str
    label: str
    visaed: str
    current: str

    @property
    def changed(self) -> bool:
        return self.visaed != self.current


@dataclass(frozen=True)
class RevisionComparison:
    registration_number: str
    visaed_revision: int
    current_revision: int
    visa_number: str | None
    visa_date: dt.date | None
    fields: tuple[ComparedField, ...]

    @property
    def changed(self) -> tuple[ComparedField, ...]:
        return tuple(f for f in self.fields if f.changed)


@dataclass(frozen=True)
class SearchFilters:
    number: str | None = None
    statuses: tuple[Status, ...] = ()
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    recipient: str | None = None
    currency: str | None = None
    customs_office: str | None = None
    customs_regime: str | None = None
    country: str | None = None
    tariff_code: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    company_id: int | None = None
    actioned_only: bool = False
