"""Imputation douanière: visaed (or partially imputed) licences still valid, searchable by
number; per goods line the licensed, imputed and remaining quantity and the imputed value; the
imputation of one customs declaration. A second tab finds imputed licences to reverse a mistaken
imputation (with its reason)."""

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


def worklist(prefix: str, corrections: bool) -> None:
    number = uc.number_search(prefix, lambda n: circuit.customs_worklist(
        actor, n, 1, 1, corrections=corrections))
    work = uc.fetch(prefix, lambda n: circuit.customs_worklist(
        actor, number, n, uc.PAGE_SIZE, corrections=corrections))
    if work is None:
        return
    if not work.rows:
        empty = "Aucune licence imputée" if corrections else "Aucune licence visée à imputer"
        st.info(empty + (f" pour « {fmt.md_escape(number)} »." if number else "."),
                icon=":material/inbox:")
        return
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
    uc.pager(prefix, work)
    row = uc.choose(prefix, rows, lambda r: f"{r.registration_number} — {r.company_name}")
    detail = lv.read(lambda: services.get_licence(actor, row.id))
    if detail is None:
        return
    uc.heading(detail, f" — visa {detail.visa_number}, valable jusqu'au "
               f"{fmt.date(detail.validity_end)}")
    uc.goods_balance(detail)
    if corrections:
        st.markdown("**Déclarations imputées**")
        uc.imputations_table(detail)
        uc.reversal_form(actor, detail)
    else:
        uc.imputation_form(actor, detail)
    with st.container(horizontal=True):
        uc.history_button(detail, prefix)
    with st.expander("Détail de la licence (déclarations déjà imputées, documents)"):
        lv.render_detail(actor, detail)


work_tab, fix_tab = st.tabs(["À imputer", "Corriger une imputation"], key="douane_tab",
                            on_change="rerun")
if work_tab.open:
    with work_tab:
        worklist("douane", corrections=False)
if fix_tab.open:
    with fix_tab:
        worklist("douane_fix", corrections=True)
lv.history_dialog(actor, uc.HISTORY_DIALOG)
