"""Consulter des Licences d'Exportation (guide V): read-only search over the licences that were
actioned (submitted onward), *Historique*, *Détail*, *Imprimer* and *Imprimer Vide*."""

import streamlit as st

from core import services
from core.lifecycle import Role, Status
from ui import licence_view as lv
from ui import search as ls
from ui.forms import show_flash
from ui.layout import page

actor = page("Consulter des Licences d'Exportation", help_key="consult")

P = "consulter"
DIALOG = "eld_dialog_consulter"

show_flash()
shown = st.query_params.get("id")  # ?id=: the detail replaces the list (guide V.1)
if shown is not None:
    detail = lv.read(lambda: services.get_licence(actor, int(shown) if shown.isdigit() else 0))
    if detail is not None and detail.status == Status.DRAFT:  # not actioned yet
        st.info("Cette licence n'a pas encore été soumise : elle se consulte depuis la "
                "Gestion des Licences d'Exportation.")
        detail = None
    back, printed, blank, history, _ = st.columns([1.2, 1, 1, 1, 2])
    with back:
        if st.button("Retour à la liste", icon=":material/arrow_back:", key=f"{P}_back",
                     width="stretch"):
            st.query_params.clear()
            st.rerun()
    with blank:
        lv.print_blank_button(P)
    if detail is not None:
        with printed:
            lv.print_button(detail, P)
        with history:
            if st.button("Historique", icon=":material/history:", key=f"{P}_detail_history",
                         width="stretch"):
                lv.open_dialog(DIALOG, "history", detail)
                st.rerun()
    if detail is not None:
        with st.container(border=True):
            lv.render_detail(actor, detail)
    lv.history_dialog(actor, DIALOG)
    st.stop()

ls.search_form(P, actor, actioned_only=True)
result = ls.results(P, actor, actioned_only=True)
ls.results_table(P, result, with_company=actor.role != Role.EXPORTER)
if result.rows:
    pick, a, b = st.columns([4, 1, 1], vertical_alignment="bottom")
    with pick:
        row = ls.choose_licence(P, result)
    with a:
        if st.button("Historique", icon=":material/history:", key=f"{P}_history",
                     width="stretch"):
            lv.open_dialog(DIALOG, "history", row)
            st.rerun()
    with b:
        if st.button("Détail", icon=":material/visibility:", key=f"{P}_detail",
                     width="stretch"):
            st.query_params["id"] = str(row.id)
            st.rerun()
xlsx, csv, blank, _ = st.columns([1, 1, 1, 3])
with xlsx:
    ls.export_button(P, actor, result, "xlsx", actioned_only=True)
with csv:
    ls.export_button(P, actor, result, "csv", actioned_only=True)
with blank:
    lv.print_blank_button(f"{P}_list")
lv.history_dialog(actor, DIALOG)
