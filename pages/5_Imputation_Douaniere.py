"""Imputation douanière: visaed (or partially imputed) licences still valid, searchable by
number; per goods line the licensed, imputed and remaining quantity and the imputed value; the
imputation of one customs declaration. A second tab finds imputed licences to reverse a mistaken
imputation (with its reason)."""

import streamlit as st

from core.circuit import customs_worklist
from core.lifecycle import Screen
from ui import circuit, licence_view
from ui import format as fmt
from ui.forms import show_flash
from ui.layout import page

actor = page(Screen.IMPUTATION)
show_flash()


def worklist(prefix: str, corrections: bool) -> None:
    number = circuit.number_search(prefix, lambda typed: customs_worklist(
        actor, typed, 1, 1, corrections=corrections))
    work = circuit.fetch(prefix, lambda page_number, size: customs_worklist(
        actor, number, page_number, size, corrections=corrections))
    if work is None:
        return
    if not work.rows:
        empty = "Aucune licence imputée" if corrections else "Aucune licence visée à imputer"
        st.info(empty + (f" pour « {fmt.md_escape(number)} »." if number else "."),
                icon=":material/inbox:")
        return
    rows = work.rows
    circuit.table({
        "N° d'enregistrement": [r.registration_number for r in rows],
        "Exportateur": [r.company_name for r in rows],
        "Statut": [r.status.label for r in rows],
        "N° de visa": [r.visa_number or "—" for r in rows],
        "Fin de validité": [f"{fmt.date(r.validity_end)} ({r.days_left} j)" for r in rows],
        "Lignes ouvertes": [f"{r.lines_open} / {r.lines_total}" for r in rows],
        "Valeur imputée": [fmt.amount(r.imputed_value, r.currency) for r in rows],
    }, right=("Lignes ouvertes", "Valeur imputée"))
    _, detail = circuit.pick(actor, prefix, work)
    if detail is None:
        return
    licence_view.heading(detail, f"{detail.company_name} — visa {detail.visa_number}, "
                                 f"valable jusqu'au {fmt.date(detail.validity_end)}")
    circuit.goods_balance(detail)
    if corrections:
        st.markdown("**Déclarations imputées**")
        circuit.imputations_table(detail)
        circuit.reversal_form(actor, detail)
    else:
        circuit.imputation_form(actor, detail)
    with st.container(horizontal=True):
        licence_view.history_button(detail, circuit.HISTORY_DIALOG, f"{prefix}_history")
    with st.expander("Détail de la licence (déclarations déjà imputées, documents)"):
        licence_view.render_detail(actor, detail)


work_tab, fix_tab = st.tabs(["À imputer", "Corriger une imputation"], key="douane_tab",
                            on_change="rerun")
if work_tab.open:
    with work_tab:
        worklist("douane", corrections=False)
if fix_tab.open:
    with fix_tab:
        worklist("douane_fix", corrections=True)
licence_view.history_dialog(actor, circuit.HISTORY_DIALOG)
