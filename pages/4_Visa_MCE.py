"""Visa MCE: the queue of licences submitted for visa (oldest first, with the waiting time), the
full detail of the one chosen, *Accorder le visa*, *Refuser*, *Renvoyer pour correction*, and the
searchable history of the Ministry's decisions."""

import streamlit as st

from core.circuit import mce_queue
from core.lifecycle import Screen
from ui import circuit, licence_view
from ui import format as fmt
from ui.forms import show_flash
from ui.layout import page

actor = page(Screen.VISA)
show_flash()

PREFIX = "mce"
queue_tab, history_tab = st.tabs(["File d'attente", "Historique des décisions"], key="mce_tab",
                                 on_change="rerun")
if queue_tab.open:
    with queue_tab:
        queue = circuit.fetch(PREFIX, lambda number, size: mce_queue(actor, number, size))
        if queue is not None and not queue.rows:
            st.info("Aucune licence n'attend le visa MCE.", icon=":material/inbox:")
        elif queue is not None:
            rows = queue.rows
            circuit.table({
                "N° d'enregistrement": [r.registration_number for r in rows],
                "Exportateur": [r.company_name for r in rows],
                "Montant": [fmt.amount(r.total_amount, r.currency) for r in rows],
                "Révision": [f"{r.revision} (modifiée après visa)" if r.revision else "—"
                             for r in rows],
                fmt.with_local_time("Soumise le"): [fmt.datetime(r.submitted_at)
                                                    for r in rows],
                "En attente depuis": [fmt.waiting(r.waiting_hours) for r in rows],
            }, right=("Montant", "En attente depuis"))
            _, detail = circuit.pick(actor, PREFIX, queue)
            if detail is not None:
                circuit.decision_buttons(detail)
                with st.container(border=True):
                    licence_view.render_detail(actor, detail)
if history_tab.open:
    with history_tab:
        circuit.decisions_history(actor)

circuit.decision_dialogs(actor)
licence_view.history_dialog(actor, circuit.HISTORY_DIALOG)
