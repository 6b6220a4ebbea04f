"""Alembic migrations on a fresh SQLite file: the migrated schema is the models' schema, downgrade
and upgrade again work, the connection pragmas hold and the history triggers exist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from core.database import alembic_config, dispose_engines, get_engine
from core.models import Base
from core.reference import prepare_database

TRIGGERS = {f"{table}_no_{verb}" for table in ("history_events", "history_changes",
                                               "licence_revisions") for verb in ("update", "delete")
            } | {f"licences_count_{verb}" for verb in ("insert", "update", "delete")}


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    dispose_engines()


def _differences(url: str) -> list[object]:
    with get_engine(url).connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        # Nothing is filtered out: on SQLite the comparison comes back empty as it is (no
        # server defaults are declared, and the reflected types match the declared ones).
        return list(compare_metadata(context, Base.metadata))


def _tables(url: str) -> set[str]:
    return set(inspect(get_engine(url)).get_table_names())


def _triggers(url: str) -> set[str]:
    with get_engine(url).connect() as conn:
        return set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))


def test_migrated_schema_matches_the_models(fresh_url: str) -> None:
    prepare_database(fresh_url)
    assert _tables(fresh_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert _differences(fresh_url) == []


def test_downgrade_to_base_then_upgrade_again(fresh_url: str) -> None:
    prepare_database(fresh_url)
    with get_engine(fresh_url).connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM reference_items")) > 0
    dispose_engines()
    command.downgrade(alembic_config(fresh_url), "base")
    assert _tables(fresh_url) == {"alembic_version"}
    assert _triggers(fresh_url) == set()
    with get_engine(fresh_url).connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 0
    dispose_engines()
    prepare_database(fresh_url)
    assert _tables(fresh_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert _triggers(fresh_url) == TRIGGERS
    assert _differences(fresh_url) == []
    with get_engine(fresh_url).connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(fresh_url)).get_current_head()
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert conn.scalar(text("SELECT count(*) FROM nomenclature")) >= 250


def test_upgrade_twice_is_harmless(fresh_url: str) -> None:
    prepare_database(fresh_url)
    with get_engine(fresh_url).connect() as conn:
        items = conn.scalar(text("SELECT count(*) FROM reference_items"))
    prepare_database(fresh_url)
    with get_engine(fresh_url).connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM reference_items")) == items


def test_connections_have_foreign_keys_on_and_wal(fresh_url: str) -> None:
    prepare_database(fresh_url)  # the migration turns foreign keys off for itself, then back on
    with get_engine(fresh_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
    # and they are really enforced: an orphan row is refused
    with pytest.raises(IntegrityError), get_engine(fresh_url).begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO licence_countries (licence_id, country_code) VALUES (424242, 'FR')"
        )


def test_history_triggers_exist_and_refuse_changes(fresh_url: str) -> None:
    prepare_database(fresh_url)
    assert _triggers(fresh_url) == TRIGGERS
    rows = [
        "INSERT INTO companies (id, name, ice, active, created_at) "
        "VALUES (1, 'Atlas', '001524875000012', 1, '2026-01-01')",
        "INSERT INTO users (id, username, full_name, email, password_hash, role, company_id, "
        "active, failed_attempts, created_at) VALUES (1, 'u', 'U', '', 'x', 'exportateur', 1, 1, 0, "
        "'2026-01-01')",
        "INSERT INTO licences (id, registration_number, category, company_id, total_amount, "
        "currency, customs_regime, customs_office, payment_terms, incoterm, status, version, "
        "revision, created_by_id, created_at, updated_at) VALUES (1, 'LE-2026-000001', 'LE', 1, "
        "10, 'EUR', 'EXPDEF', '300', 'VF', 'FOB', 'BROUILLON', 1, 0, 1, '2026-01-01', "
        "'2026-01-01')",
        "INSERT INTO history_events (licence_id, occurred_at, user_id, username, role, action, "
        "status_after) VALUES (1, '2026-01-01', 1, 'u', 'exportateur', 'CREER', 'BROUILLON')",
    ]
    with get_engine(fresh_url).begin() as conn:
        for sql in rows:
            conn.exec_driver_sql(sql)
    for sql in ("UPDATE history_events SET details = 'x'", "DELETE FROM history_events"):
        with pytest.raises(Exception, match="append-only"), get_engine(fresh_url).begin() as conn:
            conn.exec_driver_sql(sql)
    with get_engine(fresh_url).connect() as conn:
        assert conn.execute(text("SELECT action, details FROM history_events")).all() == [
            ("CREER", None)]

    # The field-level changes are append-only the same way.
    with get_engine(fresh_url).begin() as conn:
        conn.exec_driver_sql("INSERT INTO history_changes (event_id, position, label, old_value, "
                             "new_value) VALUES (1, 0, 'Montant total', '10,00 EUR', '12,00 EUR')")
    for sql in ("UPDATE history_changes SET new_value = 'x'", "DELETE FROM history_changes"):
        with pytest.raises(Exception, match="append-only"), get_engine(fresh_url).begin() as conn:
            conn.exec_driver_sql(sql)
    with get_engine(fresh_url).connect() as conn:
        assert conn.execute(text("SELECT new_value FROM history_changes")).all() == [
            ("12,00 EUR",)]


def test_upgrade_keeps_licences_sharing_a_visa_number(fresh_url: str) -> None:
    """Before 0004 nothing refused a visa number twice: the upgrade keeps both licences and
    makes the second number distinct, then the database refuses a new duplicate."""
    command.upgrade(alembic_config(fresh_url), "0003")
    with get_engine(fresh_url).begin() as conn:
        conn.exec_driver_sql("INSERT INTO companies (id, name, ice, active, created_at) "
                             "VALUES (1, 'Atlas', '001524875000012', 1, '2026-01-01')")
        conn.exec_driver_sql(
            "INSERT INTO users (id, username, full_name, email, password_hash, role, company_id, "
            "active, failed_attempts, created_at) VALUES (1, 'u', 'U', '', 'x', 'exportateur', 1, "
            "1, 0, '2026-01-01')")
        for n in (1, 2, 3):
            conn.exec_driver_sql(
                "INSERT INTO licences (id, registration_number, category, company_id, "
                "total_amount, currency, customs_regime, customs_office, payment_terms, incoterm, "
                "status, version, revision, created_by_id, created_at, updated_at, visa_number) "
                f"VALUES ({n}, 'LE-2026-00000{n}', 'LE', 1, 10, 'EUR', 'EXPDEF', '300', 'VF', "
                f"'FOB', 'VISEE', 1, 0, 1, '2026-01-01', '2026-01-01', "
                f"{'NULL' if n == 3 else repr('V-1')})")
    dispose_engines()
    prepare_database(fresh_url)
    with get_engine(fresh_url).connect() as conn:
        assert conn.execute(text("SELECT id, visa_number FROM licences ORDER BY id")).all() == [
            (1, "V-1"), (2, "V-1-2"), (3, None)]
    with pytest.raises(IntegrityError), get_engine(fresh_url).begin() as conn:
        conn.exec_driver_sql("UPDATE licences SET visa_number = 'V-1' WHERE id = 3")
