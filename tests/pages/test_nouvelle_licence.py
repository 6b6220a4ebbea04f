"""The subscription screen through its widgets: create, the four sections, the checklist, submit,
and refusals that show a French message and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core import decisions, drafting, reading
from core.database import read_session
from core.errors import ValidationFailed
from core.files import tiny_pdf
from core.lifecycle import Status
from core.models import Licence, StoredFile
from core.records import Actor
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
    lic = drafting.create_licence(actors["exportateur"], header())
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
    detail = reading.get_licence(actors["exportateur"], lic.id)
    assert [g.tariff_code for g in detail.goods] == [code]
    assert len(detail.invoices) == 1 and len(detail.documents) == 1
    # complete: the checklist says so and the button is enabled
    assert "peut être soumise pour visa" in texts(at)
    submit = next(b for b in at.button if b.label == "Soumettre pour visa")
    assert not submit.disabled
    submit.click().run()
    assert not at.exception
    assert reading.get_licence(actors["exportateur"], lic.id).status == Status.SUBMITTED
    assert "aucune modification ne peut être apportée" in texts(at)


def _doc_types() -> dict[str, str]:
    from core.reference import form_options

    return dict(form_options().document_types)


def test_non_pdf_invoice_refused_and_nothing_stored(db_url: str, actors: dict[str, Actor]
                                                   ) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    at.button(key="invoice_open").click().run()
    at.text_input(key="inv_amount").input("10")
    at.date_input(key="inv_date").set_value(dt.date(2026, 1, 10))
    at.get("file_uploader")[0].upload("faux.pdf", b"MZ not a pdf at all", "application/pdf")
    at.button(key="inv_add").click().run()
    assert not at.exception
    # core names what the file is (wording of core/files.py): the refusal, whatever its detail
    assert any(str(e.value).startswith("Seuls les documents PDF sont acceptés")
               for e in at.error), [e.value for e in at.error]
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_cancel_needs_a_reason(db_url: str, actors: dict[str, Actor]) -> None:
    lic = complete_draft(actors["exportateur"])
    at = _open_draft(lic.id)
    at.button(key="cancel_open").click().run()
    at.button(key="cancel_confirm").click().run()
    assert "Motif de l'annulation : champ obligatoire." in [e.value for e in at.error]
    assert reading.get_licence(actors["exportateur"], lic.id).status == Status.DRAFT
    at.text_area(key="cancel_reason").input("Commande annulée")
    at.button(key="cancel_confirm").click().run()
    assert reading.get_licence(actors["exportateur"], lic.id).status == Status.CANCELLED


def test_stale_page_gets_the_conflict_message(db_url: str, actors: dict[str, Actor]) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    drafting.add_country(actors["exportateur"], lic.id, lic.version, "FR")  # someone else
    _select(at, "Pays", "ES")
    at.button(key="country_add").click().run()
    assert any("modifiée entre-temps" in e.value for e in at.error)
    assert [c.code for c in reading.get_licence(actors["exportateur"], lic.id).countries] == [
        "FR"]


def test_other_companys_licence_is_not_found(db_url: str, actors: dict[str, Actor]) -> None:
    lic = drafting.create_licence(actors["exportateur2"], header())
    at = _open_draft(lic.id)
    assert not at.exception
    assert "Licence introuvable." in [e.value for e in at.error]
    assert len(at.button) == 1  # only the sidebar's logout


def test_submitted_licence_cannot_be_edited(db_url: str, actors: dict[str, Actor]) -> None:
    lic = complete_draft(actors["exportateur"])
    drafting.submit_for_visa(actors["exportateur"], lic.id, lic.version)
    at = _open_draft(lic.id)
    assert "Licence soumise pour visa MCE" in texts(at)
    for key in ("country_add", "invoice_open", "goods_open", "submit", "cancel_open"):
        assert at.button(key=key).disabled


def test_invoice_without_a_file_is_refused_next_to_the_uploader(
    db_url: str, actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    at.button(key="invoice_open").click().run()
    at.text_input(key="inv_amount").input("10")
    at.button(key="inv_add").click().run()
    assert not at.exception
    assert "Joignez la facture scannée (PDF)." in [e.value for e in at.error]
    assert at.text_input(key="inv_currency").value == "EUR"  # the dialog stays open
    assert reading.get_licence(actors["exportateur"], lic.id).invoices == ()


# ---------------------------------------------------------------- header saves (issue 8)
def _input(at: AppTest, label: str, value: str) -> None:
    next(t for t in at.text_input if t.label == label).input(value)


def _shown(at: AppTest, label: str) -> str:
    return str(next(t for t in at.text_input if t.label == label).value)


def _header_save(at: AppTest) -> None:
    """The *Sauvegarder* of the header (drawn above the sections, so the first of the two)."""
    next(b for b in at.button if b.label == "Sauvegarder").click().run()


def _bottom_save(at: AppTest) -> None:
    at.button(key="save_all").click().run()


def _successes(at: AppTest) -> list[str]:
    return [str(s.value) for s in at.success]


def _flat(node: object) -> list[object]:
    """The page's elements in drawing order."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    out: list[object] = []
    for index in sorted(children):
        out += _flat(children[index])
    return out


def test_bottom_sauvegarder_saves_the_header_shown(db_url: str, actors: dict[str, Actor]) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    _input(at, "Montant total", "9900,75")
    _bottom_save(at)
    assert not at.exception
    assert reading.get_licence(actors["exportateur"], lic.id).total_amount == Decimal("9900.75")
    assert any("sauvegardée" in s for s in _successes(at))


def test_bottom_sauvegarder_refused_stays_and_says_nothing_saved(
    db_url: str, actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    _input(at, "Montant total", "abc")
    _bottom_save(at)
    assert not at.exception
    assert not _successes(at)
    errors = [str(e.value) for e in at.error]
    assert any(e.startswith("Montant total :") for e in errors), errors
    assert lic.registration_number in texts(at)  # still on the licence's screen
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert after.total_amount == Decimal("12500.50") and after.version == lic.version


def test_header_saved_three_times_in_a_row_on_one_screen(
    db_url: str, actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    assert _shown(at, "Montant total") == "12500,50"  # French decimal comma, as typed
    for name in ("Destinataire A", "Destinataire B", "Destinataire C"):
        _input(at, "Destinataire (facultatif)", name)
        _header_save(at)
        assert not at.exception
        assert "En-tête de la licence sauvegardé." in _successes(at)
        assert reading.get_licence(actors["exportateur"], lic.id).recipient == name
        assert _shown(at, "Destinataire (facultatif)") == name
    # and the bottom Sauvegarder still carries the last edit
    _input(at, "Destinataire (facultatif)", "Destinataire D")
    _bottom_save(at)
    assert reading.get_licence(actors["exportateur"], lic.id).recipient == "Destinataire D"


def test_header_refused_amount_keeps_the_screen_and_changes_nothing(
    db_url: str, actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    _input(at, "Destinataire (facultatif)", "Autre destinataire")
    _input(at, "Montant total", "abc")
    _header_save(at)
    assert not at.exception
    assert not _successes(at)
    errors = [str(e.value) for e in at.error]
    assert any(e.startswith("Montant total :") for e in errors), errors
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert (after.recipient, after.total_amount, after.version) == (
        lic.recipient, lic.total_amount, lic.version)
    # the user's values stay on screen to be corrected, then the save goes through
    assert _shown(at, "Destinataire (facultatif)") == "Autre destinataire"
    _input(at, "Montant total", "100")
    _header_save(at)
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert (after.recipient, after.total_amount) == ("Autre destinataire", Decimal("100"))


def test_header_refusal_is_drawn_under_its_field(
    db_url: str, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)

    def refuse(*args: object, **kwargs: object) -> None:
        raise ValidationFailed({"currency": "Devise : refusée pour le test."})

    monkeypatch.setattr(drafting, "update_header", refuse)
    _select(at, "Devise", "USD")
    _header_save(at)
    assert not at.exception
    flat = _flat(at.main)
    devise = next(i for i, n in enumerate(flat) if getattr(n, "label", None) == "Devise")
    assert getattr(flat[devise + 1], "value", None) == "Devise : refusée pour le test."
    assert not _successes(at)


def test_currency_change_refused_while_invoices_exist(db_url: str, actors: dict[str, Actor]
                                                     ) -> None:
    lic = complete_draft(actors["exportateur"])
    at = _open_draft(lic.id)
    _select(at, "Devise", "USD")
    _header_save(at)
    assert not at.exception
    assert not _successes(at)
    flat = _flat(at.main)
    devise = next(i for i, n in enumerate(flat) if getattr(n, "label", None) == "Devise")
    assert getattr(flat[devise + 1], "type", None) == "error"
    assert reading.get_licence(actors["exportateur"], lic.id).currency == "EUR"


def test_concurrent_header_change_gets_the_conflict_message(
    db_url: str, actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    _input(at, "Montant total", "777")
    at.run()  # the edit reaches the app (a rerun) before someone else saves
    drafting.update_header(actors["exportateur"], lic.id, lic.version,
                           header(recipient="Changé ailleurs"))
    _header_save(at)
    assert not at.exception
    assert any("modifiée entre-temps" in str(e.value) for e in at.error)
    assert not _successes(at)
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert (after.recipient, after.total_amount) == ("Changé ailleurs", Decimal("12500.50"))
    # the header now shows what is stored; the user redoes the edit and it saves
    assert _shown(at, "Destinataire (facultatif)") == "Changé ailleurs"
    _input(at, "Montant total", "777")
    _header_save(at)
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert (after.recipient, after.total_amount) == ("Changé ailleurs", Decimal("777"))


def test_concurrent_change_elsewhere_also_conflicts_then_keeps_the_edit(
    db_url: str, actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    drafting.add_country(actors["exportateur"], lic.id, lic.version, "FR")  # someone else
    _input(at, "Destinataire (facultatif)", "Mon destinataire")
    _bottom_save(at)
    assert any("modifiée entre-temps" in str(e.value) for e in at.error)
    assert not _successes(at)
    assert reading.get_licence(actors["exportateur"], lic.id).recipient == lic.recipient
    # the header was not touched by the other change: the edit is still there, saved next time
    assert _shown(at, "Destinataire (facultatif)") == "Mon destinataire"
    _bottom_save(at)
    assert reading.get_licence(actors["exportateur"], lic.id).recipient == "Mon destinataire"


def test_own_section_changes_do_not_block_the_header(db_url: str, actors: dict[str, Actor]
                                                    ) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = _open_draft(lic.id)
    _input(at, "Destinataire (facultatif)", "Avant le pays")
    _select(at, "Pays", "ES")
    at.button(key="country_add").click().run()
    assert "Espagne (ES)" in texts(at)
    assert _shown(at, "Destinataire (facultatif)") == "Avant le pays"  # pending edit kept
    _header_save(at)
    assert "En-tête de la licence sauvegardé." in _successes(at)
    assert reading.get_licence(actors["exportateur"], lic.id).recipient == "Avant le pays"


def test_submit_refused_while_header_edits_are_not_saved(db_url: str, actors: dict[str, Actor]
                                                        ) -> None:
    lic = complete_draft(actors["exportateur"])
    at = _open_draft(lic.id)
    _input(at, "Destinataire (facultatif)", "Pas encore sauvegardé")
    at.button(key="submit").click().run()
    assert not at.exception
    assert any("modifications non sauvegardées" in str(e.value) for e in at.error)
    assert not _successes(at)
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert (after.status, after.recipient) == (Status.DRAFT, lic.recipient)
    # saved first, then submitted
    _header_save(at)
    at.button(key="submit").click().run()
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert (after.status, after.recipient) == (Status.SUBMITTED, "Pas encore sauvegardé")


def test_the_exporter_compares_a_modified_draft_with_the_visaed_revision(
    db_url: str, actors: dict[str, Actor]
) -> None:
    exp = actors["exportateur"]
    lic = complete_draft(exp)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    lic = decisions.grant_visa(actors["mce"], lic.id, lic.version, "V-CMP-1")
    at = _open_draft(lic.id)
    assert not [e for e in at.expander if e.label.startswith("Comparer")]  # revision 0
    lic = drafting.request_modification(exp, lic.id, lic.version, "Montant revu")
    drafting.update_header(exp, lic.id, lic.version, header(total_amount="15000"))
    at = _open_draft(lic.id)
    (compare,) = [e for e in at.expander if e.label.startswith("Comparer avec la révision visée")]
    assert "visa V-CMP-1" in compare.label and "1 différence(s)" in compare.label
    rows = next(t.value for t in at.table if "Révision 0 (visée)" in t.value.columns)
    assert list(rows["Champ"]) == ["Montant total"]
