"""The analysts' dashboard (*Tableau de bord*): the filter form, the figures (computed by
`core.analytics`, cached a few minutes), the Altair charts in the badges' colours, the tables and
the downloads (figures as .xlsx; the licence list as .xlsx or .csv, built with a progress bar).

The applied filters live in `st.session_state["eld_dash_filters"]`, the widgets under `dash_f_…`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core import analytics, reference, text
from core.analytics import Dashboard, DashboardFilters
from core.exports import tables
from core.lifecycle import STATUS_COLOURS, SUBMITTED_STATUSES, Status
from core.records import Actor
from ui import format as fmt
from ui.choices import ALL, dashboard_options, form_options, select
from ui.forms import call, clear, field_error, other_errors, read

FORM = "dash"
FILTERS = "eld_dash_filters"
EXPIRY = "eld_dash_expiry_days"
PREPARED = "eld_dash_prepared"
CACHE_SECONDS = 300
XLSX_CAP = 20_000  # openpyxl writes ≈ 5 000 rows a second; beyond that, CSV
CSV_CAP = 250_000
EXPIRY_CHOICES = (30, 60, 90, 180)
BLUE = "#0b4f8a"
NUMBER_LABELS = f"replace(datum.label, /,/g, '{text.GROUP}')"  # 12 345 as core.text, not 12,345

# Widget name -> empty value, in the form's reading order.
EMPTY: Mapping[str, Any] = {
    "submitted_from": None, "submitted_to": None, "statuses": [], "customs_office": None,
    "customs_regime": None, "currency": None, "country": None, "tariff_chapter": None,
    "company_id": None,
}


def _key(name: str) -> str:
    return f"dash_f_{name}"


# ------------------------------------------------------------------ reads (cached)
@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=64)
def _figures(url: str, actor: Actor, filters: DashboardFilters, days: int) -> Dashboard:
    return analytics.dashboard(actor, filters, expiry_days=days)


def figures(actor: Actor, filters: DashboardFilters, days: int) -> Dashboard:
    """All the figures for these filters: computed at most every five minutes per user."""
    return _figures(reference.cache_key(), actor, filters, days)


def refresh() -> None:
    _figures.clear()


def applied() -> tuple[DashboardFilters, int]:
    return st.session_state.get(FILTERS) or DashboardFilters(), int(
        st.session_state.get(EXPIRY, EXPIRY_CHOICES[0]))


# ------------------------------------------------------------------ filters
def _reset() -> None:
    for name, empty in EMPTY.items():
        st.session_state[_key(name)] = empty
    st.session_state[_key("expiry")] = EXPIRY_CHOICES[0]
    for key in (FILTERS, EXPIRY, PREPARED):
        st.session_state.pop(key, None)
    clear(FORM)


def filter_form(actor: Actor) -> tuple[DashboardFilters, int]:
    """The filters in a form (*Appliquer* / *Réinitialiser*); returns the applied ones."""
    for name, empty in EMPTY.items():
        st.session_state.setdefault(_key(name), empty)
    st.session_state.setdefault(_key("expiry"), EXPIRY_CHOICES[0])
    lists = form_options()
    extra = dashboard_options(actor)
    with st.expander("Filtres", icon=":material/filter_alt:", expanded=True), \
            st.form("dash_form", border=False):
        from_column, to_column, status_column, company_column = st.columns([1, 1, 2, 1])
        with from_column:
            st.date_input("Soumises du", value=None, key=_key("submitted_from"),
                          format="DD/MM/YYYY", min_value=dt.date(2000, 1, 1),
                          max_value=dt.date(2100, 12, 31))
        with to_column:
            st.date_input("au", value=None, key=_key("submitted_to"), format="DD/MM/YYYY",
                          min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
            field_error(FORM, "submitted_to")
        with status_column:
            st.multiselect("Statut", list(SUBMITTED_STATUSES), key=_key("statuses"),
                           format_func=lambda s: Status(s).label, placeholder=ALL)
        with company_column:
            select("Exportateur", dict(extra.companies), _key("company_id"), show_code=False,
                   filtering=True)
        drop_downs = (("customs_office", "Bureau douanier", lists.offices, True),
                      ("customs_regime", "Régime douanier", lists.regimes, True),
                      ("currency", "Devise", lists.currencies, True),
                      ("country", "Pays de destination", lists.destinations, False),
                      ("tariff_chapter", "Chapitre tarifaire",
                       {chapter: f"Chapitre {chapter}" for chapter in extra.chapters}, False))
        for column, (name, label, choices, show_code) in zip(st.columns(5), drop_downs,
                                                              strict=True):
            with column:
                select(label, choices, _key(name), show_code=show_code, filtering=True)
        expiry_column, apply_column, reset_column, _ = st.columns(
            [1.2, 1, 1, 2.5], vertical_alignment="bottom")
        with expiry_column:
            st.selectbox("Fin de validité sous", EXPIRY_CHOICES, key=_key("expiry"),
                         format_func=lambda n: f"{n} jours")
        with apply_column:
            submitted = st.form_submit_button("Appliquer", type="primary", key="dash_apply",
                                              icon=":material/filter_alt:", width="stretch")
        with reset_column:
            st.form_submit_button("Réinitialiser", key="dash_reset", on_click=_reset,
                                  icon=":material/restart_alt:", width="stretch")
        other_errors(FORM, {"submitted_to"})
    st.caption("La période porte sur la **date de soumission** des licences (jours UTC). "
               "Seules les licences soumises sont comptées, jamais les brouillons.")
    if submitted:
        values = {name: st.session_state[_key(name)] for name in EMPTY}
        filters = call(FORM, lambda: analytics.parse_filters(values), rerun=False)
        if filters is not None:
            st.session_state[FILTERS] = filters
            st.session_state[EXPIRY] = int(st.session_state[_key("expiry")])
            st.session_state.pop(PREPARED, None)
        st.rerun()
    return applied()


def filters_text(filters: DashboardFilters, actor: Actor) -> list[tuple[str, str]]:
    lists = form_options()
    companies = dict(dashboard_options(actor).companies)
    return tables.describe_filters(filters, dict(lists.offices), dict(lists.regimes), companies)


# ------------------------------------------------------------------ layout
def side_by_side(board: Dashboard, left: Callable[[Dashboard], None],
                 right: Callable[[Dashboard], None]) -> None:
    """Two figures on one row."""
    left_column, right_column = st.columns(2, gap="large")
    with left_column:
        left(board)
    with right_column:
        right(board)


def _numbers() -> alt.Axis:
    """A count axis in French: 12 345 (no-break space), never 12,345."""
    return alt.Axis(format=",d", labelExpr=NUMBER_LABELS)


def _status_scale(statuses: Sequence[Status]) -> alt.Scale:
    return alt.Scale(domain=[s.label for s in statuses],
                     range=[STATUS_COLOURS[s] for s in statuses])


def _chart(chart: alt.Chart | alt.LayerChart, alt_text: str) -> None:
    st.altair_chart(chart, width="stretch", alt=alt_text)


def _titled(title: str, shown: bool, empty: str = "Aucune licence pour ces filtres.") -> bool:
    """A figure's title; `empty` instead of the figure when there is nothing to show."""
    st.markdown(f"##### {title}")
    if not shown:
        st.info(empty, icon=":material/info:")
    return shown


# ------------------------------------------------------------------ figures
def summary(board: Dashboard) -> None:
    rates, delay = board.rates, board.processing.overall
    total, decided, median, p90, expiring = st.columns(5)
    total.metric("Licences soumises", fmt.count(board.total), border=True,
                 help="Licences soumises pour visa ou plus loin (hors brouillons).")
    decided.metric("Décisions de visa MCE", fmt.count(rates.decided), border=True,
                   help="Visas accordés ou refusés.")
    median.metric("Délai MCE médian", fmt.hours(delay.median_hours, with_days=False),
                  border=True,
                  help="De la dernière soumission à la décision de visa (accord ou refus), "
                       f"soit {fmt.hours(delay.median_hours)}.")
    p90.metric("Délai MCE, 90e centile", fmt.hours(delay.p90_hours, with_days=False),
               border=True, help="90 % des décisions de visa sont rendues dans ce délai : "
                                 f"{fmt.hours(delay.p90_hours)}.")
    expiring.metric(f"Expirent sous {board.near_expiry.days} jours",
                    fmt.count(board.near_expiry.total), border=True,
                    help="Licences visées ou imputées partiellement dont la "
                         "validité prend fin dans ce délai.")


def status_chart(board: Dashboard) -> None:
    if not _titled("Licences par statut", bool(board.total)):
        return
    shown = [s for s in board.by_status if s.count]
    frame = pd.DataFrame({
        "Statut": [s.label for s in shown],
        "Licences": [s.count for s in shown],
        "Part": [fmt.percent(analytics.ratio(s.count, board.total)) for s in shown],
        "Nombre": [fmt.count(s.count) for s in shown],
    })
    order = [s.label for s in shown]
    base = alt.Chart(frame).encode(
        y=alt.Y("Statut:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=200, labelOverlap=False)),
        x=alt.X("Licences:Q", title="Licences", axis=_numbers()),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("Statut:N", scale=_status_scale([s.status for s in shown]), legend=None),
        tooltip=[alt.Tooltip("Statut:N"), alt.Tooltip("Nombre:N", title="Licences"),
                 alt.Tooltip("Part:N")],
    )
    labels = base.mark_text(align="left", dx=4, color="#333").encode(text="Nombre:N")
    _chart((bars + labels).properties(height=max(160, 34 * len(shown))),
           "Nombre de licences par statut")


def monthly_chart(board: Dashboard) -> None:
    table = analytics.monthly_table(board.monthly_by_status)
    if not _titled("Volume mensuel par statut (mois de soumission)", bool(table)):
        return
    present = [s for s in SUBMITTED_STATUSES if any(counts[s] for _, counts in table)]
    rows = [(analytics.month_label(month), s.label, order, counts[s], fmt.count(counts[s]))
            for month, counts in table for order, s in enumerate(present) if counts[s]]
    frame = pd.DataFrame(rows, columns=["Mois", "Statut", "Ordre", "Licences", "Nombre"])
    months = [analytics.month_label(month) for month, _ in table]
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("Mois:O", sort=months, title="Mois de soumission",
                axis=alt.Axis(labelAngle=-45, labelOverlap=False)),
        y=alt.Y("sum(Licences):Q", title="Licences", axis=_numbers()),
        color=alt.Color("Statut:N", scale=_status_scale(present), sort=[s.label for s in present],
                        legend=alt.Legend(title="Statut", orient="bottom", columns=4)),
        order=alt.Order("Ordre:Q", sort="ascending"),
        tooltip=[alt.Tooltip("Mois:O"), alt.Tooltip("Statut:N"),
                 alt.Tooltip("Nombre:N", title="Licences")],
    ).properties(height=340)
    _chart(chart, "Licences par mois de soumission, empilées par statut")


def _bars(frame: pd.DataFrame, label: str, title: str, alt_text: str) -> None:
    frame = frame.assign(Nombre=[fmt.count(v) for v in frame["Licences"]])
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None,
                axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        x=alt.X("Licences:Q", title=title, axis=_numbers()),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip("Nombre:N", title="Licences")],
    )
    chart = base.mark_bar(color=BLUE) + base.mark_text(align="left", dx=4, color="#333").encode(
        text="Nombre:N")
    _chart(chart.properties(height=max(140, 30 * len(frame))), alt_text)


def countries_chart(board: Dashboard) -> None:
    if not _titled("Principaux pays de destination", bool(board.top_countries)):
        return
    frame = pd.DataFrame({"Pays": [c.name for c in board.top_countries],
                          "Licences": [c.count for c in board.top_countries]})
    _bars(frame, "Pays", "Licences", "Licences par pays de destination")
    st.caption("Une licence à plusieurs destinations compte pour chacune.")


def chapters_chart(board: Dashboard) -> None:
    if not _titled("Principaux chapitres tarifaires", bool(board.top_chapters)):
        return
    frame = pd.DataFrame({"Chapitre": [f"Chapitre {c.chapter}" for c in board.top_chapters],
                          "Licences": [c.licences for c in board.top_chapters]})
    _bars(frame, "Chapitre", "Licences (ayant au moins une marchandise du chapitre)",
          "Licences par chapitre tarifaire")


def offices_chart(board: Dashboard) -> None:
    if not _titled("Licences par bureau douanier", bool(board.by_office)):
        return
    frame = pd.DataFrame({"Bureau": [f"{o.code} — {o.label}" for o in board.by_office],
                          "Licences": [o.count for o in board.by_office]})
    _bars(frame, "Bureau", "Licences", "Licences par bureau douanier")


def currency_table(board: Dashboard) -> None:
    values = board.value_by_currency
    if not _titled("Valeur par devise", bool(values)):
        return
    frame = pd.DataFrame({
        "Devise": [c.currency for c in values],
        "Libellé": [c.name for c in values],
        "Licences": [fmt.count(c.count) for c in values],
        "Montant total": [fmt.amount(c.total) for c in values],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key="dash_currencies",
                 column_config={"Licences": st.column_config.TextColumn(alignment="right"),
                                "Montant total": st.column_config.TextColumn(alignment="right")})
    st.caption("Montant total des licences dans leur devise : jamais additionné entre devises.")


def delay_chart(board: Dashboard) -> None:
    months = board.processing.months
    if not _titled("Délai de traitement MCE (soumission → décision de visa)", bool(months),
                   "Aucune décision de visa pour ces filtres."):
        return
    rows = []
    for month in months:
        for name, value in (("Médiane", month.median_hours), ("90e centile", month.p90_hours)):
            rows.append((analytics.month_label(month.month), name, value, fmt.hours(value),
                         fmt.count(month.decided)))
    frame = pd.DataFrame(rows, columns=["Mois", "Mesure", "Heures", "Délai", "Décisions"])
    order = [analytics.month_label(month.month) for month in months]
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("Mois:O", sort=order, title="Mois de la décision",
                axis=alt.Axis(labelAngle=-45, labelOverlap=False)),
        y=alt.Y("Heures:Q", title="Délai (heures)", axis=_numbers()),
        color=alt.Color("Mesure:N", scale=alt.Scale(domain=["Médiane", "90e centile"],
                                                    range=[BLUE, "#16a085"]),
                        legend=alt.Legend(title=None, orient="bottom")),
        tooltip=[alt.Tooltip("Mois:O"), alt.Tooltip("Mesure:N"), alt.Tooltip("Délai:N"),
                 alt.Tooltip("Décisions:N")],
    ).properties(height=300)
    _chart(chart, "Délai médian et 90e centile de la décision de visa MCE, par mois")
    st.caption("Percentiles continus (interpolation linéaire) des délais entre la dernière "
               "soumission et le visa ou le refus ; un renvoi pour correction n'est pas une "
               "décision de visa.")


def rates(board: Dashboard) -> None:
    r = board.rates
    refusal, send_back, imputation, settlement = st.columns(4)
    refusal.metric("Taux de refus", fmt.percent(r.refusal_rate), border=True,
                   help=f"Refusées / décisions de visa : {fmt.count(r.refused)} / "
                        f"{fmt.count(r.decided)}.")
    send_back.metric("Taux de renvoi pour correction", fmt.percent(r.send_back_rate),
                     border=True,
                     help=f"Licences renvoyées au moins une fois / licences soumises : "
                          f"{fmt.count(r.sent_back)} / {fmt.count(r.licences)} "
                          f"({fmt.count(r.send_back_events)} renvoi(s)).")
    imputation.metric("Taux d'imputation", fmt.percent(r.imputation_rate), border=True,
                      help="Quantité imputée / quantité autorisée, sur les licences imputées "
                           f"ou apurées : {fmt.quantity(r.imputed_quantity)} / "
                           f"{fmt.quantity(r.licensed_quantity)}.")
    settlement.metric("Taux d'apurement", fmt.percent(r.settlement_rate), border=True,
                      help=f"Apurées / (imputées partiellement + totalement + apurées) : "
                           f"{fmt.count(r.settled)} / "
                           f"{fmt.count(r.partially_imputed + r.fully_imputed + r.settled)}.")


def near_expiry_table(board: Dashboard) -> None:
    expiring = board.near_expiry
    if not _titled(f"Licences proches de l'expiration (sous {expiring.days} jours)",
                   bool(expiring.rows),
                   f"Aucune licence visée ou imputée partiellement n'expire dans les "
                   f"{expiring.days} prochains jours."):
        return
    frame = pd.DataFrame({
        "N° d'enregistrement": [e.registration_number for e in expiring.rows],
        "Exportateur": [e.company_name for e in expiring.rows],
        "Statut": [e.status.label for e in expiring.rows],
        "Fin de validité": [fmt.date(e.validity_end) for e in expiring.rows],
        "Jours restants": [e.days_left for e in expiring.rows],
    })
    st.dataframe(frame.style.map(fmt.status_style, subset=["Statut"]), hide_index=True,
                 width="stretch", key="dash_expiry", height=min(400, 38 + 35 * len(frame)))
    if expiring.total > len(expiring.rows):
        st.caption(f"{fmt.count(expiring.total)} licences : les {len(expiring.rows)} plus "
                   "proches sont listées.")


# ------------------------------------------------------------------ downloads
def _prepare(actor: Actor, filters: DashboardFilters, kind: str) -> bool:
    """Build the licence list file with a progress bar, keep it for the download button."""
    bar = st.progress(0.0, text="Lecture des licences…")
    xlsx = kind == "xlsx"
    read_share = 0.5 if xlsx else 0.9

    def reading(done: int, of: int) -> None:
        bar.progress(read_share * done / max(1, of),
                     text=f"Lecture des licences… {fmt.count(done)} / {fmt.count(of)}")

    def writing(done: int, of: int) -> None:
        bar.progress(min(0.95, read_share + 0.45 * done / max(1, of)),
                     text=f"Écriture du fichier Excel… {fmt.count(done)} / {fmt.count(of)}")

    def build() -> tuple[int, bytes]:
        rows = analytics.licence_rows(actor, filters, limit=XLSX_CAP if xlsx else CSV_CAP,
                                      progress=reading)
        return len(rows), (tables.search_xlsx(rows, writing) if xlsx
                           else tables.search_csv(rows))

    built = read(build)
    if built is None:
        bar.empty()
        return False
    count, data = built
    bar.progress(1.0, text=f"Fichier prêt : {fmt.count(count)} licence(s).")
    st.session_state.setdefault(PREPARED, {})[kind] = (filters, data)
    return True


def downloads(actor: Actor, board: Dashboard) -> None:
    st.markdown("##### Exports")
    described = filters_text(board.filters, actor)
    prepared: dict[str, tuple[DashboardFilters, bytes]] = st.session_state.get(PREPARED, {})
    figures_column, xlsx_column, csv_column = st.columns(3)
    with figures_column:
        st.download_button(
            "Chiffres du tableau de bord (.xlsx)", key="dash_figures_xlsx",
            icon=":material/download:", width="stretch", on_click="ignore",
            data=lambda: tables.dashboard_xlsx(board, described),
            file_name=f"tableau-de-bord-{fmt.file_stamp()}.xlsx", mime=fmt.MIME["xlsx"],
            help="Une feuille par figure, avec les filtres appliqués.",
        )
    for column, kind, cap in ((xlsx_column, "xlsx", XLSX_CAP), (csv_column, "csv", CSV_CAP)):
        with column:
            ready = prepared.get(kind)
            if ready is not None and ready[0] == board.filters:
                st.download_button(
                    f"Télécharger la liste (.{kind})", key=f"dash_list_{kind}_download",
                    icon=":material/download:", type="primary", width="stretch",
                    data=ready[1], file_name=f"licences-{fmt.file_stamp()}.{kind}",
                    mime=fmt.MIME[kind], on_click="ignore",
                )
                continue
            too_many = board.total > cap
            if st.button(
                f"Préparer la liste des licences (.{kind})", key=f"dash_list_{kind}",
                icon=":material/list_alt:", width="stretch", disabled=not board.total,
                help=(f"Les {fmt.count(min(board.total, cap))} licences des chiffres"
                      + (f" les plus récentes (plus de {fmt.count(cap)} : "
                         + ("utilisez le CSV)." if kind == "xlsx" else "affinez les filtres).")
                         if too_many else ", les plus récentes d'abord.")
                      + (" Séparateur « ; », virgule décimale." if kind == "csv" else "")),
            ) and _prepare(actor, board.filters, kind):
                st.rerun()
    if board.total > XLSX_CAP:
        st.caption(f"La liste Excel s'arrête aux {fmt.count(XLSX_CAP)} licences les plus "
                   f"récentes ; le CSV en contient jusqu'à {fmt.count(CSV_CAP)}.")
