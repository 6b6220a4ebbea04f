"""The dashboard's figures (`core.analytics.dashboard`, one read transaction) for the analyst,
unfiltered and with five filter combinations; and whether the filtered figures agree with the
unfiltered ones and with the search screens' count of the same licences."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from benchmarks.timing import Timing, measure


@dataclass(frozen=True)
class DashboardResult:
    name: str
    timing: Timing
    total: int
    figures_ms: dict[str, float]


def _month_start(day: dt.date, months_back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def combinations(everything: Any, company_id: int) -> dict[str, Any]:
    """Five typical questions, built from what the unfiltered figures hold."""
    from core.analytics import DashboardFilters
    from core.lifecycle import Status

    last_month = max((m.month for m in everything.monthly_by_status), default=None)
    last = dt.date.fromisoformat(f"{last_month}-01") if last_month else dt.date.today()
    # Three whole months of submissions: comparable with the unfiltered monthly counts.
    period_end = _month_start(last, -1) - dt.timedelta(days=1)
    office = everything.by_office[0].code if everything.by_office else None
    chapter = everything.top_chapters[0].chapter if everything.top_chapters else "08"
    country = everything.top_countries[0].code if everything.top_countries else "FR"
    return {
        "no filter": DashboardFilters(),
        "period (3 months)": DashboardFilters(
            submitted_from=_month_start(last, 2), submitted_to=period_end
        ),
        "status Visée + Apurée": DashboardFilters(statuses=(Status.VISAED, Status.SETTLED)),
        f"office {office}": DashboardFilters(customs_office=office),
        f"currency EUR + country {country}": DashboardFilters(currency="EUR", country=country),
        f"chapter {chapter} + company": DashboardFilters(
            tariff_chapter=chapter, company_id=company_id
        ),
    }


def consistency(everything: Any, name: str, filters: Any, board: Any) -> list[str]:
    """Lines that say whether `board` (filtered by `filters`) agrees with `everything`."""
    from core import search
    from core.accounts import get_actor

    lines = []

    def check(label: str, got: int, expected: int, *, at_most: bool = False) -> None:
        ok = got <= expected if at_most else got == expected
        sign = "<=" if at_most else "=="
        lines.append(f"  [{'ok' if ok else 'MISMATCH'}] {name}: {label}: {got} {sign} {expected}")

    if filters.statuses:
        counts = {s.status: s.count for s in everything.by_status}
        check(
            "total vs unfiltered counts of those statuses",
            board.total,
            sum(counts.get(s, 0) for s in filters.statuses),
        )
    if filters.submitted_from:
        first, last = f"{filters.submitted_from:%Y-%m}", f"{filters.submitted_to:%Y-%m}"
        check(
            "total vs unfiltered monthly counts of those months",
            board.total,
            sum(m.count for m in everything.monthly_by_status if first <= m.month <= last),
        )
    if filters.customs_office:
        offices = {o.code: o.count for o in everything.by_office}
        check(
            "total vs unfiltered count of that office",
            board.total,
            offices.get(filters.customs_office, 0),
        )
    if filters.currency:
        currencies = {c.currency: c.count for c in everything.value_by_currency}
        check(
            "total vs unfiltered count of that currency",
            board.total,
            currencies.get(filters.currency, 0),
            at_most=True,
        )
        check("currencies shown", len(board.value_by_currency), 1, at_most=True)
    if filters.country:
        countries = {c.code: c.count for c in everything.top_countries}
        if filters.country in countries:
            check(
                "total vs unfiltered count of that country",
                board.total,
                countries[filters.country],
                at_most=True,
            )
    if filters.tariff_chapter:
        chapters = {c.chapter: c.licences for c in everything.top_chapters}
        if filters.tariff_chapter in chapters:
            check(
                "total vs unfiltered licences of that chapter",
                board.total,
                chapters[filters.tariff_chapter],
                at_most=True,
            )
    check("total vs unfiltered total", board.total, everything.total, at_most=True)
    # The search screens count the same licences with their own SQL (capped).
    found = search.search(get_actor("analyste"), filters.to_search()).total
    check("total (capped) vs the search screens' count", min(board.total, search.COUNT_CAP), found)
    return lines


def measure_dashboard(runs: int) -> tuple[list[DashboardResult], list[str]]:
    from core import analytics
    from core.accounts import get_actor
    from core.analytics import DashboardFilters

    actor = get_actor("analyste")
    company = get_actor("exportateur").company_id
    assert company is not None
    everything = analytics.dashboard(actor, DashboardFilters())
    results, lines = [], []
    for name, filters in combinations(everything, company).items():
        timing = measure(lambda f=filters: analytics.dashboard(actor, f), runs)
        board = analytics.dashboard(actor, filters)
        results.append(DashboardResult(name, timing, board.total, dict(board.timings_ms)))
        if name != "no filter":
            lines += consistency(everything, name, filters, board)
    return results, lines
