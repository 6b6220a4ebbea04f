"""Changing one's own password (issue 9, item 8): from the menu of every role, the current
password required, the other sessions ended; a password set by an administrator is changed at
the first login before anything else is shown."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import accounts, admin
from core.database import read_session
from core.models import User
from core.seed import DEMO_PASSWORD
from tests.pages.login import app, texts

PAGE = "pages/9_Mon_mot_de_passe.py"
NEW = "une phrase de passe assez longue"
FORM = ("Mot de passe actuel", "Nouveau mot de passe", "Confirmer le nouveau mot de passe")


def _fill(at: AppTest, current: str, new: str, confirmation: str) -> AppTest:
    for label, value in zip(FORM, (current, new, confirmation), strict=True):
        next(t for t in at.text_input if t.label == label).input(value)
    return next(b for b in at.button if b.label == "Changer le mot de passe").click().run()


def _hash(username: str) -> str:
    with read_session() as s:
        value = s.scalar(select(User.password_hash).where(User.username == username))
    assert value
    return value


@pytest.mark.parametrize("username", ["exportateur", "mce", "admin"])
def test_every_role_has_the_menu_entry(db_url: str, username: str) -> None:
    at = app("Home.py", username).run()
    assert "Changer mon mot de passe" in {link.label for link in at.sidebar.get("page_link")}


def test_change_the_password_from_the_page(db_url: str) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=5)
    at = app(PAGE, "banque").run()
    assert not at.exception
    assert [t.label for t in at.text_input] == list(FORM)
    at = _fill(at, DEMO_PASSWORD, NEW, NEW)
    assert not at.exception
    assert any("Mot de passe changé" in s.value for s in at.success)
    assert accounts.authenticate("banque", NEW).username == "banque"
    assert accounts.session_actor("banque", before) is None  # the other sessions ended
    at.run()  # this session goes on
    assert "Bienvenue" not in texts(at) and "Se déconnecter" in [
        b.label for b in at.sidebar.button]


def test_a_wrong_current_password_is_refused_next_to_the_field(db_url: str) -> None:
    before = _hash("douane")
    at = _fill(app(PAGE, "douane").run(), "pas-le-bon", NEW, NEW)
    assert not at.exception
    assert any("Mot de passe actuel incorrect" in e.value for e in at.error)
    assert _hash("douane") == before


def test_a_common_new_password_is_refused(db_url: str) -> None:
    before = _hash("douane")
    at = _fill(app(PAGE, "douane").run(), DEMO_PASSWORD, "azerty2024", "azerty2024")
    assert any("trop courant" in e.value for e in at.error)
    assert _hash("douane") == before


def test_a_password_set_by_the_administrator_is_changed_at_first_login(db_url: str) -> None:
    boss = accounts.get_actor("admin")
    admin.add_user(boss, "nouvelle", "Nouvelle Recrue", "mot de passe provisoire", "analyste",
                      rounds=4)
    at = app("Home.py").run()
    at.text_input[0].input("nouvelle")
    at.text_input[1].input("mot de passe provisoire")
    at.button[0].click().run()
    assert not at.exception
    assert "Bienvenue" not in texts(at)
    assert "choisissez votre propre mot de passe" in texts(at)
    assert [t.label for t in at.text_input] == list(FORM)
    # every other page is closed until it is changed
    at.switch_page("pages/3_Consulter_des_Licences.py").run()
    assert "Bienvenue" not in texts(at) and [t.label for t in at.text_input] == list(FORM)
    at.switch_page("Home.py").run()
    at = _fill(at, "mot de passe provisoire", NEW, NEW)
    assert not at.exception
    assert "Bienvenue, **Nouvelle Recrue**" in texts(at)
    assert any("Mot de passe changé" in s.value for s in at.success)
    assert not accounts.password_change_required("nouvelle")
