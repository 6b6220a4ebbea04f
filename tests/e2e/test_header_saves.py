"""Issue 8: every *Sauvegarder* of the licence screen saves what the screen shows, again and
again on the same screen, in a real browser; the database is read through core after each save."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core import drafting, reading
from core.accounts import get_actor
from core.records import Actor, LicenceDetail
from tests.conftest import header
from tests.e2e.conftest import body_text, idle, key, login, wait_until

pytestmark = pytest.mark.e2e

SAVED_HEADER = "En-tête de la licence sauvegardé."


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _box(page: Any, label: str) -> Any:
    return page.get_by_role("textbox", name=label, exact=True)


def _stored(actor: Actor, licence_id: int) -> LicenceDetail:
    return reading.get_licence(actor, licence_id)


def _open(page: Any, server: str, licence_id: int) -> None:
    page.goto(f"{server}/Nouvelle_Licence?id={licence_id}")
    idle(page, 1.0)
    wait_until(lambda: "Données de la licence" in body_text(page), message="licence screen")
    if not _box(page, "Montant total").is_visible():  # the expander starts closed
        page.get_by_text("Données de la licence", exact=True).click()
        idle(page)
    wait_until(lambda: _box(page, "Montant total").is_visible(), message="header not opened")


def _type(page: Any, label: str, text: str, *, enter: bool = False) -> None:
    box = _box(page, label)
    box.fill(text)
    if enter:
        box.press("Enter")
        idle(page, 0.3)


def _save(page: Any, which: str) -> None:
    key(page, which).locator("button").first.click()
    idle(page, 1.0)


def test_header_saves_again_and_again(server: str, server_core: str, browser: Any, shots: Path
                                      ) -> None:
    actor = get_actor("exportateur")
    lic = drafting.create_licence(actor, header(recipient="Destinataire initial"))
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    login(page, server, "exportateur")
    _open(page, server, lic.id)
    _shot(page, shots, "01_brouillon_ouvert")

    # 1. the header's Sauvegarder, clicked straight after typing (no Enter)
    _type(page, "Destinataire (facultatif)", "Destinataire A")
    _save(page, "header_save")
    wait_until(lambda: SAVED_HEADER in body_text(page), message="first save not confirmed")
    assert _stored(actor, lic.id).recipient == "Destinataire A"
    _shot(page, shots, "02_entete_sauvegarde_A")

    # 2. again on the same screen: recipient and amount
    _type(page, "Destinataire (facultatif)", "Destinataire B", enter=True)
    _type(page, "Montant total", "13000,25")
    _save(page, "header_save")
    wait_until(lambda: _stored(actor, lic.id).recipient == "Destinataire B",
               message="second header save lost")
    assert _stored(actor, lic.id).total_amount == Decimal("13000.25")
    assert SAVED_HEADER in body_text(page)
    assert _box(page, "Destinataire (facultatif)").input_value() == "Destinataire B"
    _shot(page, shots, "03_entete_sauvegarde_B")

    # 3. the action bar's Sauvegarder carries the header edits, then goes to Gestion
    _type(page, "Destinataire (facultatif)", "Destinataire C")
    _type(page, "Montant total", "13500")
    _save(page, "save_all")
    wait_until(lambda: f"Licence {lic.registration_number} sauvegardée" in body_text(page),
               message="bottom save not confirmed")
    stored = _stored(actor, lic.id)
    assert (stored.recipient, stored.total_amount) == ("Destinataire C", Decimal("13500"))
    _shot(page, shots, "04_bas_sauvegarde_C_gestion")

    # 4. reopened: the fields show what is stored; the header's Sauvegarder once more
    _open(page, server, lic.id)
    assert _box(page, "Destinataire (facultatif)").input_value() == "Destinataire C"
    _type(page, "Destinataire (facultatif)", "Destinataire D")
    _save(page, "header_save")
    wait_until(lambda: _stored(actor, lic.id).recipient == "Destinataire D",
               message="header save after reopening lost")

    # 5. a refused amount through the bottom Sauvegarder: no success, nothing stored, the
    #    message next to the field and the screen kept
    version = _stored(actor, lic.id).version
    _type(page, "Destinataire (facultatif)", "Destinataire E")
    _type(page, "Montant total", "abc")
    _save(page, "save_all")
    wait_until(lambda: "Montant total : nombre attendu" in body_text(page),
               message="refusal not shown")
    text = body_text(page)
    assert "Rien n'a été sauvegardé" in text
    assert f"Licence {lic.registration_number} sauvegardée" not in text
    assert _box(page, "Montant total").is_visible()
    stored = _stored(actor, lic.id)
    assert (stored.recipient, stored.version) == ("Destinataire D", version)
    _shot(page, shots, "05_bas_refuse")
    page.get_by_text("Rien n'a été sauvegardé").scroll_into_view_if_needed()
    time.sleep(0.3)
    _shot(page, shots, "05b_bas_refuse_barre")

    # 6. corrected on the same screen, the bottom Sauvegarder saves everything shown
    _type(page, "Montant total", "14000")
    _save(page, "save_all")
    wait_until(lambda: f"Licence {lic.registration_number} sauvegardée" in body_text(page),
               message="bottom save after correction not confirmed")
    stored = _stored(actor, lic.id)
    assert (stored.recipient, stored.total_amount) == ("Destinataire E", Decimal("14000"))

    # reloaded from the server, the screen shows the last saved values
    _open(page, server, lic.id)
    assert _box(page, "Destinataire (facultatif)").input_value() == "Destinataire E"
    assert _box(page, "Montant total").input_value() == "14000,00"
    _shot(page, shots, "06_recharge")
    context.close()
