"""Visa MCE: the queue of licences submitted for visa (oldest first, with the waiting time), the
full detail of the one chosen, *Accorder le visa*, *Refuser*, *Renvoyer pour correction*, and the
searchable history of the Ministry's decisions."""

import streamlit as st

from core import circuit, services
from core.lifecycle import Role
from ui import circuit as uc
from ui import format as fmt
from ui import licence_view as lv
from ui.forms import show_flash
from ui.layout import page

actor = page("Visa MCE", {Role.MCE}, help_key="visa")
show_flash()

P = "mce"
queue_tab, history_tab = st.tabs(["File d'attente", "Historique des décisions"], key="mce_tab",
                                 on_change="rerun")
if queue_tab.open:
    with queue_tab:
        queue = uc.fetch(P, lambda n: circuit.mce_queue(actor, n, uc.PAGE_SIZE))
        if queue is not None and not queue.rows:
            st.info("Aucune licence n'attend le visa MCE.", icon=":material/inbox:")
        elif queue is not None:
            rows = queue.rows
            uc.table({
                "N° d'enregistrement": [r.registration_number for r in rows],
                "Exportateur": [r.company_name for r in rows],
                "Montant": [fmt.amount(r.total_amount, r.currency) for r in rows],
                "Révision": [f"{r.revision} (modifiée après visa)" if r.revision else "—"
                             for r in rows],
                fmt.with_local_time("Soumise le"): [fmt.datetime(r.submitted_at)
                                                    for r in rows],
                "En attente depuis": [uc.waiting(r) for r in rows],
            }, right=("Montant", "En attente depuis"))
            uc.pager(P, queue)
            row = uc.choose(P, rows, lambda r: f"{r.registration_number} — {r.company_name}")
            detail = lv.read(lambda: services.get_licence(actor, row.id))
            if detail is not None:
                uc.decision_buttons(detail)
                with st.container(border=True):
                    lv.render_detail(actor, detail)
if history_tab.open:
    with history_tab:
        uc.decisions_history(actor)

uc.decision_dialogs(actor)
lv.history_dialog(actor, uc.HISTORY_DIALOG)
