"""Shared fixtures: a fresh, migrated database per test (SQLite by default, PostgreSQL when
TEST_DATABASE_URL points at a server), demo accounts, and a builder of complete drafts."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import decisions, drafting, seed
from core.accounts import get_actor
from core.database import dispose_engines, set_default_url
from core.files import tiny_pdf
from core.records import Actor, LicenceDetail
from core.reference import prepare_database

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
_counter = itertools.count()


def _pg_admin(url: str) -> Any:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _prepare_template(url: str) -> None:
    set_default_url(url)
    prepare_database(url)
    seed.ensure_demo_accounts(rounds=4)
    dispose_engines()
    set_default_url(None)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PG_URL:
        name = f"eld_tpl_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin(PG_URL)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        _prepare_template(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        _prepare_template(f"sqlite:///{path}")
        yield str(path)


def fresh_database(template_db: str, workdir: Path) -> tuple[str, Any]:
    """A copy of the migrated template: (url, cleanup). Used per test and per Hypothesis example."""
    if PG_URL:
        name = f"eld_t_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin(PG_URL)
        template = make_url(template_db).database
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        target = workdir / f"test{next(_counter)}.sqlite3"
        shutil.copyfile(template_db, target)
        url = f"sqlite:///{target}"
    set_default_url(url)

    def cleanup() -> None:
        set_default_url(None)
        dispose_engines()
        if PG_URL:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)

    return url, cleanup


@pytest.fixture
def db_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own for each test, already migrated and holding the demo accounts."""
    url, cleanup = fresh_database(template_db, tmp_path)
    yield url
    cleanup()


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DEMO_MODE=0 for this test only (settings are cached per process)."""
    from core import config

    monkeypatch.setenv("DEMO_MODE", "0")
    config.settings.cache_clear()
    yield
    monkeypatch.delenv("DEMO_MODE")
    config.settings.cache_clear()


@pytest.fixture
def actors(db_url: str) -> dict[str, Actor]:
    return {name: get_actor(name) for name, *_ in seed.DEMO_USERS}


@pytest.fixture
def pdf() -> bytes:
    return tiny_pdf(["Facture de test"])


HEADER = {
    "recipient": "Fruits d'Europe GmbH",
    "total_amount": "12500.50",
    "currency": "EUR",
    "customs_regime": None,  # filled from the reference list by `header()`
    "customs_office": None,
    "incoterm": "FOB",
}


def header(**overrides: Any) -> dict[str, Any]:
    from core.database import read_session
    from core.reference import code_list

    with read_session() as session:
        values = dict(HEADER)
        values["customs_regime"] = next(iter(code_list(session, "regime")))
        values["customs_office"] = next(iter(code_list(session, "office")))
    values.update(overrides)
    return values


def first_tariff() -> str:
    from sqlalchemy import select

    from core.database import read_session
    from core.models import TariffCode

    with read_session() as session:
        code = session.scalar(
            select(TariffCode.code).where(TariffCode.supplementary_unit.is_(None))
            .order_by(TariffCode.code)
        )
    assert code
    return code


def complete_draft(actor: Actor, *, quantity: str = "100", lines: int = 1,
                   currency: str = "EUR") -> LicenceDetail:
    """A draft with one country, one invoice and `lines` goods lines: ready to submit."""
    lic = drafting.create_licence(actor, header(currency=currency))
    lic = drafting.add_country(actor, lic.id, lic.version, "FR")
    lic = drafting.add_invoice(actor, lic.id, lic.version, "12500.50", dt.date(2026, 1, 15),
                               "facture.pdf", tiny_pdf(["Facture"]))
    for n in range(lines):
        lic = drafting.add_goods_line(
            actor, lic.id, lic.version, designation=f"Clémentines lot {n + 1}",
            origin_country="MA", quantity=quantity, net_weight="1000", tariff_code=first_tariff(),
        )
    return lic


def visaed(actors: dict[str, Actor], **kwargs: Any) -> LicenceDetail:
    lic = complete_draft(actors["exportateur"], **kwargs)
    lic = drafting.submit_for_visa(actors["exportateur"], lic.id, lic.version)
    return decisions.grant_visa(actors["mce"], lic.id, lic.version, f"V-2026-{lic.id:04d}")


def stored_and_counted_status_counts() -> tuple[dict[Any, int], dict[Any, int]]:
    """The counts the database keeps per (company, status, submitted), and the same counted
    from the licences: equal whatever changed the licences."""
    from sqlalchemy import func, select

    from core.database import read_session
    from core.models import Licence, LicenceStatusCount

    with read_session() as session:
        stored = {(c, s, bool(sub)): n for c, s, sub, n in session.execute(
            select(LicenceStatusCount.company_id, LicenceStatusCount.status,
                   LicenceStatusCount.submitted, LicenceStatusCount.licences)) if n}
        submitted = Licence.submitted_at.is_not(None)
        counted = {(c, s, bool(sub)): n for c, s, sub, n in session.execute(
            select(Licence.company_id, Licence.status, submitted, func.count())
            .group_by(Licence.company_id, Licence.status, submitted))}
    return stored, counted
