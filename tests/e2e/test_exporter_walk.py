"""The guide, walked in a real browser by `exportateur`: create, add a country, an invoice PDF, a
document, a goods line through the tariff search dialog, submit; find it in *Gestion*, export its
history, open it in *Consulter*, print it; log out and replay the old cookie."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from core.files import tiny_pdf
from tests.e2e.conftest import body_text, grid_cells, idle, key, login, select, wait_until

pytestmark = pytest.mark.e2e


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _fill(page: Any, scope: str, text: str, *, in_form: bool = False) -> None:
    box = key(page, scope).locator("input, textarea").first
    box.fill(text)
    if not in_form:  # outside a form, Enter hands the value to the app
        box.press("Enter")
    idle(page, 0.3)


def test_exporter_walks_the_guide(server: str, browser: Any, shots: Path, tmp_path: Path
                                  ) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True,
                                  locale="fr-FR")
    page = context.new_page()
    login(page, server, "exportateur")
    _shot(page, shots, "01_ecran_principal")

    # Exportation → Licence et Documents → Nouvelle Licence d'Exportation
    page.get_by_role("link", name="Nouvelle Licence d'Exportation").first.click()
    idle(page)
    _fill(page, "h_recipient_new", "Fruits d’Europe GmbH", in_form=True)
    _fill(page, "h_amount_new", "12500,50", in_form=True)
    select(page, "h_regime_new", "Exportation définitive")
    select(page, "h_office_new", "Casablanca")
    select(page, "h_incoterm_new", "FOB")
    _shot(page, shots, "02_en_tete")
    page.get_by_role("button", name="Sauvegarder").first.click()
    idle(page, 1.0)
    wait_until(lambda: re.search(r"LE-\d{4}-\d{6}", body_text(page)) is not None,
               message="no registration number shown after Sauvegarder")
    number_text = re.findall(r"LE-\d{4}-\d{6}", body_text(page))[0]
    _shot(page, shots, "03_licence_creee")

    # Pays de destination
    select(page, "country_pick", "Espagne")
    key(page, "country_add").locator("button").first.click()
    idle(page)
    wait_until(lambda: "Espagne (ES)" in body_text(page), message="Espagne (ES)")

    # Factures: the dialog, currency frozen, a real PDF
    invoice = tmp_path / "facture.pdf"
    invoice.write_bytes(tiny_pdf(["Facture 2026-001", "12 500,50 EUR"]))
    key(page, "invoice_open").locator("button").first.click()
    idle(page)
    dialog = page.get_by_role("dialog")
    assert dialog.locator(".st-key-inv_currency input").input_value() == "EUR"
    _fill(page, "inv_amount", "12500,50")
    day = key(page, "inv_date").locator("[data-type='day']")
    day.click()
    day.press_sequentially("10012026", delay=60)
    page.keyboard.press("Escape")
    page.get_by_role("dialog").get_by_text("Montant").first.click()
    idle(page, 0.3)
    key(page, "inv_file").locator("input[type=file]").set_input_files(str(invoice))
    idle(page)
    _shot(page, shots, "04_dialogue_facture")
    key(page, "inv_add").locator("button").first.click()
    idle(page, 1.0)
    wait_until(lambda: "facture.pdf" in body_text(page), message="facture.pdf")

    # Documents
    document = tmp_path / "certificat_origine.pdf"
    document.write_bytes(tiny_pdf(["Certificat d'origine"]))
    key(page, "document_open").locator("button").first.click()
    idle(page)
    select(page, "doc_type", "Certificat d'origine")
    _fill(page, "doc_description", "Certificat d'origine EUR.1")
    key(page, "doc_file").locator("input[type=file]").set_input_files(str(document))
    idle(page)
    _shot(page, shots, "04b_dialogue_document")
    key(page, "doc_add").locator("button").first.click()
    idle(page, 1.0)
    wait_until(lambda: "Certificat d'origine EUR.1" in body_text(page), message="document")

    # Marchandises, tariff through the magnifying glass
    key(page, "goods_open").locator("button").first.click()
    idle(page)
    _fill(page, "g_designation", "Clémentines calibre 1")
    _fill(page, "g_quantity", "20000")
    _fill(page, "g_weight", "20000")
    key(page, "g_search_toggle").locator("button").first.click()
    idle(page)
    _fill(page, "g_query", "clémentines")
    _shot(page, shots, "05_loupe_nomenclature")
    key(page, "g_pick").locator("label").first.click()
    idle(page, 0.3)
    key(page, "g_choose").locator("button").first.click()
    idle(page)
    key(page, "g_add").locator("button").first.click()
    idle(page, 1.0)
    wait_until(lambda: "Clémentines calibre 1" in body_text(page), message="goods line")
    _shot(page, shots, "06_licence_complete")

    # Soumettre pour visa
    key(page, "submit").locator("button").first.click()
    idle(page, 1.0)
    wait_until(lambda: "soumise pour visa MCE" in body_text(page), message="submitted")
    _shot(page, shots, "07_soumise")

    context.storage_state(path=str(tmp_path / "state.json"))
    _after_submission(page, server, shots, tmp_path, number_text)
    _logout_and_replay(browser, page, server, shots, tmp_path)
    context.close()


def _after_submission(page: Any, server: str, shots: Path, tmp_path: Path, number: str) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    # Gestion: the new licence is the newest of the 10 latest; its history exports to Excel
    page.get_by_role("link", name="Gestion des Licences d'Exportation").first.click()
    idle(page, 1.0)
    wait_until(lambda: number in grid_cells(page), message="the new licence is not listed")
    chooser = page.locator("[class*='st-key-gestion_choice'] input").first
    wait_until(lambda: chooser.input_value().startswith(number), message="chooser")
    _shot(page, shots, "08_gestion")
    key(page, "gestion_history").locator("button").first.click()
    idle(page, 1.0)
    _shot(page, shots, "09_historique")
    with page.expect_download() as info:
        page.get_by_role("dialog").get_by_role("button", name="Exporter").first.click()
    data = Path(info.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data)).active
    flat = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row
                     if v is not None)
    assert number in flat
    for label in ("Création de la licence", "Modification du brouillon",
                  "Soumission pour visa MCE", "Soumise pour visa MCE"):
        assert label in flat
    page.get_by_role("dialog").get_by_role("button", name="Close").first.click()
    idle(page)

    # Consulter: detail and print
    page.get_by_role("link", name="Consulter des Licences d'Exportation").first.click()
    idle(page, 1.0)
    wait_until(lambda: number in grid_cells(page), message="not listed in Consulter")
    assert page.locator("[class*='st-key-consulter_choice'] input").first.input_value(
    ).startswith(number)
    key(page, "consulter_detail").locator("button").first.click()
    idle(page, 1.0)
    _shot(page, shots, "10_consulter_detail")
    with page.expect_download() as info:
        page.get_by_role("button", name="Imprimer", exact=True).first.click()
    pdf = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert number in text and "Clémentines calibre 1" in text and "Espagne" in text


def _logout_and_replay(browser: Any, page: Any, server: str, shots: Path, tmp_path: Path) -> None:
    old_cookies = [c for c in page.context.cookies() if c["name"] == "eld_session"]
    assert old_cookies
    page.get_by_role("button", name="Se déconnecter").click()
    idle(page)
    _shot(page, shots, "11_deconnecte")
    # a new browser replays the cookie copied before the logout: it must not log in
    replay = browser.new_context(viewport={"width": 1400, "height": 1000})
    replay.add_cookies(old_cookies)
    other = replay.new_page()
    other.goto(server + "/Gestion_des_Licences")
    idle(other, 1.0)
    _shot(other, shots, "12_cookie_rejoue")
    wait_until(lambda: other.get_by_role("textbox", name="Nom d'utilisateur").is_visible(),
               message="the login form is not shown to the replayed cookie")
    assert "Gestion des Licences d'Exportation" not in other.inner_text("[data-testid='stMain']")
    replay.close()
