"""Administration: users, companies, reference lists, tariff nomenclature, audit log, demo."""

import streamlit as st

from core.lifecycle import Screen
from ui import admin
from ui.forms import show_flash
from ui.layout import page

actor = page(Screen.ADMINISTRATION)
show_flash()

# Only the open tab runs (on_change="rerun"), and the choice survives the reruns of its forms.
users, companies, lists, nomenclature, journal, demo = st.tabs(
    admin.TABS, key=admin.TAB_KEY, on_change="rerun")
for tab, draw in ((users, admin.users_tab), (companies, admin.companies_tab),
                  (lists, admin.reference_tab), (nomenclature, admin.nomenclature_tab),
                  (journal, admin.journal_tab), (demo, admin.demo_tab)):
    if tab.open:
        with tab:
            draw(actor)
