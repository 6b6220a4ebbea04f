"""Search speed on a large database, against a baseline measured in the same run.

    .venv/bin/python scripts/bench_search.py --database sqlite:///db/bench.sqlite3 --seed 1000000

Prints the median of each query over several runs, and the ratio to the baseline: the same
number-prefix search written with LIKE, which SQLite cannot serve from an index.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from core import search, seed
from core.accounts import get_actor
from core.database import read_session, set_default_url
from core.lifecycle import Status
from core.models import Licence
from core.records import SearchFilters
from core.reference import prepare_database


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
    parser.add_argument("--seed", type=int, default=0, help="licences to add if the base is empty")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    set_default_url(args.database)
    prepare_database()
    with read_session() as s:
        count = s.scalar(select(func.count()).select_from(Licence)) or 0
    if count == 0 and args.seed:
        start = time.perf_counter()
        seed.seed_demo(args.seed)
        print(f"seeded {args.seed} licences in {time.perf_counter() - start:.1f} s")
        with read_session() as s:
            count = s.scalar(select(func.count()).select_from(Licence)) or 0
    with read_session() as s:
        sample = s.scalar(select(Licence.registration_number).order_by(Licence.id.desc()))
    assert sample
    prefix = sample[:-2]
    exporter, analyst = get_actor("exportateur"), get_actor("analyste")

    def like_baseline() -> object:
        with read_session() as s:
            return list(s.scalars(
                select(Licence.id).where(Licence.registration_number.like(prefix + "%"))
                .order_by(Licence.created_at.desc()).limit(10)))

    cases: dict[str, Callable[[], object]] = {
        "baseline: number prefix with LIKE": like_baseline,
        "number prefix (range), analyst": lambda: search.search(
            analyst, SearchFilters(number=prefix)),
        "exact number, exporter": lambda: search.search(exporter, SearchFilters(number=sample)),
        "latest 10 of the exporter's company": lambda: search.latest(exporter),
        "latest 10 actioned, analyst": lambda: search.latest(analyst, actioned_only=True),
        "status Visée, exporter": lambda: search.search(
            exporter, SearchFilters(statuses=(Status.VISAED,))),
        "country ES + currency EUR, analyst": lambda: search.search(
            analyst, SearchFilters(country="ES", currency="EUR")),
        "tariff prefix 0805, analyst": lambda: search.search(
            analyst, SearchFilters(tariff_code="0805")),
        "page 50 of all, analyst": lambda: search.search(analyst, SearchFilters(), page=50),
    }
    print(f"{count} licences, {args.runs} runs each (median)")
    base = median_ms(cases["baseline: number prefix with LIKE"], args.runs)
    for name, fn in cases.items():
        ms = median_ms(fn, args.runs)
        print(f"{name:45s} {ms:9.2f} ms   x{ms / base:6.3f} of baseline")


if __name__ == "__main__":
    main()
