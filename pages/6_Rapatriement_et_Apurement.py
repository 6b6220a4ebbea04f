"""Rapatriement et apurement: imputed licences with the imputed value, the repatriated amount and
what remains due; the repatriation proofs of the one chosen, a new proof (amount, date, bank
reference, PDF) and *Apurer* once core says the proceeds cover the imputed value."""

import streamlit as st

from core.circuit import bank_worklist
from core.lifecycle import Screen
from ui import circuit, licence_view
from ui import format as fmt
from ui.forms import show_flash
from ui.layout import page

actor = page(Screen.REPATRIATION)
show_flash()

PREFIX = "banque"
number = circuit.number_search(PREFIX, lambda typed: bank_worklist(actor, typed, 1, 1))
work = circuit.fetch(PREFIX, lambda page_number, size: bank_worklist(
    actor, number, page_number, size))
if work is None:
    st.stop()
if not work.rows:
    st.info("Aucune licence imputée en attente d'apurement"
            + (f" pour « {number} »." if number else "."), icon=":material/inbox:")
    st.stop()
rows = work.rows
circuit.table({
    "N° d'enregistrement": [r.registration_number for r in rows],
    "Exportateur": [r.company_name for r in rows],
    "Statut": [r.status.label for r in rows],
    "Fin de validité": [fmt.date(r.validity_end) for r in rows],
    "Imputé": [fmt.amount(r.imputed_value, r.currency) for r in rows],
    "Rapatrié": [fmt.amount(r.repatriated_amount, r.currency) for r in rows],
    "Reste dû": [fmt.amount(r.remaining_due, r.currency) for r in rows],
    "Apurable": ["Oui" if r.settleable else "Non" for r in rows],
}, right=("Imputé", "Rapatrié", "Reste dû"))
row, detail = circuit.pick(actor, PREFIX, work)
if detail is None:
    st.stop()

licence_view.heading(detail, detail.company_name)
circuit.position(row)
st.markdown("**Justificatifs de rapatriement**")
circuit.repatriations_table(detail)
circuit.withdrawal_form(actor, detail)
circuit.repatriation_form(actor, detail, row)
with st.container(horizontal=True, vertical_alignment="center"):
    circuit.settle_button(actor, detail, row)
    licence_view.history_button(detail, circuit.HISTORY_DIALOG, f"{PREFIX}_history")
with st.expander("Détail de la licence (imputations, justificatifs PDF)"):
    licence_view.render_detail(actor, detail)
licence_view.history_dialog(actor, circuit.HISTORY_DIALOG)
