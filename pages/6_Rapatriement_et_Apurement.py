"""Rapatriement et apurement: imputed licences with the imputed value, the repatriated amount and
what remains due; the repatriation proofs of the one chosen, a new proof (amount, date, bank
reference, PDF) and *Apurer* once core says the proceeds cover the imputed value."""

import streamlit as st

from core import circuit, services
from core.lifecycle import Role
from ui import circuit as uc
from ui import format as fmt
from ui import licence_view as lv
from ui.forms import show_flash
from ui.layout import page

actor = page("Rapatriement et apurement", {Role.BANK}, help_key="repatriation")
show_flash()

P = "banque"
number = uc.number_search(P, lambda n: circuit.bank_worklist(actor, n, 1, 1))
work = uc.fetch(P, lambda n: circuit.bank_worklist(actor, number, n, uc.PAGE_SIZE))
if work is None:
    st.stop()
if not work.rows:
    st.info("Aucune licence imputée en attente d'apurement"
            + (f" pour « {number} »." if number else "."), icon=":material/inbox:")
    st.stop()
rows = work.rows
uc.table({
    "N° d'enregistrement": [r.registration_number for r in rows],
    "Exportateur": [r.company_name for r in rows],
    "Statut": [r.status.label for r in rows],
    "Fin de validité": [fmt.date(r.validity_end) for r in rows],
    "Imputé": [fmt.amount(r.imputed_value, r.currency) for r in rows],
    "Rapatrié": [fmt.amount(r.repatriated_amount, r.currency) for r in rows],
    "Reste dû": [fmt.amount(r.remaining_due, r.currency) for r in rows],
    "Apurable": ["Oui" if r.settleable else "Non" for r in rows],
}, right=("Imputé", "Rapatrié", "Reste dû"))
uc.pager(P, work)
row = uc.choose(P, rows, lambda r: f"{r.registration_number} — {r.company_name}")
detail = lv.read(lambda: services.get_licence(actor, row.id))
if detail is None:
    st.stop()

uc.heading(detail)
uc.position(row)
st.markdown("**Justificatifs de rapatriement**")
uc.repatriations_table(detail)
uc.withdrawal_form(actor, detail)
uc.repatriation_form(actor, detail, row)
with st.container(horizontal=True, vertical_alignment="center"):
    uc.settle_button(actor, detail, row)
    uc.history_button(detail, P)
with st.expander("Détail de la licence (imputations, justificatifs PDF)"):
    lv.render_detail(actor, detail)
lv.history_dialog(actor, uc.HISTORY_DIALOG)
