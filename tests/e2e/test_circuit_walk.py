"""The whole circuit of one licence in a real browser, each actor in its own browser context:
`exportateur` creates and submits it, `mce` grants the visa, `douane` imputes it in two
declarations (and is refused a third), `banque` records the proceeds and settles it; then the
exporter reads the licence's history and the news on the main screen. Everything is checked on
what the pages show."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.files import tiny_pdf
from tests.e2e.conftest import grid_cells, idle, key, login, select, wait_until

pytestmark = pytest.mark.e2e

# ------------------------------------------------------------------ helpers
class Shots:
    """Numbered full-page screenshots: 01_…, 02_…"""

    def __init__(self, folder: Path) -> None:
        self.folder, self.count = folder, 0

    def __call__(self, page: Any, name: str) -> None:
        """Streamlit scrolls inside its own containers, so `full_page` alone stops at the
        viewport: the viewport is stretched to the tallest of them for the picture."""
        self.count += 1
        size = page.viewport_size
        tall = page.evaluate(
            "Math.max(...['stMain', 'stAppViewContainer', 'stSidebarContent', 'stApp']"
            ".map(t => document.querySelector(`[data-testid='${t}']`)?.scrollHeight || 0))")
        if tall > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(int(tall), 8000)})
            time.sleep(0.4)
        try:
            page.screenshot(path=str(self.folder / f"{self.count:02d}_{name}.png"),
                            full_page=True)
        finally:
            if tall > size["height"]:
                page.set_viewport_size(size)


def _context(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True,
                               locale="fr-FR")


def _fill(page: Any, scope: str, text: str, *, in_form: bool = False) -> None:
    box = key(page, scope).locator("input, textarea").first
    box.fill(text)
    if not in_form:  # outside a form, Enter hands the value to the app
        box.press("Enter")
    idle(page, 0.3)


def _fill_prefixed(page: Any, prefix: str, text: str) -> None:
    """A text input inside a form whose key carries a suffix (`imp_ref_12_0`)."""
    page.locator(f"[class*='st-key-{prefix}'] input").first.fill(text)


def _click(page: Any, scope: str, pause: float = 1.0) -> None:
    key(page, scope).locator("button").first.click()
    idle(page, pause)


def _menu(page: Any, label: str) -> None:
    page.get_by_role("link", name=label).first.click()
    idle(page, 1.0)


def _body(page: Any) -> str:
    return str(page.inner_text("[data-testid='stMain']"))


def _shows(page: Any, text: str) -> str:
    """Wait until the main area shows `text`; the text of the main area."""
    wait_until(lambda: text in _body(page), message=f"« {text} » not shown")
    return _body(page)


def _cells(page: Any, expect: str | None = None) -> list[str]:
    """The cells of the page's tables; with `expect`, wait (a little) for that one to show."""

    def drawn() -> bool:
        cells = grid_cells(page)
        return bool(cells) and (expect is None or expect in cells)

    with contextlib.suppress(AssertionError):
        wait_until(drawn, timeout=4.0)
    return grid_cells(page)


def _search_number(page: Any, prefix: str, number: str) -> None:
    """The counterparty screens' *Rechercher* by registration number."""
    _fill(page, f"{prefix}_number", number, in_form=True)
    _click(page, f"{prefix}_search_button")
    assert number in _cells(page, number), f"{number} not found on the {prefix} screen"


# ------------------------------------------------------------------ the actors
def _create_and_submit(page: Any, shot: Shots, tmp_path: Path) -> str:
    _menu(page, "Nouvelle Licence d'Exportation")
    _fill(page, "h_recipient_new", "Agrumes du Nord SARL", in_form=True)
    _fill(page, "h_amount_new", "10000,00", in_form=True)
    select(page, "h_regime_new", "Exportation définitive")
    select(page, "h_office_new", "Casablanca")
    select(page, "h_incoterm_new", "FOB")
    shot(page, "exportateur_en_tete")
    page.get_by_role("button", name="Sauvegarder").first.click()
    idle(page, 1.0)
    wait_until(lambda: re.search(r"LE-\d{4}-\d{6}", _body(page)) is not None,
               message="no registration number shown after Sauvegarder")
    number = str(re.findall(r"LE-\d{4}-\d{6}", _body(page))[0])

    select(page, "country_pick", "Espagne")
    _click(page, "country_add")
    _shows(page, "Espagne (ES)")

    invoice = tmp_path / "facture_circuit.pdf"
    invoice.write_bytes(tiny_pdf(["Facture E2E-CIRCUIT", "10 000,00 EUR"]))
    _click(page, "invoice_open", 0.6)
    _fill(page, "inv_amount", "10000,00")
    day = key(page, "inv_date").locator("[data-type='day']")
    day.click()
    day.press_sequentially("02112026", delay=60)
    page.keyboard.press("Escape")
    page.get_by_role("dialog").get_by_text("Montant").first.click()
    idle(page, 0.3)
    key(page, "inv_file").locator("input[type=file]").set_input_files(str(invoice))
    idle(page)
    _click(page, "inv_add")
    _shows(page, "facture_circuit.pdf")

    _click(page, "goods_open", 0.6)
    _fill(page, "g_designation", "Clémentines circuit E2E")
    _fill(page, "g_quantity", "100")
    _fill(page, "g_weight", "100")
    _click(page, "g_search_toggle", 0.6)
    _fill(page, "g_query", "clémentines")
    key(page, "g_pick").locator("label").first.click()
    idle(page, 0.3)
    _click(page, "g_choose", 0.6)
    shot(page, "exportateur_marchandise")
    _click(page, "g_add")
    _shows(page, "Clémentines circuit E2E")
    shot(page, "exportateur_licence_complete")

    _click(page, "submit")
    _shows(page, f"Licence {number} soumise pour visa MCE")
    shot(page, "exportateur_soumise")
    return number


def _grant_visa(page: Any, shot: Shots, number: str) -> None:
    _menu(page, "Visa MCE")
    for _ in range(20):  # oldest submission first: the new licence is on the last page
        if number in _cells(page, number):
            break
        assert key(page, "mce_next").locator("button").first.is_enabled(), \
            f"{number} is not in the MCE queue"
        _click(page, "mce_next")
    select(page, "mce_choice", number)
    idle(page, 0.6)
    _shows(page, "Clémentines circuit E2E")  # the chosen licence's detail
    shot(page, "mce_file_attente")
    _click(page, "mce_visa_open", 0.8)
    dialog = page.get_by_role("dialog")
    assert number in dialog.inner_text()
    assert dialog.locator("[class*='st-key-mce_visa_number_'] input").input_value()
    shot(page, "mce_dialogue_visa")
    _click(page, "mce_visa_confirm")
    _shows(page, f"Visa accordé à la licence {number}")
    shot(page, "mce_visa_accorde")


def _impute(page: Any, ref: str, quantity: str, value: str) -> None:
    _fill_prefixed(page, "imp_ref_", ref)
    _fill_prefixed(page, "imp_qty_", quantity)
    _fill_prefixed(page, "imp_val_", value)
    _click(page, "imp_submit")


def _impute_twice(page: Any, shot: Shots, number: str) -> None:
    _menu(page, "Imputation douanière")
    _search_number(page, "douane", number)
    _shows(page, "Visée")
    shot(page, "douane_licence_visee")

    _impute(page, "DUM-E2E-1", "40", "4000,00")
    _shows(page, f"Déclaration DUM-E2E-1 imputée sur la licence {number} : "
           "« Imputée partiellement »")
    assert "Imputée partiellement" in _cells(page, "Imputée partiellement")
    shot(page, "douane_imputee_partiellement")

    # the same declaration again, for more than what remains: both refusals, in French
    _impute(page, "DUM-E2E-1", "70", "7000,00")
    body = _shows(page, "La déclaration DUM-E2E-1 est déjà imputée sur cette licence.")
    assert "dépasse le reste à imputer" in body
    assert "Imputée partiellement" in _cells(page, "Imputée partiellement"), "a refused imputation changed the status"
    shot(page, "douane_refus")

    _impute(page, "DUM-E2E-2", "60", "6000,00")
    _shows(page, f"Déclaration DUM-E2E-2 imputée sur la licence {number} : "
           "« Imputée totalement »")
    shot(page, "douane_imputee_totalement")


def _repatriate_and_settle(page: Any, shot: Shots, tmp_path: Path, number: str) -> None:
    _menu(page, "Rapatriement et apurement")
    _search_number(page, "banque", number)
    body = _body(page)
    assert "Imputée totalement" in _cells(page, "Imputée totalement")
    assert "10 000,00" in body.replace("\u202f", " ").replace("\xa0", " "), body[:2000]
    assert not key(page, "settle").locator("button").first.is_enabled()
    shot(page, "banque_a_rapatrier")

    proof = tmp_path / "avis_rapatriement.pdf"
    proof.write_bytes(tiny_pdf(["Avis de rapatriement RAP-E2E-1", "10 000,00 EUR"]))
    _fill_prefixed(page, "rep_amount_", "10000,00")
    _fill_prefixed(page, "rep_ref_", "RAP-E2E-1")
    page.locator("[class*='st-key-rep_file_'] input[type=file]").set_input_files(str(proof))
    idle(page)
    _click(page, "rep_submit")
    body = _shows(page, f"Justificatif RAP-E2E-1 enregistré sur la licence {number}")
    assert "avis_rapatriement.pdf" in body
    assert key(page, "settle").locator("button").first.is_enabled(), "Apurer still disabled"
    shot(page, "banque_justificatif")

    _click(page, "settle")
    _shows(page, f"Licence {number} apurée.")
    shot(page, "banque_apuree")

    # the settled licence, as anyone may consult it
    _menu(page, "Consulter des Licences d'Exportation")
    cells = _cells(page, number)
    assert number in cells
    assert cells[cells.index(number) + 1] == "Apurée", cells[:12]
    shot(page, "banque_consulter_apuree")


def _exporter_reads(page: Any, shot: Shots, number: str) -> None:
    # the exporter's page was left on its draft screen: the next run brings the news
    page.get_by_role("link", name=re.compile(r"^Écran principal")).first.click()
    idle(page, 1.0)
    menu_home = page.get_by_role("link", name=re.compile(r"^Écran principal")).first
    assert re.search(r"\(\d+\+?\)", menu_home.inner_text()), "no unread count in the menu"
    _shows(page, "Nouveautés sur vos licences")
    notes = [n for n in page.locator(".eld-note").all_inner_texts() if number in n]
    joined = "\n".join(notes)
    assert any("Visa MCE accordé" in n for n in notes), joined
    assert sum("Imputation douanière" in n for n in notes) == 2, joined
    assert any("Apurement" in n and "Apurée" in n for n in notes), joined
    shot(page, "exportateur_nouveautes")

    _menu(page, "Gestion des Licences d'Exportation")
    cells = _cells(page, number)
    assert number in cells
    assert cells[cells.index(number) + 1] == "Apurée", cells[:12]
    chooser = page.locator("[class*='st-key-gestion_choice'] input").first
    assert chooser.input_value().startswith(number)
    shot(page, "exportateur_gestion")
    _click(page, "gestion_history")
    dialog = page.get_by_role("dialog")
    # the table arrives a moment after the dialog's title
    wait_until(lambda: "Création de la licence" in dialog.inner_text(),
               message="the history table is not drawn in the dialog")
    text = dialog.inner_text()
    assert f"Historique de la licence {number}" in text
    at = 0
    for label in ("Création de la licence", "Soumission pour visa MCE", "Visa MCE accordé",
                  "Imputation douanière", "Imputation douanière",
                  "Justificatif de rapatriement", "Apurement"):
        found = text.find(label, at)
        assert found >= 0, f"« {label} » missing or out of order in:\n{text}"
        at = found + len(label)
    for detail in ("DUM-E2E-1", "DUM-E2E-2", "RAP-E2E-1"):
        assert detail in text
    shot(page, "exportateur_historique")


# ------------------------------------------------------------------ the walk
def test_one_licence_through_the_whole_circuit(server: str, browser: Any, shots: Path,
                                               tmp_path: Path) -> None:
    shot = Shots(shots)
    started = time.monotonic()
    steps: list[tuple[str, float]] = []

    def lap(name: str, since: float) -> float:
        now = time.monotonic()
        steps.append((name, now - since))
        return now

    t = started
    exporter = _context(browser)
    contexts = [exporter]
    page = exporter.new_page()
    try:
        login(page, server, "exportateur")
        shot(page, "exportateur_ecran_principal")
        number = _create_and_submit(page, shot, tmp_path)
        t = lap("exportateur: création et soumission", t)

        actors: list[tuple[str, Callable[[Any], None]]] = [
            ("mce", lambda p: _grant_visa(p, shot, number)),
            ("douane", lambda p: _impute_twice(p, shot, number)),
            ("banque", lambda p: _repatriate_and_settle(p, shot, tmp_path, number)),
        ]
        for user, act in actors:
            contexts.append(_context(browser))
            other = contexts[-1].new_page()
            login(other, server, user)
            act(other)
            t = lap(user, t)

        _exporter_reads(page, shot, number)
        lap("exportateur: nouveautés et historique", t)
    except Exception:
        for index, context in enumerate(contexts):
            for open_page in context.pages:
                with contextlib.suppress(Exception):  # the picture must not hide the failure
                    shot(open_page, f"ECHEC_contexte_{index}")
        raise
    finally:
        total = time.monotonic() - started
        for context in contexts:
            context.close()
        print(f"\nCircuit walk: {total:.1f} s")
        for name, seconds in steps:
            print(f"  {name:<40} {seconds:5.1f} s")
