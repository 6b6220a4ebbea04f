"""What the three counterparty screens share: work-queue tables, the search by number, the MCE's
decision dialogs and history, the imputation form, the repatriation form and *Apurer*. Paging and
the choice of one licence are `ui.paging`'s; every write is one core call through
`ui.forms.call`; dialogs open from a session-state flag (`ui.dialogs`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from core import access, circuit, decisions, reading
from core.circuit import DECISIONS, BankRow, CustomsRow, DecisionFilters, VisaQueueRow
from core.config import settings
from core.lifecycle import Action, is_allowed, latest_validity_end
from core.records import Actor, LicenceDetail, Page
from ui import format as fmt
from ui import licence_view, paging
from ui.choices import form_options, select
from ui.dialogs import confirm_buttons, dialog_state, open_dialog, show_dialog
from ui.forms import (
    call,
    clear,
    field_error,
    flash,
    generation,
    other_errors,
    read,
    upload_parts,
)

T = TypeVar("T")
R = TypeVar("R", bound=VisaQueueRow | CustomsRow | BankRow)  # a row of a work queue
MCE_DIALOG = "eld_dialog_mce"
HISTORY_DIALOG = "eld_dialog_circuit_history"


def table(data: dict[str, list[Any]], *, right: Sequence[str] = (),
          small: Sequence[str] = ()) -> None:
    """A work-queue page (st.dataframe: fixed row height, every column visible)."""
    config = {c: st.column_config.TextColumn(alignment="right" if c in right else None,
                                             width="small" if c in small else None)
              for c in data if c in right or c in small}
    st.dataframe(pd.DataFrame(data), hide_index=True, width="stretch", column_config=config)


def wrapped(data: dict[str, list[Any]], empty: str = "") -> None:
    """A few rows whose long texts wrap (designations), so no column is pushed out of view;
    `empty` instead when there is no row."""
    if empty and not any(data.values()):
        st.caption(empty)
        return
    st.table(licence_view.text_frame(data), hide_index=True, border="horizontal")


# ------------------------------------------------------------------ queues
def fetch(prefix: str, read_page: Callable[[int, int], Page[T]]) -> Page[T] | None:
    """The current page of a work queue (`read_page(number, size)`); a refusal is shown."""
    return read(lambda: paging.paged(
        prefix, lambda number: read_page(number, paging.PAGE_SIZE)))


def pick(actor: Actor, prefix: str, page: Page[R]) -> tuple[R, LicenceDetail | None]:
    """Under a work queue's page: *Précédent* / *Suivant*, the licence to work on (« number —
    company ») and its detail (None when core refuses it, with its message shown)."""
    paging.pager(prefix, page)
    row = paging.choose_licence(prefix, page.rows,
                                lambda r: f"{r.registration_number} — {r.company_name}")
    return row, read(lambda: reading.get_licence(actor, row.id))


def _reset_number(prefix: str) -> None:
    st.session_state[f"{prefix}_number"] = ""
    for key in (f"eld_{prefix}_number", paging.page_key(prefix)):
        st.session_state.pop(key, None)
    clear(f"{prefix}_search")


def number_search(prefix: str, check: Callable[[str], object]) -> str | None:
    """*Rechercher* by registration number (exact or its beginning); `check` asks core."""
    form = f"{prefix}_search"
    with st.form(f"{prefix}_search_form"):
        number_column, search_column, reset_column = st.columns([4, 1, 1],
                                                                vertical_alignment="bottom")
        number_column.text_input(
            "N° d'enregistrement", key=f"{prefix}_number", max_chars=20,
            placeholder="LE-2026-000123 ou LE-2026-", help="Numéro exact ou début.")
        go = search_column.form_submit_button(
            "Rechercher", type="primary", icon=":material/search:",
            key=f"{prefix}_search_button", width="stretch")
        reset_column.form_submit_button(
            "Réinitialiser", icon=":material/restart_alt:", width="stretch",
            key=f"{prefix}_reset_button", on_click=_reset_number, args=(prefix,))
        field_error(form, "number", "_")
    if go:
        value = str(st.session_state.get(f"{prefix}_number", "")).strip()
        if call(form, lambda: check(value), rerun=False) is not None:
            st.session_state[f"eld_{prefix}_number"] = value
            st.session_state[paging.page_key(prefix)] = 1
        st.rerun()
    return st.session_state.get(f"eld_{prefix}_number") or None


def _suffix(form: str, detail: LicenceDetail) -> str:
    """Widget keys of a write form: a success moves its generation, which empties the form.
    (Not the licence's version: a change by someone else must not wipe what the user typed.)"""
    return f"{detail.id}_{generation(form)}"


# ------------------------------------------------------------------ MCE
DECISION_FORMS = {"visa": "mce_visa", "refuse": "mce_refuse", "send_back": "mce_send_back"}


def decision_buttons(detail: LicenceDetail) -> None:
    with st.container(horizontal=True):
        for kind, label, icon, kind_type in (
            ("visa", "Accorder le visa", ":material/verified:", "primary"),
            ("refuse", "Refuser", ":material/block:", "secondary"),
            ("send_back", "Renvoyer pour correction", ":material/undo:", "secondary"),
        ):
            st.button(label, icon=icon, type=kind_type, key=f"mce_{kind}_open",
                      on_click=open_dialog, args=(MCE_DIALOG, kind, detail),
                      kwargs={"forms": tuple(DECISION_FORMS.values())})
        licence_view.history_button(detail, HISTORY_DIALOG, "mce_history")


def _visa_body(actor: Actor, info: dict[str, Any]) -> None:
    form, licence_id = DECISION_FORMS["visa"], info["id"]
    today = access.today()
    number = st.text_input("Numéro de visa",
                           value=circuit.suggested_visa_number(info["number"], today),
                           max_chars=40, key=f"mce_visa_number_{licence_id}")
    field_error(form, "visa_number")
    end = st.date_input("Fin de validité", value=decisions.default_validity_end(today),
                        min_value=today + dt.timedelta(days=1),
                        max_value=latest_validity_end(today), format="DD/MM/YYYY",
                        key=f"mce_visa_end_{licence_id}")
    st.caption(f"Par défaut : {settings().visa_validity_months} mois après la date du visa "
               f"({fmt.date(today)}).")
    field_error(form, "validity_end")
    other_errors(form, {"visa_number", "validity_end"})
    confirm_buttons(
        MCE_DIALOG, form,
        lambda: decisions.grant_visa(actor, licence_id, info["version"], number, end),
        f"Visa accordé à la licence {info['number']} (visa n° {number.strip()}).",
        label="Accorder le visa", key="mce_visa_confirm", close_key="mce_visa_close",
        width="stretch")


def _reason_body(actor: Actor, info: dict[str, Any], kind: str) -> None:
    form, licence_id, number = DECISION_FORMS[kind], info["id"], info["number"]
    if kind == "refuse":
        label, button, decide, success = (
            "Motif du refus", "Refuser le visa", decisions.refuse_visa,
            f"Visa refusé pour la licence {number}.")
        st.markdown("Le refus est **définitif** : la licence passe à l'état *Refusée*.")
    else:
        label, button, decide, success = (
            "Motif du renvoi", "Renvoyer pour correction", decisions.send_back,
            f"Licence {number} renvoyée à l'exportateur pour correction.")
        st.markdown("La licence revient en *Brouillon* : l'exportateur voit ce motif, corrige "
                    "et soumet à nouveau.")
    reason = st.text_area(label, max_chars=1000, key=f"{form}_reason_{licence_id}", height=110)
    field_error(form, "reason")
    other_errors(form, {"reason"})
    confirm_buttons(
        MCE_DIALOG, form, lambda: decide(actor, licence_id, info["version"], reason), success,
        label=button, key=f"{form}_confirm", close_key=f"{form}_close", width="stretch")


def decision_dialogs(actor: Actor) -> None:
    for kind, title in (("visa", "Accorder le visa"), ("refuse", "Refuser le visa"),
                        ("send_back", "Renvoyer pour correction")):
        info = dialog_state(MCE_DIALOG, kind)
        if info is not None:
            body = (lambda i=info: _visa_body(actor, i)) if kind == "visa" else (
                lambda i=info, k=kind: _reason_body(actor, i, k))
            show_dialog(f"{title} — {info['number']}", MCE_DIALOG, body, width="medium")


def decisions_history(actor: Actor) -> None:
    """*Historique des décisions*: number, type of decision, period; newest first."""
    prefix, form = "mce_dec", "mce_dec_search"
    choices = {"": "Toutes", **{action.value: action.label for action in DECISIONS}}
    with st.form("mce_dec_form"):
        number_column, decision_column, from_column, to_column = st.columns([2, 2, 1, 1])
        with number_column:
            number = st.text_input("N° d'enregistrement", max_chars=20, key="mce_dec_number",
                                   placeholder="LE-2026-000123 ou LE-2026-")
            field_error(form, "number")
        decision = decision_column.selectbox("Décision", list(choices),
                                             format_func=choices.__getitem__,
                                             key="mce_dec_decision")
        start = from_column.date_input("Du", value=None, format="DD/MM/YYYY", key="mce_dec_from")
        with to_column:
            end = st.date_input("Au", value=None, format="DD/MM/YYYY", key="mce_dec_to")
            field_error(form, "date_to")
        other_errors(form, {"number", "date_to"})
        go = st.form_submit_button("Rechercher", type="primary", icon=":material/search:",
                                   key="mce_dec_search_button")
    if go:
        filters = DecisionFilters(number.strip() or None, decision or None, start, end)
        if call(form, lambda: circuit.mce_decisions(actor, filters, 1, 1),
                rerun=False) is not None:
            st.session_state["eld_mce_dec_filters"] = filters
            st.session_state[paging.page_key(prefix)] = 1
        st.rerun()
    filters = st.session_state.get("eld_mce_dec_filters") or DecisionFilters()
    found = fetch(prefix, lambda page, size: circuit.mce_decisions(actor, filters, page, size))
    if found is None:
        return
    if not found.rows:
        st.info("Aucune décision ne correspond à la recherche.")
        return
    rows = found.rows
    table({
        fmt.with_local_time("Date"): [fmt.datetime(r.occurred_at) for r in rows],
        "N° d'enregistrement": [r.registration_number for r in rows],
        "Exportateur": [r.company_name for r in rows],
        "Décision": [r.action_label for r in rows],
        "Par": [r.username for r in rows],
        "Statut actuel": [r.current_status.label for r in rows],
        "Motif / visa": [r.details or "" for r in rows],
    }, small=("Par",))
    paging.pager(prefix, found, "décision")


# ------------------------------------------------------------------ customs
def goods_balance(detail: LicenceDetail) -> None:
    goods = detail.goods
    wrapped({
        "N°": [str(line.line_no) for line in goods],
        "Désignation commerciale": [line.designation for line in goods],
        "Nomenclature": [line.tariff_code for line in goods],
        "Quantité licenciée": [fmt.quantity(line.quantity) for line in goods],
        "Quantité imputée": [fmt.quantity(line.imputed_quantity) for line in goods],
        "Quantité restante": [fmt.quantity(line.remaining_quantity) for line in goods],
        f"Valeur imputée ({detail.currency})": [fmt.amount(line.imputed_value)
                                                for line in goods],
    })


def imputation_form(actor: Actor, detail: LicenceDetail) -> None:
    """One customs declaration: reference, date, office, quantity and value per goods line."""
    form = "impute"
    suffix = _suffix(form, detail)
    today = access.today()
    known = {"declaration_ref", "declaration_date", "customs_office", "lines"}
    with st.form(f"impute_form_{suffix}", border=True):
        st.markdown("**Nouvelle imputation**")
        ref_column, date_column, office_column = st.columns(3)
        with ref_column:
            ref = st.text_input("Référence de la déclaration", max_chars=40,
                                key=f"imp_ref_{suffix}", placeholder="ex. DUM-2026-0001234")
            field_error(form, "declaration_ref")
        with date_column:
            day = st.date_input("Date de la déclaration", value=today, max_value=today,
                                min_value=min(detail.visa_date or today, today),
                                format="DD/MM/YYYY", key=f"imp_date_{suffix}")
            field_error(form, "declaration_date")
        with office_column:
            office = select("Bureau douanier", form_options().offices, f"imp_office_{suffix}",
                            current=detail.customs_office)
            field_error(form, "customs_office")
        widths = [4, 2, 2, 2]
        for column, title in zip(st.columns(widths), ("Marchandise", "Reste à imputer",
                                                      "Quantité à imputer",
                                                      f"Valeur déclarée ({detail.currency})"),
                                 strict=True):
            column.markdown(f"<small><b>{fmt.html_text(title)}</b></small>",
                            unsafe_allow_html=True)
        values: dict[int, tuple[str, str]] = {}
        for line in detail.goods:
            goods_column, rest_column, quantity_column, value_column = st.columns(
                widths, vertical_alignment="center")
            goods_column.markdown(fmt.md_escape(f"{line.line_no}. {line.designation}"))
            rest_column.markdown(fmt.quantity(line.remaining_quantity))
            done = line.remaining_quantity <= 0
            values[line.id] = (
                quantity_column.text_input(
                    f"Quantité à imputer — ligne {line.line_no}", disabled=done,
                    key=f"imp_qty_{line.id}_{suffix}", label_visibility="collapsed",
                    placeholder="soldée" if done else "0"),
                value_column.text_input(
                    f"Valeur déclarée — ligne {line.line_no}", disabled=done,
                    key=f"imp_val_{line.id}_{suffix}", label_visibility="collapsed",
                    placeholder="" if done else "0,00"),
            )
            fields = (f"quantity_{line.id}", f"value_{line.id}", f"line_{line.id}")
            known.update(fields)
            field_error(form, *fields)
        field_error(form, "lines")
        other_errors(form, known)
        go = st.form_submit_button("Imputer", type="primary", icon=":material/playlist_add_check:",
                                   key="imp_submit")
    if go:
        lines = {gid: typed for gid, typed in values.items() if any(x.strip() for x in typed)}
        imputed = call(form, lambda: decisions.impute(
            actor, detail.id, detail.version, declaration_ref=ref, declaration_date=day,
            customs_office=office or "", lines=lines), rerun=False, renew=True)
        if imputed is not None:
            flash(f"Déclaration {ref.strip().upper()} imputée sur la licence "
                  f"{detail.registration_number} : « {imputed.status.label} ».")
        st.rerun()


def imputations_table(detail: LicenceDetail) -> None:
    """Every declaration imputed on the licence, those reversed included (kept on record)."""
    imputations = detail.imputations
    wrapped({
        "Déclaration": [i.declaration_ref for i in imputations],
        "Date": [fmt.date(i.declaration_date) for i in imputations],
        "Bureau": [i.customs_office for i in imputations],
        "Lignes": [", ".join(f"{part.line_no} : {fmt.quantity(part.quantity)}"
                             for part in i.lines) for i in imputations],
        f"Valeur ({detail.currency})": [fmt.amount(i.total_value) for i in imputations],
        "État": [licence_view.imputation_state(i, with_author=True) for i in imputations],
    }, "Aucune imputation.")


@dataclass(frozen=True)
class _Correction:
    """The reversal of one mistaken record (an imputation, a repatriation proof)."""

    form: str
    action: Action
    title: str
    pick_label: str
    reason_label: str
    button: str
    done: str  # the success message, with {record} and {number}


REVERSAL = _Correction(
    "reverse", Action.REVERSE_IMPUTATION, "Annuler une imputation erronée",
    "Imputation à annuler", "Motif de l'annulation", "Annuler l'imputation",
    "Imputation {record} annulée sur la licence {number}.")
WITHDRAWAL = _Correction(
    "withdraw", Action.WITHDRAW_REPATRIATION, "Retirer un justificatif enregistré par erreur",
    "Justificatif à retirer", "Motif du retrait", "Retirer le justificatif",
    "Justificatif {record} retiré de la licence {number}.")


def _record(reference: str, day: dt.date, amount: Decimal, currency: str) -> str:
    return f"{reference} du {fmt.date(day)} — {fmt.amount(amount, currency)}"


def _correction_form(actor: Actor, detail: LicenceDetail, correction: _Correction,
                     records: dict[int, str], save: Callable[[int, str], LicenceDetail]) -> None:
    """Reverse one of `records` (id -> label) with a mandatory reason."""
    if not records or not is_allowed(detail.status, correction.action, actor.role):
        return
    form = correction.form
    suffix = _suffix(form, detail)
    with st.expander(correction.title, icon=":material/undo:"), \
            st.form(f"{form}_form_{suffix}"):
        chosen = st.selectbox(correction.pick_label, list(records),
                              format_func=records.__getitem__, key=f"{form}_pick_{suffix}")
        field_error(form, "imputation", "repatriation")
        reason = st.text_area(correction.reason_label, max_chars=1000,
                              key=f"{form}_reason_{suffix}", height=90)
        field_error(form, "reason")
        other_errors(form, {"imputation", "repatriation", "reason"})
        go = st.form_submit_button(correction.button, icon=":material/undo:",
                                   key=f"{form}_submit")
    if go:
        call(form, lambda: save(int(chosen), reason),
             correction.done.format(record=records[int(chosen)],
                                    number=detail.registration_number), renew=True)


def reversal_form(actor: Actor, detail: LicenceDetail) -> None:
    """*Annuler une imputation* erronée: quantities and value go back to the licence."""
    _correction_form(
        actor, detail, REVERSAL,
        {i.id: _record(i.declaration_ref, i.declaration_date, i.total_value, detail.currency)
         for i in detail.imputations if not i.is_reversed},
        lambda record_id, reason: decisions.reverse_imputation(
            actor, detail.id, detail.version, record_id, reason))


def withdrawal_form(actor: Actor, detail: LicenceDetail) -> None:
    """*Retirer un justificatif* recorded by mistake, before *Apurée*."""
    _correction_form(
        actor, detail, WITHDRAWAL,
        {proof.id: _record(proof.bank_reference, proof.repatriation_date, proof.amount,
                           detail.currency)
         for proof in detail.repatriations if not proof.is_withdrawn},
        lambda record_id, reason: decisions.withdraw_repatriation(
            actor, detail.id, detail.version, record_id, reason))


# ------------------------------------------------------------------ bank
def position(row: BankRow) -> None:
    imputed, repatriated, due = st.columns(3)
    imputed.metric("Valeur imputée", fmt.amount(row.imputed_value, row.currency))
    repatriated.metric("Rapatrié", fmt.amount(row.repatriated_amount, row.currency))
    due.metric("Reste dû", fmt.amount(row.remaining_due, row.currency))


def repatriations_table(detail: LicenceDetail) -> None:
    proofs = detail.repatriations
    wrapped({
        "Date": [fmt.date(proof.repatriation_date) for proof in proofs],
        "Référence bancaire": [proof.bank_reference for proof in proofs],
        f"Montant ({detail.currency})": [fmt.amount(proof.amount) for proof in proofs],
        "Justificatif": [proof.file.file_name for proof in proofs],
        "Saisi par": [f"{proof.created_by}, {fmt.datetime(proof.created_at)}"
                      for proof in proofs],
        "État": [licence_view.proof_state(proof) for proof in proofs],
    }, "Aucun justificatif de rapatriement enregistré.")


def repatriation_form(actor: Actor, detail: LicenceDetail, row: BankRow) -> None:
    form = "repatriation"
    suffix = _suffix(form, detail)
    today = access.today()
    with st.form(f"rep_form_{suffix}", border=True):
        st.markdown("**Ajouter un justificatif de rapatriement**")
        amount_column, date_column, ref_column = st.columns(3)
        with amount_column:
            amount = st.text_input(f"Montant ({detail.currency})", key=f"rep_amount_{suffix}",
                                   placeholder=f"reste dû {fmt.amount(row.remaining_due)}")
            field_error(form, "amount")
        with date_column:
            day = st.date_input("Date", value=today, max_value=today, format="DD/MM/YYYY",
                                key=f"rep_date_{suffix}")
            field_error(form, "repatriation_date")
        with ref_column:
            ref = st.text_input("Référence bancaire", max_chars=60, key=f"rep_ref_{suffix}")
            field_error(form, "bank_reference")
        upload = st.file_uploader("Sélectionner", type=["pdf"], key=f"rep_file_{suffix}",
                                  help="Avis de rapatriement, PDF de 3 Mo au plus.")
        field_error(form, "file")
        other_errors(form, {"amount", "repatriation_date", "bank_reference", "file"})
        go = st.form_submit_button("Enregistrer", type="primary", icon=":material/save:",
                                   key="rep_submit")
    if go:
        file_name, data = upload_parts(upload)
        call(form, lambda: decisions.record_repatriation(
            actor, detail.id, detail.version, amount=amount, repatriation_date=day,
            bank_reference=ref, file_name=file_name, data=data),
            f"Justificatif {ref.strip().upper()} enregistré sur la licence "
            f"{detail.registration_number}.", renew=True)


def settle_button(actor: Actor, detail: LicenceDetail, row: BankRow) -> None:
    if st.button("Apurer", type="primary", icon=":material/task_alt:", key="settle",
                 disabled=not row.settleable):
        call("settle", lambda: decisions.settle(actor, detail.id, detail.version),
             f"Licence {detail.registration_number} apurée.")
    if row.settle_blocker:
        st.caption(row.settle_blocker)
    field_error("settle", "_", "_conflict")
