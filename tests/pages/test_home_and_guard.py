"""Every page starts with the guard: without login, the login form and nothing else; each role
sees only its menu entries."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize("username", sorted(MENUS))
def test_each_role_sees_only_its_menu(db_url: str, username: str) -> None:
    at = app("Home.py", username).run()
    assert not at.exception
    links = {link.label for link in at.sidebar.get("page_link")}
    existing = {e for e in MENUS[username]
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
    import datetime as dt

    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=2)
    assert accounts.session_actor("analyste", before) is None
