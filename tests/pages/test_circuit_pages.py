"""The counterparties' screens through their widgets: Visa MCE, Imputation douanière,
Rapatriement et apurement. Each is refused to the other roles; each decision goes through one
core service; a refusal shows core's French message and changes nothing in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from streamlit.testing.v1 import AppTest

from core import access, circuit, decisions, drafting, reading
from core.database import read_session, write_session
from core.files import tiny_pdf
from core.lifecycle import Status
from core.models import Imputation, Licence, Repatriation, StoredFile
from core.records import Actor, LicenceDetail
from tests.conftest import complete_draft, visaed
from tests.pages.login import app, texts

MCE = "pages/4_Visa_MCE.py"
CUSTOMS = "pages/5_Imputation_Douaniere.py"
BANK = "pages/6_Rapatriement_et_Apurement.py"
TODAY = dt.date.today()


def db_row(licence_id: int) -> dict[str, Any]:
    with read_session() as s:
        lic = s.get(Licence, licence_id)
        assert lic is not None
        return {"status": Status(lic.status), "version": lic.version,
                "visa_number": lic.visa_number, "validity_end": lic.validity_end,
                "refusal_reason": lic.refusal_reason, "correction_reason": lic.correction_reason}


def count(model: type) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def frame(at: AppTest, column: str) -> pd.DataFrame:
    """The table (st.dataframe or st.table) that has `column`."""
    return next(t.value for t in [*at.dataframe, *at.table] if column in t.value.columns)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def dialog(at: AppTest) -> Any:
    found = at.get("dialog")
    return found[0] if found else None


def widget(at: AppTest, kind: str, key_prefix: str) -> Any:
    """A widget whose key starts with `key_prefix` (form keys carry the licence's version)."""
    found = [w for w in at.get(kind) if (w.key or "").startswith(key_prefix)]
    assert len(found) == 1, f"{kind} {key_prefix}: {[w.key for w in at.get(kind)]}"
    return found[0]


def submitted(actors: dict[str, Actor], who: str = "exportateur") -> LicenceDetail:
    lic = complete_draft(actors[who])
    return drafting.submit_for_visa(actors[who], lic.id, lic.version)


# ------------------------------------------------------------------ guard
@pytest.mark.parametrize(
    ("page", "owner"), [(MCE, "mce"), (CUSTOMS, "douane"), (BANK, "banque")]
)
def test_each_screen_is_refused_to_the_other_roles(db_url: str, page: str, owner: str) -> None:
    for user in ("exportateur", "mce", "douane", "banque", "analyste", "admin"):
        at = app(page, user).run()
        assert not at.exception
        if user == owner:
            assert "Cet écran n'est pas ouvert à votre profil." not in texts(at)
        else:
            assert "Cet écran n'est pas ouvert à votre profil." in texts(at), user
            assert len(at.dataframe) == 0 and len(at.selectbox) == 0 and len(at.text_input) == 0


# ------------------------------------------------------------------ Visa MCE
def open_mce(licence: LicenceDetail, button: str) -> AppTest:
    at = app(MCE, "mce").run()
    assert not at.exception
    at.selectbox(key="mce_choice").set_value(licence.id).run()
    at.button(key=f"mce_{button}_open").click().run()
    assert not at.exception and dialog(at) is not None
    return at


def test_queue_oldest_first_with_waiting_time(actors: dict[str, Actor]) -> None:
    young, old = submitted(actors), submitted(actors, "exportateur2")
    complete_draft(actors["exportateur"])  # drafts never reach the Ministry
    with write_session() as s:
        s.execute(text("UPDATE licences SET submitted_at = :t WHERE id = :i"),
                  {"t": dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=50),
                   "i": old.id})
    at = app(MCE, "mce").run()
    assert not at.exception
    queue = frame(at, "En attente depuis")
    assert list(queue["N° d'enregistrement"]) == [old.registration_number,
                                                  young.registration_number]
    assert list(queue["Exportateur"]) == ["Souss Textile Export SA", "Atlas Agrumes SARL"]
    assert list(queue["En attente depuis"]) == ["2 j 2 h", "moins d'une heure"]
    assert list(queue["Montant"]) == ["12\u202f500,50\u00a0EUR"] * 2
    # the first in the queue is chosen, with its full detail
    assert at.selectbox(key="mce_choice").value == old.id
    assert old.registration_number in texts(at) and "Marchandises" in texts(at)


def test_grant_the_visa_through_the_dialog(actors: dict[str, Actor]) -> None:
    lic = submitted(actors)
    at = open_mce(lic, "visa")
    number = at.text_input(key=f"mce_visa_number_{lic.id}")
    assert number.value == circuit.suggested_visa_number(lic.registration_number)
    end = at.date_input(key=f"mce_visa_end_{lic.id}")
    assert end.value == decisions.default_validity_end(access.today())
    number.input("V-2026-777")
    end.set_value(TODAY + dt.timedelta(days=90))
    at.button(key="mce_visa_confirm").click().run()
    assert not at.exception
    row = db_row(lic.id)
    assert (row["status"], row["visa_number"], row["validity_end"]) == (
        Status.VISAED, "V-2026-777", TODAY + dt.timedelta(days=90))
    assert dialog(at) is None
    assert f"Visa accordé à la licence {lic.registration_number} (visa n° V-2026-777)." in [
        s.value for s in at.success]
    assert "Aucune licence n'attend le visa MCE." in texts(at)


def test_refusal_needs_a_reason(actors: dict[str, Actor]) -> None:
    lic = submitted(actors)
    before = db_row(lic.id)
    at = open_mce(lic, "refuse")
    at.button(key="mce_refuse_confirm").click().run()
    assert not at.exception
    assert "Motif du refus : champ obligatoire." in errors(at)
    assert dialog(at) is not None and db_row(lic.id) == before
    at.text_area(key=f"mce_refuse_reason_{lic.id}").input("Pièces insuffisantes")
    at.button(key="mce_refuse_confirm").click().run()
    row = db_row(lic.id)
    assert (row["status"], row["refusal_reason"]) == (Status.REFUSED, "Pièces insuffisantes")


def test_send_back_returns_the_licence_to_the_exporter_with_the_reason(
    actors: dict[str, Actor]
) -> None:
    lic = submitted(actors)
    at = open_mce(lic, "send_back")
    at.text_area(key=f"mce_send_back_reason_{lic.id}").input("Facture illisible")
    at.button(key="mce_send_back_confirm").click().run()
    assert not at.exception
    row = db_row(lic.id)
    assert (row["status"], row["correction_reason"]) == (Status.DRAFT, "Facture illisible")
    exporter = app("pages/1_Nouvelle_Licence.py", "exportateur", id=str(lic.id)).run()
    assert "Renvoyée pour correction par le MCE : Facture illisible" in texts(exporter)


def test_a_licence_decided_meanwhile_is_not_decided_twice(actors: dict[str, Actor]) -> None:
    lic = submitted(actors)
    at = open_mce(lic, "visa")
    decisions.refuse_visa(actors["mce"], lic.id, lic.version, "décidé ailleurs")  # another agent
    at.button(key="mce_visa_confirm").click().run()
    assert not at.exception
    assert ("Opération « Visa MCE accordé » impossible : la licence est « Refusée »."
            in errors(at))
    assert dialog(at) is not None
    row = db_row(lic.id)
    assert (row["status"], row["visa_number"]) == (Status.REFUSED, None)


def test_history_of_decisions_with_search(actors: dict[str, Actor]) -> None:
    a, b = submitted(actors), submitted(actors)
    decisions.grant_visa(actors["mce"], a.id, a.version, "V-1")
    decisions.send_back(actors["mce"], b.id, b.version, "Incomplet")
    at = app(MCE, "mce")
    at.session_state["mce_tab"] = "Historique des décisions"
    at.run()
    assert not at.exception
    found = frame(at, "Décision")
    assert list(found["N° d'enregistrement"]) == [b.registration_number, a.registration_number]
    assert list(found["Décision"]) == ["Renvoi pour correction", "Visa MCE accordé"]
    assert list(found["Statut actuel"]) == ["Brouillon", "Visée"]
    at.selectbox(key="mce_dec_decision").set_value("ACCORDER_VISA")
    at.button(key="mce_dec_search_button").click().run()
    assert list(frame(at, "Décision")["N° d'enregistrement"]) == [a.registration_number]
    at.date_input(key="mce_dec_from").set_value(TODAY)
    at.date_input(key="mce_dec_to").set_value(TODAY - dt.timedelta(days=3))
    at.button(key="mce_dec_search_button").click().run()
    assert "Date de décision : la fin précède le début." in errors(at)
    assert list(frame(at, "Décision")["N° d'enregistrement"]) == [a.registration_number]


# ------------------------------------------------------------------ Imputation douanière
def open_customs(licence: LicenceDetail) -> AppTest:
    at = app(CUSTOMS, "douane").run()
    assert not at.exception
    at.selectbox(key="douane_choice").set_value(licence.id).run()
    return at


def declare(at: AppTest, ref: str, lines: dict[int, tuple[str, str]]) -> None:
    widget(at, "text_input", "imp_ref_").input(ref)
    for gid, (qty, value) in lines.items():
        widget(at, "text_input", f"imp_qty_{gid}_").input(qty)
        widget(at, "text_input", f"imp_val_{gid}_").input(value)
    at.button(key="imp_submit").click().run()
    assert not at.exception


def test_impute_part_then_the_rest(actors: dict[str, Actor]) -> None:
    lic = visaed(actors, lines=2, quantity="10")
    g1, g2 = lic.goods
    at = open_customs(lic)
    balance = frame(at, "Quantité restante")
    assert list(balance["Quantité licenciée"]) == ["10", "10"]
    assert list(balance["Quantité restante"]) == ["10", "10"]
    declare(at, "dum-1", {g1.id: ("4", "400"), g2.id: ("10", "1000,50")})
    assert db_row(lic.id)["status"] == Status.PARTIALLY_IMPUTED
    assert any("« Imputée partiellement »" in s.value for s in at.success)
    balance = frame(at, "Quantité restante")
    assert list(balance["Quantité imputée"]) == ["4", "10"]
    assert list(balance["Quantité restante"]) == ["6", "0"]
    assert list(balance["Valeur imputée (EUR)"]) == ["400,00", "1\u202f000,50"]
    assert widget(at, "text_input", f"imp_qty_{g2.id}_").disabled  # nothing left on line 2
    assert widget(at, "text_input", "imp_ref_").value == ""  # a fresh form
    declare(at, "DUM-2", {g1.id: ("6", "600")})
    assert db_row(lic.id)["status"] == Status.FULLY_IMPUTED
    detail = reading.get_licence(actors["douane"], lic.id)
    assert [i.declaration_ref for i in detail.imputations] == ["DUM-1", "DUM-2"]
    assert "Aucune licence visée à imputer." in texts(at)


def test_over_quantity_is_refused_next_to_the_line(actors: dict[str, Actor]) -> None:
    lic = visaed(actors, quantity="10")
    before = db_row(lic.id)
    at = open_customs(lic)
    declare(at, "DUM-1", {lic.goods[0].id: ("10,001", "5")})
    assert "Ligne 1 : 10,001 dépasse le reste à imputer (10)." in errors(at)
    assert db_row(lic.id) == before and count(Imputation) == 0


def test_a_repeated_declaration_reference_is_refused(actors: dict[str, Actor]) -> None:
    lic = visaed(actors, quantity="10")
    line = lic.goods[0].id
    at = open_customs(lic)
    declare(at, "DUM-7", {line: ("2", "20")})
    after_first = db_row(lic.id)
    declare(at, "dum-7", {line: ("2", "20")})
    assert "La déclaration DUM-7 est déjà imputée sur cette licence." in errors(at)
    assert db_row(lic.id) == after_first and count(Imputation) == 1
    assert reading.get_licence(actors["douane"], lic.id).goods[0].imputed_quantity == 2


def test_an_imputation_made_meanwhile_is_counted_and_the_input_kept(
    actors: dict[str, Actor]
) -> None:
    lic = visaed(actors, quantity="10")
    line = lic.goods[0].id
    at = open_customs(lic)
    decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="DUM-8",
                    declaration_date=TODAY, customs_office=lic.customs_office,
                    lines={line: ("8", "80")})  # another officer, same licence
    declare(at, "DUM-9", {line: ("4", "40")})
    assert "Ligne 1 : 4 dépasse le reste à imputer (2)." in errors(at)
    assert widget(at, "text_input", "imp_ref_").value == "DUM-9"  # what was typed is kept
    assert list(frame(at, "Quantité restante")["Quantité restante"]) == ["2"]
    assert count(Imputation) == 1


def test_search_by_number_and_expired_licences_left_out(actors: dict[str, Actor]) -> None:
    a, b, gone = visaed(actors), visaed(actors), visaed(actors)
    with write_session() as s:
        s.execute(text("UPDATE licences SET validity_end = :d WHERE id = :i"),
                  {"d": TODAY - dt.timedelta(days=1), "i": gone.id})
    at = app(CUSTOMS, "douane").run()
    shown = list(frame(at, "Lignes ouvertes")["N° d'enregistrement"])
    assert shown == [a.registration_number, b.registration_number]
    at.text_input(key="douane_number").input(b.registration_number.lower())
    at.button(key="douane_search_button").click().run()
    assert list(frame(at, "Lignes ouvertes")["N° d'enregistrement"]) == [b.registration_number]
    at.text_input(key="douane_number").input(gone.registration_number)
    at.button(key="douane_search_button").click().run()
    assert f"Aucune licence visée à imputer pour « {gone.registration_number} »." in texts(at)
    assert db_row(gone.id)["status"] == Status.EXPIRED


# ------------------------------------------------------------------ Rapatriement et apurement
def imputed(actors: dict[str, Actor], value: str = "1000.10", *, total: bool = True
            ) -> LicenceDetail:
    lic = visaed(actors, quantity="10")
    return decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="D1",
                           declaration_date=TODAY, customs_office=lic.customs_office,
                           lines={lic.goods[0].id: ("10" if total else "5", value)})


def open_bank(licence: LicenceDetail) -> AppTest:
    at = app(BANK, "banque").run()
    assert not at.exception
    at.selectbox(key="banque_choice").set_value(licence.id).run()
    return at


def repatriate(at: AppTest, amount: str, ref: str, pdf: bytes | None) -> None:
    widget(at, "text_input", "rep_amount_").input(amount)
    widget(at, "text_input", "rep_ref_").input(ref)
    if pdf is not None:
        at.get("file_uploader")[0].upload("avis.pdf", pdf, "application/pdf")
    at.button(key="rep_submit").click().run()
    assert not at.exception


def test_repatriation_with_a_pdf_then_settlement(actors: dict[str, Actor]) -> None:
    lic = imputed(actors)
    at = open_bank(lic)
    listed = frame(at, "Reste dû")
    assert list(listed["Imputé"]) == ["1\u202f000,10\u00a0EUR"]
    assert list(listed["Reste dû"]) == ["1\u202f000,10\u00a0EUR"] and list(listed["Apurable"]) == [
        "Non"]
    assert at.button(key="settle").disabled
    assert "Rapatriement insuffisant" in texts(at)
    repatriate(at, "1000,10", "vir-2026-1", tiny_pdf(["Avis de rapatriement"]))
    detail = reading.get_licence(actors["banque"], lic.id)
    assert [(r.bank_reference, r.amount, r.file.file_name) for r in detail.repatriations] == [
        ("VIR-2026-1", Decimal("1000.10"), "avis.pdf")]
    assert list(frame(at, "Référence bancaire")["Référence bancaire"]) == ["VIR-2026-1"]
    assert list(frame(at, "Reste dû")["Apurable"]) == ["Oui"]
    assert not at.button(key="settle").disabled
    at.button(key="settle").click().run()
    assert not at.exception
    assert db_row(lic.id)["status"] == Status.SETTLED
    assert f"Licence {lic.registration_number} apurée." in [s.value for s in at.success]
    assert "Aucune licence imputée en attente d'apurement." in texts(at)


@pytest.mark.parametrize(
    ("amount", "pdf", "message"),
    [
        ("abc", tiny_pdf(["Avis"]), "Montant rapatrié : nombre attendu (ex. 1250,50)."),
        ("10", None, "Joignez l'avis de rapatriement (PDF)."),
        ("10", b"MZ not a pdf", "Seuls les documents PDF sont acceptés (contenu non PDF)."),
    ],
)
def test_a_bad_repatriation_is_refused_and_nothing_stored(
    actors: dict[str, Actor], amount: str, pdf: bytes | None, message: str
) -> None:
    lic = imputed(actors)
    before, files = db_row(lic.id), count(StoredFile)
    at = open_bank(lic)
    repatriate(at, amount, "VIR-1", pdf)
    assert message in errors(at)
    assert db_row(lic.id) == before and count(Repatriation) == 0 and count(StoredFile) == files


def test_partial_imputation_cannot_be_settled_before_its_validity_end(
    actors: dict[str, Actor]
) -> None:
    lic = imputed(actors, "50", total=False)
    decisions.record_repatriation(actors["banque"], lic.id, lic.version, amount="50",
                                 repatriation_date=TODAY, bank_reference="R1",
                                 file_name="avis.pdf", data=tiny_pdf(["Avis"]))
    at = open_bank(lic)
    assert at.button(key="settle").disabled
    assert "attend la fin de sa validité" in texts(at)
    assert list(frame(at, "Reste dû")["Reste dû"]) == ["0,00\u00a0EUR"]
    with write_session() as s:
        s.execute(text("UPDATE licences SET validity_end = :d WHERE id = :i"),
                  {"d": TODAY - dt.timedelta(days=1), "i": lic.id})
    at.run()
    assert not at.button(key="settle").disabled
    at.button(key="settle").click().run()
    assert db_row(lic.id)["status"] == Status.SETTLED


# ------------------------------------------------------------------ corrections
def test_customs_reverses_a_mistaken_imputation_with_a_reason(actors: dict[str, Actor]) -> None:
    lic = visaed(actors, lines=2, quantity="10")
    g1, g2 = lic.goods
    lic = decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="DUM-1",
                          declaration_date=TODAY, customs_office=lic.customs_office,
                          lines={g1.id: ("10", "900"), g2.id: ("10", "100")})
    assert lic.status == Status.FULLY_IMPUTED
    at = app(CUSTOMS, "douane")
    at.session_state["douane_tab"] = "Corriger une imputation"
    at.run()
    assert not at.exception
    assert "Aucune licence visée à imputer." not in texts(at)
    at.selectbox(key="douane_fix_choice").set_value(lic.id).run()
    assert list(frame(at, "Déclaration")["Déclaration"]) == ["DUM-1"]
    before = db_row(lic.id)
    at.button(key="reverse_submit").click().run()  # no reason: refused, nothing changes
    assert "Motif de l'annulation de l'imputation : champ obligatoire." in errors(at)
    assert db_row(lic.id) == before
    widget(at, "text_area", "reverse_reason_").input("Valeurs inversées entre les lignes")
    at.button(key="reverse_submit").click().run()
    assert not at.exception
    assert db_row(lic.id)["status"] == Status.VISAED
    assert any("annulée sur la licence" in s.value for s in at.success)
    detail = reading.get_licence(actors["douane"], lic.id)
    assert [g.remaining_quantity for g in detail.goods] == [10, 10]
    assert detail.imputations[0].reversal_reason == "Valeurs inversées entre les lignes"
    # back in the worklist to be imputed again
    at.session_state["douane_tab"] = "À imputer"
    at.run()
    assert lic.registration_number in list(frame(at, "Lignes ouvertes")["N° d'enregistrement"])


def test_the_bank_withdraws_a_proof_recorded_by_mistake(actors: dict[str, Actor]) -> None:
    lic = imputed(actors)
    lic = decisions.record_repatriation(actors["banque"], lic.id, lic.version, amount="1000.10",
                                       repatriation_date=TODAY, bank_reference="VIR-X",
                                       file_name="avis.pdf", data=tiny_pdf(["Avis"]))
    at = open_bank(lic)
    assert list(frame(at, "Reste dû")["Apurable"]) == ["Oui"]
    widget(at, "text_area", "withdraw_reason_").input("Virement d'un autre client")
    at.button(key="withdraw_submit").click().run()
    assert not at.exception
    assert list(frame(at, "Reste dû")["Apurable"]) == ["Non"]
    assert at.button(key="settle").disabled
    state = list(frame(at, "Référence bancaire")["État"])
    assert state[0].startswith("Retiré le ") and "Virement d'un autre client" in state[0]
    assert reading.get_licence(actors["banque"], lic.id).repatriated_amount == 0


def test_the_mce_compares_a_modified_licence_with_the_visaed_revision(
    actors: dict[str, Actor]
) -> None:
    exp = actors["exportateur"]
    lic = visaed(actors)
    lic = drafting.request_modification(exp, lic.id, lic.version, "Montant revu")
    header = {k: getattr(lic, k) for k in ("recipient", "category", "total_amount", "currency",
                                            "customs_regime", "customs_office", "payment_terms",
                                            "incoterm")}
    lic = drafting.update_header(exp, lic.id, lic.version, {**header, "total_amount": "13000"})
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    at = app(MCE, "mce").run()
    assert not at.exception
    assert list(frame(at, "Révision")["Révision"]) == ["1 (modifiée après visa)"]
    (compare,) = [e for e in at.expander if e.label.startswith("Comparer avec la révision visée")]
    assert "1 différence(s)" in compare.label
    shown = frame(at, "Révision 0 (visée)")
    assert list(shown["Champ"]) == ["Montant total"]
    assert [v.replace("\u202f", " ").replace("\u00a0", " ")
            for v in (shown["Révision 0 (visée)"][0], shown["Révision 1"][0])] == [
        "12 500,50 EUR", "13 000,00 EUR"]
    at.toggle(key=f"detail_{lic.id}_compare_all").set_value(True).run()
    assert len(frame(at, "Révision 0 (visée)")) > 10  # every field, the unchanged ones too
