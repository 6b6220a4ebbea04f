"""The exporter's news: a counter for the menu and a panel for the main screen."""

from __future__ import annotations

import streamlit as st

from core import notifications
from core.errors import DomainError
from core.lifecycle import NOTIFIED_ROLES, Action
from core.records import Actor
from ui import format as fmt
from ui.forms import call, other_errors
from ui.licence_view import DRAFT_PAGE, MANAGE_PAGE

FORM = "notifications"


def menu_badge(actor: Actor) -> str:
    """« (3) » to put after a menu label, « (99+) » beyond, or nothing."""
    if actor.role not in NOTIFIED_ROLES:
        return ""
    try:
        count = notifications.unread_count(actor)
    except DomainError:  # account gone meanwhile: the guard will say so on the next run
        return ""
    if count <= 0:
        return ""
    if count >= notifications.COUNT_CAP:
        return f" ({notifications.COUNT_CAP - 1}+)"
    return f" ({count})"


def _line(note: notifications.Notification) -> str:
    details = f" — {fmt.html_text(note.details)}" if note.details else ""
    return (
        f'<div class="eld-note"><span class="eld-note-when" title="{fmt.LOCAL_TIME_LABEL}">'
        f"{fmt.datetime(note.occurred_at)}"
        f"</span> <b>{fmt.html_text(note.registration_number)}</b> · "
        f"{fmt.html_text(note.action_label)} {fmt.badge(note.status_after)}{details}</div>"
    )


def panel(actor: Actor) -> None:
    """What happened to the company's licences since the exporter last marked them read."""
    if actor.role not in NOTIFIED_ROLES:
        return
    notes = notifications.unread(actor)
    st.subheader("Nouveautés sur vos licences" + (f" ({len(notes)})" if notes else ""))
    if not notes:
        st.caption("Rien de nouveau depuis votre dernière visite.")
        return
    st.markdown(
        "<style>.eld-note{padding:3px 0;border-bottom:1px solid #e3ebf3}"
        ".eld-note-when{color:#5b6b7b;font-size:.85rem}</style>", unsafe_allow_html=True)
    with st.container(border=True):
        # A long backlog scrolls inside the panel instead of pushing the summary off screen.
        with st.container(height=340 if len(notes) > 8 else "content", border=False):
            st.markdown("".join(_line(n) for n in notes), unsafe_allow_html=True)
        if len(notes) >= 50:
            st.caption("Seuls les 50 événements les plus récents sont affichés.")
        back = [n for n in notes if n.action == Action.SEND_BACK]
        for note in back[:3]:
            st.page_link(DRAFT_PAGE, label=f"Corriger {note.registration_number}",
                         icon=":material/edit:", query_params={"id": str(note.licence_id)})
        left, right = st.columns([1, 3], vertical_alignment="center")
        with left:
            if st.button("Marquer comme lu", key="notifications_seen", type="primary",
                         icon=":material/done_all:"):
                newest = notes[0].occurred_at
                call(FORM, lambda: notifications.mark_seen(actor, up_to=newest),
                     "Notifications marquées comme lues.")
        with right:
            st.page_link(MANAGE_PAGE, label="Gestion des Licences d'Exportation",
                         icon=":material/list:")
        other_errors(FORM, set())
