"""Tableau de bord: licence volumes, values, MCE delays and rates for analysts, the MCE and
administrators; read-only. Every figure is an aggregate computed in core (`core.analytics`)."""

import streamlit as st

from core.errors import DomainError
from core.lifecycle import Role
from ui import dashboard as dash
from ui import format as fmt
from ui.layout import page

actor = page("Tableau de bord", {Role.ANALYST, Role.MCE, Role.ADMIN})

filters, days = dash.filter_form(actor)
try:
    board = dash.figures(actor, filters, days)
except DomainError as exc:
    st.error(exc.message)
    st.stop()

info, refresh = st.columns([5, 1], vertical_alignment="center")
with info:
    described = dash.filters_text(filters, actor)
    shown = "  \n".join(f"**{label}** : {fmt.md_escape(value)}" for label, value in described)
    st.caption(f"Chiffres calculés le {fmt.datetime(board.generated_at)} (heure du Maroc) "
               f"(recalculés toutes les {dash.CACHE_SECONDS // 60} minutes).  \n{shown}")
with refresh:
    if st.button("Actualiser", icon=":material/refresh:", key="dash_refresh", width="stretch"):
        dash.refresh()
        st.rerun()

dash.summary(board)
dash.rates(board)
left, right = st.columns(2, gap="large")
with left:
    dash.status_chart(board)
with right:
    dash.currency_table(board)
dash.monthly_chart(board)
left, right = st.columns(2, gap="large")
with left:
    dash.countries_chart(board)
with right:
    dash.chapters_chart(board)
left, right = st.columns(2, gap="large")
with left:
    dash.offices_chart(board)
with right:
    dash.delay_chart(board)
dash.near_expiry_table(board)
dash.downloads(actor, board)
