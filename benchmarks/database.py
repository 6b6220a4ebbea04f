"""The database under test: a fresh SQLite file in a temporary folder (deleted afterwards), or an
empty database given by URL (kept, never wiped), filled through the seed's bulk path."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import make_url

# Tables `python -m core init` fills by itself: a database holding only these is still empty.
REFERENCE_TABLES = frozenset({"alembic_version", "reference_items", "nomenclature"})


class NotEmpty(SystemExit):
    pass


def refuse_unless_empty(url: str) -> None:
    """Raise `NotEmpty` when any table of `url` other than the reference lists holds a row: the
    benchmark adds a whole demo to the database and must not mix it with real data."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            # The telling ones first: the refusal names the table that holds rows.
            for name in sorted(names, key=lambda n: (n not in ("licences", "users"), n)):
                if name in REFERENCE_TABLES:
                    continue
                if conn.scalar(select(func.count()).select_from(table(name))):
                    shown = make_url(url).render_as_string(hide_password=True)
                    raise NotEmpty(
                        f"Refusing to run: {shown} is not empty (table {name!r} holds rows). "
                        "The benchmark fills an EMPTY database and never wipes one: give it an "
                        "empty database (e.g. `createdb eld_bench`), or leave out --database-url "
                        "for a temporary SQLite file."
                    )
    finally:
        engine.dispose()


@contextmanager
def target(url: str | None) -> Iterator[str]:
    """The URL to benchmark: `url` once checked empty, or a temporary SQLite file."""
    if url:
        refuse_unless_empty(url)
        yield url
        return
    folder = tempfile.mkdtemp(prefix="eld-bench-")
    try:
        yield f"sqlite:///{os.path.join(folder, 'bench.sqlite3')}"
    finally:
        from core.database import dispose_engines

        dispose_engines()
        shutil.rmtree(folder, ignore_errors=True)


def generate(licences: int) -> dict[str, float]:
    """Schema and reference lists, then `licences` demo licences: the path of
    `python -m core seed-demo --licences N`, timed (seconds)."""
    from core import seed
    from core.reference import prepare_database

    start = time.perf_counter()
    prepare_database()
    prepared = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 5 or done == total:
            last[0] = now
            rate = done / max(time.perf_counter() - prepared, 1e-9)
            print(f"  generating: {done:,}/{total:,} licences ({rate:,.0f}/s)", file=sys.stderr)

    written = seed.seed_demo(licences, progress=progress)
    done = time.perf_counter()
    if written != licences:
        raise RuntimeError(f"the seed wrote {written} licences instead of {licences}")
    return {"prepare_s": prepared - start, "generate_s": done - prepared}
