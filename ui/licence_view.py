"""Read-only views of one licence: the history dialog (with its Excel export) and the detail
(every header field, every section, the visa, imputations with the remaining quantities,
repatriations, attached PDFs).

Dialogs open from a session-state flag and close by clearing it (STYLE.md): the flag is a dict
`{"kind": ..., "id": ..., "number": ..., "version": ...}` under a key of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from core import exports, services
from core.config import PROJECT_ROOT
from core.errors import DomainError
from core.lifecycle import Status
from core.views import (
    Actor,
    FileView,
    ImputationView,
    LicenceDetail,
    LicenceRow,
    RepatriationView,
    RevisionComparison,
)
from ui import format as fmt

T = TypeVar("T")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------ dialog flags
def open_dialog(state_key: str, kind: str, row: LicenceRow | LicenceDetail) -> None:
    st.session_state[state_key] = {
        "kind": kind, "id": row.id, "number": row.registration_number, "version": row.version,
    }


def dialog_state(state_key: str, kind: str) -> dict[str, Any] | None:
    found = st.session_state.get(state_key)
    return found if isinstance(found, dict) and found.get("kind") == kind else None


def close_dialog(state_key: str) -> None:
    st.session_state.pop(state_key, None)


def show_dialog(title: str, state_key: str, body: Callable[[], None], *, large: bool = True
                ) -> None:
    """Draw `body` in a dialog; closing it with × or Échap clears the flag."""

    def dismissed() -> None:
        close_dialog(state_key)

    st.dialog(title, width="large" if large else "medium", on_dismiss=dismissed)(body)()


# ------------------------------------------------------------------ the draft screen
DRAFT_PAGE = "pages/1_Nouvelle_Licence.py"


def draft_page_ready() -> bool:
    """The draft screen is another issue's work: link to it only once it exists."""
    return (PROJECT_ROOT / DRAFT_PAGE).exists()


def open_draft(licence_id: int) -> None:
    """Go to the draft screen for `licence_id` (or stay here if it is not there yet)."""
    if draft_page_ready():
        st.switch_page(DRAFT_PAGE, query_params={"id": str(licence_id)})
    st.rerun()


def read(fn: Callable[[], T]) -> T | None:
    """A read through core; a refusal (licence gone, account disabled) is shown, not raised."""
    try:
        return fn()
    except DomainError as exc:
        st.error(exc.message, icon=":material/error:")
        return None


# ------------------------------------------------------------------ history
def _status_change(before: Status | None, after: Status) -> str:
    return f"{before.label} → {after.label}" if before else after.label


def history_dialog(actor: Actor, state_key: str) -> None:
    """*Historique* (guide IV.1, figure 15) with *Exporter* (IV.2) when the flag is set."""
    info = dialog_state(state_key, "history")
    if info is None:
        return

    def body() -> None:
        rows = read(lambda: services.history(actor, info["id"]))
        if rows is not None:
            _table({
                fmt.with_local_time("Date"): [fmt.datetime(r.occurred_at) for r in rows],
                "Utilisateur": [f"{r.username} — {exports.role_label(r.role)}" for r in rows],
                "Action": [r.action_label for r in rows],
                "Statut avant → après": [_status_change(r.status_before, r.status_after)
                                         for r in rows],
                "Modifications": ["\n".join(c.text for c in r.changes) for r in rows],
                "Motif": [r.details or "" for r in rows],
            })
            st.caption(f"{len(rows)} opération(s).")
        left, _, right = st.columns([1, 3, 1])
        with left:
            if rows:
                st.download_button(
                    "Exporter", icon=":material/download:", key=f"{state_key}_history_export",
                    type="primary", width="stretch",
                    data=lambda: exports.history_xlsx(info["number"], rows or []),
                    file_name=f"historique-{info['number']}.xlsx", mime=XLSX_MIME,
                    on_click="ignore",
                )
        with right:
            if st.button("Fermer", key=f"{state_key}_history_close", width="stretch"):
                close_dialog(state_key)
                st.rerun()

    show_dialog(f"Historique de la licence {info['number']}", state_key, body)


# ------------------------------------------------------------------ detail
def _section(title: str) -> None:
    st.markdown(
        "<div style='border-left:4px solid #0b4f8a;background:#eef3f8;color:#0b4f8a;"
        "font-weight:700;padding:0.3rem 0.7rem;margin:0.9rem 0 0.4rem 0;border-radius:3px'>"
        f"{_escape(title)}</div>", unsafe_allow_html=True,
    )


def _pairs(items: list[tuple[str, str]], columns: int = 3) -> None:
    """Label / value pairs as a read-only grid, row by row."""
    cells = "".join(
        f"<div><div style='font-size:0.78rem;color:#5b6b78'>{_escape(label)}</div>"
        f"<div style='font-weight:600'>{_escape(value)}</div></div>"
        for label, value in items
    )
    st.markdown(
        f"<div style='display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));"
        f"gap:0.55rem 1.2rem;margin-bottom:0.4rem'>{cells}</div>", unsafe_allow_html=True,
    )


def _escape(value: str) -> str:
    return fmt.html_text(value).replace("\n", "<br>")


def text_frame(data: dict[str, list[Any]]) -> pd.DataFrame:
    """A frame for `st.table`, its texts escaped: st.table renders cells as Markdown."""
    return pd.DataFrame({name: [fmt.md_escape(v) for v in values]
                         for name, values in data.items()})


def _table(data: dict[str, list[Any]]) -> None:
    """A small read-only table whose long texts wrap (st.dataframe would cut them)."""
    st.table(text_frame(data), hide_index=True, border="horizontal")


def _files(actor: Actor, licence_id: int, files: list[FileView], key: str) -> None:
    """The attached PDFs, read from the database only when the user clicks."""
    with st.container(horizontal=True):
        for index, f in enumerate(files):
            st.download_button(
                f.file_name, key=f"{key}_{index}", icon=":material/attach_file:",
                mime="application/pdf", file_name=f.file_name, on_click="ignore",
                data=lambda fid=f.id: services.file_content(actor, licence_id, fid)[1],
            )


def render_detail(actor: Actor, d: LicenceDetail) -> None:
    """Every field and every section of a licence, read-only (guide V.1, figure 23)."""
    st.markdown(
        f"<span class='eld-number'>{_escape(d.registration_number)}</span>&nbsp;&nbsp;"
        f"{fmt.badge(d.status)}", unsafe_allow_html=True,
    )
    revision_comparison(actor, d, f"detail_{d.id}")
    _section("Données de la licence")
    _pairs([
        ("Exportateur", f"{d.company_name} (ICE {d.company_ice})"),
        ("Catégorie", exports.code_label(d.category, exports.CATEGORY_LABELS.get(d.category, ""))),
        ("Destinataire", d.recipient or "—"),
        ("Montant total", fmt.amount(d.total_amount, d.currency)),
        ("Devise", d.currency),
        ("Régime douanier", exports.code_label(d.customs_regime, d.customs_regime_label)),
        ("Bureau douanier", exports.code_label(d.customs_office, d.customs_office_label)),
        ("Modalité de paiement", exports.code_label(d.payment_terms, d.payment_terms_label)),
        ("Incoterm", d.incoterm),
        (fmt.with_local_time("Créée le"), f"{fmt.datetime(d.created_at)} par {d.created_by}"),
        (fmt.with_local_time("Dernière mise à jour"), fmt.datetime(d.updated_at)),
        (fmt.with_local_time("Soumise pour visa le"), fmt.datetime(d.submitted_at)),
        ("Version / révision", f"{d.version} / {d.revision}"),
        ("Copiée de", d.copied_from or "—"),
    ])

    _section("Visa MCE")
    if d.visa_number:
        _pairs([
            ("N° de visa", d.visa_number),
            ("Date du visa", fmt.date(d.visa_date)),
            ("Fin de validité", fmt.date(d.validity_end)),
        ])
    else:
        st.caption("Pas de visa : " + (
            "en attente de la décision du MCE." if d.submitted_at and d.decided_at is None
            else "la licence n'est pas visée."))
    reasons = [(label, text) for label, text in (
        ("Motif du refus", d.refusal_reason), ("Motif du renvoi pour correction",
                                                d.correction_reason),
        ("Motif de l'annulation", d.cancellation_reason)) if text]
    for label, text in reasons:
        st.warning(f"**{label}** : {fmt.md_escape(text)}")

    _section("Pays de destination")
    st.markdown(fmt.md_escape(", ".join(f"{c.name} ({c.code})" for c in d.countries))
                or "_Aucun pays._")

    _section("Factures")
    if d.invoices:
        _table({
            "Montant": [fmt.amount(i.amount, d.currency) for i in d.invoices],
            "Date": [fmt.date(i.invoice_date) for i in d.invoices],
            "Fichier": [f"{i.file.file_name} ({fmt.size(i.file.size)})" for i in d.invoices],
        })
        st.caption(f"Total des factures : {fmt.amount(d.invoices_total, d.currency)}")
        _files(actor, d.id, [i.file for i in d.invoices], f"file_inv_{d.id}")
    else:
        st.caption("Aucune facture.")

    _section("Documents")
    if d.documents:
        _table({
            "Type": [x.doc_type_label for x in d.documents],
            "Description": [x.description for x in d.documents],
            "Date": [fmt.date(x.doc_date) for x in d.documents],
            "Fichier": [f"{x.file.file_name} ({fmt.size(x.file.size)})" for x in d.documents],
        })
        _files(actor, d.id, [x.file for x in d.documents], f"file_doc_{d.id}")
    else:
        st.caption("Aucun document.")

    _section("Marchandises")
    if d.goods:
        _table({
            "N°": [g.line_no for g in d.goods],
            "Désignation commerciale": [g.designation for g in d.goods],
            "Pays d'origine": [g.origin_country_name for g in d.goods],
            "Nomenclature": [f"{g.tariff_code} – {g.tariff_description}" for g in d.goods],
            "Quantité": [fmt.quantity(g.quantity) for g in d.goods],
            "Poids net (kg)": [fmt.quantity(g.net_weight) for g in d.goods],
            "Unités compl.": [
                (fmt.quantity(g.supplementary_units) + (f" {g.supplementary_unit_name}"
                                                        if g.supplementary_unit_name else ""))
                if g.supplementary_units is not None else "—" for g in d.goods],
            "Quantité imputée": [fmt.quantity(g.imputed_quantity) for g in d.goods],
            "Quantité restante": [fmt.quantity(g.remaining_quantity) for g in d.goods],
        })
    else:
        st.caption("Aucune marchandise.")

    _section("Imputations douanières")
    if d.imputations:
        by_line = {g.id: g for g in d.goods}
        _table({
            "Déclaration": [i.declaration_ref for i in d.imputations for _ in i.lines],
            "Date": [fmt.date(i.declaration_date) for i in d.imputations for _ in i.lines],
            "Bureau": [i.customs_office_label for i in d.imputations for _ in i.lines],
            "Marchandise": [
                f"{x.line_no} – {by_line[x.goods_line_id].designation}"
                if x.goods_line_id in by_line else str(x.line_no)
                for i in d.imputations for x in i.lines],
            "Quantité": [fmt.quantity(x.quantity) for i in d.imputations for x in i.lines],
            "Valeur": [fmt.amount(x.value, d.currency) for i in d.imputations for x in i.lines],
            "Saisie par": [f"{i.created_by}, {fmt.datetime(i.created_at)}"
                           for i in d.imputations for _ in i.lines],
            "État": [_imputation_state(i) for i in d.imputations for _ in i.lines],
        })
        st.caption(f"Valeur imputée : {fmt.amount(d.imputed_value, d.currency)}")
    else:
        st.caption("Aucune imputation.")

    _section("Rapatriements")
    if d.repatriations:
        _table({
            "Montant": [fmt.amount(r.amount, d.currency) for r in d.repatriations],
            "Date": [fmt.date(r.repatriation_date) for r in d.repatriations],
            "Référence bancaire": [r.bank_reference for r in d.repatriations],
            "Saisi par": [f"{r.created_by}, {fmt.datetime(r.created_at)}"
                          for r in d.repatriations],
            "Justificatif": [r.file.file_name for r in d.repatriations],
            "État": [_proof_state(r) for r in d.repatriations],
        })
        st.caption(f"Rapatrié : {fmt.amount(d.repatriated_amount, d.currency)} sur "
                   f"{fmt.amount(d.imputed_value, d.currency)} imputés.")
        _files(actor, d.id, [r.file for r in d.repatriations], f"file_rep_{d.id}")
    else:
        st.caption("Aucun rapatriement.")

    for text in d.missing:
        st.warning(text, icon=":material/edit_note:")
    for text in d.warnings:
        st.info(text, icon=":material/info:")


def _imputation_state(i: ImputationView) -> str:
    if not i.is_reversed:
        return "En vigueur"
    return f"Annulée le {fmt.datetime(i.reversed_at)} par {i.reversed_by} : {i.reversal_reason}"


def _proof_state(r: RepatriationView) -> str:
    if not r.is_withdrawn:
        return "En vigueur"
    return f"Retiré le {fmt.datetime(r.withdrawn_at)} par {r.withdrawn_by} : {r.withdrawal_reason}"


def _highlight(row: pd.Series) -> list[str]:
    return ["background-color: #fff3cd; font-weight: 600" if row["Modifié"] == "oui" else ""
            for _ in row]


def comparison_table(found: RevisionComparison, *, only_changes: bool) -> None:
    """The new revision beside the visaed one; changed fields highlighted (and marked, so the
    difference does not rest on colour alone)."""
    fields = found.changed if only_changes else found.fields
    if not fields:
        st.info("Aucune différence avec la révision visée.")
        return
    frame = text_frame({
        "Section": [f.section for f in fields],
        "Champ": [f.label for f in fields],
        f"Révision {found.visaed_revision} (visée)": [f.visaed or "—" for f in fields],
        f"Révision {found.current_revision}": [f.current or "—" for f in fields],
        "Modifié": ["oui" if f.changed else "" for f in fields],
    })
    st.table(frame.style.apply(_highlight, axis=1), hide_index=True, border="horizontal")


def revision_comparison(actor: Actor, d: LicenceDetail, key: str) -> None:
    """*Comparer avec la révision visée*: after a *Demande de modification*, what changed since
    the visa, for the exporter and for the MCE who re-visas."""
    if d.revision < 1:
        return
    found = read(lambda: services.compare_revisions(actor, d))
    if found is None:
        return
    title = (f"Comparer avec la révision visée ({found.visaed_revision}, visa "
             f"{found.visa_number} du {fmt.date(found.visa_date)}) — "
             f"{len(found.changed)} différence(s)")
    with st.expander(title, icon=":material/compare_arrows:"):
        every = st.toggle("Afficher aussi les champs inchangés", key=f"{key}_compare_all")
        comparison_table(found, only_changes=not every)


def print_button(d: LicenceDetail, key: str) -> None:
    """*Imprimer*: the licence as a PDF, built only when the user clicks."""
    st.download_button(
        "Imprimer", icon=":material/print:", type="primary", key=f"{key}_print",
        width="stretch", data=lambda: exports.licence_pdf(d),
        file_name=f"{d.registration_number}.pdf", mime="application/pdf", on_click="ignore",
    )


def print_blank_button(key: str) -> None:
    """*Imprimer Vide*: the blank form to fill by hand."""
    st.download_button(
        "Imprimer Vide", icon=":material/description:", key=f"{key}_print_blank",
        width="stretch", data=lambda: exports.blank_licence_pdf(),
        file_name="licence-vierge.pdf", mime="application/pdf", on_click="ignore",
    )
