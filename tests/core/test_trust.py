"""Licence data you can trust: the currency frozen by invoices, the imputed value bounded, mistaken
imputations and repatriation proofs reversed with a reason, unique visa numbers, no event for an
edit that changes nothing, a field-by-field history and the comparison of revisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core import decisions, drafting, reading
from core.database import read_session, write_session
from core.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from core.lifecycle import Action, Status
from core.models import HistoryChange, HistoryEvent, Licence
from core.records import Actor, FieldChange, LicenceDetail
from tests.conftest import complete_draft, header, visaed

TODAY = dt.date.today()


def plain(value: str) -> str:
    """Spaces of French notation (no-break, narrow no-break) as plain spaces."""
    return value.replace("\u202f", " ").replace("\u00a0", " ")


def changes_of(rows: list[FieldChange]) -> list[tuple[str, str, str]]:
    return [(c.label, plain(c.old), plain(c.new)) for c in rows]


def event_count(licence_id: int) -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(HistoryEvent)
                              .where(HistoryEvent.licence_id == licence_id)) or 0


def stored(licence_id: int) -> Licence:
    with read_session() as session:
        lic = session.get(Licence, licence_id)
        assert lic is not None
        session.expunge(lic)
        return lic


def _impute(actors: dict[str, Actor], lic: LicenceDetail, ref: str,
            lines: dict[int, tuple[str, str]]) -> LicenceDetail:
    return decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref=ref,
                           declaration_date=TODAY, customs_office=lic.customs_office, lines=lines)


# ------------------------------------------------------------------ 2. currency frozen
def test_currency_is_frozen_while_invoices_exist(actors: dict[str, Actor], pdf: bytes) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header(total_amount="6000"))
    lic = drafting.add_invoice(exp, lic.id, lic.version, "6000", TODAY, "f.pdf", pdf)
    with pytest.raises(ValidationFailed) as refused:
        drafting.update_header(exp, lic.id, lic.version, header(total_amount="6000",
                                                                 currency="USD"))
    assert "Retirez d'abord les factures" in refused.value.errors["currency"]
    after = stored(lic.id)
    assert (after.currency, after.version) == ("EUR", lic.version)
    # once the invoices are gone the currency may change
    lic = drafting.remove_invoice(exp, lic.id, lic.version, lic.invoices[0].id)
    lic = drafting.update_header(exp, lic.id, lic.version, header(total_amount="6000",
                                                                   currency="USD"))
    assert stored(lic.id).currency == "USD"


# ------------------------------------------------------------------ 3. imputed value bounded
def test_imputed_value_cannot_exceed_the_licence_amount(actors: dict[str, Actor]) -> None:
    lic = visaed(actors, lines=2)  # 12 500,50 EUR, 2 lines of 100
    g1, g2 = lic.goods
    with pytest.raises(ValidationFailed) as refused:
        _impute(actors, lic, "D-1", {g1.id: ("10", "999999")})
    assert "dépasserait le montant total" in refused.value.errors["lines"]
    assert stored(lic.id).status == Status.VISAED
    assert reading.get_licence(actors["douane"], lic.id).imputed_value == 0
    lic = _impute(actors, lic, "D-1", {g1.id: ("100", "12000")})
    with pytest.raises(ValidationFailed, match="reste imputable 500,50"):
        _impute(actors, lic, "D-2", {g2.id: ("100", "600")})
    lic = _impute(actors, lic, "D-2", {g2.id: ("100", "500.50")})  # exactly the total
    assert lic.status == Status.FULLY_IMPUTED and lic.imputed_value == Decimal("12500.50")


# ------------------------------------------------------------------ 3. reversal of imputations
def test_reverse_imputation_restores_quantities_and_status(actors: dict[str, Actor]) -> None:
    douane = actors["douane"]
    lic = visaed(actors, lines=2)
    g1, g2 = lic.goods
    lic = _impute(actors, lic, "D-1", {g1.id: ("100", "5000")})
    lic = _impute(actors, lic, "D-2", {g2.id: ("100", "5000")})
    assert lic.status == Status.FULLY_IMPUTED
    d1, d2 = lic.imputations
    with pytest.raises(ValidationFailed):  # the reason is mandatory
        decisions.reverse_imputation(douane, lic.id, lic.version, d2.id, "  ")
    with pytest.raises(NotAllowed):  # customs only
        decisions.reverse_imputation(actors["banque"], lic.id, lic.version, d2.id, "erreur")
    lic = decisions.reverse_imputation(douane, lic.id, lic.version, d2.id, "Valeur mal saisie")
    assert lic.status == Status.PARTIALLY_IMPUTED
    assert [g.remaining_quantity for g in lic.goods] == [0, 100]
    assert lic.imputed_value == Decimal("5000.00")
    assert lic.imputations[1].is_reversed and lic.imputations[1].reversed_by == "douane"
    assert lic.imputations[1].reversal_reason == "Valeur mal saisie"
    with pytest.raises(ValidationFailed, match="déjà annulée"):
        decisions.reverse_imputation(douane, lic.id, lic.version, d2.id, "encore")
    lic = decisions.reverse_imputation(douane, lic.id, lic.version, d1.id, "Mauvaise licence")
    assert lic.status == Status.VISAED and lic.imputed_value == 0
    assert [g.remaining_quantity for g in lic.goods] == [100, 100]
    # the same declaration can now be imputed again, correctly
    lic = _impute(actors, lic, "D-2", {g2.id: ("40", "2000")})
    assert lic.status == Status.PARTIALLY_IMPUTED and lic.imputed_value == Decimal("2000.00")
    rows = reading.history(actors["exportateur"], lic.id)
    reversals = [r for r in rows if r.action == Action.REVERSE_IMPUTATION]
    assert [(r.status_before, r.status_after) for r in reversals] == [
        (Status.FULLY_IMPUTED, Status.PARTIALLY_IMPUTED),
        (Status.PARTIALLY_IMPUTED, Status.VISAED)]
    first = changes_of(list(reversals[0].changes))
    assert ("Motif de l'annulation de l'imputation", "", "Valeur mal saisie") in first
    assert ("Marchandise 2 – Quantité imputée", "100", "0") in first
    assert ("Valeur imputée de la licence", "10 000,00 EUR", "5 000,00 EUR") in first


def test_reverse_imputation_of_another_licence_is_not_found(actors: dict[str, Actor]) -> None:
    a, b = visaed(actors), visaed(actors)
    a = _impute(actors, a, "D-A", {a.goods[0].id: ("10", "100")})
    b = _impute(actors, b, "D-B", {b.goods[0].id: ("10", "100")})
    with pytest.raises(NotFound):
        decisions.reverse_imputation(actors["douane"], b.id, b.version, a.imputations[0].id, "x")
    assert not reading.get_licence(actors["douane"], a.id).imputations[0].is_reversed


# ------------------------------------------------------------------ 3. withdrawal of proofs
def test_withdraw_repatriation_before_settlement(actors: dict[str, Actor], pdf: bytes) -> None:
    bank = actors["banque"]
    lic = visaed(actors)
    lic = _impute(actors, lic, "D-1", {lic.goods[0].id: ("100", "1000")})
    lic = decisions.record_repatriation(bank, lic.id, lic.version, amount="1000",
                                       repatriation_date=TODAY, bank_reference="R-1",
                                       file_name="r.pdf", data=pdf)
    with pytest.raises(ValidationFailed):
        decisions.withdraw_repatriation(bank, lic.id, lic.version, lic.repatriations[0].id, "")
    lic = decisions.withdraw_repatriation(bank, lic.id, lic.version, lic.repatriations[0].id,
                                         "Virement d'une autre licence")
    assert lic.repatriated_amount == 0 and lic.repatriations[0].is_withdrawn
    assert lic.status == Status.FULLY_IMPUTED
    with pytest.raises(NotAllowed, match="Rapatriement insuffisant"):
        decisions.settle(bank, lic.id, lic.version)
    lic = decisions.record_repatriation(bank, lic.id, lic.version, amount="1000",
                                       repatriation_date=TODAY, bank_reference="R-1",
                                       file_name="r.pdf", data=pdf)  # same reference, again
    lic = decisions.settle(bank, lic.id, lic.version)
    with pytest.raises(InvalidTransition):  # not after Apurée
        decisions.withdraw_repatriation(bank, lic.id, lic.version, lic.repatriations[1].id, "x")
    (event,) = [r for r in reading.history(bank, lic.id)
                if r.action == Action.WITHDRAW_REPATRIATION]
    assert ("Montant rapatrié", "1 000,00 EUR", "0,00 EUR") in changes_of(list(event.changes))


# ------------------------------------------------------------------ 4. unique visa numbers
def test_visa_numbers_are_unique(actors: dict[str, Actor]) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    a = drafting.submit_for_visa(exp, (d := complete_draft(exp)).id, d.version)
    b = drafting.submit_for_visa(exp, (d := complete_draft(exp)).id, d.version)
    decisions.grant_visa(mce, a.id, a.version, "V-2026-777")
    with pytest.raises(ValidationFailed) as refused:
        decisions.grant_visa(mce, b.id, b.version, "v-2026-777 ".upper())
    assert "déjà attribué" in refused.value.errors["visa_number"]
    assert stored(b.id).status == Status.SUBMITTED
    # the database refuses it too, whoever writes
    with pytest.raises(IntegrityError), write_session() as session:
        session.execute(text("UPDATE licences SET visa_number = 'V-2026-777' WHERE id = :i"),
                        {"i": b.id})


# ------------------------------------------------------------------ 5. no event when nothing changed
def test_saving_an_unchanged_header_writes_nothing(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    events = event_count(lic.id)
    same = drafting.update_header(exp, lic.id, lic.version, header(total_amount="12 500,50"))
    assert same.version == lic.version and event_count(lic.id) == events
    changed = drafting.update_header(exp, lic.id, lic.version, header(recipient="Autre GmbH"))
    assert changed.version == lic.version + 1 and event_count(lic.id) == events + 1


# ------------------------------------------------------------------ field-level history
def test_history_records_each_changed_field(actors: dict[str, Actor], pdf: bytes) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header(total_amount="10000"))
    lic = drafting.update_header(exp, lic.id, lic.version,
                                 header(total_amount="12500", recipient="Nordfrucht AG"))
    lic = drafting.add_country(exp, lic.id, lic.version, "DE")
    lic = drafting.add_invoice(exp, lic.id, lic.version, "12500", dt.date(2026, 1, 15),
                               "facture.pdf", pdf)
    rows = reading.history(exp, lic.id)
    create, edit, country, invoice = rows
    assert ("Montant total", "", "10 000,00 EUR") in changes_of(list(create.changes))
    assert changes_of(list(edit.changes)) == [
        ("Destinataire", "Fruits d'Europe GmbH", "Nordfrucht AG"),
        ("Montant total", "10 000,00 EUR", "12 500,00 EUR"),
    ]
    assert plain(edit.changes[1].text) == "Montant total : 10 000,00 EUR → 12 500,00 EUR"
    assert changes_of(list(country.changes)) == [("Pays de destination", "", "Allemagne (DE)")]
    assert changes_of(list(invoice.changes)) == [
        ("Facture – Montant", "", "12 500,00 EUR"), ("Facture – Date", "", "15/01/2026"),
        ("Facture – Fichier", "", "facture.pdf")]
    # stored in its own append-only table, one row per field, in the event's transaction
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(HistoryChange)
                              .join(HistoryEvent).where(HistoryEvent.licence_id == lic.id)) == (
            len(create.changes) + 2 + 1 + 3)


def test_a_refused_change_leaves_no_history(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    before = event_count(lic.id)
    with pytest.raises(ValidationFailed):
        drafting.update_header(exp, lic.id, lic.version, header(total_amount="-1"))
    assert event_count(lic.id) == before


def test_visa_and_goods_changes_are_recorded(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    rows = reading.history(actors["mce"], lic.id)
    visa = next(r for r in rows if r.action == Action.GRANT_VISA)
    labels = [c.label for c in visa.changes]
    assert labels == ["Numéro de visa", "Date du visa", "Fin de validité"]
    assert visa.changes[0].new == lic.visa_number
    goods = next(r for r in rows if r.changes and r.changes[0].label.startswith("Marchandise 1"))
    assert ("Marchandise 1 – Quantité", "", "100") in changes_of(list(goods.changes))


# ------------------------------------------------------------------ revisions compared
def test_new_revision_compared_with_the_visaed_one(actors: dict[str, Actor]) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    lic = visaed(actors)
    assert reading.compare_revisions(exp, lic) is None  # nothing to compare yet
    lic = drafting.request_modification(exp, lic.id, lic.version, "Quantité revue")
    lic = drafting.update_header(exp, lic.id, lic.version, header(total_amount="13000"))
    lic = drafting.add_goods_line(exp, lic.id, lic.version, designation="Oranges",
                                  origin_country="MA", quantity="5", net_weight="50",
                                  tariff_code=lic.goods[0].tariff_code)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    comparison = reading.compare_revisions(mce, reading.get_licence(mce, lic.id))
    assert comparison is not None
    assert (comparison.visaed_revision, comparison.current_revision) == (0, 1)
    changed = {(f.section, f.label): (plain(f.visaed), plain(f.current))
               for f in comparison.changed}
    assert changed[("Données de la licence", "Montant total")] == ("12 500,50 EUR",
                                                                   "13 000,00 EUR")
    assert changed[("Marchandises", "Marchandise 2 – Désignation commerciale")] == ("", "Oranges")
    assert ("Marchandises", "Marchandise 1 – Désignation commerciale") not in changed
    unchanged = [f for f in comparison.fields if not f.changed]
    assert any(f.label == "Devise" for f in unchanged)
    # the second visa keeps its own snapshot; the exporter sees the same comparison
    assert reading.compare_revisions(exp, lic) == comparison
    with pytest.raises(NotFound):  # another company's licence, whatever the detail claims
        reading.compare_revisions(actors["exportateur2"], lic)


def test_the_printed_licence_marks_reversed_records(actors: dict[str, Actor], pdf: bytes) -> None:
    import io
    import re

    import pypdf

    from core.exports.pdf import licence_pdf
    from core.text import fr_date

    lic = visaed(actors)
    lic = _impute(actors, lic, "DUM-ERR", {lic.goods[0].id: ("10", "999")})
    lic = decisions.reverse_imputation(actors["douane"], lic.id, lic.version,
                                      lic.imputations[0].id, "Mauvaise licence")
    lic = _impute(actors, lic, "DUM-OK", {lic.goods[0].id: ("10", "100")})
    reader = pypdf.PdfReader(io.BytesIO(licence_pdf(lic)))
    text = plain(re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages)))
    assert f"DUM-ERR (annulée le {fr_date(lic.imputations[0].reversed_at)})" in text
    assert "DUM-OK" in text and "DUM-OK (annulée" not in text
    assert "Total imputé 100,00 EUR" in text
