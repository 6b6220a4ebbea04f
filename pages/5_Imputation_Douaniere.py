"""Imputation douanière: visaed (or partially imputed) licences still valid, searchable by
number; per goods line the licensed, imputed and remaining quantity and the imputed value; the
imputation of one customs declaration."""

import streamlit as st

from core import circuit, services
from core.lifecycle import Role
from ui import circuit as uc
from ui import format as fmt
from ui import licence_view as lv
from ui.forms import show_flash
from ui.layout import page

actor = page("Imputation douanière", {Role.CUSTOMS}, help_key="imputation")
show_flash()

P = "douane"
number = uc.number_search(P, lambda n: circuit.customs_worklist(actor, n, 1, 1))
work = uc.fetch(P, lambda n: circuit.customs_worklist(actor, number, n, uc.PAGE_SIZE))
if work is None:
    st.stop()
if not work.rows:
    st.info("Aucune licence visée à imputer" + (f" pour « {number} »." if number else "."),
            icon=":material/inbox:")
    st.stop()
rows = work.rows
uc.table({
    "N° d'enregistrement": [r.registration_number for r in rows],
    "Exportateur": [r.company_name for r in rows],
    "Statut": [r.status.label for r in rows],
    "N° de visa": [r.visa_number or "—" for r in rows],
    "Fin de validité": [f"{fmt.date(r.validity_end)} ({r.days_left} j)" for r in rows],
    "Lignes ouvertes": [f"{r.lines_open} / {r.lines_total}" for r in rows],
    "Valeur imputée": [fmt.amount(r.imputed_value, r.currency) for r in rows],
}, right=("Lignes ouvertes", "Valeur imputée"))
uc.pager(P, work)
row = uc.choose(P, rows, lambda r: f"{r.registration_number} — {r.company_name}")
detail = lv.read(lambda: services.get_licence(actor, row.id))
if detail is None:
    st.stop()

uc.heading(detail, f" — visa {detail.visa_number}, valable jusqu'au "
           f"{fmt.date(detail.validity_end)}")
uc.goods_balance(detail)
uc.imputation_form(actor, detail)
with st.container(horizontal=True):
    uc.history_button(detail, P)
with st.expander("Détail de la licence (déclarations déjà imputées, documents)"):
    lv.render_detail(actor, detail)
lv.history_dialog(actor, uc.HISTORY_DIALOG)
