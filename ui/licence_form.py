"""The licence subscription screen: header form, the four sections with their dialogs, the
checklist and the guide's buttons. Every write is one core call through `ui.forms.call`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from core import services
from core.errors import ValidationFailed
from core.reference import FormOptions, form_options, search_tariffs
from core.views import Actor, LicenceDetail
from ui import format as fmt
from ui.forms import call, clear, errors, field_error, flash, other_errors

MANAGE_PAGE = "pages/2_Gestion_des_Licences.py"
EDIT_PAGE = "pages/1_Nouvelle_Licence.py"
DIALOG = "eld_dialog"
_md = fmt.md_escape  # stored text drawn through Markdown: shown as typed, never a link or image


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
    (The header fields keep their own base version: see `header_section`.)
    """
    key = f"eld_seen_version_{detail.id}"
    seen = st.session_state.get(key)
    st.session_state[key] = detail.version
    return detail if seen is None else replace(detail, version=seen)


# ---------------------------------------------------------------- header
HEADER_FIELDS = ("recipient", "category", "total_amount", "currency", "customs_regime",
                 "customs_office", "payment_terms", "incoterm")
_KEYS = {"recipient": "h_recipient", "category": "h_category", "total_amount": "h_amount",
         "currency": "h_currency", "customs_regime": "h_regime", "customs_office": "h_office",
         "payment_terms": "h_terms", "incoterm": "h_incoterm"}
_NEW = {"recipient": "", "category": "LE", "total_amount": "", "currency": "EUR",
        "customs_regime": None, "customs_office": None, "payment_terms": "VF", "incoterm": None}
HEADER_OPEN = "header_open"  # the expander's state, opened again after a refused save
_REOPEN = "eld_header_reopen"
_SAVE_ALL_REFUSED = "eld_save_all_refused"
_SUBMIT_PENDING = "eld_submit_pending"

Header = dict[str, str | None]


def _stored(d: LicenceDetail) -> Header:
    """The header of `d` as its fields show it."""
    return {"recipient": d.recipient or "", "category": d.category,
            "total_amount": str(d.total_amount).replace(".", ","), "currency": d.currency,
            "customs_regime": d.customs_regime, "customs_office": d.customs_office,
            "payment_terms": d.payment_terms, "incoterm": d.incoterm}


@dataclass(frozen=True)
class _Base:
    """Where the header fields of an open draft come from.

    They are plain widgets (not an `st.form`) that keep what was typed over any number of runs
    (a section added, a dialog, a refused save): the version seen in the previous run
    (`as_seen`) does not say which version they were filled from. `version` is that one, and
    it moves only when this screen knows what changed since: a save of its own, a section
    change of its own made from that version, or a conflict message already shown. Anything
    else done meanwhile by someone else makes the save answer with core's conflict message.
    """

    gen: int  # part of the widget keys: a new generation refills the fields
    version: int
    filled: Header  # what was stored when the fields were (re)filled
    shown: Header  # what the fields showed when they were drawn first
    drawn: bool = False


@dataclass(frozen=True)
class HeaderEdit:
    """What the header fields show in this run, for both *Sauvegarder* buttons."""

    licence_id: int
    base: _Base
    values: Header  # what the fields show now
    stored: Header  # what the database holds at the top of this run
    stored_version: int
    editable: bool

    @property
    def pending(self) -> bool:
        """Edits typed in the header and not saved yet."""
        return self.editable and self.values != self.base.shown


def _state_key(licence_id: int) -> str:
    return f"eld_header_{licence_id}"


def _typed(licence_id: int, gen: int) -> Header:
    return {name: st.session_state.get(f"{key}_{licence_id}_{gen}")
            for name, key in _KEYS.items()}


def _current_base(licence: LicenceDetail, stored: Header) -> _Base:
    base: _Base | None = st.session_state.get(_state_key(licence.id))
    if base is None or (base.drawn and f"h_recipient_{licence.id}_{base.gen}"
                        not in st.session_state):
        # the fields are drawn now from what is stored (screen opened, or opened again)
        return _Base(base.gen + 1 if base else 0, licence.version, stored, stored)
    if base.drawn and stored != base.filled and _typed(licence.id, base.gen) == base.shown:
        # someone else changed the header and nothing is typed here: show it; the version is
        # kept, so a save still gets core's conflict message first
        return replace(base, gen=base.gen + 1, filled=stored, shown=stored, drawn=False)
    return base


def _header_fields(shown: Mapping[str, str | None], suffix: str, editable: bool) -> Header:
    """The guide's header fields, each with its French refusal underneath.

    `on_change="ignore"`: an edit does not rerun the page, it travels with the next click. With
    a rerun per edit, the run started by leaving one field could redraw the page (a message
    gone, every element moved) while the next field was being typed: that field was rebuilt
    and its text dropped, so a *Sauvegarder* clicked right then saved the old value (seen in a
    real browser, about one click in twenty).
    """
    opts = options()
    off = not editable
    quiet: dict[str, Any] = {"disabled": off, "on_change": "ignore"}
    c1, c2 = st.columns(2)
    with c1:
        recipient = st.text_input("Destinataire (facultatif)", value=shown["recipient"] or "",
                                  max_chars=200, **quiet, key=f"h_recipient_{suffix}")
        field_error("header", "recipient")
        category = _select("Catégorie de la Licence", opts.categories, shown["category"],
                           f"h_category_{suffix}", **quiet)
        field_error("header", "category")
        amount = st.text_input("Montant total", value=shown["total_amount"] or "",
                               placeholder="ex. 12500,50", **quiet, key=f"h_amount_{suffix}")
        field_error("header", "total_amount")
        currency = _select("Devise", opts.currencies, shown["currency"], f"h_currency_{suffix}",
                           **quiet)
        field_error("header", "currency")
    with c2:
        regime = _select("Régime douanier", opts.regimes, shown["customs_regime"],
                         f"h_regime_{suffix}", show_code=False, **quiet)
        field_error("header", "customs_regime")
        office = _select("Bureau douanier", opts.offices, shown["customs_office"],
                         f"h_office_{suffix}", **quiet)
        field_error("header", "customs_office")
        terms = _select("Modalité de paiement", opts.payment_terms, shown["payment_terms"],
                        f"h_terms_{suffix}", show_code=False, **quiet)
        field_error("header", "payment_terms")
        incoterm = _select("Incoterm", opts.incoterms, shown["incoterm"], f"h_incoterm_{suffix}",
                           show_code=False, **quiet)
        field_error("header", "incoterm")
    other_errors("header", set(HEADER_FIELDS))
    return {"recipient": recipient, "category": category, "total_amount": amount,
            "currency": currency, "customs_regime": regime, "customs_office": office,
            "payment_terms": terms, "incoterm": incoterm}


def new_licence_form(actor: Actor) -> None:
    """A new licence: one form, one *Sauvegarder*, which creates it and opens its screen."""
    with st.form("header"):
        values = _header_fields(_NEW, "new", True)
        saved = st.form_submit_button("Sauvegarder", type="primary")
    if saved:
        created = call("header", lambda: services.create_licence(actor, values), rerun=False)
        if created is not None:
            flash(f"Licence créée : n° d'enregistrement {created.registration_number}",
                  next_page=True)
            st.switch_page(EDIT_PAGE, query_params={"id": str(created.id)})
        st.rerun()


def header_section(actor: Actor, licence: LicenceDetail, editable: bool) -> HeaderEdit:
    """*Données de la licence* of an existing licence, `licence` as loaded in this run.

    Plain widgets, not an `st.form`: a form's values travel only with its own submit button,
    and the action bar's *Sauvegarder* must save what the screen shows too.
    """
    stored = _stored(licence)
    if editable:
        base = _current_base(licence, stored)
        suffix = f"{licence.id}_{base.gen}"
    else:  # read-only: always what is stored
        base = _Base(-1, licence.version, stored, stored)
        suffix = f"{licence.id}_ro{licence.version}"
    if st.session_state.pop(_REOPEN, False):
        st.session_state[HEADER_OPEN] = True
    with st.expander("Données de la licence", key=HEADER_OPEN, on_change="rerun"):
        values = _header_fields(base.filled, suffix, editable)
        saved = st.button("Sauvegarder", type="primary", key="header_save",
                          disabled=not editable)
    if not base.drawn:
        base = replace(base, shown=values, drawn=True)
    if editable:
        st.session_state[_state_key(licence.id)] = base
    edit = HeaderEdit(licence.id, base, values, stored, licence.version, editable)
    if saved:
        _save_header(actor, edit, "En-tête de la licence sauvegardé.")
        st.rerun()
    return edit


def _save_header(actor: Actor, edit: HeaderEdit, success: str | None) -> bool:
    """One `update_header` with the values shown, checked against the fields' base version."""
    result = call("header", lambda: services.update_header(
        actor, edit.licence_id, edit.base.version, edit.values), success, rerun=False)
    key = _state_key(edit.licence_id)
    if result is not None:
        # the fields keep what was typed, which is what is stored now
        st.session_state[key] = replace(edit.base, version=result.version,
                                        filled=_stored(result), shown=edit.values)
        return True
    st.session_state[_REOPEN] = True
    if "_conflict" in errors("header"):
        # core's message is on screen: from now on the fields answer for the stored version
        if edit.stored == edit.base.filled:  # the header itself was not changed elsewhere
            st.session_state[key] = replace(edit.base, version=edit.stored_version)
        else:
            st.session_state[key] = _Base(edit.base.gen + 1, edit.stored_version, edit.stored,
                                          edit.stored)
            flash("L'en-tête affiche maintenant les données enregistrées par l'autre "
                  "utilisateur : vos modifications n'ont pas été sauvegardées.", "warning")
    return False


def _mine(d: LicenceDetail, change: Callable[[], LicenceDetail]) -> Callable[[], LicenceDetail]:
    """A section change made from this screen with the version it showed: the header fields,
    untouched by it, follow the new version (a change by someone else still conflicts)."""
    def run() -> LicenceDetail:
        result = change()
        key = _state_key(d.id)
        base: _Base | None = st.session_state.get(key)
        if base is not None and base.version == d.version:
            st.session_state[key] = replace(base, version=result.version)
        return result
    return run


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
            add = _mine(d, lambda: services.add_country(actor, d.id, d.version, country or ""))
            call("country", add, "Pays de destination ajouté.")
    field_error("country", "country", "_", "_conflict")
    if not d.countries:
        st.caption("Au moins un pays de destination doit être renseigné.")
    for c in d.countries:
        a, b = st.columns([6, 1], vertical_alignment="center")
        a.markdown(f"{_md(c.name)} ({_md(c.code)})")
        with b:
            _bin(f"country_del_{c.id}", f"le pays {c.name}", not editable,
                 _mine(d, lambda c=c: services.remove_country(actor, d.id, d.version, c.id)),
                 "country")


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
        c.markdown(f":material/picture_as_pdf: {_md(inv.file.file_name)} "
                   f"({fmt.size(inv.file.size)})")
        with e:
            _bin(f"invoice_del_{inv.id}", "la facture", not editable,
                 _mine(d, lambda i=inv: services.remove_invoice(actor, d.id, d.version, i.id)),
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
    _dialog_footer("invoice", "inv", _mine(d, lambda: services.add_invoice(
        actor, d.id, d.version, amount, day, *_file(upload, "Joignez la facture scannée (PDF)."))),
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
        a.markdown(f"**{_md(doc.doc_type_label)}**")
        b.markdown(f"{_md(doc.description)} — {fmt.date(doc.doc_date)}")
        c.markdown(f":material/picture_as_pdf: {_md(doc.file.file_name)} "
                   f"({fmt.size(doc.file.size)})")
        with e:
            _bin(f"document_del_{doc.id}", "le document", not editable,
                 _mine(d, lambda x=doc: services.remove_document(actor, d.id, d.version, x.id)),
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
    _dialog_footer("document", "doc", _mine(d, lambda: services.add_document(
        actor, d.id, d.version, doc_type or "", description, day,
        *_file(upload, "Joignez le document (PDF)."))), "Document ajouté.")


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
        a.markdown(f"**{g.line_no}. {_md(g.designation)}**  \n"
                   f"Origine : {_md(g.origin_country_name)}")
        b.markdown(f"`{g.tariff_code}`  \n{_md(g.tariff_description[:70])}")
        units = (f"  \n{fmt.quantity(g.supplementary_units)} {_md(g.supplementary_unit_name or '')}"
                 if g.supplementary_units is not None else "")
        c.markdown(f"Qté {fmt.quantity(g.quantity)} · {fmt.quantity(g.net_weight)} kg{units}")
        with e:
            _bin(f"goods_del_{g.id}", "la marchandise", not editable,
                 _mine(d, lambda x=g: services.remove_goods_line(actor, d.id, d.version, x.id)),
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
    _dialog_footer("goods", "g", _mine(d, lambda: services.add_goods_line(
        actor, d.id, d.version, designation=designation, origin_country=origin or "",
        quantity=quantity, net_weight=weight, supplementary_units=units or None,
        tariff_code=st.session_state.get("g_tariff", ""))), "Marchandise ajoutée.",
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
                            format_func=lambda c: f"{c} – {_md(labels[c])}"
                            + (f" [unité : {_md(units[c])}]" if units[c] else ""))
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
            st.markdown(f'<div class="eld-missing">☐ {fmt.html_text(item)}</div>',
                        unsafe_allow_html=True)
    else:
        st.markdown("☑ Pays de destination, factures et marchandises renseignés : la licence "
                    "peut être soumise pour visa.")
    for warning in d.warnings:
        st.warning(_md(warning), icon=":material/error:")


def action_bar(actor: Actor, d: LicenceDetail, editable: bool, header: HeaderEdit) -> None:
    """The guide's buttons. *Sauvegarder* saves the header as shown (the sections are saved by
    their own dialogs) and says so only once core has accepted it."""
    cols = st.columns(5)
    if cols[0].button("Soumettre pour visa", type="primary", key="submit",
                      disabled=not editable or bool(d.missing)):
        if header.pending:  # known only in this run: header edits do not rerun the page
            st.session_state[_SUBMIT_PENDING] = True
            st.rerun()
        call("actions", lambda: services.submit_for_visa(actor, d.id, d.version),
             f"Licence {d.registration_number} soumise pour visa MCE.")
    if cols[1].button("Annuler", key="cancel_open", disabled=not editable):
        _open("cancel")
        st.rerun()
    if cols[2].button("Sauvegarder", key="save_all", disabled=not editable):
        if _save_header(actor, header, None):
            flash(f"Licence {d.registration_number} sauvegardée : vous pourrez y revenir "
                  "depuis la Gestion des Licences d'Exportation.", next_page=True)
            st.switch_page(MANAGE_PAGE)
        st.session_state[_SAVE_ALL_REFUSED] = True
        st.rerun()
    if cols[3].button("Fermer", key="close"):
        st.switch_page(MANAGE_PAGE)
    if cols[4].button("Retour", key="back"):
        st.switch_page(MANAGE_PAGE)
    if st.session_state.pop(_SAVE_ALL_REFUSED, False) and errors("header"):
        st.error("Rien n'a été sauvegardé : voyez le message dans « Données de la licence » "
                 "ci-dessus.", icon=":material/error:")
    if st.session_state.pop(_SUBMIT_PENDING, False) and header.pending:
        st.error("Licence non soumise : l'en-tête a des modifications non sauvegardées. "
                 "*Sauvegarder* d'abord.", icon=":material/error:")
    elif header.pending:
        st.caption("L'en-tête a des modifications non sauvegardées.")
    field_error("actions", "submit", "_", "_conflict", "reason")
    if st.session_state.get(DIALOG) == "cancel":
        cancel_dialog(actor, d)


@st.dialog("Annuler la licence", on_dismiss=_close)
def cancel_dialog(actor: Actor, d: LicenceDetail) -> None:
    st.markdown(f"Licence **{_md(d.registration_number)}** — l'annulation est définitive.")
    reason = st.text_area("Motif de l'annulation", max_chars=1000, key="cancel_reason")
    field_error("cancel", "reason", "_", "_conflict")
    _dialog_footer("cancel", "cancel", lambda: services.cancel_licence(
        actor, d.id, d.version, reason), f"Licence {d.registration_number} annulée.",
        confirm_key="cancel_confirm", confirm_label="Confirmer l'annulation")
