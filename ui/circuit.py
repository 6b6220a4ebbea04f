"""What the three counterparty screens share: work-queue tables with paging, the choice of one
licence, the search by number, the MCE's decision dialogs and history, the imputation form, the
repatriation form and *Apurer*. Every write is one core call through `ui.forms.call`; dialogs
open from a session-state flag (`ui.licence_view.open_dialog`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from core import circuit, services
from core.circuit import DECISIONS, BankRow, DecisionFilters, Page, VisaQueueRow
from core.config import settings
from core.lifecycle import Action, is_allowed
from core.views import Actor, ImputationView, LicenceDetail, RepatriationView
from ui import format as fmt
from ui import licence_view as lv
from ui.forms import call, clear, field_error, flash, other_errors
from ui.search import options

T = TypeVar("T")
R = TypeVar("R")
PAGE_SIZE = 10
MCE_DIALOG = "eld_dialog_mce"
HISTORY_DIALOG = "eld_dialog_circuit_history"


def waiting(row: VisaQueueRow) -> str:
    hours = row.waiting_hours
    if hours >= 24:
        return f"{hours // 24} j {hours % 24} h"
    return f"{hours} h" if hours else "moins d'une heure"


def table(data: dict[str, list[Any]], *, right: Sequence[str] = (),
          small: Sequence[str] = ()) -> None:
    """A work-queue page (st.dataframe: fixed row height, every column visible)."""
    config = {c: st.column_config.TextColumn(alignment="right" if c in right else None,
                                             width="small" if c in small else None)
              for c in data if c in right or c in small}
    st.dataframe(pd.DataFrame(data), hide_index=True, width="stretch", column_config=config)


def wrapped(data: dict[str, list[Any]]) -> None:
    """A few rows whose long texts wrap (designations), so no column is pushed out of view."""
    st.table(lv.text_frame(data), hide_index=True, border="horizontal")


def heading(d: LicenceDetail, extra: str = "") -> None:
    st.markdown(f"<span class='eld-number'>{fmt.html_text(d.registration_number)}</span>"
                f"&nbsp;&nbsp;{fmt.badge(d.status)}&nbsp;&nbsp;"
                f"{fmt.html_text(d.company_name + extra)}", unsafe_allow_html=True)


# ------------------------------------------------------------------ queues
def _page_key(prefix: str) -> str:
    return f"eld_{prefix}_page"


def fetch(prefix: str, read: Callable[[int], Page[T]]) -> Page[T] | None:
    """The current page of a queue; back to the last page when the queue got shorter."""
    found = lv.read(lambda: read(int(st.session_state.get(_page_key(prefix), 1))))
    if found is not None and found.page > found.page_count:
        st.session_state[_page_key(prefix)] = found.page_count
        found = lv.read(lambda: read(found.page_count))
    return found


def pager(prefix: str, page: Page[Any], noun: str = "licence") -> None:
    prev, info, nxt = st.columns([1, 3, 1], vertical_alignment="center")
    if prev.button("Précédent", icon=":material/chevron_left:", key=f"{prefix}_prev",
                   disabled=page.page <= 1, width="stretch"):
        st.session_state[_page_key(prefix)] = page.page - 1
        st.rerun()
    info.markdown(f"<div style='text-align:center'>Page {page.page} / {page.page_count} — "
                  f"{page.total} {noun}{'s' if page.total > 1 else ''}</div>",
                  unsafe_allow_html=True)
    if nxt.button("Suivant", icon=":material/chevron_right:", icon_position="right",
                  key=f"{prefix}_next", disabled=page.page >= page.page_count, width="stretch"):
        st.session_state[_page_key(prefix)] = page.page + 1
        st.rerun()


def choose(prefix: str, rows: Sequence[R], label: Callable[[R], str]) -> R:
    """The licence the screen works on: one of the rows of the page shown (not empty).

    `label` must not change while the licence stays listed (number, company): the browser keeps
    the label it was first given for an option of a keyed selectbox."""
    by_id = {getattr(r, "id"): r for r in rows}  # noqa: B009
    key = f"{prefix}_choice"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = next(iter(by_id))
    chosen = st.selectbox("Licence", list(by_id), key=key, format_func=lambda i: label(by_id[i]))
    return by_id.get(chosen, rows[0])


def _reset_number(prefix: str) -> None:
    st.session_state[f"{prefix}_number"] = ""
    for name in ("number", "page"):
        st.session_state.pop(f"eld_{prefix}_{name}", None)
    clear(f"{prefix}_search")


def number_search(prefix: str, check: Callable[[str], object]) -> str | None:
    """*Rechercher* by registration number (exact or its beginning); `check` asks core."""
    form = f"{prefix}_search"
    with st.form(f"{prefix}_search_form"):
        a, b, c = st.columns([4, 1, 1], vertical_alignment="bottom")
        a.text_input("N° d'enregistrement", key=f"{prefix}_number", max_chars=20,
                     placeholder="LE-2026-000123 ou LE-2026-", help="Numéro exact ou début.")
        go = b.form_submit_button("Rechercher", type="primary", icon=":material/search:",
                                  key=f"{prefix}_search_button", width="stretch")
        c.form_submit_button("Réinitialiser", icon=":material/restart_alt:", width="stretch",
                             key=f"{prefix}_reset_button", on_click=_reset_number, args=(prefix,))
        field_error(form, "number", "_")
    if go:
        value = str(st.session_state.get(f"{prefix}_number", "")).strip()
        if call(form, lambda: check(value), rerun=False) is not None:
            st.session_state[f"eld_{prefix}_number"] = value
            st.session_state[_page_key(prefix)] = 1
        st.rerun()
    return st.session_state.get(f"eld_{prefix}_number") or None


def _suffix(form: str, d: LicenceDetail) -> str:
    """Widget keys of a write form: a success moves the counter, which empties the form. (Not
    the licence's version: a change by someone else must not wipe what the user typed.)"""
    return f"{d.id}_{st.session_state.get(f'eld_{form}_sent', 0)}"


def _sent(form: str) -> None:
    st.session_state[f"eld_{form}_sent"] = st.session_state.get(f"eld_{form}_sent", 0) + 1


def history_button(d: LicenceDetail, prefix: str) -> None:
    st.button("Historique", icon=":material/history:", key=f"{prefix}_history",
              on_click=lv.open_dialog, args=(HISTORY_DIALOG, "history", d))


# ------------------------------------------------------------------ MCE
DECISION_FORMS = {"visa": "mce_visa", "refuse": "mce_refuse", "send_back": "mce_send_back"}


def _open_decision(kind: str, d: LicenceDetail) -> None:
    for form in DECISION_FORMS.values():
        clear(form)
    lv.open_dialog(MCE_DIALOG, kind, d)


def decision_buttons(d: LicenceDetail) -> None:
    with st.container(horizontal=True):
        for kind, label, icon, kind_type in (
            ("visa", "Accorder le visa", ":material/verified:", "primary"),
            ("refuse", "Refuser", ":material/block:", "secondary"),
            ("send_back", "Renvoyer pour correction", ":material/undo:", "secondary"),
        ):
            st.button(label, icon=icon, type=kind_type, key=f"mce_{kind}_open",
                      on_click=_open_decision, args=(kind, d))
        history_button(d, "mce")


def _decide(form: str, fn: Callable[[], LicenceDetail], success: str) -> None:
    if call(form, fn, success, rerun=False) is not None:
        lv.close_dialog(MCE_DIALOG)
    st.rerun()


def _visa_body(actor: Actor, info: dict[str, Any]) -> None:
    form, lid = DECISION_FORMS["visa"], info["id"]
    today = services.today()
    number = st.text_input("Numéro de visa", value=circuit.suggested_visa_number(info["number"], today),
                           max_chars=40, key=f"mce_visa_number_{lid}")
    field_error(form, "visa_number")
    end = st.date_input("Fin de validité", value=services.default_validity_end(today),
                        min_value=today + dt.timedelta(days=1),
                        max_value=today + dt.timedelta(days=3 * 365), format="DD/MM/YYYY",
                        key=f"mce_visa_end_{lid}")
    st.caption(f"Par défaut : {settings().visa_validity_months} mois après la date du visa "
               f"({fmt.date(today)}).")
    field_error(form, "validity_end")
    other_errors(form, {"visa_number", "validity_end"})
    a, b = st.columns(2)
    if a.button("Accorder le visa", type="primary", key="mce_visa_confirm", width="stretch"):
        _decide(form, lambda: services.grant_visa(actor, lid, info["version"], number, end),
                f"Visa accordé à la licence {info['number']} (visa n° {number.strip()}).")
    if b.button("Fermer", key="mce_visa_close", width="stretch"):
        lv.close_dialog(MCE_DIALOG)
        st.rerun()


def _reason_body(actor: Actor, info: dict[str, Any], kind: str) -> None:
    form, lid, number = DECISION_FORMS[kind], info["id"], info["number"]
    if kind == "refuse":
        label, button, fn, success = (
            "Motif du refus", "Refuser le visa", services.refuse_visa,
            f"Visa refusé pour la licence {number}.")
        st.markdown("Le refus est **définitif** : la licence passe à l'état *Refusée*.")
    else:
        label, button, fn, success = (
            "Motif du renvoi", "Renvoyer pour correction", services.send_back,
            f"Licence {number} renvoyée à l'exportateur pour correction.")
        st.markdown("La licence revient en *Brouillon* : l'exportateur voit ce motif, corrige "
                    "et soumet à nouveau.")
    reason = st.text_area(label, max_chars=1000, key=f"{form}_reason_{lid}", height=110)
    field_error(form, "reason")
    other_errors(form, {"reason"})
    a, b = st.columns(2)
    if a.button(button, type="primary", key=f"{form}_confirm", width="stretch"):
        _decide(form, lambda: fn(actor, lid, info["version"], reason), success)
    if b.button("Fermer", key=f"{form}_close", width="stretch"):
        lv.close_dialog(MCE_DIALOG)
        st.rerun()


def decision_dialogs(actor: Actor) -> None:
    for kind, title in (("visa", "Accorder le visa"), ("refuse", "Refuser le visa"),
                        ("send_back", "Renvoyer pour correction")):
        info = lv.dialog_state(MCE_DIALOG, kind)
        if info is not None:
            body = (lambda i=info: _visa_body(actor, i)) if kind == "visa" else (
                lambda i=info, k=kind: _reason_body(actor, i, k))
            lv.show_dialog(f"{title} — {info['number']}", MCE_DIALOG, body, large=False)


def decisions_history(actor: Actor) -> None:
    """*Historique des décisions*: number, type of decision, period; newest first."""
    prefix, form = "mce_dec", "mce_dec_search"
    choices = {"": "Toutes", **{a.value: a.label for a in DECISIONS}}
    with st.form("mce_dec_form"):
        a, b, c, d = st.columns([2, 2, 1, 1])
        with a:
            number = st.text_input("N° d'enregistrement", max_chars=20, key="mce_dec_number",
                                   placeholder="LE-2026-000123 ou LE-2026-")
            field_error(form, "number")
        decision = b.selectbox("Décision", list(choices), format_func=choices.__getitem__,
                               key="mce_dec_decision")
        start = c.date_input("Du", value=None, format="DD/MM/YYYY", key="mce_dec_from")
        with d:
            end = st.date_input("Au", value=None, format="DD/MM/YYYY", key="mce_dec_to")
            field_error(form, "date_to")
        other_errors(form, {"number", "date_to"})
        go = st.form_submit_button("Rechercher", type="primary", icon=":material/search:",
                                   key="mce_dec_search_button")
    if go:
        filters = DecisionFilters(number.strip() or None, decision or None, start, end)
        if call(form, lambda: circuit.mce_decisions(actor, filters, 1, 1), rerun=False):
            st.session_state["eld_mce_dec_filters"] = filters
            st.session_state[_page_key(prefix)] = 1
        st.rerun()
    filters = st.session_state.get("eld_mce_dec_filters") or DecisionFilters()
    found = fetch(prefix, lambda n: circuit.mce_decisions(actor, filters, n, PAGE_SIZE))
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
    pager(prefix, found, "décision")


# ------------------------------------------------------------------ customs
def goods_balance(d: LicenceDetail) -> None:
    wrapped({
        "N°": [str(g.line_no) for g in d.goods],
        "Désignation commerciale": [g.designation for g in d.goods],
        "Nomenclature": [g.tariff_code for g in d.goods],
        "Quantité licenciée": [fmt.quantity(g.quantity) for g in d.goods],
        "Quantité imputée": [fmt.quantity(g.imputed_quantity) for g in d.goods],
        "Quantité restante": [fmt.quantity(g.remaining_quantity) for g in d.goods],
        f"Valeur imputée ({d.currency})": [fmt.amount(g.imputed_value) for g in d.goods],
    })


def imputation_form(actor: Actor, d: LicenceDetail) -> None:
    """One customs declaration: reference, date, office, quantity and value per goods line."""
    form = "impute"
    suffix = _suffix(form, d)
    offices = options().offices
    today = services.today()
    known = {"declaration_ref", "declaration_date", "customs_office", "lines"}
    with st.form(f"impute_form_{suffix}", border=True):
        st.markdown("**Nouvelle imputation**")
        a, b, c = st.columns(3)
        with a:
            ref = st.text_input("Référence de la déclaration", max_chars=40,
                                key=f"imp_ref_{suffix}", placeholder="ex. DUM-2026-0001234")
            field_error(form, "declaration_ref")
        with b:
            day = st.date_input("Date de la déclaration", value=today, max_value=today,
                                min_value=min(d.visa_date or today, today), format="DD/MM/YYYY",
                                key=f"imp_date_{suffix}")
            field_error(form, "declaration_date")
        with c:
            codes = list(offices)
            office = st.selectbox(
                "Bureau douanier", codes, key=f"imp_office_{suffix}",
                index=codes.index(d.customs_office) if d.customs_office in codes else None,
                format_func=lambda x: f"{x} – {offices[x]}", placeholder="Sélectionnez…")
            field_error(form, "customs_office")
        widths = [4, 2, 2, 2]
        for col, title in zip(st.columns(widths), ("Marchandise", "Reste à imputer",
                                                   "Quantité à imputer",
                                                   f"Valeur déclarée ({d.currency})"),
                              strict=True):
            col.markdown(f"<small><b>{fmt.html_text(title)}</b></small>",
                         unsafe_allow_html=True)
        values: dict[int, tuple[str, str]] = {}
        for g in d.goods:
            left, rest, qty, value = st.columns(widths, vertical_alignment="center")
            left.markdown(fmt.md_escape(f"{g.line_no}. {g.designation}"))
            rest.markdown(fmt.quantity(g.remaining_quantity))
            done = g.remaining_quantity <= 0
            values[g.id] = (
                qty.text_input(f"Quantité à imputer — ligne {g.line_no}", disabled=done,
                               key=f"imp_qty_{g.id}_{suffix}", label_visibility="collapsed",
                               placeholder="soldée" if done else "0"),
                value.text_input(f"Valeur déclarée — ligne {g.line_no}", disabled=done,
                                 key=f"imp_val_{g.id}_{suffix}", label_visibility="collapsed",
                                 placeholder="" if done else "0,00"),
            )
            fields = (f"quantity_{g.id}", f"value_{g.id}", f"line_{g.id}")
            known.update(fields)
            field_error(form, *fields)
        field_error(form, "lines")
        other_errors(form, known)
        go = st.form_submit_button("Imputer", type="primary", icon=":material/playlist_add_check:",
                                   key="imp_submit")
    if go:
        lines = {gid: v for gid, v in values.items() if any(x.strip() for x in v)}
        done = call(form, lambda: services.impute(
            actor, d.id, d.version, declaration_ref=ref, declaration_date=day,
            customs_office=office or "", lines=lines), rerun=False)
        if done is not None:
            _sent(form)
            flash(f"Déclaration {ref.strip().upper()} imputée sur la licence "
                  f"{d.registration_number} : « {done.status.label} ».")
        st.rerun()


def imputations_table(d: LicenceDetail) -> None:
    """Every declaration imputed on the licence, those reversed included (kept on record)."""
    if not d.imputations:
        st.caption("Aucune imputation.")
        return
    wrapped({
        "Déclaration": [i.declaration_ref for i in d.imputations],
        "Date": [fmt.date(i.declaration_date) for i in d.imputations],
        "Bureau": [i.customs_office for i in d.imputations],
        "Lignes": [", ".join(f"{x.line_no} : {fmt.quantity(x.quantity)}" for x in i.lines)
                   for i in d.imputations],
        f"Valeur ({d.currency})": [fmt.amount(i.total_value) for i in d.imputations],
        "État": [_reversal_state(i) for i in d.imputations],
    })


def _reversal_state(i: ImputationView) -> str:
    if not i.is_reversed:
        return f"En vigueur (saisie par {i.created_by}, {fmt.datetime(i.created_at)})"
    return (f"Annulée le {fmt.datetime(i.reversed_at)} par {i.reversed_by} : "
            f"{i.reversal_reason}")


def _correction_form(
    actor: Actor, d: LicenceDetail, *, form: str, action: Action, title: str, pick_label: str,
    items: dict[int, str], reason_label: str, button: str,
    save: Callable[[int, str], LicenceDetail], success: Callable[[str], str],
) -> None:
    """Reverse one mistaken record (imputation, repatriation proof) with a mandatory reason."""
    if not items or not is_allowed(d.status, action, actor.role):
        return
    suffix = _suffix(form, d)
    with st.expander(title, icon=":material/undo:"), st.form(f"{form}_form_{suffix}"):
        chosen = st.selectbox(pick_label, list(items), format_func=items.__getitem__,
                              key=f"{form}_pick_{suffix}")
        field_error(form, "imputation", "repatriation")
        reason = st.text_area(reason_label, max_chars=1000, key=f"{form}_reason_{suffix}",
                              height=90)
        field_error(form, "reason")
        other_errors(form, {"imputation", "repatriation", "reason"})
        go = st.form_submit_button(button, icon=":material/undo:", key=f"{form}_submit")
    if go:
        if call(form, lambda: save(int(chosen), reason), success(items[int(chosen)]),
                rerun=False) is not None:
            _sent(form)
        st.rerun()


def reversal_form(actor: Actor, d: LicenceDetail) -> None:
    """*Annuler une imputation* erronée: quantities and value go back to the licence."""
    _correction_form(
        actor, d, form="reverse", action=Action.REVERSE_IMPUTATION,
        title="Annuler une imputation erronée", pick_label="Imputation à annuler",
        items={i.id: f"{i.declaration_ref} du {fmt.date(i.declaration_date)} — "
                     f"{fmt.amount(i.total_value, d.currency)}"
               for i in d.imputations if not i.is_reversed},
        reason_label="Motif de l'annulation", button="Annuler l'imputation",
        save=lambda iid, reason: services.reverse_imputation(actor, d.id, d.version, iid,
                                                             reason),
        success=lambda label: f"Imputation {label} annulée sur la licence "
                              f"{d.registration_number}.")


def withdrawal_form(actor: Actor, d: LicenceDetail) -> None:
    """*Retirer un justificatif* recorded by mistake, before *Apurée*."""
    _correction_form(
        actor, d, form="withdraw", action=Action.WITHDRAW_REPATRIATION,
        title="Retirer un justificatif enregistré par erreur",
        pick_label="Justificatif à retirer",
        items={r.id: f"{r.bank_reference} du {fmt.date(r.repatriation_date)} — "
                     f"{fmt.amount(r.amount, d.currency)}"
               for r in d.repatriations if not r.is_withdrawn},
        reason_label="Motif du retrait", button="Retirer le justificatif",
        save=lambda rid, reason: services.withdraw_repatriation(actor, d.id, d.version, rid,
                                                                reason),
        success=lambda label: f"Justificatif {label} retiré de la licence "
                              f"{d.registration_number}.")


# ------------------------------------------------------------------ bank
def position(row: BankRow) -> None:
    a, b, c = st.columns(3)
    a.metric("Valeur imputée", fmt.amount(row.imputed_value, row.currency))
    b.metric("Rapatrié", fmt.amount(row.repatriated_amount, row.currency))
    c.metric("Reste dû", fmt.amount(row.remaining_due, row.currency))


def repatriations_table(d: LicenceDetail) -> None:
    if not d.repatriations:
        st.caption("Aucun justificatif de rapatriement enregistré.")
        return
    wrapped({
        "Date": [fmt.date(r.repatriation_date) for r in d.repatriations],
        "Référence bancaire": [r.bank_reference for r in d.repatriations],
        f"Montant ({d.currency})": [fmt.amount(r.amount) for r in d.repatriations],
        "Justificatif": [r.file.file_name for r in d.repatriations],
        "Saisi par": [f"{r.created_by}, {fmt.datetime(r.created_at)}" for r in d.repatriations],
        "État": [_withdrawal_state(r) for r in d.repatriations],
    })


def _withdrawal_state(r: RepatriationView) -> str:
    if not r.is_withdrawn:
        return "En vigueur"
    return f"Retiré le {fmt.datetime(r.withdrawn_at)} par {r.withdrawn_by} : {r.withdrawal_reason}"


def repatriation_form(actor: Actor, d: LicenceDetail, row: BankRow) -> None:
    form = "repatriation"
    suffix = _suffix(form, d)
    today = services.today()
    with st.form(f"rep_form_{suffix}", border=True):
        st.markdown("**Ajouter un justificatif de rapatriement**")
        a, b, c = st.columns(3)
        with a:
            amount = st.text_input(f"Montant ({d.currency})", key=f"rep_amount_{suffix}",
                                   placeholder=f"reste dû {fmt.amount(row.remaining_due)}")
            field_error(form, "amount")
        with b:
            day = st.date_input("Date", value=today, max_value=today, format="DD/MM/YYYY",
                                key=f"rep_date_{suffix}")
            field_error(form, "repatriation_date")
        with c:
            ref = st.text_input("Référence bancaire", max_chars=60, key=f"rep_ref_{suffix}")
            field_error(form, "bank_reference")
        upload = st.file_uploader("Sélectionner", type=["pdf"], key=f"rep_file_{suffix}",
                                  help="Avis de rapatriement, PDF de 3 Mo au plus.")
        field_error(form, "file")
        other_errors(form, {"amount", "repatriation_date", "bank_reference", "file"})
        go = st.form_submit_button("Enregistrer", type="primary", icon=":material/save:",
                                   key="rep_submit")
    if go:
        if upload is None:
            st.session_state[f"eld_errors_{form}"] = {
                "file": "Joignez l'avis de rapatriement (PDF)."}
            st.rerun()
        done = call(form, lambda: services.record_repatriation(
            actor, d.id, d.version, amount=amount, repatriation_date=day, bank_reference=ref,
            file_name=upload.name, data=upload.getvalue()),
            f"Justificatif {ref.strip().upper()} enregistré sur la licence "
            f"{d.registration_number}.", rerun=False)
        if done is not None:
            _sent(form)
        st.rerun()


def settle_button(actor: Actor, d: LicenceDetail, row: BankRow) -> None:
    if st.button("Apurer", type="primary", icon=":material/task_alt:", key="settle",
                 disabled=not row.settleable):
        call("settle", lambda: services.settle(actor, d.id, d.version),
             f"Licence {d.registration_number} apurée.")
    if row.settle_blocker:
        st.caption(row.settle_blocker)
    field_error("settle", "_", "_conflict")
