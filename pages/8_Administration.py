"""Administration: users, companies, reference lists, tariff nomenclature, audit log, demo."""

import streamlit as st

from core.lifecycle import Role
from ui import admin as tabs
from ui.forms import show_flash
from ui.layout import page

actor = page("Administration", {Role.ADMIN})
show_flash()

# Only the open tab runs (on_change="rerun"), and the choice survives the reruns of its forms.
users, companies, lists, nomenclature, journal, demo = st.tabs(
    tabs.TABS, key=tabs.TAB_KEY, on_change="rerun")
for tab, draw in ((users, tabs.users_tab), (companies, tabs.companies_tab),
                  (lists, tabs.reference_tab), (nomenclature, tabs.nomenclature_tab),
                  (journal, tabs.journal_tab), (demo, tabs.demo_tab)):
    if tab.open:
        with tab:
            draw(actor)
