"""Engines, transactions and schema upgrades, the same code for SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.config import PROJECT_ROOT, settings

MIGRATIONS_DIR = PROJECT_ROOT / "db" / "migrations"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_default_url: str | None = None


def set_default_url(url: str | None) -> None:
    """Point every later call without an explicit URL at `url` (tests, the CLI's --database)."""
    global _default_url
    _default_url = url


def current_url() -> str:
    return _default_url or settings().database_url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so writers can take the lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()
        # SQLite's lower() only folds A-Z: searches must match « ÉTABLISSEMENTS » too.
        dbapi_conn.create_function(
            "lower", 1, lambda s: s.lower() if isinstance(s, str) else s, deterministic=True
        )

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read transaction upgraded to a write fails with SQLITE_BUSY whatever the timeout:
        # writers ask for the write lock first and wait for it instead.
        if conn.get_execution_options().get("write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the whole process."""
    url = url or current_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite":
                if parsed.database and parsed.database != ":memory:":
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"timeout": 15})
                _configure_sqlite(engine)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """One use case = one transaction: committed on exit, rolled back on any exception."""
    engine = get_engine(url).execution_options(write=True)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    with Session(get_engine(url), expire_on_commit=False) as session, session.begin():
        yield session


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or current_url()).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Create or upgrade the schema to the latest migration (`core.reference.prepare_database`
    also loads the reference lists)."""
    from alembic import command

    get_engine(url)  # creates the SQLite file's folder when missing
    command.upgrade(alembic_config(url), "head")
