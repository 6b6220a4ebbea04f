"""The licence search shared by *Gestion* and *Consulter* (guide IV.1 and V): the search form in
an expander, the results table (French formats, coloured status), paging, the choice of one
licence, and the exports of the whole result list.

The applied filters live in `st.session_state` under `eld_<prefix>_…`, the widgets under
`<prefix>_f_…`; the widgets are re-seeded from the applied values, so a search survives a visit
to another screen. Core reads the form (`core.search.parse_filters`) and says what is wrong.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from core.exports import tables
from core.lifecycle import SUBMITTED_STATUSES, Status
from core.records import Actor, LicenceRow, Page, SearchFilters
from core.reference import FormOptions
from core.search import all_rows, empty_form, latest, parse_filters, search
from ui import format as fmt
from ui import paging
from ui.choices import ALL, form_options, select
from ui.forms import call, clear, errors, field_error, other_errors

XLSX_CAP = 10_000  # openpyxl needs ≈ 2 s for 10k rows: beyond that, CSV
CSV_CAP = 100_000


def _key(prefix: str, name: str) -> str:
    return f"{prefix}_f_{name}"


def _raw(prefix: str) -> dict[str, Any]:
    return dict(st.session_state.get(f"eld_{prefix}_raw", empty_form()))


def applied_filters(prefix: str, actioned_only: bool) -> SearchFilters:
    return st.session_state.get(f"eld_{prefix}_filters") or SearchFilters(
        actioned_only=actioned_only)


def _reset(prefix: str) -> None:
    """*Réinitialiser* (a callback: widget values may only be set before they are drawn)."""
    for name, empty in empty_form().items():
        st.session_state[_key(prefix, name)] = empty
    for key in (f"eld_{prefix}_raw", f"eld_{prefix}_filters", paging.page_key(prefix)):
        st.session_state.pop(key, None)
    clear(f"{prefix}_search")


def search_form(prefix: str, actor: Actor, *, actioned_only: bool) -> None:
    """The guide's search form, in a collapsible expander, with *Rechercher* / *Réinitialiser*."""
    form = f"{prefix}_search"
    raw = _raw(prefix)
    fields = empty_form()
    for name, empty in fields.items():
        st.session_state.setdefault(_key(prefix, name), copy.copy(raw.get(name, empty)))
    lists = form_options()
    statuses = list(SUBMITTED_STATUSES) if actioned_only else list(Status)
    active = sum(1 for name in fields if raw.get(name) not in (None, "", []))
    title = "Formulaire de recherche" + (f" — {active} filtre(s) actif(s)" if active else "")
    expander = st.expander(title, icon=":material/search:", expanded=bool(errors(form)))
    with expander, st.form(f"{prefix}_form"):
        number_column, status_column, recipient_column = st.columns([1, 2, 1])
        with number_column:
            st.text_input("N° d'enregistrement", key=_key(prefix, "number"), max_chars=20,
                          placeholder="LE-2026-000123 ou LE-2026-", help="Numéro exact ou début.")
            field_error(form, "number")
        with status_column:
            st.multiselect("Statut", statuses, key=_key(prefix, "statuses"),
                           format_func=lambda s: Status(s).label, placeholder=ALL)
            field_error(form, "statuses")
        with recipient_column:
            st.text_input("Destinataire", key=_key(prefix, "recipient"), max_chars=200,
                          help="Une partie du nom suffit.")
            field_error(form, "recipient")
        dates = (("created_from", "Date de création du"), ("created_to", "au"),
                 ("submitted_from", "Date de soumission du"), ("submitted_to", "au"))
        for column, (name, label) in zip(st.columns(4), dates, strict=True):
            with column:
                st.date_input(label, value=None, key=_key(prefix, name), format="DD/MM/YYYY",
                              min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
                field_error(form, name)
        drop_downs = (("currency", "Devise", lists.currencies, True),
                      ("customs_office", "Bureau douanier", lists.offices, True),
                      ("customs_regime", "Régime douanier", lists.regimes, True),
                      ("country", "Pays de destination", lists.destinations, False))
        for column, (name, label, choices, show_code) in zip(st.columns(4), drop_downs,
                                                              strict=True):
            with column:
                select(label, choices, _key(prefix, name), show_code=show_code, filtering=True)
                field_error(form, name)
        tariff_column, min_column, max_column, _ = st.columns(4)
        with tariff_column:
            st.text_input("Nomenclature (début du code)", key=_key(prefix, "tariff_code"),
                          max_chars=14, placeholder="0805")
            field_error(form, "tariff_code")
        with min_column:
            st.text_input("Montant min", key=_key(prefix, "amount_min"), placeholder="0,00")
            field_error(form, "amount_min")
        with max_column:
            st.text_input("Montant max", key=_key(prefix, "amount_max"), placeholder="0,00")
            field_error(form, "amount_max")
        other_errors(form, set(fields))
        search_column, reset_column, _ = st.columns([1, 1, 4])
        with search_column:
            submitted = st.form_submit_button(
                "Rechercher", type="primary", icon=":material/search:",
                key=f"{prefix}_search_button", width="stretch")
        with reset_column:
            st.form_submit_button(
                "Réinitialiser", icon=":material/restart_alt:", key=f"{prefix}_reset_button",
                on_click=_reset, args=(prefix,), width="stretch")
    if submitted:
        values = {name: st.session_state[_key(prefix, name)] for name in fields}
        filters = call(form, lambda: parse_filters(values, actioned_only=actioned_only),
                       rerun=False)
        if filters is not None:
            st.session_state[f"eld_{prefix}_raw"] = values
            st.session_state[f"eld_{prefix}_filters"] = filters
            st.session_state[paging.page_key(prefix)] = 1
        st.rerun()


def results(prefix: str, actor: Actor, *, actioned_only: bool) -> Page[LicenceRow]:
    """The current page of results for the applied filters (page 1 = the 10 latest)."""
    filters = applied_filters(prefix, actioned_only)
    default_list = f"eld_{prefix}_filters" not in st.session_state
    # Consulter's default list runs by latest action on every page, as its first page does.
    by_action = actioned_only and default_list

    def read(number: int) -> Page[LicenceRow]:
        if default_list and number == 1:
            return latest(actor, paging.PAGE_SIZE, actioned_only=actioned_only)
        return search(actor, filters, number, paging.PAGE_SIZE, by_latest_action=by_action)

    return paging.paged(prefix, read)


def _frame(rows: tuple[LicenceRow, ...], lists: FormOptions, with_company: bool
           ) -> pd.DataFrame:
    data = {
        "N° d'enregistrement": [r.registration_number for r in rows],
        "Statut": [r.status.label for r in rows],
        "Société": [r.company_name for r in rows],
        "Destinataire": [r.recipient or "—" for r in rows],
        "Montant total": [fmt.amount(r.total_amount) for r in rows],
        "Devise": [r.currency for r in rows],
        "Créée le": [fmt.date(r.created_at) for r in rows],
        "Soumise le": [fmt.date(r.submitted_at) for r in rows],
        "Fin de validité": [fmt.date(r.validity_end) for r in rows],
        "Bureau douanier": [lists.offices.get(r.customs_office, r.customs_office) for r in rows],
        "Régime douanier": [lists.regimes.get(r.customs_regime, r.customs_regime) for r in rows],
    }
    if not with_company:
        del data["Société"]
    return pd.DataFrame(data)


def results_table(prefix: str, page: Page[LicenceRow], *, with_company: bool) -> None:
    """The results, the status as a coloured cell, then *Précédent* / *Suivant*."""
    if not page.rows:
        st.info("Aucune licence ne correspond à la recherche.")
        return
    frame = _frame(page.rows, form_options(), with_company)
    st.dataframe(
        frame.style.map(fmt.status_style, subset=["Statut"]), hide_index=True, width="stretch",
        key=f"{prefix}_table",
        column_config={"Montant total": st.column_config.TextColumn(alignment="right")},
    )
    paging.pager(prefix, page)


def _label(row: LicenceRow) -> str:
    return (f"{row.registration_number} — {row.status.label}"
            + (f" — {row.recipient}" if row.recipient else ""))


def choose_licence(prefix: str, page: Page[LicenceRow]) -> LicenceRow:
    """The licence of the results the buttons act on (its label shows its status)."""
    return paging.choose_licence(prefix, page.rows, _label, label_shows_status=True)


def export_button(prefix: str, actor: Actor, page: Page[LicenceRow], kind: str, *,
                  actioned_only: bool) -> None:
    """*Exporter* the whole result list (not just this page) as `kind` ("xlsx" or "csv"); the
    file is built only when the user clicks."""
    if not page.total:
        return
    filters = applied_filters(prefix, actioned_only)
    xlsx = kind == "xlsx"
    cap = XLSX_CAP if xlsx else CSV_CAP
    build = tables.search_xlsx if xlsx else tables.search_csv
    st.download_button(
        f"Exporter (.{kind})", key=f"{prefix}_export_{kind}", icon=":material/download:",
        width="stretch", data=lambda: build(all_rows(actor, filters, cap)),
        file_name=f"licences-{fmt.file_stamp()}.{kind}", mime=fmt.MIME[kind],
        on_click="ignore",
        help=("Toutes les licences trouvées, pas seulement cette page"
              + ("" if xlsx else " ; séparateur « ; », virgule décimale")
              + (f" (les {fmt.count(cap)} plus récentes au plus)."
                 if page.total > cap else ".")),
    )
