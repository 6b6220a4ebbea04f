"""*Gestion des Licences d'Exportation*'s *Modifier* dialog: what the licence's status allows the
exporter (continue the draft, submit for visa, ask for a modification, cancel), each one core
call that closes the dialog once accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core import drafting, reading
from core.lifecycle import AWAITING_VISA, Action, allowed_actions
from core.records import Actor, LicenceRow
from ui import format as fmt
from ui import licence_view
from ui.dialogs import act, close_button, close_dialog, dialog_state, open_dialog, show_dialog
from ui.forms import field_error, other_errors, read

LOCKED = ("Aucune modification ne peut être apportée avant le retour du MCE ; "
          "l'historique reste consultable.")


def _forms(prefix: str) -> tuple[str, ...]:
    return f"{prefix}_submit", f"{prefix}_revise", f"{prefix}_cancel"


def modify_button(licence: LicenceRow, flag: str, prefix: str) -> None:
    """*Modifier*: opens `modify_dialog` under `flag`."""
    if st.button("Modifier", icon=":material/edit:", key=f"{prefix}_modify", width="stretch"):
        open_dialog(flag, "modify", licence, forms=_forms(prefix))
        st.rerun()


def modify_dialog(actor: Actor, flag: str, prefix: str) -> None:
    info = dialog_state(flag, "modify")
    if info is not None:
        show_dialog(f"Modifier la licence {info['number']}", flag,
                    lambda: _modify_body(actor, flag, prefix, info), width="medium")


def _reason_form(flag: str, form: str, label: str, button: str,
                 save: Callable[[str], object], success: str) -> None:
    with st.form(form, border=True):
        reason = st.text_area(label, key=f"{form}_reason", max_chars=1000, height=90)
        field_error(form, "reason")
        if st.form_submit_button(button, key=f"{form}_button"):
            act(flag, form, lambda: save(reason), success)
    other_errors(form, {"reason"})


def _modify_body(actor: Actor, flag: str, prefix: str, info: dict[str, Any]) -> None:
    licence_id, version, number = info["id"], info["version"], info["number"]
    submit_form, revise_form, cancel_form = _forms(prefix)
    detail = read(lambda: reading.get_licence(actor, licence_id))
    if detail is not None:
        st.markdown(f"Statut actuel : {fmt.badge(detail.status)}", unsafe_allow_html=True)
        actions = [a for a in allowed_actions(detail.status, actor.role) if a != Action.COPY]
        if detail.status in AWAITING_VISA:
            st.info(LOCKED, icon=":material/lock:")
        elif not actions:
            st.info(f"Aucune modification n'est possible pour une licence "
                    f"« {detail.status.label} ». Elle reste consultable et peut être copiée "
                    "dans une nouvelle licence.")
        if Action.EDIT in actions:
            st.markdown("**Souscription de la licence**")
            if st.button("Poursuivre la souscription", key=f"{prefix}_edit_button",
                         icon=":material/edit_note:"):
                close_dialog(flag)
                licence_view.open_draft(licence_id)
        if Action.SUBMIT in actions:
            st.markdown("**Demande de visa MCE**")
            for missing in detail.missing:
                st.caption(f"À compléter : {missing}")
            if st.button("Soumettre pour visa", key=f"{prefix}_submit_button",
                         icon=":material/send:",
                         type="primary" if detail.is_complete else "secondary"):
                act(flag, submit_form,
                    lambda: drafting.submit_for_visa(actor, licence_id, version),
                    f"Licence {number} soumise pour visa MCE.")
            other_errors(submit_form, set())
        if Action.REQUEST_MODIFICATION in actions:
            st.markdown("**Demande de modification** — la licence revient en brouillon "
                        "(nouvelle révision) et devra être soumise à nouveau.")
            _reason_form(flag, revise_form, "Motif de la modification",
                         "Demander la modification",
                         lambda reason: drafting.request_modification(actor, licence_id,
                                                                      version, reason),
                         f"Licence {number} remise en brouillon pour modification.")
        if Action.CANCEL in actions:
            st.markdown("**Demande d'annulation**")
            _reason_form(flag, cancel_form, "Motif de l'annulation", "Annuler la licence",
                         lambda reason: drafting.cancel_licence(actor, licence_id, version,
                                                                reason),
                         f"Licence {number} annulée.")
    close_button(flag, f"{prefix}_modify_close")
