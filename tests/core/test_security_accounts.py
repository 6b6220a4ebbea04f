"""Issue 9, items 5 to 10: the cookie key, session lifetime, passwords, lockout abuse and the demo
accounts outside demo mode. Every test here failed on the code before the fix."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import jwt
import pytest
from sqlalchemy import select, text

from core import accounts, admin, config
from core.config import PROJECT_ROOT
from core.database import read_session, write_session
from core.errors import AuthenticationFailed, ValidationFailed
from core.models import User
from core.records import Actor
from core.seed import DEMO_PASSWORD, DEMO_USERS

KEY = "k" * 40
ATTACKER, VICTIM = "203.0.113.9", "198.51.100.7"
STRONG = "une phrase de passe assez longue"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _user(name: str) -> User:
    with read_session() as s:
        user = s.scalars(select(User).where(User.username == name)).one()
        s.expunge(user)
        return user


# ------------------------------------------------------------------ 5. the cookie key
_RACE = """
import os, sys, time
from pathlib import Path
import core.config as config
config.SECRETS_PATH = Path(sys.argv[1])
go = float(sys.argv[2])
while time.time() < go:
    pass
print(config.cookie_key())
"""


def test_simultaneous_first_starts_write_one_key(tmp_path: Path) -> None:
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    path.write_text('DATABASE_URL = "sqlite:///x.sqlite3"', encoding="utf-8")  # no final \n
    env = {k: v for k, v in os.environ.items() if k != "AUTH_COOKIE_KEY"}
    go = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", _RACE, str(path), str(go)], env=env,
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(12)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _out, err in outputs]
    keys = {out.strip() for out, _err in outputs}
    content = path.read_text(encoding="utf-8")
    parsed = tomllib.loads(content)  # the file still parses
    assert keys == {parsed["AUTH_COOKIE_KEY"]}
    assert content.count("AUTH_COOKIE_KEY") == 1
    assert parsed["DATABASE_URL"] == "sqlite:///x.sqlite3"  # what was there is kept
    assert len(parsed["AUTH_COOKIE_KEY"].encode()) >= 32
    assert path.stat().st_mode & 0o777 == 0o600


def test_threads_starting_at_once_share_one_key(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.delenv("AUTH_COOKIE_KEY", raising=False)
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(config, "SECRETS_PATH", path)
    barrier, found = threading.Barrier(16), []

    def start() -> None:
        barrier.wait()
        found.append(config.cookie_key())

    threads = [threading.Thread(target=start) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1 and len(found) == 16
    assert tomllib.loads(path.read_text(encoding="utf-8"))["AUTH_COOKIE_KEY"] == found[0]


@pytest.mark.parametrize("where", ["environment", "secrets"])
def test_a_short_configured_key_is_refused(where: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(config, "SECRETS_PATH", path)
    if where == "environment":
        monkeypatch.setenv("AUTH_COOKIE_KEY", "trop-courte")
    else:
        monkeypatch.delenv("AUTH_COOKIE_KEY", raising=False)
        path.write_text('AUTH_COOKIE_KEY = "trop-courte"\n', encoding="utf-8")
    with pytest.raises(config.ConfigurationError) as info:
        config.cookie_key()
    assert "32 octets" in str(info.value) and "32 bytes" in str(info.value)
    if where == "environment":
        assert not path.exists()  # nothing written next to a configured key


def test_a_garbled_secrets_file_is_a_clear_startup_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text('AUTH_COOKIE_KEY = "a"\nAUTH_COOKIE_KEY = "b"\n', encoding="utf-8")
    monkeypatch.setattr(config, "SECRETS_PATH", path)
    monkeypatch.delenv("AUTH_COOKIE_KEY", raising=False)
    with pytest.raises(config.ConfigurationError, match="illisible"):
        config.cookie_key()


def test_page_tests_never_write_a_key_into_the_checkout() -> None:
    import tests.pages.login  # noqa: F401  (sets the key of every AppTest run)

    assert len(os.environ.get("AUTH_COOKIE_KEY", "").encode()) >= 32


# ------------------------------------------------------------------ 6. session lifetime
def _token(username: str, issued: dt.datetime, expires: dt.datetime, key: str = KEY) -> str:
    epoch = dt.datetime(1970, 1, 1)
    iat, exp = (issued - epoch).total_seconds(), (expires - epoch).total_seconds()
    return jwt.encode({"username": username, "iat": iat, "exp": exp, "exp_date": exp}, key,
                      algorithm="HS256")


def test_a_fresh_token_opens_a_session(db_url: str) -> None:
    now = _now()
    token = accounts.new_session_token("exportateur", KEY, now)
    assert accounts.session_from_token(token, KEY, now + dt.timedelta(minutes=5)) == (
        "exportateur", now)


def test_a_token_valid_for_ten_years_is_refused(db_url: str) -> None:
    now = _now()
    token = _token("admin", now, now + dt.timedelta(days=3650))
    assert accounts.session_from_token(token, KEY, now) is None


def test_tokens_without_issue_time_wrong_key_or_expired_are_refused(db_url: str) -> None:
    now = _now()
    old_format = jwt.encode({"username": "admin", "exp_date": (now + dt.timedelta(hours=1)
                                                                ).timestamp()}, KEY,
                            algorithm="HS256")
    assert accounts.session_from_token(old_format, KEY, now) is None
    good = _token("admin", now, now + dt.timedelta(hours=1))
    assert accounts.session_from_token(good, "x" * 40, now) is None
    assert accounts.session_from_token(good, KEY, now + dt.timedelta(hours=2)) is None
    future = _token("admin", now + dt.timedelta(hours=2), now + dt.timedelta(hours=3))
    assert accounts.session_from_token(future, KEY, now) is None
    assert accounts.session_from_token("pas-un-jeton", KEY, now) is None


def test_a_token_minted_before_logout_is_refused(db_url: str) -> None:
    issued = _now() - dt.timedelta(minutes=1)
    token = _token("analyste", issued, issued + dt.timedelta(hours=1))
    username, when = accounts.session_from_token(token, KEY) or ("", issued)
    assert accounts.session_actor(username, when) is not None
    accounts.revoke_sessions("analyste")
    assert accounts.session_actor(username, when) is None


def test_a_session_older_than_its_lifetime_ends(db_url: str) -> None:
    hours = config.settings().session_hours
    now = _now()
    assert accounts.session_actor("mce", now - dt.timedelta(hours=hours - 1), now) is not None
    assert accounts.session_actor("mce", now - dt.timedelta(hours=hours + 1), now) is None
    assert accounts.session_actor("mce", now + dt.timedelta(hours=1), now) is None


# ------------------------------------------------------------------ 8. passwords
@pytest.mark.parametrize("password", [
    "password", "Password1!", "azerty123", "AZERTYUIOP", "motdepasse", "soleil2024",
    "123456789", "qwerty123", "iloveyou", "P@ssw0rd", "casablanca1", "marrakech2026",
    "12345678901",
])
def test_common_passwords_are_refused(db_url: str, password: str) -> None:
    problem = accounts.password_problem(password, "nouveau")
    assert problem is not None and problem.startswith("Mot de passe")


def test_the_password_list_is_a_few_thousand_entries() -> None:
    assert len(accounts.common_passwords()) >= 2000
    assert "licence-demo" not in accounts.common_passwords()


def test_the_user_name_and_the_demo_password_are_refused(db_url: str) -> None:
    assert accounts.password_problem("karim.benali2026", "karim.benali") == (
        "Mot de passe : il ne doit pas contenir le nom d'utilisateur.")
    assert accounts.password_problem("Exportateur!!", "exportateur") is not None
    assert accounts.password_problem(DEMO_PASSWORD, "nouveau", demo_allowed=False) == (
        "Mot de passe : le mot de passe de démonstration n'est pas accepté.")
    assert accounts.password_problem(DEMO_PASSWORD, "nouveau", demo_allowed=True) is None
    assert accounts.password_problem(STRONG, "nouveau") is None


def test_demo_password_refused_outside_demo_mode(db_url: str, production: None) -> None:
    assert accounts.password_problem(DEMO_PASSWORD, "nouveau") is not None
    with pytest.raises(ValidationFailed, match="démonstration"):
        accounts.create_user("nouveau", "Nouveau", DEMO_PASSWORD, "mce", rounds=4)


def test_long_passwords_are_accepted_up_to_128_characters(db_url: str,
                                                          actors: dict[str, Actor]) -> None:
    long_ascii = "la-mer-est-calme-ce-matin-sur-le-port-de-tanger-med-" + "x" * 20  # 72
    accented = "Ça a été déjà très agréable à Fès, où l’été brûlant évoque ô combien"[:64]
    assert len(accented) == 64 and len(accented.encode()) > 72  # beyond bcrypt's 72 bytes
    for name, password in (("long.ascii", long_ascii), ("long.accents", accented)):
        admin.add_user(actors["admin"], name, "Long", password, "mce", rounds=4)
        assert accounts.authenticate(name, password).username == name
        with pytest.raises(AuthenticationFailed):  # no silent truncation at 72 bytes
            accounts.authenticate(name, password[:-1] + "y")
    assert accounts.password_problem("x" * 129 + "yz") == "Mot de passe : 128 caractères au plus."


def test_change_own_password_ends_the_other_sessions(db_url: str) -> None:
    before = _now() - dt.timedelta(seconds=5)
    assert accounts.session_actor("douane", before) is not None
    issued = accounts.change_password("douane", DEMO_PASSWORD, STRONG, STRONG, rounds=4)
    assert accounts.session_actor("douane", before) is None  # other sessions ended
    assert accounts.session_actor("douane", issued) is not None  # this one goes on
    assert accounts.authenticate("douane", STRONG).username == "douane"
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("douane", DEMO_PASSWORD)


@pytest.mark.parametrize(("current", "new", "confirmation", "field"), [
    ("faux-mot-de-passe", STRONG, STRONG, "current"),
    (DEMO_PASSWORD, STRONG, STRONG + "!", "confirmation"),
    (DEMO_PASSWORD, "azerty2024", "azerty2024", "new"),
    (DEMO_PASSWORD, DEMO_PASSWORD, DEMO_PASSWORD, "new"),
])
def test_change_password_refusals_change_nothing(
    db_url: str, current: str, new: str, confirmation: str, field: str
) -> None:
    before = _user("banque").password_hash
    with pytest.raises(ValidationFailed) as info:
        accounts.change_password("banque", current, new, confirmation, rounds=4)
    assert info.value.errors.get(field)
    assert _user("banque").password_hash == before


def test_a_password_set_by_an_administrator_must_be_changed(db_url: str,
                                                            actors: dict[str, Actor]) -> None:
    uid = admin.add_user(actors["admin"], "nouvelle", "Nouvelle", STRONG, "analyste",
                            rounds=4)
    assert accounts.password_change_required("nouvelle")
    assert not accounts.password_change_required("mce")
    accounts.change_password("nouvelle", STRONG, STRONG + " encore", STRONG + " encore",
                             rounds=4)
    assert not accounts.password_change_required("nouvelle")
    admin.reset_password(actors["admin"], uid, "une autre phrase de passe", rounds=4)
    assert accounts.password_change_required("nouvelle")
    assert next(u for u in admin.list_users(actors["admin"]) if u.id == uid).must_change_password


# ------------------------------------------------------------------ 9. enumeration, lockout
def test_a_locked_account_and_an_unknown_name_answer_the_same(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    for i in range(8):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("mce", "faux", now=now + dt.timedelta(seconds=i),
                                  client=ATTACKER)
    assert _user("mce").locked_until is not None
    answers = set()
    for name, password in (("mce", "faux"), ("mce", DEMO_PASSWORD), ("personne", "faux")):
        with pytest.raises(AuthenticationFailed) as info:
            accounts.authenticate(name, password, now=now + dt.timedelta(seconds=30),
                                  client=ATTACKER)
        answers.add(info.value.message)
    assert answers == {accounts.BAD_LOGIN}
    assert "verrouill" not in accounts.BAD_LOGIN.lower()


def test_an_attacker_cannot_lock_the_victim_out(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    for i in range(30):  # one attempt every 15 minutes and more: the old way to lock forever
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("admin", "devine", now=now + dt.timedelta(minutes=i),
                                  client=ATTACKER)
    later = now + dt.timedelta(minutes=31)
    assert accounts.authenticate("admin", DEMO_PASSWORD, now=later,
                                 client=VICTIM).username == "admin"


def test_the_delay_grows_for_the_client_that_keeps_failing(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    max_failures = config.settings().login_max_failures
    for i in range(max_failures):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("banque", "faux", now=now + dt.timedelta(seconds=i),
                                  client=ATTACKER)
    last = now + dt.timedelta(seconds=max_failures - 1)
    first_delay = _user("banque").locked_until
    assert first_delay == last + dt.timedelta(minutes=1)
    # during the delay even the right password is refused to that client
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("banque", DEMO_PASSWORD, now=last + dt.timedelta(seconds=30),
                              client=ATTACKER)
    # one more failure after the delay doubles it
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("banque", "faux", now=last + dt.timedelta(minutes=2),
                              client=ATTACKER)
    assert _user("banque").locked_until == last + dt.timedelta(minutes=4)
    # it keeps doubling, and never passes LOGIN_LOCK_MINUTES
    cap = dt.timedelta(minutes=config.settings().login_lock_minutes)
    t, delays = last + dt.timedelta(minutes=5), []
    for _ in range(6):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("banque", "faux", now=t, client=ATTACKER)
        until = _user("banque").locked_until
        assert until is not None
        delays.append(until - t)
        t = until + dt.timedelta(seconds=1)
    assert delays == sorted(delays) and delays[0] == dt.timedelta(minutes=4)
    assert delays[-1] == cap
    # once it has passed, the right password works and clears the counters
    assert accounts.authenticate("banque", DEMO_PASSWORD, now=t, client=ATTACKER)
    user = _user("banque")
    assert (user.failed_attempts, user.locked_until) == (0, None)


def test_a_client_spraying_names_is_throttled(db_url: str) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0)
    limit = config.settings().login_client_max_failures
    for i in range(limit):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(f"nom{i}", "faux", now=now + dt.timedelta(seconds=i),
                                  client=ATTACKER)
    soon = now + dt.timedelta(seconds=limit + 5)
    with pytest.raises(AuthenticationFailed) as info:  # even a good login waits
        accounts.authenticate("analyste", DEMO_PASSWORD, now=soon, client=ATTACKER)
    assert info.value.message == accounts.BAD_LOGIN
    assert accounts.authenticate("analyste", DEMO_PASSWORD, now=soon, client=VICTIM)
    later = soon + dt.timedelta(minutes=2)
    assert accounts.authenticate("analyste", DEMO_PASSWORD, now=later, client=ATTACKER)


def test_unlock_by_the_administrator_frees_the_account(db_url: str,
                                                       actors: dict[str, Actor]) -> None:
    now = _now()
    for i in range(6):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("douane", "faux", now=now + dt.timedelta(seconds=i),
                                  client=ATTACKER)
    admin.unlock_user(actors["admin"], _user("douane").id)
    assert accounts.authenticate("douane", DEMO_PASSWORD, client=ATTACKER).username == "douane"


@pytest.mark.parametrize(("peer", "forwarded", "hops", "client"), [
    ("10.0.0.2", "", 0, "10.0.0.2"),
    ("10.0.0.2", "1.2.3.4", 0, "10.0.0.2"),  # not trusted: a header anybody can send
    ("10.0.0.2", "1.2.3.4", 1, "1.2.3.4"),
    ("10.0.0.2", "6.6.6.6, 1.2.3.4", 1, "1.2.3.4"),  # the forged first entry is ignored
    ("10.0.0.2", "1.2.3.4, 10.0.0.9", 2, "1.2.3.4"),
    ("10.0.0.2", "", 1, "10.0.0.2"),
])
def test_client_address_trusts_only_the_configured_proxies(
    peer: str, forwarded: str, hops: int, client: str
) -> None:
    assert accounts.client_address(peer, forwarded, hops) == client


# ------------------------------------------------------------------ 10. demo accounts
def test_production_refuses_demo_passwords(db_url: str, production: None) -> None:
    problem = accounts.production_problem()
    assert problem is not None and "DEMO_MODE=0" in problem
    assert "disable-demo-accounts" in problem
    assert set(accounts.demo_password_accounts()) == {name for name, *_ in DEMO_USERS}
    assert set(accounts.disable_demo_accounts()) == {name for name, *_ in DEMO_USERS}
    assert accounts.production_problem() is None


def test_demo_mode_has_no_production_problem(db_url: str) -> None:
    assert accounts.production_problem() is None


def test_changed_demo_passwords_are_fine_in_production(db_url: str, production: None) -> None:
    for name, *_ in DEMO_USERS:
        with write_session() as s:
            s.execute(text("UPDATE users SET password_hash = :h WHERE username = :u"),
                      {"h": accounts.hash_password(STRONG + name, rounds=4), "u": name})
    assert accounts.production_problem() is None


def test_a_deactivated_demo_account_comes_back_only_with_a_new_password(
    db_url: str, actors: dict[str, Actor], production: None
) -> None:
    accounts.set_password("admin", "la phrase du vrai chef", rounds=4)
    assert "admin" not in accounts.disable_demo_accounts()
    boss = accounts.get_actor("admin")
    uid = _user("mce").id
    with pytest.raises(ValidationFailed, match="mot de passe de démonstration"):
        admin.reactivate_user(boss, uid)
    admin.reset_password(boss, uid, STRONG, rounds=4)
    admin.reactivate_user(boss, uid)
    assert _user("mce").active and accounts.production_problem() is None
