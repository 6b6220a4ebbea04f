"""The subscription screen through its widgets: create, the four sections, the checklist, submit,
and refusals that show a French message and change nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core import services
from core.database import read_session
from core.files import tiny_pdf
from core.lifecycle import Status
from core.models import Licence, StoredFile
from core.views import Actor
from tests.conftest import complete_draft, first_tariff, header
from tests.pages.login import app, texts

PAGE = "pages/1_Nouvelle_Licence.py"


def _licences() -> list[tuple[int, str, str]]:
    with read_session() as s:
        return list(s.execute(select(Licence.id, Licence.registration_number, Licence.status)
                              .order_by(Licence.id)).all())


def _select(at: AppTest, label: str, value: str) -> None:
    next(sb for sb in at.selectbox if sb.label == label).set_value(value)


def _fill_header(at: AppTest, amount: str) -> None:
    next(t for t in at.text_input if t.label == "Destinataire (facultatif)").input(
        "Fruits d'Europe GmbH")
    next(t for t in at.text_input if t.label == "Montant total").input(amount)
    h = header()
    _select(at, "Régime douanier", h["customs_regime"])
    _select(at, "Bureau douanier", h["customs_office"])
    _select(at, "Incoterm", "FOB")


def _open_draft(licence_id: int) -> AppTest:
    return app(PAGE, "exportateur", id=str(licence_id)).run()


def test_header_form_lists_the_guides_fields_with_defaults(db_url: str) -> None:
    at = app(PAGE, "exportateur").run()
    assert not at.exception
    labels = [w.label for w in at.text_input] + [w.label for w in at.selectbox]
    for label in ("Destinataire (facultatif)", "Catégorie de la Licence", "Montant total",
                  "Devise", "Régime douanier", "Bureau douanier", "Modalité de paiement",
                  "Incoterm"):
        assert label in labels
    assert next(s for s in at.selectbox if s.label == "Catégorie de la Licence").value == "LE"
    assert next(s for s in at.selectbox if s.label == "Modalité de paiement").value == "VF"
    assert any(b.label == "Sauvegarder" for b in at.button)


def test_bad_amount_shows_a_message_next_to_the_field_and_creates_nothing(db_url: str) -> None:
    at = app(PAGE, "exportateur").run()
    _fill_header(at, "-12")
    next(b for b in at.button if b.label == "Sauvegarder").click().run()
    assert not at.exception
    assert "Montant total : doit être supérieur à 0." in [e.value for e in at.error]
    assert _licences() == []


def test_create_through_the_form_assigns_a_number(db_url: str) -> None:
    at = app(PAGE, "exportateur").run()
    _fill_header(at, "12500,50")
    next(b for b in at.button if b.label == "Sauvegarder").click().run()
    assert not at.exception
    (lid, number, status), = _licences()
    assert status == Status.DRAFT
    # the page switches to the draft (?id=), which shows the number and the sections
    at = _open_draft(lid)
    shown = texts(at)
    assert number in shown
    for section in ("Pays de destination", "Factures", "Documents", "Marchandises"):
        assert f"#### {section}" in shown
    assert "Au moins un pays de destination doit être renseigné." in shown
    submit = next(b for b in at.button if b.label == "Soumettre pour visa")
    assert submit.disabled


def test_sections_checklist_and_submission(db_url: str, actors: dict[str, Actor]) -> None:
    lic = services.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    # Pays de destination
    _select(at, "Pays", "ES")
    at.button(key="country_add").click().run()
    assert "Espagne (ES)" in texts(at)
    # Factures: the dialog opens from its flag, with the currency frozen
    at.button(key="invoice_open").click().run()
    assert at.text_input(key="inv_currency").value == "EUR"
    assert at.text_input(key="inv_currency").disabled
    at.text_input(key="inv_amount").input("12500,50")
    at.date_input(key="inv_date").set_value(dt.date(2026, 1, 10))
    at.get("file_uploader")[0].upload("facture.pdf", tiny_pdf(["Facture"]), "application/pdf")
    at.button(key="inv_add").click().run()
    assert not at.exception
    assert "facture.pdf" in texts(at)
    # Documents
    at.button(key="document_open").click().run()
    _select(at, "Type du document", next(iter(_doc_types())))
    at.text_input(key="doc_description").input("Certificat d'origine")
    at.get("file_uploader")[0].upload("origine.pdf", tiny_pdf(["Origine"]), "application/pdf")
    at.button(key="doc_add").click().run()
    assert "Certificat d'origine" in texts(at)
    # Marchandises, with the tariff chosen through the magnifying glass
    at.button(key="goods_open").click().run()
    at.text_input(key="g_designation").input("Clémentines")
    at.text_input(key="g_quantity").input("1000")
    at.text_input(key="g_weight").input("1000")
    at.button(key="g_search_toggle").click().run()
    code = first_tariff()
    at.text_input(key="g_query").input(code[:4]).run()
    at.radio(key="g_pick").set_value(code)
    at.button(key="g_choose").click().run()
    at.button(key="g_add").click().run()
    assert not at.exception
    detail = services.get_licence(actors["exportateur"], lic.id)
    assert [g.tariff_code for g in detail.goods] == [code]
    assert len(detail.invoices) == 1 and len(detail.documents) == 1
    # complete: the checklist says so and the button is enabled
    assert "peut être soumise pour visa" in texts(at)
    submit = next(b for b in at.button if b.label == "Soumettre pour visa")
    assert not submit.disabled
    submit.click().run()
    assert not at.exception
    assert services.get_licence(actors["exportateur"], lic.id).status == Status.SUBMITTED
    assert "aucune modification ne peut être apportée" in texts(at)


def _doc_types() -> dict[str, str]:
    from core.reference import form_options

    return dict(form_options().document_types)


def test_non_pdf_invoice_refused_and_nothing_stored(db_url: str, actors: dict[str, Actor]
                                                   ) -> None:
    lic = services.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    at.button(key="invoice_open").click().run()
    at.text_input(key="inv_amount").input("10")
    at.date_input(key="inv_date").set_value(dt.date(2026, 1, 10))
    at.get("file_uploader")[0].upload("faux.pdf", b"MZ not a pdf at all", "application/pdf")
    at.button(key="inv_add").click().run()
    assert not at.exception
    assert "Seuls les documents PDF sont acceptés (contenu non PDF)." in [e.value for e in at.error]
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_cancel_needs_a_reason(db_url: str, actors: dict[str, Actor]) -> None:
    lic = complete_draft(actors["exportateur"])
    at = _open_draft(lic.id)
    at.button(key="cancel_open").click().run()
    at.button(key="cancel_confirm").click().run()
    assert "Motif de l'annulation : champ obligatoire." in [e.value for e in at.error]
    assert services.get_licence(actors["exportateur"], lic.id).status == Status.DRAFT
    at.text_area(key="cancel_reason").input("Commande annulée")
    at.button(key="cancel_confirm").click().run()
    assert services.get_licence(actors["exportateur"], lic.id).status == Status.CANCELLED


def test_stale_page_gets_the_conflict_message(db_url: str, actors: dict[str, Actor]) -> None:
    lic = services.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    services.add_country(actors["exportateur"], lic.id, lic.version, "FR")  # someone else
    _select(at, "Pays", "ES")
    at.button(key="country_add").click().run()
    assert any("modifiée entre-temps" in e.value for e in at.error)
    assert [c.code for c in services.get_licence(actors["exportateur"], lic.id).countries] == [
        "FR"]


def test_other_companys_licence_is_not_found(db_url: str, actors: dict[str, Actor]) -> None:
    lic = services.create_licence(actors["exportateur2"], header())
    at = _open_draft(lic.id)
    assert not at.exception
    assert "Licence introuvable." in [e.value for e in at.error]
    assert len(at.button) == 1  # only the sidebar's logout


def test_submitted_licence_cannot_be_edited(db_url: str, actors: dict[str, Actor]) -> None:
    lic = complete_draft(actors["exportateur"])
    services.submit_for_visa(actors["exportateur"], lic.id, lic.version)
    at = _open_draft(lic.id)
    assert "Licence soumise pour visa MCE" in texts(at)
    for key in ("country_add", "invoice_open", "goods_open", "submit", "cancel_open"):
        assert at.button(key=key).disabled


def test_invoice_without_a_file_is_refused_next_to_the_uploader(
    db_url: str, actors: dict[str, Actor]
) -> None:
    lic = services.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    at.button(key="invoice_open").click().run()
    at.text_input(key="inv_amount").input("10")
    at.button(key="inv_add").click().run()
    assert not at.exception
    assert "Joignez la facture scannée (PDF)." in [e.value for e in at.error]
    assert at.text_input(key="inv_currency").value == "EUR"  # the dialog stays open
    assert services.get_licence(actors["exportateur"], lic.id).invoices == ()
