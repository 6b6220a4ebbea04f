"""The analysts' dashboard (*Tableau de bord*): the filter form, the figures (computed by
`core.analytics`, cached a few minutes), the Altair charts in the badges' colours, the tables and
the downloads (figures as .xlsx; the licence list as .xlsx or .csv, built with a progress bar).

The applied filters live in `st.session_state["eld_dash_filters"]`, the widgets under `dash_f_…`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core import analytics, reference, text
from core.analytics import Dashboard, DashboardFilters, FilterOptions
from core.errors import DomainError, ValidationFailed
from core.lifecycle import STATUS_COLOURS, Status
from core.views import Actor
from ui import format as fmt
from ui.search import ALL, XLSX_MIME, options

FILTERS = "eld_dash_filters"
EXPIRY = "eld_dash_expiry_days"
ERRORS = "eld_dash_errors"
PREPARED = "eld_dash_prepared"
CACHE_SECONDS = 300
XLSX_CAP = 20_000  # openpyxl writes ≈ 5 000 rows a second (PITFALLS.md); beyond that, CSV
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
@st.cache_data(ttl=600, show_spinner=False)
def _options(url: str, actor: Actor) -> FilterOptions:
    return analytics.filter_options(actor)


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
    for key in (FILTERS, EXPIRY, ERRORS, PREPARED):
        st.session_state.pop(key, None)


def _select(label: str, name: str, choices: Mapping[Any, str]) -> None:
    st.selectbox(label, list(choices), index=None, key=_key(name), placeholder=ALL,
                 format_func=lambda c: choices[c])


def filter_form(actor: Actor) -> tuple[DashboardFilters, int]:
    """The filters in a form (*Appliquer* / *Réinitialiser*); returns the applied ones."""
    for name, empty in EMPTY.items():
        st.session_state.setdefault(_key(name), empty)
    st.session_state.setdefault(_key("expiry"), EXPIRY_CHOICES[0])
    opts = options()
    extra = _options(reference.cache_key(), actor)
    errors: dict[str, str] = st.session_state.get(ERRORS, {})
    with st.expander("Filtres", icon=":material/filter_alt:", expanded=True), \
            st.form("dash_form", border=False):
        a, b, c, d = st.columns([1, 1, 2, 1])
        with a:
            st.date_input("Soumises du", value=None, key=_key("submitted_from"),
                          format="DD/MM/YYYY", min_value=dt.date(2000, 1, 1),
                          max_value=dt.date(2100, 12, 31))
        with b:
            st.date_input("au", value=None, key=_key("submitted_to"), format="DD/MM/YYYY",
                          min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
            if "submitted_to" in errors:
                st.error(errors["submitted_to"], icon=":material/error:")
        with c:
            st.multiselect("Statut", list(analytics.DASHBOARD_STATUSES), key=_key("statuses"),
                           format_func=lambda s: Status(s).label, placeholder="Tous")
        with d:
            _select("Exportateur", "company_id", dict(extra.companies))
        a, b, c, d, e = st.columns(5)
        with a:
            _select("Bureau douanier", "customs_office",
                    {k: f"{k} — {v}" for k, v in opts.offices.items()})
        with b:
            _select("Régime douanier", "customs_regime",
                    {k: f"{k} — {v}" for k, v in opts.regimes.items()})
        with c:
            _select("Devise", "currency", {k: f"{k} — {v}" for k, v in opts.currencies.items()})
        with d:
            _select("Pays de destination", "country", dict(opts.destinations))
        with e:
            _select("Chapitre tarifaire", "tariff_chapter",
                    {ch: f"Chapitre {ch}" for ch in extra.chapters})
        a, b, c, _ = st.columns([1.2, 1, 1, 2.5], vertical_alignment="bottom")
        with a:
            st.selectbox("Fin de validité sous", EXPIRY_CHOICES, key=_key("expiry"),
                         format_func=lambda n: f"{n} jours")
        with b:
            submitted = st.form_submit_button("Appliquer", type="primary", key="dash_apply",
                                              icon=":material/filter_alt:", width="stretch")
        with c:
            st.form_submit_button("Réinitialiser", key="dash_reset", on_click=_reset,
                                  icon=":material/restart_alt:", width="stretch")
        for name, message in errors.items():
            if name != "submitted_to":
                st.error(message, icon=":material/error:")
    st.caption("La période porte sur la **date de soumission** des licences (jours UTC). "
               "Seules les licences soumises sont comptées, jamais les brouillons.")
    if submitted:
        values = {name: st.session_state[_key(name)] for name in EMPTY}
        filters = DashboardFilters(
            submitted_from=values["submitted_from"], submitted_to=values["submitted_to"],
            statuses=tuple(Status(s) for s in values["statuses"]),
            customs_office=values["customs_office"], customs_regime=values["customs_regime"],
            currency=values["currency"], country=values["country"],
            tariff_chapter=values["tariff_chapter"], company_id=values["company_id"],
        )
        try:
            analytics.check_filters(filters)
        except ValidationFailed as exc:
            st.session_state[ERRORS] = exc.errors
        else:
            st.session_state.pop(ERRORS, None)
            st.session_state[FILTERS] = filters
            st.session_state[EXPIRY] = int(st.session_state[_key("expiry")])
            st.session_state.pop(PREPARED, None)
        st.rerun()
    return applied()


def filters_text(filters: DashboardFilters, actor: Actor) -> list[tuple[str, str]]:
    opts = options()
    companies = dict(_options(reference.cache_key(), actor).companies)
    return analytics.describe_filters(filters, dict(opts.offices), dict(opts.regimes), companies)


# ------------------------------------------------------------------ formatting
def count(value: int) -> str:
    return fmt.count(value)


def percent(value: Decimal | None) -> str:
    return fmt.percent(value)


def hours(value: float | None, *, with_days: bool = True) -> str:
    if value is None:
        return fmt.DASH
    shown = f"{text.fr_number(value, 1)}{text.UNIT_SPACE}h"
    if with_days:
        shown += f" ({text.fr_number(Decimal(str(value)) / 24, 1)}{text.UNIT_SPACE}j)"
    return shown


def _numbers() -> alt.Axis:
    """A count axis in French: 12 345 (no-break space), never 12,345."""
    return alt.Axis(format=",d", labelExpr=NUMBER_LABELS)


def _status_scale(statuses: Sequence[Status]) -> alt.Scale:
    return alt.Scale(domain=[s.label for s in statuses],
                     range=[STATUS_COLOURS[s] for s in statuses])


def _chart(chart: alt.Chart | alt.LayerChart, alt_text: str) -> None:
    st.altair_chart(chart, width="stretch", alt=alt_text)


def _empty() -> None:
    st.info("Aucune licence pour ces filtres.", icon=":material/info:")


# ------------------------------------------------------------------ figures
def summary(d: Dashboard) -> None:
    r, delay = d.rates, d.processing.overall
    cols = st.columns(5)
    cols[0].metric("Licences soumises", count(d.total), border=True,
                   help="Licences soumises pour visa ou plus loin (hors brouillons).")
    cols[1].metric("Décisions de visa MCE", count(r.decided), border=True,
                   help="Visas accordés ou refusés.")
    cols[2].metric("Délai MCE médian", hours(delay.median_hours, with_days=False), border=True,
                   help="De la dernière soumission à la décision de visa (accord ou refus), "
                        f"soit {hours(delay.median_hours)}.")
    cols[3].metric("Délai MCE, 90e centile", hours(delay.p90_hours, with_days=False),
                   border=True, help="90 % des décisions de visa sont rendues dans ce délai : "
                                     f"{hours(delay.p90_hours)}.")
    cols[4].metric(f"Expirent sous {d.near_expiry.days} jours", count(d.near_expiry.total),
                   border=True, help="Licences visées ou imputées partiellement dont la "
                                     "validité prend fin dans ce délai.")


def status_chart(d: Dashboard) -> None:
    st.markdown("##### Licences par statut")
    if not d.total:
        _empty()
        return
    shown = [s for s in d.by_status if s.count]
    frame = pd.DataFrame({
        "Statut": [s.label for s in shown],
        "Licences": [s.count for s in shown],
        "Part": [percent(analytics.ratio(s.count, d.total)) for s in shown],
        "Nombre": [count(s.count) for s in shown],
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


def monthly_chart(d: Dashboard) -> None:
    st.markdown("##### Volume mensuel par statut (mois de soumission)")
    table = analytics.monthly_table(d.monthly_by_status)
    if not table:
        _empty()
        return
    present = [s for s in analytics.DASHBOARD_STATUSES
               if any(c[s] for _, c in table)]
    rows = [(analytics.month_label(m), s.label, i, c[s], count(c[s]))
            for m, c in table for i, s in enumerate(present) if c[s]]
    frame = pd.DataFrame(rows, columns=["Mois", "Statut", "Ordre", "Licences", "Nombre"])
    months = [analytics.month_label(m) for m, _ in table]
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
    frame = frame.assign(Nombre=[count(v) for v in frame["Licences"]])
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None,
                axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        x=alt.X("Licences:Q", title=title, axis=_numbers()),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip("Nombre:N", title="Licences")],
    )
    chart = base.mark_bar(color=BLUE) + base.mark_text(align="left", dx=4, color="#333").encode(
        text="Nombre:N")
    _chart(chart.properties(height=max(140, 30 * len(frame))), alt_text)


def countries_chart(d: Dashboard) -> None:
    st.markdown("##### Principaux pays de destination")
    if not d.top_countries:
        _empty()
        return
    frame = pd.DataFrame({"Pays": [c.name for c in d.top_countries],
                          "Licences": [c.count for c in d.top_countries]})
    _bars(frame, "Pays", "Licences", "Licences par pays de destination")
    st.caption("Une licence à plusieurs destinations compte pour chacune.")


def chapters_chart(d: Dashboard) -> None:
    st.markdown("##### Principaux chapitres tarifaires")
    if not d.top_chapters:
        _empty()
        return
    frame = pd.DataFrame({"Chapitre": [f"Chapitre {c.chapter}" for c in d.top_chapters],
                          "Licences": [c.licences for c in d.top_chapters]})
    _bars(frame, "Chapitre", "Licences (ayant au moins une marchandise du chapitre)",
          "Licences par chapitre tarifaire")


def offices_chart(d: Dashboard) -> None:
    st.markdown("##### Licences par bureau douanier")
    if not d.by_office:
        _empty()
        return
    frame = pd.DataFrame({"Bureau": [f"{o.code} — {o.label}" for o in d.by_office],
                          "Licences": [o.count for o in d.by_office]})
    _bars(frame, "Bureau", "Licences", "Licences par bureau douanier")


def currency_table(d: Dashboard) -> None:
    st.markdown("##### Valeur par devise")
    if not d.value_by_currency:
        _empty()
        return
    frame = pd.DataFrame({
        "Devise": [c.currency for c in d.value_by_currency],
        "Libellé": [c.name for c in d.value_by_currency],
        "Licences": [count(c.count) for c in d.value_by_currency],
        "Montant total": [fmt.amount(c.total) for c in d.value_by_currency],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key="dash_currencies",
                 column_config={"Licences": st.column_config.TextColumn(alignment="right"),
                                "Montant total": st.column_config.TextColumn(alignment="right")})
    st.caption("Montant total des licences dans leur devise : jamais additionné entre devises.")


def delay_chart(d: Dashboard) -> None:
    st.markdown("##### Délai de traitement MCE (soumission → décision de visa)")
    months = d.processing.months
    if not months:
        st.info("Aucune décision de visa pour ces filtres.", icon=":material/info:")
        return
    rows = []
    for m in months:
        for name, value in (("Médiane", m.median_hours), ("90e centile", m.p90_hours)):
            rows.append((analytics.month_label(m.month), name, value, hours(value),
                         count(m.decided)))
    frame = pd.DataFrame(rows, columns=["Mois", "Mesure", "Heures", "Délai", "Décisions"])
    order = [analytics.month_label(m.month) for m in months]
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


def rates(d: Dashboard) -> None:
    r = d.rates
    a, b, c, e = st.columns(4)
    a.metric("Taux de refus", percent(r.refusal_rate), border=True,
             help=f"Refusées / décisions de visa : {count(r.refused)} / {count(r.decided)}.")
    b.metric("Taux de renvoi pour correction", percent(r.send_back_rate), border=True,
             help=f"Licences renvoyées au moins une fois / licences soumises : "
                  f"{count(r.sent_back)} / {count(r.licences)} "
                  f"({count(r.send_back_events)} renvoi(s)).")
    c.metric("Taux d'imputation", percent(r.imputation_rate), border=True,
             help="Quantité imputée / quantité autorisée, sur les licences imputées ou "
                  f"apurées : {fmt.quantity(r.imputed_quantity)} / "
                  f"{fmt.quantity(r.licensed_quantity)}.")
    e.metric("Taux d'apurement", percent(r.settlement_rate), border=True,
             help=f"Apurées / (imputées partiellement + totalement + apurées) : "
                  f"{count(r.settled)} / "
                  f"{count(r.partially_imputed + r.fully_imputed + r.settled)}.")


def _status_style(label: object) -> str:
    colour = next((STATUS_COLOURS[s] for s in Status if s.label == label), None)
    return f"background-color: {colour}; color: white; font-weight: 600" if colour else ""


def near_expiry_table(d: Dashboard) -> None:
    n = d.near_expiry
    st.markdown(f"##### Licences proches de l'expiration (sous {n.days} jours)")
    if not n.rows:
        st.info(f"Aucune licence visée ou imputée partiellement n'expire dans les {n.days} "
                "prochains jours.", icon=":material/info:")
        return
    frame = pd.DataFrame({
        "N° d'enregistrement": [e.registration_number for e in n.rows],
        "Exportateur": [e.company_name for e in n.rows],
        "Statut": [e.status.label for e in n.rows],
        "Fin de validité": [fmt.date(e.validity_end) for e in n.rows],
        "Jours restants": [e.days_left for e in n.rows],
    })
    st.dataframe(frame.style.map(_status_style, subset=["Statut"]), hide_index=True,
                 width="stretch", key="dash_expiry", height=min(400, 38 + 35 * len(frame)))
    if n.total > len(n.rows):
        st.caption(f"{count(n.total)} licences : les {len(n.rows)} plus proches sont listées.")


# ------------------------------------------------------------------ downloads
def _stamp() -> str:
    return text.local_today().strftime("%Y%m%d")


def _prepare(actor: Actor, filters: DashboardFilters, kind: str) -> bool:
    """Build the licence list file with a progress bar, keep it for the download button."""
    bar = st.progress(0.0, text="Lecture des licences…")
    xlsx = kind == "xlsx"
    read_share = 0.5 if xlsx else 0.9

    def reading(done: int, of: int) -> None:
        bar.progress(read_share * done / max(1, of),
                     text=f"Lecture des licences… {count(done)} / {count(of)}")

    def writing(done: int, of: int) -> None:
        bar.progress(min(0.95, read_share + 0.45 * done / max(1, of)),
                     text=f"Écriture du fichier Excel… {count(done)} / {count(of)}")

    try:
        rows = analytics.licence_rows(actor, filters, limit=XLSX_CAP if xlsx else CSV_CAP,
                                      progress=reading)
        data = analytics.licence_list_xlsx(rows, writing) if xlsx \
            else analytics.licence_list_csv(rows)
    except DomainError as exc:
        bar.empty()
        st.error(exc.message)
        return False
    bar.progress(1.0, text=f"Fichier prêt : {count(len(rows))} licence(s).")
    st.session_state.setdefault(PREPARED, {})[kind] = (filters, data)
    return True


def downloads(actor: Actor, d: Dashboard) -> None:
    st.markdown("##### Exports")
    described = filters_text(d.filters, actor)
    prepared: dict[str, tuple[DashboardFilters, bytes]] = st.session_state.get(PREPARED, {})
    a, b, c = st.columns(3)
    with a:
        st.download_button(
            "Chiffres du tableau de bord (.xlsx)", key="dash_figures_xlsx",
            icon=":material/download:", width="stretch", on_click="ignore",
            data=lambda: analytics.dashboard_xlsx(d, described),
            file_name=f"tableau-de-bord-{_stamp()}.xlsx", mime=XLSX_MIME,
            help="Une feuille par figure, avec les filtres appliqués.",
        )
    for col, kind, cap in ((b, "xlsx", XLSX_CAP), (c, "csv", CSV_CAP)):
        with col:
            ready = prepared.get(kind)
            if ready is not None and ready[0] == d.filters:
                st.download_button(
                    f"Télécharger la liste (.{kind})", key=f"dash_list_{kind}_download",
                    icon=":material/download:", type="primary", width="stretch",
                    data=ready[1], file_name=f"licences-{_stamp()}.{kind}",
                    mime=XLSX_MIME if kind == "xlsx" else "text/csv", on_click="ignore",
                )
                continue
            too_many = d.total > cap
            if st.button(
                f"Préparer la liste des licences (.{kind})", key=f"dash_list_{kind}",
                icon=":material/list_alt:", width="stretch", disabled=not d.total,
                help=(f"Les {count(min(d.total, cap))} licences des chiffres"
                      + (f" les plus récentes (plus de {count(cap)} : "
                         + ("utilisez le CSV)." if kind == "xlsx" else "affinez les filtres).")
                         if too_many else ", les plus récentes d'abord.")
                      + (" Séparateur « ; », virgule décimale." if kind == "csv" else "")),
            ) and _prepare(actor, d.filters, kind):
                st.rerun()
    if d.total > XLSX_CAP:
        st.caption(f"La liste Excel s'arrête aux {count(XLSX_CAP)} licences les plus récentes ; "
                   f"le CSV en contient jusqu'à {count(CSV_CAP)}.")
