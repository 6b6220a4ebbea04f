"""Issue 8 in a real browser: the field-by-field history, the MCE comparing a modified licence
with its visaed revision, customs reversing a mistaken imputation with a reason. Data is prepared
through core on the server's own database; what is checked is what the pages show, then what the
database holds."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from core import decisions, drafting, reading
from core.accounts import get_actor
from core.lifecycle import Status
from core.records import LicenceDetail
from tests.conftest import complete_draft, header
from tests.e2e.conftest import body_text, idle, key, login, select, wait_until

pytestmark = pytest.mark.e2e


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _shot(page: Any, folder: Path, name: str) -> None:
    size = page.viewport_size
    tall = page.evaluate(
        "Math.max(...['stMain', 'stAppViewContainer', 'stApp']"
        ".map(t => document.querySelector(`[data-testid='${t}']`)?.scrollHeight || 0))")
    if tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(tall) + 40, 6000)})
        time.sleep(0.4)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def _modified_and_resubmitted() -> LicenceDetail:
    exp, mce = get_actor("exportateur"), get_actor("mce")
    lic = complete_draft(exp)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    lic = decisions.grant_visa(mce, lic.id, lic.version, f"V-E2E-{lic.id}")
    lic = drafting.request_modification(exp, lic.id, lic.version, "Montant revu")
    lic = drafting.update_header(exp, lic.id, lic.version,
                                 header(total_amount="14000", recipient="Nordfrucht AG"))
    return drafting.submit_for_visa(exp, lic.id, lic.version)


def _wrongly_imputed() -> LicenceDetail:
    exp, mce = get_actor("exportateur"), get_actor("mce")
    lic = complete_draft(exp, lines=2)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    lic = decisions.grant_visa(mce, lic.id, lic.version, f"V-E2E-{lic.id}")
    return decisions.impute(get_actor("douane"), lic.id, lic.version, declaration_ref="DUM-ERR-1",
                           declaration_date=dt.date.today(), customs_office=lic.customs_office,
                           lines={lic.goods[0].id: ("100", "9000")})


def _open_as(browser: Any, server: str, username: str, path: str) -> tuple[Any, Any]:
    """(context, page): `username` logged in its own browser context, on `path`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    login(page, server, username)
    page.goto(f"{server}/{path}")
    idle(page)
    return context, page


def test_history_comparison_and_reversal(server: str, server_core: str, browser: Any,
                                         shots: Path) -> None:
    modified, imputed = _modified_and_resubmitted(), _wrongly_imputed()

    # MCE: the modified licence beside the visaed revision, the differences highlighted
    context, page = _open_as(browser, server, "mce", "Visa_MCE")
    select(page, "mce_choice", modified.registration_number)
    title = page.get_by_text("Comparer avec la révision visée").first
    wait_until(title.is_visible, message="no comparison offered")
    assert "2 différence(s)" in title.inner_text()
    title.click()
    idle(page)
    table = page.locator("[data-testid='stTable']").filter(has_text="Révision 0 (visée)")
    wait_until(lambda: table.count() == 1, message="comparison table not drawn")
    rows = [plain(t) for t in table.locator("tbody tr").all_inner_texts()]
    assert any("Montant total" in r and "12 500,50 EUR" in r and "14 000,00 EUR" in r
               for r in rows), rows
    assert any("Destinataire" in r and "Nordfrucht AG" in r for r in rows), rows
    _shot(page, shots, "01_mce_comparaison")
    context.close()

    # Exporter: the history names each changed field with its old and new value
    context, page = _open_as(browser, server, "exportateur",
                             f"Consulter_des_Licences?id={modified.id}")
    key(page, "consulter_detail_history").locator("button").first.click()
    idle(page)
    dialog = page.get_by_role("dialog")
    wait_until(lambda: dialog.count() == 1 and "Modifications" in dialog.inner_text(),
               message="history dialog")
    shown = plain(dialog.inner_text())
    assert "Montant total : 12 500,50 EUR → 14 000,00 EUR" in shown
    assert "Destinataire : Fruits d'Europe GmbH → Nordfrucht AG" in shown
    assert f"Numéro de visa : V-E2E-{modified.id} (retrait)" in shown
    _shot(page, shots, "02_historique_champ_par_champ")
    context.close()

    # Customs: reverse the mistaken imputation, with its reason
    context, page = _open_as(browser, server, "douane", "Imputation_Douaniere")
    page.get_by_role("tab", name="Corriger une imputation").click()
    idle(page)
    box = key(page, "douane_fix_number").locator("input")
    box.fill(imputed.registration_number)
    key(page, "douane_fix_search_button").locator("button").first.click()
    idle(page)
    page.get_by_text("Annuler une imputation erronée").first.click()
    idle(page, 0.4)
    # the reason's key carries the licence and a counter: take the one on screen
    page.locator("[class*='st-key-reverse_reason_'] textarea").first.fill(
        "Valeur saisie sur la mauvaise licence")
    _shot(page, shots, "03_douane_annulation_saisie")
    key(page, "reverse_submit").locator("button").first.click()
    idle(page, 1.0)
    wait_until(lambda: "annulée sur la licence" in body_text(page), message="no success")
    _shot(page, shots, "04_douane_annulation_faite")
    context.close()

    after = reading.get_licence(get_actor("douane"), imputed.id)
    assert after.status == Status.VISAED and after.imputed_value == 0
    assert after.imputations[0].reversal_reason == "Valeur saisie sur la mauvaise licence"
    events = reading.history(get_actor("exportateur"), imputed.id)
    assert events[-1].action_label == "Annulation d'une imputation"
