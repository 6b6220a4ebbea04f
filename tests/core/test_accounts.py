"""Logins counted in the database, lockout with a time window, and revoked sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from core import accounts
from core.database import read_session, write_session
from core.errors import AuthenticationFailed, ValidationFailed
from core.models import User
from core.seed import DEMO_PASSWORD


def _user(name: str) -> User:
    with read_session() as s:
        user = s.scalars(select(User).where(User.username == name)).one()
        s.expunge(user)
        return user


def test_good_password_logs_in(db_url: str) -> None:
    actor = accounts.authenticate("Exportateur ", DEMO_PASSWORD)
    assert actor.username == "exportateur" and actor.company_name == "Atlas Agrumes SARL"


def test_unknown_user_and_wrong_password_look_the_same(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify",
                        lambda pw, hashed: checked.append(hashed[:7]) or real(pw, hashed))
    messages = []
    for name in ("exportateur", "personne"):
        with pytest.raises(AuthenticationFailed) as info:
            accounts.authenticate(name, "mauvais-mot-de-passe")
        messages.append(info.value.message)
    assert messages[0] == messages[1] == accounts.BAD_LOGIN
    # both paths pay for one bcrypt check, at the production cost for the unknown user
    assert len(checked) == 2 and checked[1] == "$2b$12$"


def test_five_failures_lock_the_account_in_the_database(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    for i in range(5):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("mce", "faux", now=now + dt.timedelta(seconds=i))
    assert _user("mce").locked_until == now + dt.timedelta(seconds=4, minutes=15)
    with pytest.raises(AuthenticationFailed, match="verrouillé"):
        accounts.authenticate("mce", DEMO_PASSWORD, now=now + dt.timedelta(minutes=5))
    # after the lock, the right password works again and the counters are cleared
    actor = accounts.authenticate("mce", DEMO_PASSWORD, now=now + dt.timedelta(minutes=20))
    assert actor.role == "mce"
    user = _user("mce")
    assert user.failed_attempts == 0 and user.locked_until is None


def test_failures_outside_the_window_do_not_add_up(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    for i in range(8):
        with pytest.raises(AuthenticationFailed) as info:
            accounts.authenticate("douane", "faux", now=now + dt.timedelta(minutes=20 * i))
        assert "verrouillé" not in info.value.message
    assert _user("douane").locked_until is None


def test_deactivated_account_cannot_log_in_and_its_sessions_end(db_url: str) -> None:
    issued = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=5)
    assert accounts.session_actor("banque", issued) is not None
    with write_session() as s:
        s.execute(text("UPDATE users SET active = false WHERE username = 'banque'"))
    assert accounts.session_actor("banque", issued) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("banque", DEMO_PASSWORD)


def test_logout_revokes_earlier_sessions(db_url: str) -> None:
    issued = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=5)
    accounts.revoke_sessions("analyste")
    assert accounts.session_actor("analyste", issued) is None
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)
    assert accounts.session_actor("analyste", later) is not None


def test_credentials_hold_only_active_users_with_bcrypt_hashes(db_url: str) -> None:
    creds = accounts.credentials()["usernames"]
    assert {"exportateur", "exportateur2", "mce", "douane", "banque", "analyste", "admin"} <= set(
        creds)
    assert all(c["password"].startswith("$2") for c in creds.values())


def test_user_rules(db_url: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        accounts.create_user("Bad Name!", "", "court", "pirate", None, rounds=4)
    assert {"username", "full_name", "role"} <= set(info.value.errors)
    with pytest.raises(ValidationFailed, match="72 octets"):
        accounts.hash_password("é" * 40, rounds=4)
    with pytest.raises(ValidationFailed, match="existe déjà"):
        accounts.create_user("mce", "Autre", "motdepasse-long", "mce", rounds=4)
