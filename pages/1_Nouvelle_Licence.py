"""Nouvelle Licence d'Exportation: create a licence, then complete and submit it (also reopens a
draft for editing with ?id=)."""

import streamlit as st

from core import reading
from core.errors import DomainError
from core.lifecycle import AWAITING_VISA, Action, Screen, is_allowed
from ui import format as fmt
from ui import licence_form, licence_view
from ui.forms import show_flash
from ui.layout import page

actor = page(Screen.NEW_LICENCE)
show_flash()

raw_id = st.query_params.get("id")
licence = None
if raw_id:
    try:
        licence = reading.get_licence(actor, int(raw_id))
    except (ValueError, DomainError):
        st.error("Licence introuvable.")
        st.page_link(licence_view.MANAGE_PAGE,
                     label="Retour à la Gestion des Licences d'Exportation")
        st.stop()

if licence is None:
    st.markdown("Renseignez les données de la licence, puis **Sauvegarder** pour la créer.")
    licence_form.new_licence_form(actor)
    st.page_link(licence_view.MANAGE_PAGE, label="Retour", icon=":material/arrow_back:")
    st.stop()

detail = licence_form.as_seen(licence)  # sections act with the version the user saw
editable = is_allowed(detail.status, Action.EDIT, actor.role)
st.markdown(
    f'N° d\'enregistrement : <span class="eld-number">{fmt.html_text(detail.registration_number)}'
    "</span> "
    f"&nbsp; {fmt.badge(detail.status)}"
    + (f" &nbsp; révision {detail.revision}" if detail.revision else ""),
    unsafe_allow_html=True,
)
if detail.correction_reason and editable:
    st.warning(f"Renvoyée pour correction par le MCE : {fmt.md_escape(detail.correction_reason)}")
if detail.status in AWAITING_VISA:
    st.info("Licence soumise pour visa MCE : aucune modification ne peut être apportée avant le "
            "retour du MCE ; l'historique reste consultable.")
elif not editable:
    st.info(f"Licence « {detail.status.label} » : elle ne peut plus être modifiée ici.")

# after a Demande de modification: what changed since the visa
licence_view.revision_comparison(actor, detail, f"draft_{detail.id}")
header = licence_form.header_section(actor, licence, editable)
left, right = st.columns(2, gap="large")
with left:
    licence_form.countries_section(actor, detail, editable)
with right:
    licence_form.invoices_section(actor, detail, editable)
licence_form.documents_section(actor, detail, editable)
licence_form.goods_section(actor, detail, editable)
st.divider()
licence_form.checklist(detail)
licence_form.action_bar(actor, detail, editable, header)
