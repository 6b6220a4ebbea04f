"""Entry point: the login form, then the main screen with the user's menu and work summary."""

import streamlit as st

from core import reading
from core.lifecycle import SEES_OWN_COMPANY_ONLY, Screen, Status
from ui import format as fmt
from ui import notifications
from ui.forms import show_flash
from ui.layout import ACCOUNT_GROUP, menu_for, page

actor = page(Screen.HOME)
show_flash()
st.markdown(f"Bienvenue, **{fmt.md_escape(actor.full_name or actor.username)}**"
            + (f" — {fmt.md_escape(actor.company_name)}" if actor.company_name else "") + ".")
notifications.panel(actor)

counts = reading.status_summary(actor)
st.subheader("Vos licences par statut" if actor.role in SEES_OWN_COMPANY_ONLY else "Licences par statut")
columns = st.columns(5)
for index, status in enumerate(Status):
    with columns[index % 5]:
        st.markdown(fmt.badge(status), unsafe_allow_html=True)
        st.metric(status.label, counts.get(status, 0), label_visibility="collapsed")

st.subheader("Accès rapide")
for entry in menu_for(actor.role)[1:]:
    if entry.group != ACCOUNT_GROUP:
        st.page_link(entry.path, label=entry.label, icon=":material/arrow_forward:")
