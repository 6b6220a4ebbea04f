"""Nouvelle Licence d'Exportation: create a licence, then complete and submit it (also reopens a
draft for editing with ?id=)."""

import streamlit as st

from core import services
from core.errors import DomainError
from core.lifecycle import Role, Status
from ui import format as fmt
from ui import licence_form as form
from ui.forms import show_flash
from ui.layout import page

actor = page("Nouvelle Licence d'Exportation", {Role.EXPORTER}, help_key="new")
show_flash()

raw_id = st.query_params.get("id")
detail = None
if raw_id:
    try:
        detail = form.as_seen(services.get_licence(actor, int(raw_id)))
    except (ValueError, DomainError):
        st.error("Licence introuvable.")
        st.page_link(form.MANAGE_PAGE, label="Retour à la Gestion des Licences d'Exportation")
        st.stop()

if detail is None:
    st.markdown("Renseignez les données de la licence, puis **Sauvegarder** pour la créer.")
    form.header_form(actor, None)
    st.page_link(form.MANAGE_PAGE, label="Retour", icon=":material/arrow_back:")
    st.stop()

editable = detail.status == Status.DRAFT
st.markdown(
    f'N° d\'enregistrement : <span class="eld-number">{detail.registration_number}</span> '
    f"&nbsp; {fmt.badge(detail.status)}"
    + (f" &nbsp; révision {detail.revision}" if detail.revision else ""),
    unsafe_allow_html=True,
)
if detail.correction_reason and editable:
    st.warning(f"Renvoyée pour correction par le MCE : {detail.correction_reason}")
if detail.status == Status.SUBMITTED:
    st.info("Licence soumise pour visa MCE : aucune modification ne peut être apportée avant le "
            "retour du MCE ; l'historique reste consultable.")
elif not editable:
    st.info(f"Licence « {detail.status.label} » : elle ne peut plus être modifiée ici.")

with st.expander("Données de la licence", expanded=False):
    form.header_form(actor, detail, editable=editable)
left, right = st.columns(2, gap="large")
with left:
    form.countries_section(actor, detail, editable)
with right:
    form.invoices_section(actor, detail, editable)
form.documents_section(actor, detail, editable)
form.goods_section(actor, detail, editable)
st.divider()
form.checklist(detail)
form.action_bar(actor, detail, editable)
