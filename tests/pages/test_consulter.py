"""*Consulter des Licences d'Exportation* through its widgets: read-only, only actioned licences,
each role's visibility, the detail (every section, visa, imputations, repatriations), printing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import decisions, drafting
from core.files import tiny_pdf
from core.lifecycle import Status
from core.records import Actor, LicenceDetail
from tests.conftest import complete_draft, header, visaed
from tests.pages.login import app, texts

PAGE = "pages/3_Consulter_des_Licences.py"
WRITE_LABELS = {"Modifier", "Copier", "Soumettre pour visa", "Annuler la licence",
                "Demander la modification", "Sauvegarder"}


def results(at: AppTest) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if "N° d'enregistrement" in d.value.columns]
    assert len(found) == 1, "exactly one results table"
    return found[0]


def choose(at: AppTest, licence_id: int) -> None:
    """Pick a licence in « Licence » (its key changes with the rows shown)."""
    next(s for s in at.selectbox if s.label == "Licence").set_value(licence_id)


def numbers(at: AppTest) -> set[str]:
    return set(results(at)["N° d'enregistrement"])


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The table (of the detail, of a dialog) that has `column`."""
    return next(t.value for t in [*at.table, *at.dataframe] if column in t.value.columns)


def downloads(at: AppTest) -> list[str]:
    return [b.label for b in at.get("download_button")]


def world(actors: dict[str, Actor]) -> dict[str, LicenceDetail]:
    """Drafts and actioned licences of two companies."""
    exp, exp2 = actors["exportateur"], actors["exportateur2"]
    a_draft = drafting.create_licence(exp, header())
    a = complete_draft(exp)
    a_sub = drafting.submit_for_visa(exp, a.id, a.version)
    a_visa = visaed(actors)
    b_draft = drafting.create_licence(exp2, header())
    b = complete_draft(exp2)
    b_sub = drafting.submit_for_visa(exp2, b.id, b.version)
    return {"a_draft": a_draft, "a_sub": a_sub, "a_visa": a_visa, "b_draft": b_draft,
            "b_sub": b_sub}


def open_detail(licence: LicenceDetail, user: str) -> AppTest:
    at = app(PAGE, user).run()
    choose(at, licence.id)
    at.button(key="consulter_detail").click().run()
    assert not at.exception
    return at


def test_unauthenticated_visit_shows_only_the_login(db_url: str) -> None:
    at = app(PAGE).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Nom d'utilisateur", "Mot de passe"]
    assert len(at.dataframe) == 0
    assert "Consulter des Licences d'Exportation</h1>" not in texts(at)


def test_exporter_sees_its_actioned_licences_only(actors: dict[str, Actor]) -> None:
    w = world(actors)
    at = app(PAGE, "exportateur").run()
    assert not at.exception
    assert numbers(at) == {w["a_sub"].registration_number, w["a_visa"].registration_number}
    assert "Brouillon" not in set(results(at)["Statut"])
    assert "Société" not in results(at).columns
    assert not WRITE_LABELS & {b.label for b in at.button}
    assert Status.DRAFT not in at.multiselect(key="consulter_f_statuses").options
    assert "Brouillon" not in at.multiselect(key="consulter_f_statuses").options


def test_analyst_sees_actioned_licences_of_every_company(actors: dict[str, Actor]) -> None:
    w = world(actors)
    at = app(PAGE, "analyste").run()
    assert not at.exception
    assert numbers(at) == {w["a_sub"].registration_number, w["a_visa"].registration_number,
                           w["b_sub"].registration_number}
    assert set(results(at)["Société"]) == {w["a_sub"].company_name, w["b_sub"].company_name}
    assert "Page 1 / 1 — 3 licences" in texts(at)


def test_search_by_status(actors: dict[str, Actor]) -> None:
    w = world(actors)
    at = app(PAGE, "analyste").run()
    at.multiselect(key="consulter_f_statuses").set_value([Status.VISAED])
    at.button(key="consulter_search_button").click().run()
    assert not at.exception
    assert numbers(at) == {w["a_visa"].registration_number}


def test_detail_shows_every_section_the_visa_and_printing(actors: dict[str, Actor]) -> None:
    lic = visaed(actors, lines=2)
    at = open_detail(lic, "exportateur")
    shown = texts(at)
    assert lic.registration_number in shown
    assert lic.visa_number and lic.visa_number in shown  # the visa number
    goods = table(at, "Désignation commerciale")
    assert list(goods["Désignation commerciale"]) == ["Clémentines lot 1", "Clémentines lot 2"]
    assert list(goods["Quantité restante"]) == ["100", "100"]
    assert "France (FR)" in shown
    assert list(table(at, "Fichier")["Montant"]) == ["12\u202f500,50\u00a0EUR"]
    for label in ("Fruits d'Europe GmbH", "12\u202f500,50\u00a0EUR", "FOB"):
        assert label in shown
    assert {"Imprimer", "Imprimer Vide", "facture.pdf"} <= set(downloads(at))
    assert len(results_tables(at)) == 0  # the detail replaces the list
    at.button(key="consulter_back").click().run()
    assert lic.registration_number in numbers(at)


def results_tables(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if "N° d'enregistrement" in d.value.columns]


def test_detail_shows_imputations_remaining_quantities_and_repatriations(
    actors: dict[str, Actor]
) -> None:
    lic = visaed(actors, quantity="10", lines=2)
    g1, g2 = lic.goods
    lic = decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="DUM-77",
                          declaration_date=dt.datetime.now(dt.UTC).date(),
                          customs_office=lic.customs_office,
                          lines={g1.id: ("4", "400.10"), g2.id: ("10", "1000")})
    lic = decisions.record_repatriation(
        actors["banque"], lic.id, lic.version, amount="500", bank_reference="BQ-REF-9",
        repatriation_date=dt.datetime.now(dt.UTC).date(), file_name="avis.pdf",
        data=tiny_pdf(["Avis de crédit"]))
    at = open_detail(lic, "analyste")
    goods = table(at, "Désignation commerciale")
    assert list(goods["Quantité imputée"]) == ["4", "10"]
    assert list(goods["Quantité restante"]) == ["6", "0"]
    imputations = table(at, "Déclaration")
    assert list(imputations["Déclaration"]) == ["DUM-77", "DUM-77"]
    repatriations = table(at, "Référence bancaire")
    assert list(repatriations["Référence bancaire"]) == ["BQ-REF-9"]
    assert "avis.pdf" in downloads(at)
    assert "Imputée partiellement" in texts(at)


def test_detail_by_link_and_licences_out_of_sight(actors: dict[str, Actor]) -> None:
    w = world(actors)
    at = app(PAGE, "exportateur", id=str(w["a_visa"].id)).run()
    assert not at.exception
    assert str(w["a_visa"].visa_number) in texts(at)
    for hidden in ("b_sub", "b_draft"):  # another company's: same answer as a missing one
        at = app(PAGE, "exportateur", id=str(w[hidden].id)).run()
        assert not at.exception
        assert "Licence introuvable." in texts(at)
        assert w[hidden].registration_number not in texts(at)
        assert "Imprimer" not in downloads(at)
    at = app(PAGE, "exportateur", id=str(w["a_draft"].id)).run()  # its own, not submitted
    assert "pas encore été soumise" in texts(at)
    assert "Imprimer" not in downloads(at)
    at = app(PAGE, "analyste", id="pas-un-nombre").run()
    assert not at.exception
    assert "Licence introuvable." in texts(at)


def test_history_from_the_list(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    at = app(PAGE, "mce").run()
    choose(at, lic.id)
    at.button(key="consulter_history").click().run()
    assert not at.exception
    history = table(at, "Action")
    assert list(history["Action"])[-1] == "Visa MCE accordé"
    assert "Exporter" in downloads(at)


def test_blank_form_is_offered_on_the_list(db_url: str) -> None:
    at = app(PAGE, "douane").run()
    assert not at.exception
    assert "Aucune licence ne correspond à la recherche." in texts(at)
    assert "Imprimer Vide" in downloads(at)
