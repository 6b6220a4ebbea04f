"""Work queues of the circuit's counterparties: the MCE's visa queue and decision history, the
customs worklist and the bank's repatriation and settlement worklist.

Reads only: every write stays a use case of
`core.drafting` or `core.decisions`. Each function re-reads the acting
user, checks that its role owns the queue, applies expiry first (so every screen sees the same
statuses), counts and pages in SQL, and sums the imputed and repatriated amounts with GROUP BY
over the licences of the page only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, distinct, func, select
from sqlalchemy.orm import Session

from core import search
from core.access import expire_before_read, screen_user, today, visibility
from core.database import read_session

# Re-exported: the bank's screen asks the settlement rule here.
from core.errors import ValidationFailed
from core.lifecycle import (
    DECISIONS,
    IMPUTABLE_STATUSES,
    REPATRIATION_STATUSES,
    REVERSIBLE_STATUSES,
    Action,
    Screen,
    Status,
    imputation_closed,
    settle_blocker,
)
from core.models import (
    Company,
    GoodsLine,
    HistoryEvent,
    Imputation,
    ImputationLine,
    Licence,
    Repatriation,
    utcnow,
)
from core.records import Actor, Page
from core.search import COUNT_CAP, FULL_NUMBER, prefix_range

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MILLI = Decimal("0.001")


# ------------------------------------------------------------------ returned data
@dataclass(frozen=True)
class VisaQueueRow:
    """A licence waiting for the MCE's answer."""

    id: int
    registration_number: str
    version: int
    revision: int
    company_name: str
    recipient: str | None
    total_amount: Decimal
    currency: str
    submitted_at: dt.datetime
    waiting: dt.timedelta

    @property
    def waiting_hours(self) -> int:
        return max(0, int(self.waiting.total_seconds() // 3600))

    @property
    def waiting_days(self) -> int:
        return max(0, self.waiting.days)


@dataclass(frozen=True)
class DecisionFilters:
    number: str | None = None
    decision: str | None = None  # an `Action` of DECISIONS, or None for all three
    date_from: dt.date | None = None  # UTC days, as stored
    date_to: dt.date | None = None


@dataclass(frozen=True)
class DecisionRow:
    event_id: int
    licence_id: int
    registration_number: str
    company_name: str
    action: Action
    occurred_at: dt.datetime
    username: str
    details: str | None  # the reason, or the visa number and validity end
    current_status: Status

    @property
    def action_label(self) -> str:
        return self.action.label


@dataclass(frozen=True)
class CustomsRow:
    """A visaed licence customs may still impute on."""

    id: int
    registration_number: str
    status: Status
    version: int
    company_name: str
    currency: str
    total_amount: Decimal
    visa_number: str | None
    validity_end: dt.date
    days_left: int
    lines_total: int
    lines_open: int  # goods lines with a remaining quantity
    imputation_count: int
    imputed_value: Decimal


@dataclass(frozen=True)
class BankRow:
    """An imputed licence: what was imputed, what came back, whether it can be settled now."""

    id: int
    registration_number: str
    status: Status
    version: int
    company_name: str
    currency: str
    validity_end: dt.date | None
    imputed_value: Decimal
    repatriated_amount: Decimal
    repatriation_count: int
    imputation_closed: bool
    settle_blocker: str | None  # why *Apurer* is refused now, in the words of core

    @property
    def remaining_due(self) -> Decimal:
        return max(ZERO, self.imputed_value - self.repatriated_amount)

    @property
    def settleable(self) -> bool:
        return self.settle_blocker is None


# ------------------------------------------------------------------ rules shared with the pages
def suggested_visa_number(registration_number: str, on: dt.date | None = None) -> str:
    """A visa number the MCE may accept or change, matching the licence's own number:
    LE-2026-000024 visaed in 2026 -> V-2026-000024."""
    sequence = registration_number.rsplit("-", 1)[-1]
    return f"V-{(on or today()).year}-{sequence}"


# ------------------------------------------------------------------ helpers
def _money(value: object) -> Decimal:
    # SQLite sums NUMERIC as floats (0.1 + 0.2 = 0.30000000000000004): back to cents.
    return Decimal(str(value if value is not None else 0)).quantize(CENT)


def _quantity(value: object) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(MILLI)


def _paging(page: int, page_size: int) -> tuple[int, int]:
    return search.paging(page, page_size)


def _number_condition(raw: str | None) -> list[ColumnElement[bool]]:
    number = (raw or "").strip().upper()
    if not number:
        return []
    if len(number) > 20:
        raise ValidationFailed({"number": "Numéro : 20 caractères au plus."})
    if not search.NUMBER_CHARS.fullmatch(number):
        raise ValidationFailed({"number": ("Numéro : lettres, chiffres et tirets uniquement "
                                           "(ex. LE-2026-000123).")})
    if FULL_NUMBER.match(number):
        return [Licence.registration_number == number]
    return [prefix_range(Licence.registration_number, number)]


def _status_in(statuses: Sequence[Status]) -> ColumnElement[bool]:
    """Customs' status condition, written `status || ''`: the validity ends from today on are
    then read in order from ix_licences_validity (validity end, then id) and the page stops after
    its rows, instead of sorting every visaed licence. (The bank's imputed licences are better
    found through their status: old validity ends of settled licences come first.)"""
    return Licence.status.concat("").in_([s.value for s in statuses])


def _count(session: Session, query: Select[Any]) -> tuple[int, bool]:
    """(how many match, up to COUNT_CAP; whether there are more): a queue of any length costs
    no more than COUNT_CAP rows to count, and the screen says « plus de 2 000 »."""
    total = session.scalar(
        select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery())) or 0
    return min(total, COUNT_CAP), total > COUNT_CAP


def _imputed(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, Decimal]]:
    """licence id -> (number of declarations, imputed value)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Imputation.licence_id, func.count(distinct(Imputation.id)),
               func.sum(ImputationLine.value))
        .join(ImputationLine, ImputationLine.imputation_id == Imputation.id)
        .where(Imputation.licence_id.in_(ids), Imputation.reversed_at.is_(None))
        .group_by(Imputation.licence_id)
    )
    return {lid: (count, _money(value)) for lid, count, value in rows}


def _repatriated(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, Decimal]]:
    """licence id -> (number of repatriation proofs, repatriated amount)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Repatriation.licence_id, func.count(), func.sum(Repatriation.amount))
        .where(Repatriation.licence_id.in_(ids), Repatriation.withdrawn_at.is_(None))
        .group_by(Repatriation.licence_id)
    )
    return {lid: (count, _money(amount)) for lid, count, amount in rows}


def _open_lines(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """licence id -> (goods lines, goods lines with a remaining quantity)."""
    if not ids:
        return {}
    imputed = (
        select(ImputationLine.goods_line_id, func.sum(ImputationLine.quantity).label("qty"))
        .join(GoodsLine, GoodsLine.id == ImputationLine.goods_line_id)
        .join(Imputation, Imputation.id == ImputationLine.imputation_id)
        .where(GoodsLine.licence_id.in_(ids), Imputation.reversed_at.is_(None))
        .group_by(ImputationLine.goods_line_id)
        .subquery()
    )
    rows = session.execute(
        select(GoodsLine.licence_id, GoodsLine.quantity, imputed.c.qty)
        .outerjoin(imputed, imputed.c.goods_line_id == GoodsLine.id)
        .where(GoodsLine.licence_id.in_(ids))
    )
    out: dict[int, tuple[int, int]] = {}
    for lid, quantity, qty in rows:
        total, still_open = out.get(lid, (0, 0))
        out[lid] = (total + 1, still_open + int(_quantity(qty) < _quantity(quantity)))
    return out


# ------------------------------------------------------------------ MCE
def mce_queue(actor: Actor, page: int = 1, page_size: int = 20) -> Page[VisaQueueRow]:
    """Licences *Soumise pour visa MCE*, oldest submission first, with their waiting time."""
    page, page_size = _paging(page, page_size)
    expire_before_read()
    with read_session() as session:
        user = screen_user(session, actor, Screen.VISA)
        where = [visibility(user), Licence.status == Status.SUBMITTED]
        total = session.scalar(select(func.count()).select_from(Licence).where(*where)) or 0
        rows = session.execute(
            select(Licence.id, Licence.registration_number, Licence.version, Licence.revision,
                   Company.name, Licence.recipient, Licence.total_amount, Licence.currency,
                   Licence.submitted_at)
            .join(Company, Company.id == Licence.company_id)
            .where(*where)
            .order_by(Licence.submitted_at.asc(), Licence.id.asc())
            .limit(page_size).offset((page - 1) * page_size)
        ).all()
    now = utcnow()
    return Page(
        tuple(
            VisaQueueRow(
                id=r.id, registration_number=r.registration_number, version=r.version,
                revision=r.revision, company_name=r.name, recipient=r.recipient,
                total_amount=r.total_amount, currency=r.currency, submitted_at=r.submitted_at,
                waiting=max(dt.timedelta(0), now - r.submitted_at),
            )
            for r in rows
        ),
        total, page, page_size,
    )


def _check_decision_filters(filters: DecisionFilters) -> list[ColumnElement[bool]]:
    errors: dict[str, str] = {}
    where: list[ColumnElement[bool]] = []
    try:
        where += _number_condition(filters.number)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if filters.decision:
        if filters.decision not in {a.value for a in DECISIONS}:
            errors["decision"] = f"Décision « {str(filters.decision)[:40]} » inconnue."
        else:
            where.append(HistoryEvent.action == filters.decision)
    else:
        where.append(HistoryEvent.action.in_([a.value for a in DECISIONS]))
    if search.check_period(errors, "date", "Date de décision", filters.date_from, filters.date_to):
        errors["date_to"] = "Date de décision : la fin précède le début."
    if errors:
        raise ValidationFailed(errors)
    if filters.date_from:
        where.append(HistoryEvent.occurred_at >= dt.datetime.combine(filters.date_from, dt.time.min))
    if filters.date_to:
        where.append(HistoryEvent.occurred_at
                     < dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min))
    return where


def mce_decisions(
    actor: Actor, filters: DecisionFilters | None = None, page: int = 1, page_size: int = 20
) -> Page[DecisionRow]:
    """The history of the MCE's decisions (visa, refusal, send-back), newest first.

    Decisions are the Ministry's own records: a licence sent back for correction is a draft
    again, yet its send-back stays listed here (number, company and reason, not the draft).
    """
    where = _check_decision_filters(filters or DecisionFilters())
    page, page_size = _paging(page, page_size)
    expire_before_read()
    with read_session() as session:
        screen_user(session, actor, Screen.VISA)
        base = (
            select(HistoryEvent.id, HistoryEvent.licence_id, Licence.registration_number,
                   Company.name, HistoryEvent.action, HistoryEvent.occurred_at,
                   HistoryEvent.username, HistoryEvent.details, Licence.status)
            .join(Licence, Licence.id == HistoryEvent.licence_id)
            .join(Company, Company.id == Licence.company_id)
            .where(*where)
        )
        total, capped = _count(session, base.with_only_columns(HistoryEvent.id))
        rows = session.execute(
            base.order_by(HistoryEvent.occurred_at.desc(), HistoryEvent.id.desc())
            .limit(page_size).offset((page - 1) * page_size)
        ).all()
    return Page(
        tuple(
            DecisionRow(
                event_id=r.id, licence_id=r.licence_id,
                registration_number=r.registration_number, company_name=r.name,
                action=Action(r.action), occurred_at=r.occurred_at, username=r.username,
                details=r.details, current_status=Status(r.status),
            )
            for r in rows
        ),
        total, page, page_size, capped,
    )


# ------------------------------------------------------------------ customs
def customs_worklist(
    actor: Actor,
    number: str | None = None,
    page: int = 1,
    page_size: int = 20,
    *,
    corrections: bool = False,
) -> Page[CustomsRow]:
    """Visaed or partially imputed licences still valid, the nearest validity end first.

    With `corrections`, the licences whose imputations customs may still reverse instead:
    partially or totally imputed, whatever their validity (a mistake found late is still one).
    """
    number_where = _number_condition(number)
    page, page_size = _paging(page, page_size)
    expire_before_read()
    day = today()
    with read_session() as session:
        user = screen_user(session, actor, Screen.IMPUTATION)
        scope: list[ColumnElement[bool]]
        if corrections:
            scope = [Licence.status.in_([s.value for s in REVERSIBLE_STATUSES])]
        else:
            scope = [_status_in(IMPUTABLE_STATUSES), Licence.validity_end >= day]
        where = [visibility(user), *scope, *number_where]
        total, capped = _count(session, select(Licence.id).where(*where))
        rows = session.execute(
            select(Licence.id, Licence.registration_number, Licence.status, Licence.version,
                   Company.name, Licence.currency, Licence.total_amount, Licence.visa_number,
                   Licence.validity_end)
            .join(Company, Company.id == Licence.company_id)
            .where(*where)
            .order_by(Licence.validity_end.asc(), Licence.id.asc())
            .limit(page_size).offset((page - 1) * page_size)
        ).all()
        ids = [r.id for r in rows]
        imputed, lines = _imputed(session, ids), _open_lines(session, ids)
    return Page(
        tuple(
            CustomsRow(
                id=r.id, registration_number=r.registration_number, status=Status(r.status),
                version=r.version, company_name=r.name, currency=r.currency,
                total_amount=r.total_amount, visa_number=r.visa_number,
                validity_end=r.validity_end, days_left=(r.validity_end - day).days,
                lines_total=lines.get(r.id, (0, 0))[0], lines_open=lines.get(r.id, (0, 0))[1],
                imputation_count=imputed.get(r.id, (0, ZERO))[0],
                imputed_value=imputed.get(r.id, (0, ZERO))[1],
            )
            for r in rows
        ),
        total, page, page_size, capped,
    )


# ------------------------------------------------------------------ bank
def bank_worklist(
    actor: Actor, number: str | None = None, page: int = 1, page_size: int = 20
) -> Page[BankRow]:
    """Imputed licences (partially or totally), the nearest validity end first, with the
    imputed value, the repatriated amount and whether *Apurer* would be accepted now."""
    number_where = _number_condition(number)
    page, page_size = _paging(page, page_size)
    expire_before_read()
    day = today()
    with read_session() as session:
        user = screen_user(session, actor, Screen.REPATRIATION)
        where = [visibility(user), Licence.status.in_([s.value for s in REPATRIATION_STATUSES]),
                 *number_where]
        total, capped = _count(session, select(Licence.id).where(*where))
        rows = session.execute(
            select(Licence.id, Licence.registration_number, Licence.status, Licence.version,
                   Company.name, Licence.currency, Licence.validity_end)
            .join(Company, Company.id == Licence.company_id)
            .where(*where)
            .order_by(Licence.validity_end.asc(), Licence.id.asc())
            .limit(page_size).offset((page - 1) * page_size)
        ).all()
        ids = [r.id for r in rows]
        imputed, repatriated = _imputed(session, ids), _repatriated(session, ids)
    out = []
    for r in rows:
        status = Status(r.status)
        value = imputed.get(r.id, (0, ZERO))[1]
        count, amount = repatriated.get(r.id, (0, ZERO))
        out.append(BankRow(
            id=r.id, registration_number=r.registration_number, status=status,
            version=r.version, company_name=r.name, currency=r.currency,
            validity_end=r.validity_end, imputed_value=value, repatriated_amount=amount,
            repatriation_count=count,
            imputation_closed=imputation_closed(status, r.validity_end, day),
            settle_blocker=settle_blocker(status, r.validity_end, value, amount, r.currency, day),
        ))
    return Page(tuple(out), total, page, page_size, capped)
