"""The licence subscription screen: header form, the four sections with their dialogs, the
checklist and the guide's buttons. Every write is one core call through `ui.forms.call`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

import streamlit as st

from core import drafting
from core.records import Actor, GoodsLineView, LicenceDetail
from core.reference import search_tariffs
from ui import format as fmt
from ui.choices import form_options, select
from ui.dialogs import Width, confirm_buttons, dialog_state, open_dialog, show_dialog
from ui.forms import call, errors, field_error, flash, other_errors, upload_parts
from ui.licence_view import DRAFT_PAGE, MANAGE_PAGE

DIALOG = "eld_dialog"
_md = fmt.md_escape  # stored text drawn through Markdown: shown as typed, never a link or image


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


def _stored(licence: LicenceDetail) -> Header:
    """The header of `licence` as its fields show it."""
    return {"recipient": licence.recipient or "", "category": licence.category,
            "total_amount": str(licence.total_amount).replace(".", ","),
            "currency": licence.currency, "customs_regime": licence.customs_regime,
            "customs_office": licence.customs_office, "payment_terms": licence.payment_terms,
            "incoterm": licence.incoterm}


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
    lists = form_options()
    quiet: dict[str, Any] = {"disabled": not editable, "on_change": "ignore"}
    left, right = st.columns(2)
    with left:
        recipient = st.text_input("Destinataire (facultatif)", value=shown["recipient"] or "",
                                  max_chars=200, **quiet, key=f"h_recipient_{suffix}")
        field_error("header", "recipient")
        category = select("Catégorie de la Licence", lists.categories, f"h_category_{suffix}",
                          current=shown["category"], **quiet)
        field_error("header", "category")
        amount = st.text_input("Montant total", value=shown["total_amount"] or "",
                               placeholder="ex. 12500,50", **quiet, key=f"h_amount_{suffix}")
        field_error("header", "total_amount")
        currency = select("Devise", lists.currencies, f"h_currency_{suffix}",
                          current=shown["currency"], **quiet)
        field_error("header", "currency")
    with right:
        regime = select("Régime douanier", lists.regimes, f"h_regime_{suffix}",
                        current=shown["customs_regime"], show_code=False, **quiet)
        field_error("header", "customs_regime")
        office = select("Bureau douanier", lists.offices, f"h_office_{suffix}",
                        current=shown["customs_office"], **quiet)
        field_error("header", "customs_office")
        terms = select("Modalité de paiement", lists.payment_terms, f"h_terms_{suffix}",
                       current=shown["payment_terms"], show_code=False, **quiet)
        field_error("header", "payment_terms")
        incoterm = select("Incoterm", lists.incoterms, f"h_incoterm_{suffix}",
                          current=shown["incoterm"], show_code=False, **quiet)
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
        created = call("header", lambda: drafting.create_licence(actor, values), rerun=False)
        if created is not None:
            flash(f"Licence créée : n° d'enregistrement {created.registration_number}",
                  next_page=True)
            st.switch_page(DRAFT_PAGE, query_params={"id": str(created.id)})
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
    result = call("header", lambda: drafting.update_header(
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


def _mine(detail: LicenceDetail, change: Callable[[], LicenceDetail]
          ) -> Callable[[], LicenceDetail]:
    """A section change made from this screen with the version it showed: the header fields,
    untouched by it, follow the new version (a change by someone else still conflicts)."""
    def run() -> LicenceDetail:
        result = change()
        key = _state_key(detail.id)
        base: _Base | None = st.session_state.get(key)
        if base is not None and base.version == detail.version:
            st.session_state[key] = replace(base, version=result.version)
        return result
    return run


# ---------------------------------------------------------------- sections
def _add_button(kind: str, editable: bool) -> None:
    """*Ajouter* of a section: opens its dialog (`kind`), without the refusals of the last one."""
    st.button("Ajouter", key=f"{kind}_open", on_click=open_dialog, args=(DIALOG, kind),
              kwargs={"forms": (kind,)}, disabled=not editable)


def _section_head(title: str, kind: str, editable: bool, widths: list[int]) -> None:
    """A section's title, its *Ajouter*, and the refusal of its last removal."""
    head, button = st.columns(widths, vertical_alignment="bottom")
    head.markdown(f"#### {title}")
    with button:
        _add_button(kind, editable)
    field_error(f"{kind}_list", "_", "_conflict")


class _Listed(Protocol):
    @property
    def id(self) -> int: ...


Item = TypeVar("Item", bound=_Listed)


def _items(detail: LicenceDetail, kind: str, items: Sequence[Item], widths: list[int],
           cells: Callable[[Item], list[str]], what: Callable[[Item], str],
           remove: Callable[[int], LicenceDetail], editable: bool, *, form: str = "") -> None:
    """The lines of a section: each one's cells, then the bin that removes it (one core call,
    its refusal shown by the section: `form`, by default `<kind>_list`)."""
    for item in items:
        *columns, last = st.columns(widths, vertical_alignment="center")
        for column, cell in zip(columns, cells(item), strict=True):
            column.markdown(cell)
        label = what(item)
        with last:
            if st.button("", icon=":material/delete:", key=f"{kind}_del_{item.id}",
                         help=f"Retirer {label}", disabled=not editable):
                call(form or f"{kind}_list",
                     _mine(detail, lambda item_id=item.id: remove(item_id)),
                     f"{label[0].upper()}{label[1:]} retiré(e).")


def _file_cell(name: str, size: int) -> str:
    return f":material/picture_as_pdf: {_md(name)} ({fmt.size(size)})"


def _dialog(kind: str, title: str, body: Callable[[], None], width: Width = "small") -> None:
    if dialog_state(DIALOG, kind) is not None:
        show_dialog(title, DIALOG, body, width=width)


def _add_buttons(form: str, prefix: str, save: Callable[[], object], success: str, *,
                 on_saved: Callable[[], None] | None = None) -> None:
    confirm_buttons(DIALOG, form, save, success, label="Ajouter", key=f"{prefix}_add",
                    close_key=f"{prefix}_close", on_saved=on_saved)


def countries_section(actor: Actor, detail: LicenceDetail, editable: bool) -> None:
    st.markdown("#### Pays de destination")
    chosen = {c.code for c in detail.countries}
    pick, add = st.columns([4, 1], vertical_alignment="bottom")
    with pick:
        country = select("Pays", {code: name for code, name in form_options().destinations.items()
                                  if code not in chosen},
                         "country_pick", show_code=False, disabled=not editable)
    with add:
        if st.button("Ajouter", key="country_add", disabled=not editable):
            call("country", _mine(detail, lambda: drafting.add_country(
                actor, detail.id, detail.version, country or "")), "Pays de destination ajouté.")
    field_error("country", "country", "_", "_conflict")
    if not detail.countries:
        st.caption("Au moins un pays de destination doit être renseigné.")
    _items(detail, "country", detail.countries, [6, 1],
           lambda c: [f"{_md(c.name)} ({_md(c.code)})"], lambda c: f"le pays {c.name}",
           lambda item_id: drafting.remove_country(actor, detail.id, detail.version, item_id),
           editable, form="country")


def invoices_section(actor: Actor, detail: LicenceDetail, editable: bool) -> None:
    _section_head("Factures", "invoice", editable, [3, 1])
    if not detail.invoices:
        st.caption("Au moins une facture doit être ajoutée.")
    _items(detail, "invoice", detail.invoices, [3, 2, 4, 1],
           lambda i: [f"**{fmt.amount(i.amount, detail.currency)}**", fmt.date(i.invoice_date),
                      _file_cell(i.file.file_name, i.file.size)],
           lambda _: "la facture",
           lambda item_id: drafting.remove_invoice(actor, detail.id, detail.version, item_id),
           editable)
    if detail.invoices:
        st.caption(f"Total des factures : {fmt.amount(detail.invoices_total, detail.currency)}")
    _dialog("invoice", "Ajouter une facture", lambda: _invoice_body(actor, detail))


def _invoice_body(actor: Actor, detail: LicenceDetail) -> None:
    amount = st.text_input("Montant", placeholder="ex. 12500,50", key="inv_amount")
    field_error("invoice", "amount")
    day = st.date_input("Date", value=None, format="DD/MM/YYYY", key="inv_date",
                        max_value=dt.date.today())
    field_error("invoice", "invoice_date")
    st.text_input("Devise", value=detail.currency, disabled=True, key="inv_currency")
    upload = st.file_uploader("Sélectionner", type=["pdf"], key="inv_file",
                              help="Facture scannée, PDF de 3 Mo au plus.")
    field_error("invoice", "file")
    other_errors("invoice", {"amount", "invoice_date", "file"})
    _add_buttons("invoice", "inv", _mine(detail, lambda: drafting.add_invoice(
        actor, detail.id, detail.version, amount, day, *upload_parts(upload))),
        "Facture ajoutée.")


def documents_section(actor: Actor, detail: LicenceDetail, editable: bool) -> None:
    _section_head("Documents", "document", editable, [9, 1])
    if not detail.documents:
        st.caption("Facultatif : tout document qui appuie la demande (PDF, 3 Mo au plus).")
    _items(detail, "document", detail.documents, [3, 3, 3, 1],
           lambda doc: [f"**{_md(doc.doc_type_label)}**",
                        f"{_md(doc.description)} — {fmt.date(doc.doc_date)}",
                        _file_cell(doc.file.file_name, doc.file.size)],
           lambda _: "le document",
           lambda item_id: drafting.remove_document(actor, detail.id, detail.version, item_id),
           editable)
    _dialog("document", "Ajouter un document", lambda: _document_body(actor, detail))


def _document_body(actor: Actor, detail: LicenceDetail) -> None:
    doc_type = select("Type du document", form_options().document_types, "doc_type",
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
    _add_buttons("document", "doc", _mine(detail, lambda: drafting.add_document(
        actor, detail.id, detail.version, doc_type or "", description, day,
        *upload_parts(upload))), "Document ajouté.")


def goods_section(actor: Actor, detail: LicenceDetail, editable: bool) -> None:
    _section_head("Marchandises", "goods", editable, [9, 1])
    if not detail.goods:
        st.caption("Au moins une marchandise est requise.")
    _items(detail, "goods", detail.goods, [4, 3, 3, 1], _goods_cells, lambda _: "la marchandise",
           lambda item_id: drafting.remove_goods_line(actor, detail.id, detail.version, item_id),
           editable)
    _dialog("goods", "Ajouter une marchandise", lambda: _goods_body(actor, detail), "large")


def _goods_cells(line: GoodsLineView) -> list[str]:
    units = (f"  \n{fmt.quantity(line.supplementary_units)} "
             f"{_md(line.supplementary_unit_name or '')}"
             if line.supplementary_units is not None else "")
    return [f"**{line.line_no}. {_md(line.designation)}**  \n"
            f"Origine : {_md(line.origin_country_name)}",
            f"`{line.tariff_code}`  \n{_md(line.tariff_description[:70])}",
            f"Qté {fmt.quantity(line.quantity)} · {fmt.quantity(line.net_weight)} kg{units}"]


def _goods_body(actor: Actor, detail: LicenceDetail) -> None:
    designation = st.text_input("Désignation commerciale", max_chars=300, key="g_designation")
    field_error("goods", "designation")
    origin = select("Pays d'origine de la marchandise", form_options().countries, "g_origin",
                    current="MA", show_code=False)
    field_error("goods", "origin_country")
    quantity_column, weight_column, units_column = st.columns(3)
    quantity = quantity_column.text_input("Quantité", key="g_quantity")
    weight = weight_column.text_input("Poids net (kg)", key="g_weight")
    units = units_column.text_input("Unités complémentaires", key="g_units")
    field_error("goods", "quantity", "net_weight", "supplementary_units")
    tariff_picker()
    field_error("goods", "tariff_code")
    other_errors("goods", {"designation", "origin_country", "quantity", "net_weight",
                           "supplementary_units", "tariff_code"})
    _add_buttons("goods", "g", _mine(detail, lambda: drafting.add_goods_line(
        actor, detail.id, detail.version, designation=designation, origin_country=origin or "",
        quantity=quantity, net_weight=weight, supplementary_units=units or None,
        tariff_code=st.session_state.get("g_tariff", ""))), "Marchandise ajoutée.",
        on_saved=lambda: st.session_state.pop("g_tariff", None))


def tariff_picker() -> None:
    """The guide's magnifying glass: search by code prefix or words, pick a row, *Choisir*."""
    chosen = st.session_state.get("g_tariff")
    label = st.session_state.get("g_tariff_label", "")
    shown, toggle = st.columns([5, 1], vertical_alignment="bottom")
    shown.text_input("Nomenclature douanière", value=f"{chosen} – {label}" if chosen else "",
                     disabled=True, key=f"g_tariff_shown_{chosen}")
    if toggle.button("", icon=":material/search:", key="g_search_toggle",
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
def checklist(detail: LicenceDetail) -> None:
    st.markdown("#### Vérification avant soumission")
    if detail.missing:
        for item in detail.missing:
            st.markdown(f'<div class="eld-missing">☐ {fmt.html_text(item)}</div>',
                        unsafe_allow_html=True)
    else:
        st.markdown("☑ Pays de destination, factures et marchandises renseignés : la licence "
                    "peut être soumise pour visa.")
    for warning in detail.warnings:
        st.warning(_md(warning), icon=":material/error:")


def action_bar(actor: Actor, detail: LicenceDetail, editable: bool, header: HeaderEdit) -> None:
    """The guide's buttons. *Sauvegarder* saves the header as shown (the sections are saved by
    their own dialogs) and says so only once core has accepted it."""
    submit, cancel, save, close, back = st.columns(5)
    if submit.button("Soumettre pour visa", type="primary", key="submit",
                     disabled=not editable or bool(detail.missing)):
        if header.pending:  # known only in this run: header edits do not rerun the page
            st.session_state[_SUBMIT_PENDING] = True
            st.rerun()
        call("actions", lambda: drafting.submit_for_visa(actor, detail.id, detail.version),
             f"Licence {detail.registration_number} soumise pour visa MCE.")
    if cancel.button("Annuler", key="cancel_open", disabled=not editable):
        open_dialog(DIALOG, "cancel", forms=("cancel",))
        st.rerun()
    if save.button("Sauvegarder", key="save_all", disabled=not editable):
        if _save_header(actor, header, None):
            flash(f"Licence {detail.registration_number} sauvegardée : vous pourrez y revenir "
                  "depuis la Gestion des Licences d'Exportation.", next_page=True)
            st.switch_page(MANAGE_PAGE)
        st.session_state[_SAVE_ALL_REFUSED] = True
        st.rerun()
    if close.button("Fermer", key="close"):
        st.switch_page(MANAGE_PAGE)
    if back.button("Retour", key="back"):
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
    _dialog("cancel", "Annuler la licence", lambda: _cancel_body(actor, detail))


def _cancel_body(actor: Actor, detail: LicenceDetail) -> None:
    st.markdown(f"Licence **{_md(detail.registration_number)}** — l'annulation est définitive.")
    reason = st.text_area("Motif de l'annulation", max_chars=1000, key="cancel_reason")
    field_error("cancel", "reason", "_", "_conflict")
    confirm_buttons(DIALOG, "cancel", lambda: drafting.cancel_licence(
        actor, detail.id, detail.version, reason), f"Licence {detail.registration_number} annulée.",
        label="Confirmer l'annulation", key="cancel_confirm", close_key="cancel_close")
