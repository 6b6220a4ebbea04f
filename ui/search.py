"""The licence search shared by *Gestion* and *Consulter* (guide IV.1 and V): the search form in
an expander, the results table (French formats, coloured status), paging, the choice of one
licence, and the exports of the whole result list.

The applied filters live in `st.session_state` under `eld_<prefix>_…`, the widgets under
`<prefix>_f_…`; the widgets are re-seeded from the applied values, so a search survives a visit
to another screen.
"""

from __future__ import annotations

import copy
import datetime as dt
import zlib
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from core import exports, reference, text
from core.errors import ValidationFailed
from core.lifecycle import STATUS_COLOURS, Status
from core.reference import FormOptions, form_options
from core.search import all_rows, latest, search
from core.validation import Checker
from core.views import Actor, LicenceRow, SearchFilters, SearchPage
from ui import format as fmt
from ui.forms import call, clear, errors, field_error, other_errors

PAGE_SIZE = 10
XLSX_CAP = 10_000  # openpyxl needs ≈ 2 s for 10k rows: beyond that, CSV
CSV_CAP = 100_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALL = "Tous"

# Widget name -> empty value. The order is the form's reading order.
EMPTY: Mapping[str, Any] = {
    "number": "", "statuses": [], "recipient": "",
    "created_from": None, "created_to": None, "submitted_from": None, "submitted_to": None,
    "currency": None, "customs_office": None, "customs_regime": None, "country": None,
    "tariff_code": "", "amount_min": "", "amount_max": "",
}


@st.cache_resource(ttl=600, show_spinner=False)
def _options(url: str) -> FormOptions:
    return form_options(url)


def options() -> FormOptions:
    """The reference lists (cached per database for ten minutes)."""
    return _options(reference.cache_key())


def _key(prefix: str, name: str) -> str:
    return f"{prefix}_f_{name}"


def _raw(prefix: str) -> dict[str, Any]:
    return dict(st.session_state.get(f"eld_{prefix}_raw", EMPTY))


def _filters_from(raw: Mapping[str, Any], actioned_only: bool, c: Checker) -> SearchFilters:
    """Widget values -> core's filters; amounts are parsed by core's own rules (errors in `c`)."""
    amount_min = c.decimal("amount_min", "Montant min", raw["amount_min"], places=2,
                           allow_zero=True, required=False)
    amount_max = c.decimal("amount_max", "Montant max", raw["amount_max"], places=2,
                           allow_zero=True, required=False)
    return SearchFilters(
        number=raw["number"].strip() or None,
        statuses=tuple(Status(s) for s in raw["statuses"]),
        created_from=raw["created_from"], created_to=raw["created_to"],
        submitted_from=raw["submitted_from"], submitted_to=raw["submitted_to"],
        recipient=raw["recipient"].strip() or None,
        currency=raw["currency"], customs_office=raw["customs_office"],
        customs_regime=raw["customs_regime"], country=raw["country"],
        tariff_code=raw["tariff_code"].strip() or None,
        amount_min=amount_min, amount_max=amount_max, actioned_only=actioned_only,
    )


def applied_filters(prefix: str, actioned_only: bool) -> SearchFilters:
    return st.session_state.get(f"eld_{prefix}_filters") or SearchFilters(
        actioned_only=actioned_only)


def current_page(prefix: str) -> int:
    return int(st.session_state.get(f"eld_{prefix}_page", 1))


def _reset(prefix: str) -> None:
    """*Réinitialiser* (a callback: widget values may only be set before they are drawn)."""
    for name, empty in EMPTY.items():
        st.session_state[_key(prefix, name)] = copy.copy(empty)
    for suffix in ("raw", "filters", "page"):
        st.session_state.pop(f"eld_{prefix}_{suffix}", None)
    clear(f"{prefix}_search")


def _select(label: str, key: str, choices: Mapping[str, str], *, codes: bool = True) -> None:
    st.selectbox(
        label, list(choices), index=None, key=key, placeholder=ALL,
        format_func=(lambda c: f"{c} — {choices[c]}") if codes else choices.__getitem__,
    )


def search_form(prefix: str, actor: Actor, *, actioned_only: bool) -> None:
    """The guide's search form, in a collapsible expander, with *Rechercher* / *Réinitialiser*."""
    form = f"{prefix}_search"
    raw = _raw(prefix)
    for name in EMPTY:
        st.session_state.setdefault(_key(prefix, name), copy.copy(raw.get(name, EMPTY[name])))
    opts = options()
    statuses = [s for s in Status if not (actioned_only and s == Status.DRAFT)]
    active = sum(1 for name in EMPTY if raw.get(name) not in (None, "", []))
    title = "Formulaire de recherche" + (f" — {active} filtre(s) actif(s)" if active else "")
    expander = st.expander(title, icon=":material/search:", expanded=bool(errors(form)))
    with expander, st.form(f"{prefix}_form"):
        a, b, c = st.columns([1, 2, 1])
        with a:
            st.text_input("N° d'enregistrement", key=_key(prefix, "number"), max_chars=20,
                          placeholder="LE-2026-000123 ou LE-2026-", help="Numéro exact ou début.")
            field_error(form, "number")
        with b:
            st.multiselect("Statut", statuses, key=_key(prefix, "statuses"),
                           format_func=lambda s: Status(s).label, placeholder=ALL)
        with c:
            st.text_input("Destinataire", key=_key(prefix, "recipient"), max_chars=200,
                          help="Une partie du nom suffit.")
        cols = st.columns(4)
        dates = (("created_from", "Date de création du"), ("created_to", "au"),
                 ("submitted_from", "Date de soumission du"), ("submitted_to", "au"))
        for col, (name, label) in zip(cols, dates, strict=True):
            with col:
                st.date_input(label, value=None, key=_key(prefix, name), format="DD/MM/YYYY",
                              min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
                field_error(form, name)
        cols = st.columns(4)
        with cols[0]:
            _select("Devise", _key(prefix, "currency"), opts.currencies)
        with cols[1]:
            _select("Bureau douanier", _key(prefix, "customs_office"), opts.offices)
        with cols[2]:
            _select("Régime douanier", _key(prefix, "customs_regime"), opts.regimes)
        with cols[3]:
            _select("Pays de destination", _key(prefix, "country"), opts.destinations,
                    codes=False)
        cols = st.columns(4)
        with cols[0]:
            st.text_input("Nomenclature (début du code)", key=_key(prefix, "tariff_code"),
                          max_chars=14, placeholder="0805")
            field_error(form, "tariff_code")
        with cols[1]:
            st.text_input("Montant min", key=_key(prefix, "amount_min"), placeholder="0,00")
            field_error(form, "amount_min")
        with cols[2]:
            st.text_input("Montant max", key=_key(prefix, "amount_max"), placeholder="0,00")
            field_error(form, "amount_max")
        other_errors(form, set(EMPTY))
        b1, b2, _ = st.columns([1, 1, 4])
        with b1:
            submitted = st.form_submit_button(
                "Rechercher", type="primary", icon=":material/search:",
                key=f"{prefix}_search_button", width="stretch")
        with b2:
            st.form_submit_button(
                "Réinitialiser", icon=":material/restart_alt:", key=f"{prefix}_reset_button",
                on_click=_reset, args=(prefix,), width="stretch")
    if submitted:
        values = {name: st.session_state[_key(prefix, name)] for name in EMPTY}

        def run() -> SearchFilters:
            """Core checks the filters in `search`; every message is shown at once."""
            checker = Checker()
            filters = _filters_from(values, actioned_only, checker)
            try:
                search(actor, filters, 1, PAGE_SIZE)
            except ValidationFailed as exc:
                for name, message in exc.errors.items():
                    checker.fail(name, message)
            checker.done()
            return filters

        filters = call(form, run, rerun=False)
        if filters is not None:
            st.session_state[f"eld_{prefix}_raw"] = values
            st.session_state[f"eld_{prefix}_filters"] = filters
            st.session_state[f"eld_{prefix}_page"] = 1
        st.rerun()


def results(prefix: str, actor: Actor, *, actioned_only: bool) -> SearchPage:
    """The current page of results for the applied filters (page 1 = the 10 latest)."""
    filters = applied_filters(prefix, actioned_only)
    default_list = f"eld_{prefix}_filters" not in st.session_state
    # Consulter's default list runs by latest action on every page, as its first page does.
    by_action = actioned_only and default_list
    if default_list and current_page(prefix) == 1:
        page = latest(actor, PAGE_SIZE, actioned_only=actioned_only)
    else:
        page = search(actor, filters, current_page(prefix), PAGE_SIZE, by_latest_action=by_action)
    if page.page > page.page_count:  # fewer results than before (a cancellation, a search)
        st.session_state[f"eld_{prefix}_page"] = page.page_count
        page = search(actor, filters, page.page_count, PAGE_SIZE, by_latest_action=by_action)
    return page


def _frame(rows: tuple[LicenceRow, ...], opts: FormOptions, with_company: bool) -> pd.DataFrame:
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
        "Bureau douanier": [opts.offices.get(r.customs_office, r.customs_office) for r in rows],
        "Régime douanier": [opts.regimes.get(r.customs_regime, r.customs_regime) for r in rows],
    }
    if not with_company:
        del data["Société"]
    return pd.DataFrame(data)


def _status_style(label: object) -> str:
    colour = next((STATUS_COLOURS[s] for s in Status if s.label == label), None)
    return f"background-color: {colour}; color: white; font-weight: 600" if colour else ""


def results_table(prefix: str, page: SearchPage, *, with_company: bool) -> None:
    """The results, the status as a coloured cell, then *Précédent* / *Suivant*."""
    if not page.rows:
        st.info("Aucune licence ne correspond à la recherche.")
        return
    frame = _frame(page.rows, options(), with_company)
    styled = frame.style.map(_status_style, subset=["Statut"])
    st.dataframe(
        styled, hide_index=True, width="stretch", key=f"{prefix}_table",
        column_config={
            "Montant total": st.column_config.TextColumn(alignment="right"),
        },
    )
    prev, info, nxt = st.columns([1, 3, 1], vertical_alignment="center")
    with prev:
        if st.button("Précédent", icon=":material/chevron_left:", key=f"{prefix}_prev",
                     disabled=page.page <= 1, width="stretch"):
            st.session_state[f"eld_{prefix}_page"] = page.page - 1
            st.rerun()
    with info:
        plural = "licence" if page.total == 1 else "licences"
        st.markdown(
            f'<div style="text-align:center">Page {page.page} / {page.page_count} — '
            f"{page.total} {plural}</div>", unsafe_allow_html=True,
        )
    with nxt:
        if st.button("Suivant", icon=":material/chevron_right:", icon_position="right",
                     key=f"{prefix}_next", disabled=page.page >= page.page_count,
                     width="stretch"):
            st.session_state[f"eld_{prefix}_page"] = page.page + 1
            st.rerun()


def choose_licence(prefix: str, page: SearchPage) -> LicenceRow:
    """The licence the buttons act on: one of the rows of the current page (not empty).

    The widget key carries a fingerprint of the rows (ids and versions): the browser keeps the
    label of a kept widget, so a licence whose status just changed would still show the old
    one. The choice itself is remembered apart and survives the new key."""
    by_id = {r.id: r for r in page.rows}
    ids = list(by_id)
    fingerprint = zlib.crc32(" ".join(f"{r.id}.{r.version}" for r in page.rows).encode())
    remembered = st.session_state.get(f"eld_{prefix}_chosen")
    chosen = st.selectbox(
        "Licence", ids, index=ids.index(remembered) if remembered in by_id else 0,
        key=f"{prefix}_choice_{fingerprint:08x}",
        format_func=lambda i: f"{by_id[i].registration_number} — {by_id[i].status.label}"
        + (f" — {by_id[i].recipient}" if by_id[i].recipient else ""),
    )
    row = by_id.get(chosen, page.rows[0])
    st.session_state[f"eld_{prefix}_chosen"] = row.id
    return row


def export_button(prefix: str, actor: Actor, page: SearchPage, kind: str, *,
                  actioned_only: bool) -> None:
    """*Exporter* the whole result list (not just this page) as `kind` ("xlsx" or "csv"); the
    file is built only when the user clicks."""
    if not page.total:
        return
    filters = applied_filters(prefix, actioned_only)
    stamp = text.local_today().strftime("%Y%m%d")
    xlsx = kind == "xlsx"
    cap = XLSX_CAP if xlsx else CSV_CAP
    build = exports.search_xlsx if xlsx else exports.search_csv
    st.download_button(
        f"Exporter (.{kind})", key=f"{prefix}_export_{kind}", icon=":material/download:",
        width="stretch", data=lambda: build(all_rows(actor, filters, cap)),
        file_name=f"licences-{stamp}.{kind}", mime=XLSX_MIME if xlsx else "text/csv",
        on_click="ignore",
        help=("Toutes les licences trouvées, pas seulement cette page"
              + ("" if xlsx else " ; séparateur « ; », virgule décimale")
              + (f" (les {fmt.count(cap)} plus récentes au plus)."
                 if page.total > cap else ".")),
    )
