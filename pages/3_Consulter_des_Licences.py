"""Consulter des Licences d'Exportation (guide V): read-only search over the licences that were
actioned (submitted onward), *Historique*, *Détail*, *Imprimer* and *Imprimer Vide*."""

import streamlit as st

from core import reading
from core.lifecycle import SEES_OWN_COMPANY_ONLY, SUBMITTED_STATUSES, Screen
from ui import licence_view, search
from ui.forms import read, show_flash
from ui.layout import page

actor = page(Screen.CONSULT)

PREFIX = "consulter"
DIALOG = "eld_dialog_consulter"

show_flash()
shown = st.query_params.get("id")  # ?id=: the detail replaces the list (guide V.1)
if shown is not None:
    detail = read(lambda: reading.get_licence(actor, int(shown) if shown.isdigit() else 0))
    if detail is not None and detail.status not in SUBMITTED_STATUSES:
        st.info("Cette licence n'a pas encore été soumise : elle se consulte depuis la "
                "Gestion des Licences d'Exportation.")
        detail = None
    back, printed, blank, history, _ = st.columns([1.2, 1, 1, 1, 2])
    with back:
        if st.button("Retour à la liste", icon=":material/arrow_back:", key=f"{PREFIX}_back",
                     width="stretch"):
            st.query_params.clear()
            st.rerun()
    with blank:
        licence_view.print_blank_button(PREFIX)
    if detail is not None:
        with printed:
            licence_view.print_button(detail, PREFIX)
        with history:
            licence_view.history_button(detail, DIALOG, f"{PREFIX}_detail_history",
                                        width="stretch")
        with st.container(border=True):
            licence_view.render_detail(actor, detail)
    licence_view.history_dialog(actor, DIALOG)
    st.stop()

search.search_form(PREFIX, actor, actioned_only=True)
result = search.results(PREFIX, actor, actioned_only=True)
search.results_table(PREFIX, result, with_company=actor.role not in SEES_OWN_COMPANY_ONLY)
if result.rows:
    pick, history, detail_column = st.columns([4, 1, 1], vertical_alignment="bottom")
    with pick:
        row = search.choose_licence(PREFIX, result)
    with history:
        licence_view.history_button(row, DIALOG, f"{PREFIX}_history", width="stretch")
    with detail_column:
        if st.button("Détail", icon=":material/visibility:", key=f"{PREFIX}_detail",
                     width="stretch"):
            st.query_params["id"] = str(row.id)
            st.rerun()
xlsx, csv, blank, _ = st.columns([1, 1, 1, 3])
with xlsx:
    search.export_button(PREFIX, actor, result, "xlsx", actioned_only=True)
with csv:
    search.export_button(PREFIX, actor, result, "csv", actioned_only=True)
with blank:
    licence_view.print_blank_button(f"{PREFIX}_list")
licence_view.history_dialog(actor, DIALOG)
