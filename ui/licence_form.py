"""The licence subscription screen: header form, the four sections with their dialogs, the
checklist and the guide's buttons. Every write is one core call through `ui.forms.call`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from core import services
from core.errors import ValidationFailed
from core.reference import FormOptions, form_options, search_tariffs
from core.views import Actor, LicenceDetail
from ui import format as fmt
from ui.forms import call, clear, field_error, other_errors

MANAGE_PAGE = "pages/2_Gestion_des_Licences.py"
EDIT_PAGE = "pages/1_Nouvelle_Licence.py"
DIALOG = "eld_dialog"


@st.cache_resource(ttl=60, show_spinner=False)
def options() -> FormOptions:
    return form_options()


def _select(label: str, choices: Mapping[str, str], current: str | None, key: str,
            *, show_code: bool = True, **kwargs: Any) -> str | None:
    codes = list(choices)
    index = codes.index(current) if current in codes else None
    return st.selectbox(
        label, codes, index=index, key=key, placeholder="Sélectionnez…",
        format_func=(lambda c: f"{c} – {choices[c]}") if show_code else (lambda c: choices[c]),
        **kwargs,
    )


def as_seen(detail: LicenceDetail) -> LicenceDetail:
    """The licence with the version the user saw in the previous run.

    Streamlit reloads the licence at the top of the run that handles a click; saving with that
    fresh version would overwrite a change made by someone else in the meantime. Actions use
    the version of what was on screen, so core answers with its conflict message instead.
    """
    key = f"eld_seen_version_{detail.id}"
    seen = st.session_state.get(key)
    st.session_state[key] = detail.version
    return detail if seen is None else replace(detail, version=seen)


# ---------------------------------------------------------------- header
HEADER_FIELDS = ("recipient", "category", "total_amount", "currency", "customs_regime",
                 "customs_office", "payment_terms", "incoterm")


def header_form(actor: Actor, detail: LicenceDetail | None, *, editable: bool = True) -> None:
    opts = options()
    d = detail
    suffix = f"{d.id}_{d.version}" if d else "new"
    with st.form("header"):
        c1, c2 = st.columns(2)
        with c1:
            recipient = st.text_input("Destinataire (facultatif)",
                                      value=(d.recipient or "") if d else "", max_chars=200,
                                      disabled=not editable, key=f"h_recipient_{suffix}")
            field_error("header", "recipient")
            category = _select("Catégorie de la Licence", opts.categories,
                               d.category if d else "LE", f"h_category_{suffix}", disabled=not editable)
            field_error("header", "category")
            amount = st.text_input("Montant total", value=str(d.total_amount) if d else "",
                                   placeholder="ex. 12500,50", disabled=not editable,
                                   key=f"h_amount_{suffix}")
            field_error("header", "total_amount")
            currency = _select("Devise", opts.currencies, d.currency if d else "EUR",
                               f"h_currency_{suffix}", disabled=not editable)
            field_error("header", "currency")
        with c2:
            regime = _select("Régime douanier", opts.regimes, d.customs_regime if d else None,
                             f"h_regime_{suffix}", show_code=False, disabled=not editable)
            field_error("header", "customs_regime")
            office = _select("Bureau douanier", opts.offices, d.customs_office if d else None,
                             f"h_office_{suffix}", disabled=not editable)
            field_error("header", "customs_office")
            terms = _select("Modalité de paiement", opts.payment_terms,
                            d.payment_terms if d else "VF", f"h_terms_{suffix}", show_code=False,
                            disabled=not editable)
            field_error("header", "payment_terms")
            incoterm = _select("Incoterm", opts.incoterms, d.incoterm if d else None,
                               f"h_incoterm_{suffix}", show_code=False, disabled=not editable)
            field_error("header", "incoterm")
        other_errors("header", set(HEADER_FIELDS))
        saved = st.form_submit_button("Sauvegarder", type="primary", disabled=not editable)
    if saved:
        values = {"recipient": recipient, "category": category, "total_amount": amount,
                  "currency": currency, "customs_regime": regime, "customs_office": office,
                  "payment_terms": terms, "incoterm": incoterm}
        if d is None:
            created = call("header", lambda: services.create_licence(actor, values), rerun=False)
            if created is not None:
                st.session_state["eld_flash"] = (
                    "success", f"Licence créée : n° d'enregistrement {created.registration_number}")
                st.switch_page(EDIT_PAGE, query_params={"id": str(created.id)})
            st.rerun()
        else:
            call("header", lambda: services.update_header(actor, d.id, d.version, values),
                 "En-tête de la licence sauvegardé.")


# ---------------------------------------------------------------- sections
def _open(name: str) -> None:
    st.session_state[DIALOG] = name


def _close() -> None:
    st.session_state.pop(DIALOG, None)
    for form in ("invoice", "document", "goods"):
        clear(form)


def _file(upload: Any, message: str) -> tuple[str, bytes]:
    """(name, bytes) of the chosen file, or the French refusal of a dialog sent without one."""
    if upload is None:
        raise ValidationFailed({"file": message})
    return upload.name, upload.getvalue()


def _dialog_footer(form: str, prefix: str, save: Callable[[], Any], success: str, *,
                   confirm_key: str | None = None, confirm_label: str = "Ajouter",
                   on_saved: Callable[[], None] | None = None) -> None:
    """*Ajouter* (one core call; the dialog closes on success, keeps its errors otherwise) and
    *Fermer*."""
    a, b = st.columns(2)
    if a.button(confirm_label, type="primary", key=confirm_key or f"{prefix}_add"):
        if call(form, save, success, rerun=False) is not None:
            _close()
            if on_saved:
                on_saved()
        st.rerun()
    if b.button("Fermer", key=f"{prefix}_close"):
        _close()
        st.rerun()


def _bin(key: str, label: str, disabled: bool, action: Callable[[], Any], form: str) -> None:
    if st.button("", icon=":material/delete:", key=key, help=f"Retirer {label}",
                 disabled=disabled):
        call(form, action, f"{label[0].upper()}{label[1:]} retiré(e).")


def countries_section(actor: Actor, d: LicenceDetail, editable: bool) -> None:
    st.markdown("#### Pays de destination")
    opts = options()
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    with c1:
        country = _select("Pays", {k: v for k, v in opts.destinations.items()
                                   if k not in {c.code for c in d.countries}},
                          None, "country_pick", show_code=False, disabled=not editable)
    with c2:
        if st.button("Ajouter", key="country_add", disabled=not editable):
            call("country", lambda: services.add_country(actor, d.id, d.version, country or ""),
                 "Pays de destination ajouté.")
    field_error("country", "country", "_", "_conflict")
    if not d.countries:
        st.caption("Au moins un pays de destination doit être renseigné.")
    for c in d.countries:
        a, b = st.columns([6, 1], vertical_alignment="center")
        a.markdown(f"{c.name} ({c.code})")
        with b:
            _bin(f"country_del_{c.id}", f"le pays {c.name}", not editable,
                 lambda c=c: services.remove_country(actor, d.id, d.version, c.id), "country")


def _files_table(rows: list[dict[str, Any]]) -> None:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def invoices_section(actor: Actor, d: LicenceDetail, editable: bool) -> None:
    head, button = st.columns([3, 1], vertical_alignment="bottom")
    head.markdown("#### Factures")
    with button:
        st.button("Ajouter", key="invoice_open", on_click=_open, args=("invoice",),
                  disabled=not editable)
    field_error("invoice_list", "_", "_conflict")
    if not d.invoices:
        st.caption("Au moins une facture doit être ajoutée.")
    for inv in d.invoices:
        a, b, c, e = st.columns([3, 2, 4, 1], vertical_alignment="center")
        a.markdown(f"**{fmt.amount(inv.amount, d.currency)}**")
        b.markdown(fmt.date(inv.invoice_date))
        c.markdown(f":material/picture_as_pdf: {inv.file.file_name} ({fmt.size(inv.file.size)})")
        with e:
            _bin(f"invoice_del_{inv.id}", "la facture", not editable,
                 lambda i=inv: services.remove_invoice(actor, d.id, d.version, i.id),
                 "invoice_list")
    if d.invoices:
        st.caption(f"Total des factures : {fmt.amount(d.invoices_total, d.currency)}")
    if st.session_state.get(DIALOG) == "invoice":
        invoice_dialog(actor, d)


@st.dialog("Ajouter une facture", on_dismiss=_close)
def invoice_dialog(actor: Actor, d: LicenceDetail) -> None:
    amount = st.text_input("Montant", placeholder="ex. 12500,50", key="inv_amount")
    field_error("invoice", "amount")
    day = st.date_input("Date", value=None, format="DD/MM/YYYY", key="inv_date",
                        max_value=dt.date.today())
    field_error("invoice", "invoice_date")
    st.text_input("Devise", value=d.currency, disabled=True, key="inv_currency")
    upload = st.file_uploader("Sélectionner", type=["pdf"], key="inv_file",
                              help="Facture scannée, PDF de 3 Mo au plus.")
    field_error("invoice", "file")
    other_errors("invoice", {"amount", "invoice_date", "file"})
    _dialog_footer("invoice", "inv", lambda: services.add_invoice(
        actor, d.id, d.version, amount, day, *_file(upload, "Joignez la facture scannée (PDF).")),
        "Facture ajoutée.")


def documents_section(actor: Actor, d: LicenceDetail, editable: bool) -> None:
    head, button = st.columns([9, 1], vertical_alignment="bottom")
    head.markdown("#### Documents")
    with button:
        st.button("Ajouter", key="document_open", on_click=_open, args=("document",),
                  disabled=not editable)
    field_error("document_list", "_", "_conflict")
    if not d.documents:
        st.caption("Facultatif : tout document qui appuie la demande (PDF, 3 Mo au plus).")
    for doc in d.documents:
        a, b, c, e = st.columns([3, 3, 3, 1], vertical_alignment="center")
        a.markdown(f"**{doc.doc_type_label}**")
        b.markdown(f"{doc.description} — {fmt.date(doc.doc_date)}")
        c.markdown(f":material/picture_as_pdf: {doc.file.file_name} ({fmt.size(doc.file.size)})")
        with e:
            _bin(f"document_del_{doc.id}", "le document", not editable,
                 lambda x=doc: services.remove_document(actor, d.id, d.version, x.id),
                 "document_list")
    if st.session_state.get(DIALOG) == "document":
        document_dialog(actor, d)


@st.dialog("Ajouter un document", on_dismiss=_close)
def document_dialog(actor: Actor, d: LicenceDetail) -> None:
    opts = options()
    doc_type = _select("Type du document", opts.document_types, None, "doc_type",
                       show_code=False)
    field_error("document", "doc_type")
    description = st.text_input("Description", max_chars=300, key="doc_description")
    field_error("document", "description")
    day = st.date_input("Date", value=dt.date.today(), format="DD/MM/YYYY", key="doc_date",
                        max_value=dt.date.today())
    field_error("document", "doc_date")
    upload = st.file_uploader("Sélectionner", type=["pdf"], key="doc_file",
                              help="PDF de 3 Mo au plus.")
    field_error("document", "file")
    other_errors("document", {"doc_type", "description", "doc_date", "file"})
    _dialog_footer("document", "doc", lambda: services.add_document(
        actor, d.id, d.version, doc_type or "", description, day,
        *_file(upload, "Joignez le document (PDF).")), "Document ajouté.")


def goods_section(actor: Actor, d: LicenceDetail, editable: bool) -> None:
    head, button = st.columns([9, 1], vertical_alignment="bottom")
    head.markdown("#### Marchandises")
    with button:
        st.button("Ajouter", key="goods_open", on_click=_open, args=("goods",),
                  disabled=not editable)
    field_error("goods_list", "_", "_conflict")
    if not d.goods:
        st.caption("Au moins une marchandise est requise.")
    for g in d.goods:
        a, b, c, e = st.columns([4, 3, 3, 1], vertical_alignment="center")
        a.markdown(f"**{g.line_no}. {g.designation}**  \nOrigine : {g.origin_country_name}")
        b.markdown(f"`{g.tariff_code}`  \n{g.tariff_description[:70]}")
        units = (f"  \n{fmt.quantity(g.supplementary_units)} {g.supplementary_unit_name or ''}"
                 if g.supplementary_units is not None else "")
        c.markdown(f"Qté {fmt.quantity(g.quantity)} · {fmt.quantity(g.net_weight)} kg{units}")
        with e:
            _bin(f"goods_del_{g.id}", "la marchandise", not editable,
                 lambda x=g: services.remove_goods_line(actor, d.id, d.version, x.id),
                 "goods_list")
    if st.session_state.get(DIALOG) == "goods":
        goods_dialog(actor, d)


@st.dialog("Ajouter une marchandise", width="large", on_dismiss=_close)
def goods_dialog(actor: Actor, d: LicenceDetail) -> None:
    opts = options()
    designation = st.text_input("Désignation commerciale", max_chars=300, key="g_designation")
    field_error("goods", "designation")
    origin = _select("Pays d'origine de la marchandise", opts.countries, "MA", "g_origin",
                     show_code=False)
    field_error("goods", "origin_country")
    c1, c2, c3 = st.columns(3)
    quantity = c1.text_input("Quantité", key="g_quantity")
    weight = c2.text_input("Poids net (kg)", key="g_weight")
    units = c3.text_input("Unités complémentaires", key="g_units")
    field_error("goods", "quantity", "net_weight", "supplementary_units")
    tariff_picker()
    field_error("goods", "tariff_code")
    other_errors("goods", {"designation", "origin_country", "quantity", "net_weight",
                           "supplementary_units", "tariff_code"})
    _dialog_footer("goods", "g", lambda: services.add_goods_line(
        actor, d.id, d.version, designation=designation, origin_country=origin or "",
        quantity=quantity, net_weight=weight, supplementary_units=units or None,
        tariff_code=st.session_state.get("g_tariff", "")), "Marchandise ajoutée.",
        on_saved=lambda: st.session_state.pop("g_tariff", None))


def tariff_picker() -> None:
    """The guide's magnifying glass: search by code prefix or words, pick a row, *Choisir*."""
    chosen = st.session_state.get("g_tariff")
    label = st.session_state.get("g_tariff_label", "")
    a, b = st.columns([5, 1], vertical_alignment="bottom")
    a.text_input("Nomenclature douanière", value=f"{chosen} – {label}" if chosen else "",
                 disabled=True, key=f"g_tariff_shown_{chosen}")
    if b.button("", icon=":material/search:", key="g_search_toggle",
                help="Rechercher dans la nomenclature"):
        st.session_state["g_search_open"] = not st.session_state.get("g_search_open", False)
    if not st.session_state.get("g_search_open"):
        return
    with st.container(border=True):
        query = st.text_input("Code ou mots de la désignation", key="g_query",
                              placeholder="ex. 0805 ou clémentines")
        results = search_tariffs(query) if query.strip() else []
        if query.strip() and not results:
            st.info("Aucune nomenclature ne correspond.")
        if results:
            labels = {t.code: t.description for t in results}
            units = {t.code: t.supplementary_unit for t in results}
            pick = st.radio("Résultats", list(labels), key="g_pick",
                            format_func=lambda c: f"{c} – {labels[c]}"
                            + (f" [unité : {units[c]}]" if units[c] else ""))
            if st.button("Choisir", key="g_choose", type="primary"):
                st.session_state["g_tariff"] = pick
                st.session_state["g_tariff_label"] = labels[pick or ""][:90]
                st.session_state["g_search_open"] = False
                st.rerun()


# ---------------------------------------------------------------- checklist and buttons
def checklist(d: LicenceDetail) -> None:
    st.markdown("#### Vérification avant soumission")
    if d.missing:
        for item in d.missing:
            st.markdown(f'<div class="eld-missing">☐ {item}</div>', unsafe_allow_html=True)
    else:
        st.markdown("☑ Pays de destination, factures et marchandises renseignés : la licence "
                    "peut être soumise pour visa.")
    for warning in d.warnings:
        st.warning(warning, icon=":material/error:")


def action_bar(actor: Actor, d: LicenceDetail, editable: bool) -> None:
    cols = st.columns(5)
    if cols[0].button("Soumettre pour visa", type="primary", key="submit",
                      disabled=not editable or bool(d.missing)):
        call("actions", lambda: services.submit_for_visa(actor, d.id, d.version),
             f"Licence {d.registration_number} soumise pour visa MCE.")
    if cols[1].button("Annuler", key="cancel_open", disabled=not editable):
        _open("cancel")
        st.rerun()
    if cols[2].button("Sauvegarder", key="save_all", disabled=not editable):
        st.session_state["eld_flash"] = (
            "success", f"Licence {d.registration_number} sauvegardée : vous pourrez y revenir "
            "depuis la Gestion des Licences d'Exportation.")
        st.switch_page(MANAGE_PAGE)
    if cols[3].button("Fermer", key="close"):
        st.switch_page(MANAGE_PAGE)
    if cols[4].button("Retour", key="back"):
        st.switch_page(MANAGE_PAGE)
    field_error("actions", "submit", "_", "_conflict", "reason")
    if st.session_state.get(DIALOG) == "cancel":
        cancel_dialog(actor, d)


@st.dialog("Annuler la licence", on_dismiss=_close)
def cancel_dialog(actor: Actor, d: LicenceDetail) -> None:
    st.markdown(f"Licence **{d.registration_number}** — l'annulation est définitive.")
    reason = st.text_area("Motif de l'annulation", max_chars=1000, key="cancel_reason")
    field_error("cancel", "reason", "_", "_conflict")
    _dialog_footer("cancel", "cancel", lambda: services.cancel_licence(
        actor, d.id, d.version, reason), f"Licence {d.registration_number} annulée.",
        confirm_key="cancel_confirm", confirm_label="Confirmer l'annulation")
