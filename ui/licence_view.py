"""Read-only views of one licence: its heading, the history dialog (with its Excel export) and
the detail (every header field, every section, the visa, imputations with the remaining
quantities, repatriations, attached PDFs), and the way to the draft screen."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import streamlit as st

from core import reading
from core.exports import pdf, tables
from core.lifecycle import Status
from core.records import (
    Actor,
    FileView,
    ImputationView,
    LicenceDetail,
    LicenceRow,
    RepatriationView,
    RevisionComparison,
)
from ui import format as fmt
from ui.dialogs import close_button, dialog_state, open_dialog, show_dialog
from ui.forms import read

DRAFT_PAGE = "pages/1_Nouvelle_Licence.py"
MANAGE_PAGE = "pages/2_Gestion_des_Licences.py"


# ------------------------------------------------------------------ the draft screen
def open_draft(licence_id: int) -> None:
    """Go to the draft screen for `licence_id`."""
    st.switch_page(DRAFT_PAGE, query_params={"id": str(licence_id)})


# ------------------------------------------------------------------ history
def _status_change(before: Status | None, after: Status) -> str:
    return f"{before.label} → {after.label}" if before else after.label


def history_button(licence: LicenceRow | LicenceDetail, flag: str, key: str, *,
                   width: Literal["content", "stretch"] = "content") -> None:
    """*Historique*: opens `history_dialog` under `flag`. (Not an `on_click`: its arguments
    would be the licence chosen in the previous run.)"""
    if st.button("Historique", icon=":material/history:", key=key, width=width):
        open_dialog(flag, "history", licence)
        st.rerun()


def history_dialog(actor: Actor, flag: str) -> None:
    """*Historique* (guide IV.1, figure 15) with *Exporter* (IV.2) when the flag is set."""
    info = dialog_state(flag, "history")
    if info is None:
        return

    def body() -> None:
        rows = read(lambda: reading.history(actor, info["id"]))
        if rows is not None:
            _table({
                fmt.with_local_time("Date"): [fmt.datetime(r.occurred_at) for r in rows],
                "Utilisateur": [f"{r.username} — {tables.role_label(r.role)}" for r in rows],
                "Action": [r.action_label for r in rows],
                "Statut avant → après": [_status_change(r.status_before, r.status_after)
                                         for r in rows],
                "Modifications": ["\n".join(c.text for c in r.changes) for r in rows],
                "Motif": [r.details or "" for r in rows],
            })
            st.caption(f"{len(rows)} opération(s).")
        export, _, close = st.columns([1, 3, 1])
        with export:
            if rows:
                st.download_button(
                    "Exporter", icon=":material/download:", key=f"{flag}_history_export",
                    type="primary", width="stretch",
                    data=lambda: tables.history_xlsx(info["number"], rows or []),
                    file_name=f"historique-{info['number']}.xlsx", mime=fmt.MIME["xlsx"],
                    on_click="ignore",
                )
        with close:
            close_button(flag, f"{flag}_history_close", width="stretch")

    show_dialog(f"Historique de la licence {info['number']}", flag, body)


# ------------------------------------------------------------------ detail
def heading(licence: LicenceRow | LicenceDetail, after: str = "") -> None:
    """The registration number, the status badge, then `after` (as plain text)."""
    st.markdown(f"<span class='eld-number'>{_escape(licence.registration_number)}</span>"
                f"&nbsp;&nbsp;{fmt.badge(licence.status)}"
                + (f"&nbsp;&nbsp;{fmt.html_text(after)}" if after else ""),
                unsafe_allow_html=True)


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


def _listing(title: str, data: dict[str, list[Any]], empty: str, *notes: str) -> bool:
    """A section of the detail: its rows as a table and the `notes` under it, or `empty`.
    True when it has rows."""
    _section(title)
    if not any(data.values()):
        st.caption(empty)
        return False
    _table(data)
    for note in notes:
        st.caption(note)
    return True


def _files(actor: Actor, licence_id: int, files: list[FileView], key: str) -> None:
    """The attached PDFs, read from the database only when the user clicks."""
    with st.container(horizontal=True):
        for index, file in enumerate(files):
            st.download_button(
                file.file_name, key=f"{key}_{index}", icon=":material/attach_file:",
                mime=fmt.MIME["pdf"], file_name=file.file_name, on_click="ignore",
                data=lambda fid=file.id: reading.file_content(actor, licence_id, fid)[1],
            )


def render_detail(actor: Actor, detail: LicenceDetail) -> None:
    """Every field and every section of a licence, read-only (guide V.1, figure 23)."""
    heading(detail)
    revision_comparison(actor, detail, f"detail_{detail.id}")
    currency = detail.currency
    _section("Données de la licence")
    _pairs([
        ("Exportateur", f"{detail.company_name} (ICE {detail.company_ice})"),
        ("Catégorie", tables.code_label(detail.category,
                                        pdf.CATEGORY_LABELS.get(detail.category, ""))),
        ("Destinataire", detail.recipient or "—"),
        ("Montant total", fmt.amount(detail.total_amount, currency)),
        ("Devise", currency),
        ("Régime douanier", tables.code_label(detail.customs_regime,
                                              detail.customs_regime_label)),
        ("Bureau douanier", tables.code_label(detail.customs_office,
                                              detail.customs_office_label)),
        ("Modalité de paiement", tables.code_label(detail.payment_terms,
                                                   detail.payment_terms_label)),
        ("Incoterm", detail.incoterm),
        (fmt.with_local_time("Créée le"),
         f"{fmt.datetime(detail.created_at)} par {detail.created_by}"),
        (fmt.with_local_time("Dernière mise à jour"), fmt.datetime(detail.updated_at)),
        (fmt.with_local_time("Soumise pour visa le"), fmt.datetime(detail.submitted_at)),
        ("Version / révision", f"{detail.version} / {detail.revision}"),
        ("Copiée de", detail.copied_from or "—"),
    ])

    _section("Visa MCE")
    if detail.visa_number:
        _pairs([
            ("N° de visa", detail.visa_number),
            ("Date du visa", fmt.date(detail.visa_date)),
            ("Fin de validité", fmt.date(detail.validity_end)),
        ])
    else:
        st.caption("Pas de visa : " + (
            "en attente de la décision du MCE."
            if detail.submitted_at and detail.decided_at is None
            else "la licence n'est pas visée."))
    reasons = (("Motif du refus", detail.refusal_reason),
               ("Motif du renvoi pour correction", detail.correction_reason),
               ("Motif de l'annulation", detail.cancellation_reason))
    for label, reason in reasons:
        if reason:
            st.warning(f"**{label}** : {fmt.md_escape(reason)}")

    _section("Pays de destination")
    st.markdown(fmt.md_escape(", ".join(f"{c.name} ({c.code})" for c in detail.countries))
                or "_Aucun pays._")

    invoices = detail.invoices
    if _listing("Factures", {
        "Montant": [fmt.amount(i.amount, currency) for i in invoices],
        "Date": [fmt.date(i.invoice_date) for i in invoices],
        "Fichier": [f"{i.file.file_name} ({fmt.size(i.file.size)})" for i in invoices],
    }, "Aucune facture.", f"Total des factures : {fmt.amount(detail.invoices_total, currency)}"):
        _files(actor, detail.id, [i.file for i in invoices], f"file_inv_{detail.id}")

    documents = detail.documents
    if _listing("Documents", {
        "Type": [doc.doc_type_label for doc in documents],
        "Description": [doc.description for doc in documents],
        "Date": [fmt.date(doc.doc_date) for doc in documents],
        "Fichier": [f"{doc.file.file_name} ({fmt.size(doc.file.size)})" for doc in documents],
    }, "Aucun document."):
        _files(actor, detail.id, [doc.file for doc in documents], f"file_doc_{detail.id}")

    goods = detail.goods
    _listing("Marchandises", {
        "N°": [line.line_no for line in goods],
        "Désignation commerciale": [line.designation for line in goods],
        "Pays d'origine": [line.origin_country_name for line in goods],
        "Nomenclature": [f"{line.tariff_code} – {line.tariff_description}" for line in goods],
        "Quantité": [fmt.quantity(line.quantity) for line in goods],
        "Poids net (kg)": [fmt.quantity(line.net_weight) for line in goods],
        "Unités compl.": [
            (fmt.quantity(line.supplementary_units)
             + (f" {line.supplementary_unit_name}" if line.supplementary_unit_name else ""))
            if line.supplementary_units is not None else "—" for line in goods],
        "Quantité imputée": [fmt.quantity(line.imputed_quantity) for line in goods],
        "Quantité restante": [fmt.quantity(line.remaining_quantity) for line in goods],
    }, "Aucune marchandise.")

    by_line = {line.id: line for line in goods}
    imputed = [(imputation, part) for imputation in detail.imputations
               for part in imputation.lines]
    _listing("Imputations douanières", {
        "Déclaration": [imputation.declaration_ref for imputation, _ in imputed],
        "Date": [fmt.date(imputation.declaration_date) for imputation, _ in imputed],
        "Bureau": [imputation.customs_office_label for imputation, _ in imputed],
        "Marchandise": [
            f"{part.line_no} – {by_line[part.goods_line_id].designation}"
            if part.goods_line_id in by_line else str(part.line_no) for _, part in imputed],
        "Quantité": [fmt.quantity(part.quantity) for _, part in imputed],
        "Valeur": [fmt.amount(part.value, currency) for _, part in imputed],
        "Saisie par": [f"{imputation.created_by}, {fmt.datetime(imputation.created_at)}"
                       for imputation, _ in imputed],
        "État": [imputation_state(imputation) for imputation, _ in imputed],
    }, "Aucune imputation.", f"Valeur imputée : {fmt.amount(detail.imputed_value, currency)}")

    proofs = detail.repatriations
    if _listing("Rapatriements", {
        "Montant": [fmt.amount(proof.amount, currency) for proof in proofs],
        "Date": [fmt.date(proof.repatriation_date) for proof in proofs],
        "Référence bancaire": [proof.bank_reference for proof in proofs],
        "Saisi par": [f"{proof.created_by}, {fmt.datetime(proof.created_at)}"
                      for proof in proofs],
        "Justificatif": [proof.file.file_name for proof in proofs],
        "État": [proof_state(proof) for proof in proofs],
    }, "Aucun rapatriement.",
            f"Rapatrié : {fmt.amount(detail.repatriated_amount, currency)} sur "
            f"{fmt.amount(detail.imputed_value, currency)} imputés."):
        _files(actor, detail.id, [proof.file for proof in proofs], f"file_rep_{detail.id}")

    for missing in detail.missing:
        st.warning(missing, icon=":material/edit_note:")
    for warning in detail.warnings:
        st.info(warning, icon=":material/info:")


def imputation_state(imputation: ImputationView, *, with_author: bool = False) -> str:
    if not imputation.is_reversed:
        return (f"En vigueur (saisie par {imputation.created_by}, "
                f"{fmt.datetime(imputation.created_at)})" if with_author else "En vigueur")
    return (f"Annulée le {fmt.datetime(imputation.reversed_at)} par {imputation.reversed_by} : "
            f"{imputation.reversal_reason}")


def proof_state(proof: RepatriationView) -> str:
    if not proof.is_withdrawn:
        return "En vigueur"
    return (f"Retiré le {fmt.datetime(proof.withdrawn_at)} par {proof.withdrawn_by} : "
            f"{proof.withdrawal_reason}")


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


def revision_comparison(actor: Actor, detail: LicenceDetail, key: str) -> None:
    """*Comparer avec la révision visée*: after a *Demande de modification*, what changed since
    the visa, for the exporter and for the MCE who re-visas."""
    if detail.revision < 1:
        return
    found = read(lambda: reading.compare_revisions(actor, detail))
    if found is None:
        return
    title = (f"Comparer avec la révision visée ({found.visaed_revision}, visa "
             f"{found.visa_number} du {fmt.date(found.visa_date)}) — "
             f"{len(found.changed)} différence(s)")
    with st.expander(title, icon=":material/compare_arrows:"):
        every = st.toggle("Afficher aussi les champs inchangés", key=f"{key}_compare_all")
        comparison_table(found, only_changes=not every)


def print_button(detail: LicenceDetail, key: str) -> None:
    """*Imprimer*: the licence as a PDF, built only when the user clicks."""
    st.download_button(
        "Imprimer", icon=":material/print:", type="primary", key=f"{key}_print",
        width="stretch", data=lambda: pdf.licence_pdf(detail),
        file_name=f"{detail.registration_number}.pdf", mime=fmt.MIME["pdf"],
        on_click="ignore",
    )


def print_blank_button(key: str) -> None:
    """*Imprimer Vide*: the blank form to fill by hand."""
    st.download_button(
        "Imprimer Vide", icon=":material/description:", key=f"{key}_print_blank",
        width="stretch", data=lambda: pdf.blank_licence_pdf(),
        file_name="licence-vierge.pdf", mime=fmt.MIME["pdf"], on_click="ignore",
    )
