"""Dashboard speed on a large database, against baselines measured in the same run.

    .venv/bin/python scripts/bench_dashboard.py --database sqlite:////tmp/copy.sqlite3

Prints the median of each figure over several runs (each in its own transaction, as the page's
single-figure calls), the whole `dashboard()` (one transaction), one filtered dashboard, and the
ratio of each to two baselines: `SELECT count(*) FROM licences` (an index-only count) and a full
scan of the licence table (`SELECT sum(total_amount) FROM licences`). Use a copy of a demo base:
the first read may apply expiry and so write to it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text

from core import analytics
from core.accounts import get_actor
from core.analytics import DashboardFilters
from core.database import read_session, set_default_url
from core.lifecycle import Status
from core.models import Licence


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--username", default="analyste")
    args = parser.parse_args()
    set_default_url(args.database)
    actor = get_actor(args.username)
    with read_session() as s:
        count = s.scalar(select(func.count()).select_from(Licence)) or 0
        last = s.scalar(select(func.max(Licence.submitted_at)))
    everything = DashboardFilters()
    # A typical narrower question: one quarter, one currency, one status family.
    quarter_end = (last.date() if last else None)
    filtered = DashboardFilters(
        submitted_from=quarter_end.replace(day=1) if quarter_end else None,
        submitted_to=quarter_end, currency="EUR",
        statuses=(Status.VISAED, Status.PARTIALLY_IMPUTED, Status.FULLY_IMPUTED, Status.SETTLED),
    )

    def sql(statement: str) -> Callable[[], object]:
        def run() -> object:
            with read_session() as s:
                return s.execute(text(statement)).all()
        return run

    cases: dict[str, Callable[[], object]] = {
        "baseline: SELECT count(*) FROM licences": sql("SELECT count(*) FROM licences"),
        "baseline: full scan sum(total_amount)": sql("SELECT sum(total_amount) FROM licences"),
        "by_status": lambda: analytics.by_status(actor, everything),
        "value_by_currency": lambda: analytics.value_by_currency(actor, everything),
        "monthly_by_status": lambda: analytics.monthly_by_status(actor, everything),
        "top_countries": lambda: analytics.top_countries(actor, everything),
        "top_chapters": lambda: analytics.top_chapters(actor, everything),
        "by_office": lambda: analytics.by_office(actor, everything),
        "mce_processing_times": lambda: analytics.mce_processing_times(actor, everything),
        "rates": lambda: analytics.rates(actor, everything),
        "near_expiry (90 days)": lambda: analytics.near_expiry(actor, everything, 90),
        "dashboard(): all figures, no filter": lambda: analytics.dashboard(actor, everything),
        "dashboard(): last month, EUR, visaed onward": lambda: analytics.dashboard(
            actor, filtered),
        "dashboard(): country FR + chapter 08": lambda: analytics.dashboard(
            actor, DashboardFilters(country="FR", tariff_chapter="08")),
    }
    print(f"{count} licences, {args.runs} runs each (median)")
    results = {name: median_ms(fn, args.runs) for name, fn in cases.items()}
    count_ms = results["baseline: SELECT count(*) FROM licences"]
    scan_ms = results["baseline: full scan sum(total_amount)"]
    for name, ms in results.items():
        print(f"{name:45s} {ms:9.1f} ms   x{ms / count_ms:8.1f} count   x{ms / scan_ms:6.2f} scan")
    # The same figures inside one dashboard() call (one transaction), median per figure.
    per_figure: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for name, ms in analytics.dashboard(actor, everything).timings_ms.items():
            per_figure.setdefault(name, []).append(ms)
    print("inside dashboard(), no filter:")
    for name, samples in per_figure.items():
        print(f"  {name:43s} {statistics.median(samples):9.1f} ms")


if __name__ == "__main__":
    main()
