"""Entry point. The login and the menus come with the screens; for now, the state of the base."""

import streamlit as st

from core.database import read_session
from core.lifecycle import Status

st.set_page_config(page_title="Export Licence Desk", page_icon="assets/logo.png", layout="wide")
st.title("Export Licence Desk — Licences d'Exportation")
st.caption("Guichet unique : souscription, visa MCE, imputation douanière, apurement.")

with read_session() as session:
    from sqlalchemy import func, select

    from core.models import Licence

    counts = dict(session.execute(select(Licence.status, func.count()).group_by(Licence.status)).all())
st.subheader("Licences par statut")
st.table({"Statut": [s.label for s in Status], "Licences": [counts.get(s, 0) for s in Status]})
