"""Gestion des Licences d'Exportation (guide IV): the company's 10 latest licences, the search
form, and per licence *Historique*, *Modifier* (what the status allows) and *Copier*."""

import streamlit as st

from core import drafting
from core.lifecycle import AWAITING_VISA, Screen
from ui import licence_view, manage, search
from ui.forms import call, flash, other_errors, show_flash
from ui.layout import page

actor = page(Screen.MANAGE)

PREFIX = "gestion"
DIALOG = "eld_dialog_gestion"

show_flash()
search.search_form(PREFIX, actor, actioned_only=False)
result = search.results(PREFIX, actor, actioned_only=False)
search.results_table(PREFIX, result, with_company=False)
if result.rows:
    pick, history, modify, copy = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
    with pick:
        row = search.choose_licence(PREFIX, result)
    with history:
        licence_view.history_button(row, DIALOG, f"{PREFIX}_history", width="stretch")
    with modify:
        manage.modify_button(row, DIALOG, PREFIX)
    with copy:
        if st.button("Copier", icon=":material/content_copy:", key=f"{PREFIX}_copy",
                     width="stretch", help="Copier dans une nouvelle licence (brouillon)"):
            new = call(f"{PREFIX}_copy", lambda: drafting.copy_licence(actor, row.id),
                       rerun=False)
            if new is not None:
                flash(f"Licence {row.registration_number} copiée dans la nouvelle licence "
                      f"{new.registration_number} (brouillon).", next_page=True)
                licence_view.open_draft(new.id)
            st.rerun()
    other_errors(f"{PREFIX}_copy", set())
    if row.status in AWAITING_VISA:
        st.info(manage.LOCKED, icon=":material/lock:")
    xlsx, csv, _ = st.columns([1, 1, 4])
    with xlsx:
        search.export_button(PREFIX, actor, result, "xlsx", actioned_only=False)
    with csv:
        search.export_button(PREFIX, actor, result, "csv", actioned_only=False)
licence_view.history_dialog(actor, DIALOG)
manage.modify_dialog(actor, DIALOG, PREFIX)
