"""The exporter's news panel and menu counter (ui/notifications.py), drawn on their own."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import decisions, drafting
from core.records import Actor
from tests.conftest import complete_draft
from tests.pages.login import texts


def _script() -> None:
    import streamlit as st

    from core.accounts import get_actor
    from ui.forms import show_flash
    from ui.notifications import menu_badge, panel

    actor = get_actor(st.session_state["who"])
    show_flash()
    st.caption("Écran principal" + menu_badge(actor))
    panel(actor)


def _panel(username: str) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60)
    at.session_state["who"] = username
    return at.run()


@pytest.fixture(autouse=True)
def _no_page_links(monkeypatch: pytest.MonkeyPatch) -> None:
    # A script outside the project has no pages/ folder for st.page_link to check against.
    monkeypatch.setattr(st, "page_link", lambda *args, **kwargs: None)


def _decisions(actors: dict[str, Actor]) -> str:
    exp, mce = actors["exportateur"], actors["mce"]
    granted = complete_draft(exp)
    granted = drafting.submit_for_visa(exp, granted.id, granted.version)
    back = complete_draft(exp)
    back = drafting.submit_for_visa(exp, back.id, back.version)
    decisions.grant_visa(mce, granted.id, granted.version, "V-2026-0042")
    decisions.send_back(mce, back.id, back.version, "Poids net incohérent")
    return granted.registration_number


def test_the_exporter_sees_its_news_and_marks_them_read(actors: dict[str, Actor]) -> None:
    number = _decisions(actors)
    at = _panel("exportateur")
    assert not at.exception
    shown = texts(at)
    assert "Écran principal (2)" in shown
    assert [h.value for h in at.subheader] == ["Nouveautés sur vos licences (2)"]
    assert number in shown and "Visa MCE accordé" in shown and "V-2026-0042" in shown
    assert "Renvoi pour correction" in shown and "Poids net incohérent" in shown
    at = next(b for b in at.button if b.label == "Marquer comme lu").click().run()
    assert not at.exception
    assert "Notifications marquées comme lues." in [s.value for s in at.success]
    shown = texts(at)
    assert "Rien de nouveau depuis votre dernière visite." in shown
    assert "Écran principal" in shown and "Écran principal (" not in shown


def test_the_other_company_and_other_roles_see_nothing(actors: dict[str, Actor]) -> None:
    _decisions(actors)
    at = _panel("exportateur2")
    assert "Rien de nouveau depuis votre dernière visite." in texts(at)
    assert not any(b.label == "Marquer comme lu" for b in at.button)
    at = _panel("mce")
    assert not at.exception and len(at.subheader) == 0 and len(at.button) == 0
    assert "Écran principal" in texts(at)
