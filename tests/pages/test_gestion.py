"""*Gestion des Licences d'Exportation* through its widgets: who may open it, what the list shows,
search and paging, the history dialog, the operations of *Modifier*, *Copier*; refusals show
core's French message and change nothing in the database."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core import drafting, reading
from core.database import read_session
from core.lifecycle import Status
from core.models import Licence
from core.records import Actor, LicenceDetail
from tests.conftest import complete_draft, header, visaed
from tests.pages.login import app, texts

PAGE = "pages/2_Gestion_des_Licences.py"
LOCKED = "Aucune modification ne peut être apportée avant le retour du MCE"


def results(at: AppTest) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if "N° d'enregistrement" in d.value.columns]
    assert len(found) == 1, "exactly one results table"
    return found[0]


def choose(at: AppTest, licence_id: int) -> None:
    """Pick a licence in « Licence » (its key changes with the rows shown)."""
    next(s for s in at.selectbox if s.label == "Licence").set_value(licence_id)


def numbers(at: AppTest) -> list[str]:
    return list(results(at)["N° d'enregistrement"])


def row_of(licence_id: int) -> dict[str, Any]:
    with read_session() as s:
        lic = s.get(Licence, licence_id)
        assert lic is not None
        return {"status": Status(lic.status), "version": lic.version, "revision": lic.revision,
                "reason": lic.cancellation_reason}


def licence_count() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(Licence)) or 0


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def dialog(at: AppTest) -> Any:
    """The open dialog (a block of the AppTest tree), or None."""
    found = at.get("dialog")
    assert len(found) <= 1
    return found[0] if found else None


def dialog_texts(at: AppTest) -> str:
    box = dialog(at)
    assert box is not None, "a dialog is open"
    parts = [m.value for m in box.markdown] + [c.value for c in box.caption]
    for kind in ("error", "warning", "info", "success"):
        parts += [e.value for e in box.get(kind)]
    return "\n".join(str(p) for p in parts)


def dialog_buttons(at: AppTest) -> list[str]:
    box = dialog(at)
    return [b.label for b in box.button] if box is not None else []


def open_for(licence: LicenceDetail, button: str, user: str = "exportateur") -> AppTest:
    """Gestion as `user`, `licence` chosen in « Licence », then `button` clicked."""
    at = app(PAGE, user).run()
    assert not at.exception
    choose(at, licence.id)
    at.button(key=f"gestion_{button}").click().run()
    assert not at.exception
    return at


def test_unauthenticated_visit_shows_only_the_login(db_url: str) -> None:
    at = app(PAGE).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Nom d'utilisateur", "Mot de passe"]
    assert len(at.dataframe) == 0
    assert "Gestion des Licences d'Exportation</h1>" not in texts(at)


def test_mce_is_refused(db_url: str) -> None:
    at = app(PAGE, "mce").run()
    assert not at.exception
    assert "Cet écran n'est pas ouvert à votre profil." in texts(at)
    assert len(at.dataframe) == 0 and len(at.selectbox) == 0


def test_exporter_sees_the_latest_licences_of_its_company_only(
    actors: dict[str, Actor]
) -> None:
    own = [drafting.create_licence(actors["exportateur"], header()) for _ in range(2)]
    other = drafting.create_licence(actors["exportateur2"], header())
    at = app(PAGE, "exportateur").run()
    assert not at.exception
    assert "Gestion des Licences d'Exportation</h1>" in texts(at)
    assert numbers(at) == [own[1].registration_number, own[0].registration_number]
    assert other.registration_number not in texts(at)
    frame = results(at)
    assert list(frame["Statut"]) == ["Brouillon", "Brouillon"]
    assert list(frame["Montant total"]) == ["12\u202f500,50"] * 2
    assert "Page 1 / 1 — 2 licences" in texts(at)


def test_search_by_status_and_a_refused_filter(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    drafts = [drafting.create_licence(exp, header()) for _ in range(2)]
    lic = complete_draft(exp)
    submitted = drafting.submit_for_visa(exp, lic.id, lic.version)
    at = app(PAGE, "exportateur").run()
    assert len(numbers(at)) == 3
    at.multiselect(key="gestion_f_statuses").set_value([Status.SUBMITTED])
    at.button(key="gestion_search_button").click().run()
    assert not at.exception
    assert numbers(at) == [submitted.registration_number]
    assert "Page 1 / 1 — 1 licence" in texts(at)
    assert "1 filtre(s) actif(s)" in at.expander[-1].label

    at.text_input(key="gestion_f_amount_min").input("douze")
    at.button(key="gestion_search_button").click().run()
    assert "Montant min : nombre attendu" in texts(at)
    assert numbers(at) == [submitted.registration_number]  # the previous search stays

    at.button(key="gestion_reset_button").click().run()
    assert not at.exception
    assert at.multiselect(key="gestion_f_statuses").value == []
    assert at.text_input(key="gestion_f_amount_min").value == ""
    assert sorted(numbers(at)) == sorted(
        [d.registration_number for d in drafts] + [submitted.registration_number])


def test_the_search_survives_a_visit_to_another_screen(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    drafting.create_licence(exp, header())
    lic = complete_draft(exp)
    submitted = drafting.submit_for_visa(exp, lic.id, lic.version)
    at = app(PAGE, "exportateur").run()
    at.multiselect(key="gestion_f_statuses").set_value([Status.SUBMITTED])
    at.button(key="gestion_search_button").click().run()
    at.switch_page("Home.py").run()
    assert not at.exception
    at.switch_page(PAGE).run()
    assert not at.exception
    assert numbers(at) == [submitted.registration_number]
    assert at.multiselect(key="gestion_f_statuses").value == [Status.SUBMITTED]


def test_search_by_number_prefix_and_dates_out_of_order(actors: dict[str, Actor]) -> None:
    import datetime as dt

    lics = [drafting.create_licence(actors["exportateur"], header()) for _ in range(3)]
    at = app(PAGE, "exportateur").run()
    at.text_input(key="gestion_f_number").input(lics[1].registration_number)
    at.button(key="gestion_search_button").click().run()
    assert numbers(at) == [lics[1].registration_number]

    at.date_input(key="gestion_f_created_from").set_value(dt.date(2026, 3, 2))
    at.date_input(key="gestion_f_created_to").set_value(dt.date(2026, 3, 1))
    at.button(key="gestion_search_button").click().run()
    assert "Date de création : la fin précède le début." in texts(at)


def test_paging_beyond_ten(actors: dict[str, Actor]) -> None:
    lics = [drafting.create_licence(actors["exportateur"], header()) for _ in range(12)]
    at = app(PAGE, "exportateur").run()
    assert len(numbers(at)) == 10
    assert "Page 1 / 2 — 12 licences" in texts(at)
    assert at.button(key="gestion_prev").disabled
    at.button(key="gestion_next").click().run()
    assert not at.exception
    assert "Page 2 / 2 — 12 licences" in texts(at)
    assert numbers(at) == [lics[1].registration_number, lics[0].registration_number]
    assert at.button(key="gestion_next").disabled
    at.button(key="gestion_prev").click().run()
    assert numbers(at)[0] == lics[11].registration_number


def test_history_dialog_lists_every_event_and_offers_the_excel_export(
    actors: dict[str, Actor]
) -> None:
    exp = actors["exportateur"]
    lic = complete_draft(exp)
    drafting.submit_for_visa(exp, lic.id, lic.version)
    at = open_for(lic, "history")
    history = dialog(at).table[0].value
    assert list(history.columns) == ["Date (heure du Maroc)", "Utilisateur", "Action",
                                     "Statut avant → après", "Modifications", "Motif"]
    assert history["Action"].iloc[0] == "Création de la licence"
    # each changed field, readably: the goods line added, one field per line
    added = history["Modifications"].iloc[-2].replace("\u202f", " ").replace("\u00a0", " ")
    assert "Marchandise 1 – Quantité : 100 (ajout)" in added.split("\n")
    assert list(history["Action"])[-1] == "Soumission pour visa MCE"
    assert list(history["Statut avant → après"])[-1] == "Brouillon → Soumise pour visa MCE"
    assert len(history) == len(reading.history(exp, lic.id))
    assert [b.label for b in dialog(at).get("download_button")] == ["Exporter"]
    at.button(key="eld_dialog_gestion_history_close").click().run()
    assert dialog(at) is None


def test_history_shows_free_text_as_typed_never_as_markdown(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    hostile = "![x](http://example.invalid/x.png) [lien](data:text/html,x) *gras* $x$"
    lic = drafting.create_licence(exp, header(recipient=hostile))
    at = open_for(lic, "history")
    cell = dialog(at).table[0].value["Modifications"].iloc[0]
    # every Markdown marker escaped: the page shows the text, no image, link or formula
    assert "\\!\\[x\\](http://example.invalid/x.png)" in cell
    assert "\\[lien\\](data:text/html,x) \\*gras\\* \\$x\\$" in cell
    assert "![x]" not in cell


def test_cancel_needs_a_reason_then_cancels(actors: dict[str, Actor]) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    newer = drafting.create_licence(actors["exportateur"], header())
    at = open_for(lic, "modify")
    assert "Annuler la licence" in dialog_buttons(at)
    at.button(key="gestion_cancel_button").click().run()
    assert not at.exception
    assert "Motif de l'annulation : champ obligatoire." in dialog_texts(at)
    assert row_of(lic.id)["status"] == Status.DRAFT
    assert row_of(lic.id)["version"] == lic.version

    at.text_area(key="gestion_cancel_reason").input("Commande annulée par le client")
    at.button(key="gestion_cancel_button").click().run()
    assert not at.exception
    assert row_of(lic.id)["status"] == Status.CANCELLED
    assert row_of(lic.id)["reason"] == "Commande annulée par le client"
    assert f"Licence {lic.registration_number} annulée." in texts(at)
    assert dialog(at) is None
    assert list(results(at)["Statut"]) == ["Brouillon", "Annulée"]
    chooser = next(s for s in at.selectbox if s.label == "Licence")
    assert chooser.value == lic.id  # still the licence acted on, with its new status
    assert f"{lic.registration_number} — Annulée — Fruits d'Europe GmbH" in chooser.options
    assert row_of(newer.id)["status"] == Status.DRAFT


def test_submit_of_an_incomplete_draft_is_refused_with_cores_message(
    actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = open_for(lic, "modify")
    at.button(key="gestion_submit_button").click().run()
    assert not at.exception
    assert "Licence incomplète" in dialog_texts(at)
    assert row_of(lic.id) == {"status": Status.DRAFT, "version": lic.version, "revision": 0,
                              "reason": None}


def test_submit_of_a_complete_draft(actors: dict[str, Actor]) -> None:
    lic = complete_draft(actors["exportateur"])
    at = open_for(lic, "modify")
    at.button(key="gestion_submit_button").click().run()
    assert not at.exception
    assert row_of(lic.id)["status"] == Status.SUBMITTED
    assert f"Licence {lic.registration_number} soumise pour visa MCE." in texts(at)


def test_a_change_made_elsewhere_meanwhile_is_a_conflict(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = complete_draft(exp)
    at = open_for(lic, "modify")
    changed = drafting.update_header(exp, lic.id, lic.version, header(recipient="Autre"))
    at.button(key="gestion_submit_button").click().run()
    assert not at.exception
    assert "La licence a été modifiée entre-temps par un autre utilisateur." in dialog_texts(at)
    assert row_of(lic.id)["status"] == Status.DRAFT
    assert row_of(lic.id)["version"] == changed.version


def test_visaed_licence_offers_modification_request_and_cancel(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    at = open_for(lic, "modify")
    assert dialog_buttons(at) == ["Demander la modification", "Annuler la licence", "Fermer"]
    at.button(key="gestion_revise_button").click().run()
    assert "Motif de la modification : champ obligatoire." in dialog_texts(at)
    assert row_of(lic.id)["status"] == Status.VISAED
    at.text_area(key="gestion_revise_reason").input("Changement de destinataire")
    at.button(key="gestion_revise_button").click().run()
    assert not at.exception
    assert row_of(lic.id)["status"] == Status.DRAFT
    assert row_of(lic.id)["revision"] == 1


def test_submitted_licence_can_only_be_looked_at(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    draft = complete_draft(exp)
    at = open_for(draft, "modify")
    assert dialog_buttons(at) == ["Poursuivre la souscription", "Soumettre pour visa",
                                  "Annuler la licence", "Fermer"]

    submitted = drafting.submit_for_visa(exp, draft.id, draft.version)
    at = open_for(submitted, "modify")
    assert LOCKED in dialog_texts(at)
    assert dialog_buttons(at) == ["Fermer"]
    assert dialog(at).get("form") == []
    at.button(key="gestion_modify_close").click().run()
    assert dialog(at) is None
    assert LOCKED in texts(at)  # the reason stays visible next to the chosen licence


def test_continue_the_draft_opens_the_draft_screen_and_closes_the_dialog(
    actors: dict[str, Actor]
) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    at = open_for(lic, "modify")
    at.button(key="gestion_edit_button").click().run()
    assert not at.exception
    assert at.query_params.get("id") in (str(lic.id), [str(lic.id)])
    assert "Nouvelle Licence d'Exportation</h1>" in texts(at)
    assert "eld_dialog_gestion" not in at.session_state


def test_copy_creates_a_new_draft_and_opens_it(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    before = licence_count()
    at = open_for(lic, "copy")
    assert licence_count() == before + 1
    with read_session() as s:
        new = s.scalars(select(Licence).order_by(Licence.id.desc())).first()
        assert new is not None
        assert new.copied_from_id == lic.id and new.status == Status.DRAFT
        new_id, new_number = new.id, new.registration_number
    assert at.query_params.get("id") in (str(new_id), [str(new_id)])
    assert new_number in texts(at)
