"""Every page starts with the guard: without login, the login form and nothing else; each role
sees only its menu entries."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from core.config import PROJECT_ROOT
from tests.pages.login import app, texts

PAGES = sorted(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", ["Home.py", *PAGES])
def test_unauthenticated_visit_shows_only_the_login(db_url: str, page: str) -> None:
    at = app(page).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Nom d'utilisateur", "Mot de passe"]
    assert [b.label for b in at.button] == ["Se connecter"]
    assert len(at.dataframe) == 0 and len(at.selectbox) == 0
    assert len(at.sidebar.children) == 0 or not any(
        "Se déconnecter" in getattr(b, "label", "") for b in at.sidebar.button)


def test_every_page_file_opens_with_the_guard() -> None:
    for page in PAGES:
        head = (PROJECT_ROOT / page).read_text(encoding="utf-8").splitlines()[:25]
        assert any(line.startswith("from ui.layout import page") for line in head), page


def test_demo_accounts_listed_on_the_login_page(db_url: str) -> None:
    at = app("Home.py").run()
    shown = texts(at)
    for name in ("exportateur", "exportateur2", "mce", "douane", "banque", "analyste", "admin"):
        assert f"`{name}`" in shown
    assert "licence-demo" in shown


def test_wrong_password_message_and_counter(db_url: str) -> None:
    from sqlalchemy import select

    from core.database import read_session
    from core.models import User

    at = app("Home.py").run()
    at.text_input[0].input("exportateur")
    at.text_input[1].input("pas-le-bon")
    at.button[0].click().run()
    assert "Nom d'utilisateur ou mot de passe incorrect." in texts(at)
    with read_session() as s:
        assert s.scalar(select(User.failed_attempts).where(User.username == "exportateur")) == 1


def test_login_through_the_form_shows_the_main_screen(db_url: str) -> None:
    at = app("Home.py").run()
    at.text_input[0].input("exportateur")
    at.text_input[1].input("licence-demo")
    at.button[0].click().run()
    assert not at.exception
    assert "Bienvenue, **Karim Benali** — Atlas Agrumes SARL." in texts(at)
    assert at.session_state["eld_username"] == "exportateur"


MENUS = {
    "exportateur": {"Écran principal", "Nouvelle Licence d'Exportation",
                    "Gestion des Licences d'Exportation", "Consulter des Licences d'Exportation"},
    "mce": {"Écran principal", "Consulter des Licences d'Exportation", "Visa MCE",
            "Tableau de bord"},
    "douane": {"Écran principal", "Consulter des Licences d'Exportation",
               "Imputation douanière"},
    "banque": {"Écran principal", "Consulter des Licences d'Exportation",
               "Rapatriement et apurement"},
    "analyste": {"Écran principal", "Consulter des Licences d'Exportation", "Tableau de bord"},
    "admin": {"Écran principal", "Consulter des Licences d'Exportation", "Tableau de bord",
              "Administration"},
}
ACCOUNT = {"Changer mon mot de passe"}  # every role's own account


@pytest.mark.parametrize("username", sorted(MENUS))
def test_each_role_sees_only_its_menu(db_url: str, username: str) -> None:
    at = app("Home.py", username).run()
    assert not at.exception
    links = {link.label for link in at.sidebar.get("page_link")}
    existing = {e for e in MENUS[username] | ACCOUNT
                if e == "Écran principal" or _page_exists(e)}
    assert links == existing
    assert any(b.label == "Se déconnecter" for b in at.sidebar.button)


def _page_exists(label: str) -> bool:
    from ui.layout import MENU

    return any(e.label == label and Path(PROJECT_ROOT / e.path).exists() for e in MENU)


def test_exporter_page_refused_to_other_roles(db_url: str) -> None:
    at = app("pages/1_Nouvelle_Licence.py", "mce").run()
    assert not at.exception
    assert "Cet écran n'est pas ouvert à votre profil." in texts(at)
    assert len(at.text_input) == 0


def test_deactivated_user_is_logged_out_at_next_click(db_url: str) -> None:
    from sqlalchemy import text

    from core.database import write_session

    at = app("Home.py", "exportateur").run()
    assert "Bienvenue" in texts(at)
    with write_session() as s:
        s.execute(text("UPDATE users SET active = false WHERE username = 'exportateur'"))
    at.run()
    assert "Bienvenue" not in texts(at)
    assert [t.label for t in at.text_input] == ["Nom d'utilisateur", "Mot de passe"]


def test_logout_ends_the_session(db_url: str) -> None:
    from core import accounts

    at = app("Home.py", "analyste").run()
    next(b for b in at.sidebar.button if b.label == "Se déconnecter").click().run()
    assert not at.exception
    assert "Vous êtes déconnecté." in texts(at)
    at.run()
    assert [t.label for t in at.text_input] == ["Nom d'utilisateur", "Mot de passe"]
    # a cookie issued before the logout no longer opens a session
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=2)
    assert accounts.session_actor("analyste", before) is None


# ------------------------------------------------------------------ issue 9, items 5 to 10
@pytest.fixture
def browser_cookies(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The cookies the browser sends with its first request (AppTest cannot send any)."""
    from streamlit.runtime.context import ContextProxy

    jar: dict[str, str] = {}
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: jar))
    return jar


def _token(username: str, issued: dt.datetime, expires: dt.datetime) -> str:
    import os

    import jwt

    epoch = dt.datetime(1970, 1, 1)
    iat, exp = (issued - epoch).total_seconds(), (expires - epoch).total_seconds()
    return jwt.encode({"username": username, "iat": iat, "exp": exp, "exp_date": exp},
                      os.environ["AUTH_COOKIE_KEY"], algorithm="HS256")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _is_login(at: Any) -> bool:
    return [t.label for t in at.text_input] == ["Nom d'utilisateur", "Mot de passe"]


def test_a_fresh_cookie_restores_the_session(db_url: str,
                                             browser_cookies: dict[str, str]) -> None:
    from core import accounts

    now = _utcnow()
    browser_cookies["eld_session"] = accounts.new_session_token(
        "exportateur", os.environ["AUTH_COOKIE_KEY"], now)
    at = app("Home.py").run()
    assert not at.exception
    assert "Bienvenue, **Karim Benali**" in texts(at)


def test_a_cookie_valid_for_ten_years_opens_no_session(db_url: str,
                                                       browser_cookies: dict[str, str]) -> None:
    now = _utcnow()
    browser_cookies["eld_session"] = _token("admin", now, now + dt.timedelta(days=3650))
    at = app("Home.py").run()
    assert not at.exception
    assert "Bienvenue" not in texts(at) and _is_login(at)


def test_a_cookie_minted_before_logout_opens_no_session(
    db_url: str, browser_cookies: dict[str, str]
) -> None:
    from core import accounts

    issued = _utcnow() - dt.timedelta(minutes=1)
    # an expiry pushed to the limit of the lifetime counted from now, not from the issue
    browser_cookies["eld_session"] = _token("analyste", issued,
                                            _utcnow() + dt.timedelta(hours=11))
    accounts.revoke_sessions("analyste")
    at = app("Home.py").run()
    assert "Bienvenue" not in texts(at) and _is_login(at)


def test_nothing_of_the_previous_user_survives_logout_and_login(db_url: str) -> None:
    at = app("Home.py", "exportateur").run()
    at.session_state["gestion_numero"] = "LE-2026-000042"  # a search filter of user A
    at.session_state["eld_history_dialog"] = 42  # a dialog flag of user A
    at.run()
    next(b for b in at.sidebar.button if b.label == "Se déconnecter").click().run()
    assert "Vous êtes déconnecté." in texts(at)
    for key in ("gestion_numero", "eld_history_dialog", "eld_username"):
        assert key not in at.session_state, key
    at.run()
    at.session_state["typed_before_login"] = "x"  # anything left before the next login
    at.text_input[0].input("exportateur2")
    at.text_input[1].input("licence-demo")
    at.button[0].click().run()
    assert "Bienvenue, **Salma Idrissi**" in texts(at)
    for key in ("gestion_numero", "eld_history_dialog", "typed_before_login"):
        assert key not in at.session_state, key


def test_the_login_page_says_it_is_a_demo(db_url: str) -> None:
    at = app("Home.py").run()
    assert any("Version de démonstration" in i.value for i in at.info)


def test_production_refuses_to_start_with_demo_passwords(db_url: str, production: None) -> None:
    at = app("Home.py").run()
    assert not at.exception
    shown = texts(at)
    assert "DEMO_MODE=0" in shown and "mot de passe de démonstration" in shown
    assert len(at.text_input) == 0 and len(at.button) == 0
    at = app("Home.py", "admin").run()  # a session already open is refused as well
    assert "Bienvenue" not in texts(at)


def test_production_login_page_without_demo_accounts(db_url: str, production: None) -> None:
    from core import accounts

    accounts.disable_demo_accounts()
    at = app("Home.py").run()
    assert not at.exception and _is_login(at)
    shown = texts(at)
    assert "licence-demo" not in shown and "Version de démonstration" not in shown


def test_a_short_cookie_key_stops_the_app_with_a_clear_message(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_COOKIE_KEY", "trop-courte")
    at = app("Home.py").run()
    assert not at.exception
    assert "AUTH_COOKIE_KEY" in texts(at) and "32 octets" in texts(at)
    assert len(at.text_input) == 0


def test_one_message_for_a_locked_account_and_an_unknown_name(db_url: str) -> None:
    messages = []
    for name in ("mce", "mce", "mce", "mce", "mce", "mce", "personne"):
        at = app("Home.py").run()
        at.text_input[0].input(name)
        at.text_input[1].input("faux-mot-de-passe")
        at.button[0].click().run()
        messages.append([e.value for e in at.error])
    assert messages[-2] == messages[-1]


def test_a_garbled_secrets_file_is_a_message_not_a_traceback(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import config

    garbled = tmp_path / "secrets.toml"
    garbled.write_text('AUTH_COOKIE_KEY = "a"\nAUTH_COOKIE_KEY = "b"\n', encoding="utf-8")
    monkeypatch.setattr(config, "SECRETS_PATH", garbled)
    config.settings.cache_clear()
    try:
        at = app("Home.py").run()
        assert not at.exception
        assert any("illisible" in e.value for e in at.error)
        assert not at.text_input  # no login form served
    finally:
        config.settings.cache_clear()


def test_every_screen_has_its_page_and_a_menu_entry() -> None:
    from core.config import PROJECT_ROOT
    from core.lifecycle import Screen
    from ui.layout import MENU

    assert {entry.screen for entry in MENU} == set(Screen)
    for entry in MENU:
        assert (PROJECT_ROOT / entry.path).is_file(), entry.path
