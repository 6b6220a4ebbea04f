"""Each search of the screens through `core.search` against the same question written as raw SQL
and sent through the driver (a DBAPI cursor on a pooled connection): the count (capped as the
screens cap it), the page of ids newest first, then the page's rows. The difference of the
two is what core adds: the checks, the account and expiry look-ups, building the SQL. Each
core call is followed by its raw twin, and the overhead is the median of the pairs'
differences: whatever else the machine does weighs on both."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from benchmarks.timing import Timing, clock, paired

PAGE_SIZE = 10
ROW_SQL = (
    "SELECT l.id, l.registration_number, l.status, c.name, l.recipient, l.total_amount, "
    "l.currency, l.customs_regime, l.customs_office, l.created_at, l.submitted_at, "
    "l.validity_end, l.version FROM licences l JOIN companies c ON c.id = l.company_id "
    "WHERE l.id IN ({ids})"
)


@dataclass(frozen=True)
class Case:
    name: str
    username: str
    filters: Any  # core.records.SearchFilters
    where: str  # the filters as raw SQL (visibility added from the user)
    params: dict[str, Any] = field(default_factory=dict)
    by_latest_action: bool = False


@dataclass(frozen=True)
class SearchResult:
    case: Case
    core_ms: Timing
    raw_ms: Timing
    overhead_ms: float  # the median of the differences of each (core, raw) pair
    total: int
    same_answer: bool


class _Raw:
    """Raw SQL in the driver's own parameter style, with values as the driver stores them."""

    def __init__(self) -> None:
        from core.database import get_engine

        self.engine = get_engine()
        self.dialect = self.engine.dialect.name

    def sql(self, statement: str) -> str:
        if self.dialect == "postgresql":  # psycopg: %(name)s
            return re.sub(r":(\w+)", r"%(\1)s", statement)
        return statement  # sqlite3 reads :name itself

    def stamp(self, moment: dt.datetime) -> Any:
        # SQLAlchemy stores SQLite timestamps as ISO text: compare with the same text.
        return f"{moment:%Y-%m-%d %H:%M:%S.%f}" if self.dialect == "sqlite" else moment

    def amount(self, value: Decimal) -> Any:
        return float(value) if self.dialect == "sqlite" else value

    def run(self, case: Case, visibility: str, params: dict[str, Any]) -> tuple[int, list[int]]:
        where = f"{visibility} AND {case.where}" if case.where else visibility
        newest = "l.updated_at" if case.by_latest_action else "l.created_at"
        count_sql = self.sql(
            f"SELECT count(*) FROM (SELECT l.id FROM licences l WHERE {where} LIMIT :cap) AS capped"
        )
        ids_sql = self.sql(
            f"SELECT l.id FROM licences l WHERE {where} "
            f"ORDER BY {newest} DESC, l.id DESC LIMIT :size"
        )
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(count_sql, params)
            total = cursor.fetchone()[0]
            cursor.execute(ids_sql, params)
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                marks = ", ".join(f":i{n}" for n in range(len(ids)))
                cursor.execute(
                    self.sql(ROW_SQL.format(ids=marks)), {f"i{n}": i for n, i in enumerate(ids)}
                )
                rows = {row[0]: row for row in cursor.fetchall()}
                ids = [i for i in ids if i in rows]
            cursor.close()
            connection.rollback()
        finally:
            connection.close()
        return total, ids


def cases(raw: _Raw) -> list[Case]:
    """The searches of the screens: the exporter's (Gestion) with each kind of filter, the MCE's
    and the analyst's (Consulter: actioned licences only)."""
    from sqlalchemy import func, select

    from core.database import read_session
    from core.lifecycle import Status
    from core.models import Licence
    from core.records import SearchFilters

    with read_session() as session:
        newest = session.scalar(
            select(Licence.registration_number)
            .order_by(Licence.created_at.desc(), Licence.id.desc())
            .limit(1)
        )
        last = session.scalar(select(func.max(Licence.created_at)))
    assert newest and last
    prefix = newest[:-3]  # e.g. LE-2026-001: a thousand numbers
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    day_to = last.date()
    day_from = day_to - dt.timedelta(days=30)
    low, high = Decimal("10000"), Decimal("200000")
    start = dt.datetime.combine(day_from, dt.time.min)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min)
    return [
        Case("exporter: no filter", "exportateur", SearchFilters(), ""),
        Case(
            "exporter: number prefix",
            "exportateur",
            SearchFilters(number=prefix),
            "l.registration_number >= :lo AND l.registration_number < :hi",
            {"lo": prefix, "hi": upper},
        ),
        Case(
            "exporter: status Visée",
            "exportateur",
            SearchFilters(statuses=(Status.VISAED,)),
            "l.status IN (:s1)",
            {"s1": Status.VISAED.value},
        ),
        Case(
            "exporter: recipient",
            "exportateur",
            SearchFilters(recipient="carrefour"),
            "lower(l.recipient) LIKE :needle ESCAPE '\\'",
            {"needle": "%carrefour%"},
        ),
        Case(
            "exporter: created 30 days",
            "exportateur",
            SearchFilters(created_from=day_from, created_to=day_to),
            "l.created_at >= :start AND l.created_at < :end",
            {"start": raw.stamp(start), "end": raw.stamp(end)},
        ),
        Case(
            "exporter: amount range",
            "exportateur",
            SearchFilters(amount_min=low, amount_max=high),
            "l.total_amount >= :low AND l.total_amount <= :high",
            {"low": raw.amount(low), "high": raw.amount(high)},
        ),
        Case(
            "mce: actioned only",
            "mce",
            SearchFilters(actioned_only=True),
            "l.status <> :draft AND l.submitted_at IS NOT NULL",
            {"draft": Status.DRAFT.value},
        ),
        Case(
            "analyst: latest actioned",
            "analyste",
            SearchFilters(actioned_only=True),
            "l.status <> :draft AND l.submitted_at IS NOT NULL",
            {"draft": Status.DRAFT.value},
            by_latest_action=True,
        ),
    ]


def measure_searches(runs: int) -> list[SearchResult]:
    from core import search
    from core.accounts import get_actor
    from core.lifecycle import SEES_OWN_COMPANY_ONLY, Status

    raw = _Raw()
    results = []
    for case in cases(raw):
        actor = get_actor(case.username)
        if actor.role in SEES_OWN_COMPANY_ONLY:
            visibility, extra = "l.company_id = :company", {"company": actor.company_id}
        else:
            visibility = "l.status <> :vis_draft AND l.submitted_at IS NOT NULL"
            extra = {"vis_draft": Status.DRAFT.value}
        params = {**case.params, **extra, "cap": search.COUNT_CAP + 1, "size": PAGE_SIZE}

        def through_core(c: Case = case, a: Any = actor) -> Any:
            return search.search(a, c.filters, 1, PAGE_SIZE, by_latest_action=c.by_latest_action)

        def through_driver(
            c: Case = case, v: str = visibility, p: dict[str, Any] = params
        ) -> tuple[int, list[int]]:
            return raw.run(c, v, p)

        first_ms, page = clock(through_core)
        total, ids = through_driver()
        same = (min(page.total, search.COUNT_CAP), [r.id for r in page.rows]) == (
            min(total, search.COUNT_CAP),
            ids,
        )
        # Sub-millisecond differences need many samples; only very slow searches get fewer.
        count = runs if first_ms > 200 else max(runs, 5) * 4
        core_ms, raw_ms, overhead = paired(through_core, through_driver, count)
        results.append(SearchResult(case, core_ms, raw_ms, overhead, page.total, same))
    return results
