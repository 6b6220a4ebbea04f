"""Tableau de bord: licence volumes, values, MCE delays and rates for analysts, the MCE and
administrators; read-only. Every figure is an aggregate computed in core (`core.analytics`)."""

import streamlit as st

from core.lifecycle import Screen
from ui import dashboard
from ui import format as fmt
from ui.forms import read
from ui.layout import page

actor = page(Screen.DASHBOARD)

filters, days = dashboard.filter_form(actor)
board = read(lambda: dashboard.figures(actor, filters, days))
if board is None:
    st.stop()

info, refresh = st.columns([5, 1], vertical_alignment="center")
with info:
    described = dashboard.filters_text(filters, actor)
    shown = "  \n".join(f"**{label}** : {fmt.md_escape(value)}" for label, value in described)
    st.caption(f"Chiffres calculés le {fmt.datetime(board.generated_at)} (heure du Maroc) "
               f"(recalculés toutes les {dashboard.CACHE_SECONDS // 60} minutes).  \n{shown}")
with refresh:
    if st.button("Actualiser", icon=":material/refresh:", key="dash_refresh", width="stretch"):
        dashboard.refresh()
        st.rerun()

dashboard.summary(board)
dashboard.rates(board)
dashboard.side_by_side(board, dashboard.status_chart, dashboard.currency_table)
dashboard.monthly_chart(board)
dashboard.side_by_side(board, dashboard.countries_chart, dashboard.chapters_chart)
dashboard.side_by_side(board, dashboard.offices_chart, dashboard.delay_chart)
dashboard.near_expiry_table(board)
dashboard.downloads(actor, board)
