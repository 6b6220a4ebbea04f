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
    assert len(checked) == 2 and checked[1] == "$eld-sh"
    assert accounts._DUMMY_HASH.startswith("$eld-sha256$$2b$12$")


def test_five_failures_delay_the_account_in_the_database(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    for i in range(5):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("mce", "faux", now=now + dt.timedelta(seconds=i))
    user = _user("mce")
    assert user.failed_attempts == 5
    assert user.locked_until == now + dt.timedelta(seconds=4, minutes=1)
    with pytest.raises(AuthenticationFailed, match="incorrect"):
        accounts.authenticate("mce", DEMO_PASSWORD, now=now + dt.timedelta(seconds=30))
    # after the delay, the right password works again and the counters are cleared
    actor = accounts.authenticate("mce", DEMO_PASSWORD, now=now + dt.timedelta(minutes=2))
    assert actor.role == "mce"
    user = _user("mce")
    assert user.failed_attempts == 0 and user.locked_until is None


def test_failures_a_day_apart_do_not_add_up(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    for i in range(8):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("douane", "faux", now=now + dt.timedelta(hours=25 * i))
    user = _user("douane")
    assert user.failed_attempts == 1 and user.locked_until is None


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


def test_passwords_are_stored_as_bcrypt_over_hmac(db_url: str) -> None:
    with read_session() as s:
        hashes = list(s.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$eld-sha256$$2b$") for h in hashes)


def test_plain_bcrypt_hashes_of_earlier_versions_still_work(db_url: str) -> None:
    import bcrypt

    legacy = bcrypt.hashpw(b"ancien mot de passe", bcrypt.gensalt(4)).decode()
    with write_session() as s:
        s.execute(text("UPDATE users SET password_hash = :h WHERE username = 'analyste'"),
                  {"h": legacy})
    assert accounts.authenticate("analyste", "ancien mot de passe").username == "analyste"


def test_user_rules(db_url: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        accounts.create_user("Bad Name!", "", "court", "pirate", None, rounds=4)
    assert {"username", "full_name", "role"} <= set(info.value.errors)
    with pytest.raises(ValidationFailed, match="128 caractères au plus"):
        accounts.hash_password("é" * 100 + "à" * 29, rounds=4)
    with pytest.raises(ValidationFailed, match="existe déjà"):
        accounts.create_user("mce", "Autre", "motdepasse-long", "mce", rounds=4)
