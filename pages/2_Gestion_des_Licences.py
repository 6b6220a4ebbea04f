"""Gestion des Licences d'Exportation (guide IV): the company's 10 latest licences, the search
form, and per licence *Historique*, *Modifier* (what the status allows) and *Copier*."""

from collections.abc import Callable

import streamlit as st

from core import services
from core.lifecycle import Action, Role, Status, allowed_actions
from ui import format as fmt
from ui import licence_view as lv
from ui import search as ls
from ui.forms import call, clear, field_error, flash, other_errors, show_flash
from ui.layout import page

actor = page("Gestion des Licences d'Exportation", {Role.EXPORTER}, help_key="manage")

P = "gestion"
DIALOG = "eld_dialog_gestion"
ACTION_FORMS = (f"{P}_submit", f"{P}_revise", f"{P}_cancel")
LOCKED = ("Aucune modification ne peut être apportée avant le retour du MCE ; "
          "l'historique reste consultable.")

show_flash()
ls.search_form(P, actor, actioned_only=False)
result = ls.results(P, actor, actioned_only=False)
ls.results_table(P, result, with_company=False)
if result.rows:
    pick, a, b, c = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
    with pick:
        row = ls.choose_licence(P, result)
    with a:
        if st.button("Historique", icon=":material/history:", key=f"{P}_history",
                     width="stretch"):
            lv.open_dialog(DIALOG, "history", row)
            st.rerun()
    with b:
        if st.button("Modifier", icon=":material/edit:", key=f"{P}_modify", width="stretch"):
            for form in ACTION_FORMS:
                clear(form)
            lv.open_dialog(DIALOG, "modify", row)
            st.rerun()
    with c:
        if st.button("Copier", icon=":material/content_copy:", key=f"{P}_copy",
                     width="stretch", help="Copier dans une nouvelle licence (brouillon)"):
            new = call(f"{P}_copy", lambda: services.copy_licence(actor, row.id), rerun=False)
            if new is not None:
                flash(f"Licence {row.registration_number} copiée dans la nouvelle licence "
                      f"{new.registration_number} (brouillon).", next_page=True)
                lv.open_draft(new.id)
            st.rerun()
    other_errors(f"{P}_copy", set())
    if row.status == Status.SUBMITTED:
        st.info(LOCKED, icon=":material/lock:")
    xlsx, csv, _ = st.columns([1, 1, 4])
    with xlsx:
        ls.export_button(P, actor, result, "xlsx", actioned_only=False)
    with csv:
        ls.export_button(P, actor, result, "csv", actioned_only=False)
lv.history_dialog(actor, DIALOG)


def act(form: str, fn: Callable[[], object], success: str) -> None:
    """One service call from the *Modifier* dialog: closes it on success, keeps the error."""
    if call(form, fn, success, rerun=False) is not None:
        lv.close_dialog(DIALOG)
    st.rerun()


def reason_form(form: str, label: str, button: str, fn: Callable[[str], object],
                success: str) -> None:
    with st.form(form, border=True):
        reason = st.text_area(label, key=f"{form}_reason", max_chars=1000, height=90)
        field_error(form, "reason")
        if st.form_submit_button(button, key=f"{form}_button"):
            act(form, lambda: fn(reason), success)
    other_errors(form, {"reason"})


def modify_body() -> None:
    assert modify is not None
    lid, version, number = modify["id"], modify["version"], modify["number"]
    d = lv.read(lambda: services.get_licence(actor, lid))
    if d is not None:
        st.markdown(f"Statut actuel : {fmt.badge(d.status)}", unsafe_allow_html=True)
        actions = [x for x in allowed_actions(d.status, actor.role) if x != Action.COPY]
        if d.status == Status.SUBMITTED:
            st.info(LOCKED, icon=":material/lock:")
        elif not actions:
            st.info(f"Aucune modification n'est possible pour une licence « {d.status.label} ». "
                    "Elle reste consultable et peut être copiée dans une nouvelle licence.")
        if Action.EDIT in actions:
            st.markdown("**Souscription de la licence**")
            if st.button("Poursuivre la souscription", key=f"{P}_edit_button",
                         icon=":material/edit_note:", disabled=not lv.draft_page_ready()):
                lv.close_dialog(DIALOG)
                lv.open_draft(lid)
        if Action.SUBMIT in actions:
            st.markdown("**Demande de visa MCE**")
            for text in d.missing:
                st.caption(f"À compléter : {text}")
            if st.button("Soumettre pour visa", key=f"{P}_submit_button", icon=":material/send:",
                         type="primary" if d.is_complete else "secondary"):
                act(f"{P}_submit", lambda: services.submit_for_visa(actor, lid, version),
                    f"Licence {number} soumise pour visa MCE.")
            other_errors(f"{P}_submit", set())
        if Action.REQUEST_MODIFICATION in actions:
            st.markdown("**Demande de modification** — la licence revient en brouillon "
                        "(nouvelle révision) et devra être soumise à nouveau.")
            reason_form(f"{P}_revise", "Motif de la modification", "Demander la modification",
                        lambda r: services.request_modification(actor, lid, version, r),
                        f"Licence {number} remise en brouillon pour modification.")
        if Action.CANCEL in actions:
            st.markdown("**Demande d'annulation**")
            reason_form(f"{P}_cancel", "Motif de l'annulation", "Annuler la licence",
                        lambda r: services.cancel_licence(actor, lid, version, r),
                        f"Licence {number} annulée.")
    if st.button("Fermer", key=f"{P}_modify_close"):
        lv.close_dialog(DIALOG)
        st.rerun()


modify = lv.dialog_state(DIALOG, "modify")
if modify:
    lv.show_dialog(f"Modifier la licence {modify['number']}", DIALOG, modify_body, large=False)
