"""The command line (`python -m core`) on SQLite files of its own: init, seed-demo, reset-demo,
create-user, import-nomenclature, expire, --help. Always with --database, never the default file."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from core import accounts
from core.__main__ import main
from core.database import dispose_engines, get_engine, set_default_url
from core.errors import AuthenticationFailed
from core.lifecycle import Status
from core.models import (
    Company,
    Document,
    HistoryEvent,
    Invoice,
    Licence,
    RegistrationCounter,
    Repatriation,
    StoredFile,
    TariffCode,
    User,
)
from core.seed import COMPANIES, DEMO_PASSWORD, DEMO_USERS

NUMBER = re.compile(r"LE-\d{4}-\d{6}")


@pytest.fixture(autouse=True)
def _restore_database_state() -> Iterator[None]:
    """`main(["--database", ...])` moves the process-wide default URL: put it back."""
    yield
    set_default_url(None)
    dispose_engines()


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _session(url: str) -> Session:
    return Session(get_engine(url))


def _count(s: Session, model: type) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def _copy(src: Path, dst: Path) -> Path:
    dispose_engines()  # closes every connection: the WAL is folded into the main file
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copyfile(f"{src}{suffix}", f"{dst}{suffix}")
    return dst


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One database seeded through the CLI with 60 licences, shared read-only by the module."""
    path = tmp_path_factory.mktemp("cli") / "demo.sqlite3"
    try:
        assert main(["--database", _url(path), "seed-demo", "--licences", "60"]) == 0
    finally:
        set_default_url(None)
        dispose_engines()
    yield path


# ------------------------------------------------------------------ help and init
def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("init", "seed-demo", "reset-demo", "create-user", "import-nomenclature",
                    "expire", "--database"):
        assert command in out


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "required: command" in capsys.readouterr().err


def test_init_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.sqlite3"
    assert not path.exists()
    assert main(["--database", _url(path), "init"]) == 0
    assert path.exists()
    assert str(path) in capsys.readouterr().out
    engine = get_engine(_url(path))
    tables = set(inspect(engine).get_table_names())
    assert {"licences", "history_events", "users", "companies", "nomenclature", "reference_items",
            "stored_files", "invoices", "documents", "goods_lines", "imputations",
            "repatriations", "registration_counters", "alembic_version"} <= tables
    with _session(_url(path)) as s:
        assert s.scalar(text("SELECT version_num FROM alembic_version")) == _head()
        assert _count(s, TariffCode) >= 250
        assert _count(s, Licence) == 0
    # running it again is harmless
    assert main(["--database", _url(path), "init"]) == 0
    with _session(_url(path)) as s:
        assert _count(s, TariffCode) >= 250


# ------------------------------------------------------------------ the seeded database
def test_seed_fills_every_status_for_both_companies(seeded: Path) -> None:
    with _session(_url(seeded)) as s:
        assert _count(s, Licence) == 60
        companies = dict(s.execute(select(Company.ice, Company.id)).all())
        pairs = set(s.execute(select(Licence.company_id, Licence.status)).all())
    for _name, ice in COMPANIES:
        statuses = {status for company, status in pairs if company == companies[ice]}
        assert statuses == {str(s) for s in Status}, ice


def test_seed_creates_the_demo_accounts(seeded: Path) -> None:
    with _session(_url(seeded)) as s:
        users = dict(s.execute(select(User.username, User.role)).all())
    assert users == {name: str(role) for name, _full, role, _c in DEMO_USERS}
    set_default_url(_url(seeded))
    actor = accounts.authenticate("exportateur", DEMO_PASSWORD)
    assert actor.company_name == COMPANIES[0][0]


def test_seed_registration_numbers(seeded: Path) -> None:
    with _session(_url(seeded)) as s:
        rows = s.execute(select(Licence.registration_number, Licence.created_at)).all()
        counters = dict(s.execute(select(RegistrationCounter.year,
                                         RegistrationCounter.last_value)).all())
    numbers = [n for n, _ in rows]
    assert len(set(numbers)) == len(numbers) == 60
    assert all(NUMBER.fullmatch(n) for n in numbers)
    assert all(n[3:7] == str(created.year) for n, created in rows)
    # the counters know the last number of each year, so the next licence cannot collide
    for year, last in counters.items():
        in_year = [int(n[-6:]) for n in numbers if n[3:7] == str(year)]
        assert max(in_year) == last == len(in_year)


def test_seed_histories_end_in_the_licence_status(seeded: Path) -> None:
    with _session(_url(seeded)) as s:
        statuses = dict(s.execute(select(Licence.id, Licence.status)).all())
        events = s.execute(select(HistoryEvent.licence_id, HistoryEvent.action,
                                  HistoryEvent.status_before, HistoryEvent.status_after,
                                  HistoryEvent.occurred_at)
                           .order_by(HistoryEvent.licence_id, HistoryEvent.id)).all()
    by_licence: dict[int, list[Any]] = {}
    for e in events:
        by_licence.setdefault(e.licence_id, []).append(e)
    assert set(by_licence) == set(statuses)
    for lid, status in statuses.items():
        history = by_licence[lid]
        assert history[0].action == "CREER" and history[0].status_before is None
        assert history[-1].status_after == status, (lid, status, history[-1])
        for before, after in pairwise(history):
            assert after.status_before == before.status_after, (lid, after)
        if status != Status.DRAFT:
            assert len(history) >= 3


def test_seed_pdfs_are_real_and_their_hashes_match(seeded: Path) -> None:
    with _session(_url(seeded)) as s:
        file_ids = set(s.scalars(select(Invoice.file_id)))
        file_ids |= set(s.scalars(select(Document.file_id)))
        file_ids |= set(s.scalars(select(Repatriation.file_id)))
        files = s.execute(select(StoredFile.id, StoredFile.size, StoredFile.sha256,
                                 StoredFile.content).where(StoredFile.id.in_(file_ids))).all()
        invoices = s.scalar(select(func.count(func.distinct(Invoice.licence_id))))
        documents = _count(s, Document)
    assert invoices == 60  # every licence has its invoice
    assert documents and documents > 0
    assert len(files) == len(file_ids) > 60
    for f in files:
        assert f.content.startswith(b"%PDF-"), f.id
        assert f.size == len(f.content)
        assert f.sha256 == hashlib.sha256(f.content).hexdigest()


def test_seed_validity_dates(seeded: Path) -> None:
    today = _today()
    with _session(_url(seeded)) as s:
        rows = s.execute(select(Licence.status, Licence.visa_date, Licence.validity_end)).all()
    seen = Counter(r.status for r in rows)
    assert seen[Status.VISAED] >= 2 and seen[Status.EXPIRED] >= 2
    for status, visa_date, end in rows:
        if status == Status.VISAED:
            assert end is not None and end >= today
        elif status == Status.EXPIRED:
            assert end is not None and end < today
        if status in (Status.VISAED, Status.EXPIRED, Status.PARTIALLY_IMPUTED,
                      Status.FULLY_IMPUTED, Status.SETTLED):
            assert visa_date is not None and end is not None and end > visa_date
        elif status in (Status.DRAFT, Status.SUBMITTED, Status.REFUSED):
            assert visa_date is None and end is None


def test_second_seed_adds_without_collisions(seeded: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(seeded, tmp_path / "again.sqlite3")
    with _session(_url(path)) as s:
        before = set(s.scalars(select(Licence.registration_number)))
    assert main(["--database", _url(path), "seed-demo", "--licences", "10"]) == 0
    assert "10 licences de démonstration créées" in capsys.readouterr().out
    with _session(_url(path)) as s:
        numbers = list(s.scalars(select(Licence.registration_number)))
        users = _count(s, User)
        companies = _count(s, Company)
    assert len(numbers) == len(set(numbers)) == 70
    assert before < set(numbers)
    assert (users, companies) == (len(DEMO_USERS), len(COMPANIES))  # accounts not duplicated


def test_ensure_demo_leaves_a_filled_database_alone(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(seeded, tmp_path / "ensure.sqlite3")
    assert main(["--database", _url(path), "ensure-demo", "--licences", "5"]) == 0
    assert "Base existante : 60 licences." in capsys.readouterr().out
    with _session(_url(path)) as s:
        assert _count(s, Licence) == 60


def test_expire_command(seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(seeded, tmp_path / "expire.sqlite3")
    with _session(_url(path)) as s, s.begin():
        lid = s.scalar(select(Licence.id).where(Licence.status == Status.VISAED)
                       .order_by(Licence.id).limit(1))
        s.execute(text("UPDATE licences SET validity_end = :d WHERE id = :i"),
                  {"d": _today() - dt.timedelta(days=1), "i": lid})
    assert main(["--database", _url(path), "expire"]) == 0
    assert "1 licence(s) passée(s) en « Expirée »." in capsys.readouterr().out
    with _session(_url(path)) as s:
        assert s.scalar(select(Licence.status).where(Licence.id == lid)) == Status.EXPIRED
        last = s.scalar(select(HistoryEvent.action).where(HistoryEvent.licence_id == lid)
                        .order_by(HistoryEvent.id.desc()).limit(1))
    assert last == "EXPIRER"


def test_reset_demo_leaves_exactly_the_new_licences(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(seeded, tmp_path / "reset.sqlite3")
    assert main(["--database", _url(path), "reset-demo", "--yes", "--licences", "5"]) == 0
    assert "Démonstration réinitialisée : 5 licences" in capsys.readouterr().out
    with _session(_url(path)) as s:
        ids = set(s.scalars(select(Licence.id)))
        assert len(ids) == 5
        assert set(s.scalars(select(HistoryEvent.licence_id))) == ids
        assert _count(s, User) == len(DEMO_USERS)
        counters = dict(s.execute(select(RegistrationCounter.year,
                                         RegistrationCounter.last_value)).all())
        numbers = sorted(s.scalars(select(Licence.registration_number)))
    assert sum(counters.values()) == 5  # numbering starts again from scratch
    assert all(NUMBER.fullmatch(n) for n in numbers)


# ------------------------------------------------------------------ users and nomenclature
def test_create_user_who_can_log_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _url(tmp_path / "users.sqlite3")
    code = main(["--database", url, "create-user", "Fatima.Z", "--role", "exportateur",
                 "--full-name", "Fatima Zahra", "--password", "un-mot-de-passe-solide",
                 "--company-name", "Oriental Dattes SARL", "--ice", "003456789000056"])
    assert code == 0
    assert "Utilisateur Fatima.Z créé" in capsys.readouterr().out
    actor = accounts.authenticate("fatima.z", "un-mot-de-passe-solide")
    assert (actor.username, actor.role, actor.full_name) == ("fatima.z", "exportateur",
                                                             "Fatima Zahra")
    assert actor.company_name == "Oriental Dattes SARL"
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("fatima.z", "mauvais")
    # the same name again: a French message and exit code 1, nothing added
    code = main(["--database", url, "create-user", "fatima.z", "--role", "analyste",
                 "--password", "autre-mot-de-passe"])
    assert code == 1
    assert "Erreur : Ce nom d'utilisateur existe déjà." in capsys.readouterr().err
    with _session(url) as s:
        assert _count(s, User) == 1


def test_create_exporter_needs_a_company(tmp_path: Path) -> None:
    url = _url(tmp_path / "users.sqlite3")
    with pytest.raises(SystemExit) as info:
        main(["--database", url, "create-user", "karim", "--role", "exportateur",
              "--password", "x" * 12])
    assert info.value.code == "Un exportateur demande --company-name et --ice."
    with _session(url) as s:
        assert _count(s, User) == 0


def test_import_nomenclature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _url(tmp_path / "nomenclature.sqlite3")
    assert main(["--database", url, "init"]) == 0
    with _session(url) as s:
        existing = s.scalar(select(TariffCode.code).order_by(TariffCode.code).limit(1))
        before = _count(s, TariffCode)
    csv_file = tmp_path / "extrait.csv"
    csv_file.write_text(
        "code;description;supplementary_unit\n"
        "9999000001;Oranges, qualité export;\n"
        "9999000002;Chaussures;PAIRE\n"
        f"{existing};Libellé révisé;\n"
        "12;Trop court;\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["--database", url, "import-nomenclature", str(csv_file)]) == 0
    out = capsys.readouterr().out
    assert "2 codes ajoutés, 1 mis à jour, 1 lignes rejetées." in out
    assert "ligne 5 12: Code à 10 chiffres attendu." in out
    with _session(url) as s:
        assert _count(s, TariffCode) == before + 2
        assert s.get(TariffCode, "9999000002").supplementary_unit == "PAIRE"  # type: ignore[union-attr]
        assert s.get(TariffCode, existing).description == "Libellé révisé"  # type: ignore[union-attr]


def _head() -> str:
    from alembic.script import ScriptDirectory

    from core.database import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head
    return head


# ------------------------------------------------------------------ demo mode off (issue 9, item 10)
def test_reset_demo_is_refused_outside_demo_mode(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], production: None
) -> None:
    path = _copy(seeded, tmp_path / "prod.sqlite3")
    assert main(["--database", _url(path), "reset-demo", "--yes", "--licences", "5"]) == 1
    assert "DEMO_MODE=1" in capsys.readouterr().err
    with _session(_url(path)) as s:
        assert _count(s, Licence) == 60


def test_seeding_is_refused_outside_demo_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], production: None
) -> None:
    url = _url(tmp_path / "prod.sqlite3")
    assert main(["--database", url, "seed-demo", "--licences", "5"]) == 1
    assert "DEMO_MODE=1" in capsys.readouterr().err
    assert main(["--database", url, "ensure-demo", "--licences", "5"]) == 0
    assert "sans données de démonstration" in capsys.readouterr().out
    with _session(url) as s:
        assert _count(s, User) == 0 and _count(s, Licence) == 0


def test_demo_accounts_can_be_disabled_or_given_a_password(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], production: None
) -> None:
    path = _copy(seeded, tmp_path / "prod.sqlite3")
    url = _url(path)
    assert main(["--database", url, "set-password", "admin", "--password",
                 "la phrase de passe du vrai chef"]) == 0
    assert "admin" in capsys.readouterr().out
    assert accounts.password_change_required("admin")
    assert main(["--database", url, "disable-demo-accounts"]) == 0
    out = capsys.readouterr().out
    assert "6 compte(s) désactivé(s)" in out and "admin" not in out.split(":", 1)[1]
    assert accounts.production_problem() is None
    assert accounts.authenticate("admin", "la phrase de passe du vrai chef").username == "admin"
    # the demo password is refused outside demo mode, whatever the way in
    assert main(["--database", url, "set-password", "mce", "--password", DEMO_PASSWORD]) == 1
    assert "démonstration" in capsys.readouterr().err


def test_created_users_change_their_password_at_first_login(tmp_path: Path) -> None:
    url = _url(tmp_path / "users.sqlite3")
    assert main(["--database", url, "create-user", "chef", "--role", "admin",
                 "--password", "une phrase de passe provisoire"]) == 0
    assert accounts.password_change_required("chef")
