"""Every page starts with `page()`: config, style, the login guard, the role's menu, the footer."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from core.config import PROJECT_ROOT, settings
from core.lifecycle import ROLE_LABELS, Role, Screen, can_open
from core.records import Actor
from ui import auth, notifications
from ui import format as fmt
from ui.help import HELP

ASSETS = PROJECT_ROOT / "assets"
LOGO = ASSETS / "logo.png"
ACCOUNT_GROUP = "Mon compte"
LICENCES_GROUP = "Exportation › Licence et Documents"
CIRCUIT_GROUP = "Circuit de la licence"


@dataclass(frozen=True)
class MenuEntry:
    """A screen as the menu and its page show it; who opens it is `core.lifecycle`'s rule."""

    screen: Screen
    path: str
    label: str  # the menu entry and the screen's title
    group: str
    help_key: str | None = None


MENU = (
    MenuEntry(Screen.HOME, "Home.py", "Écran principal", "", "home"),
    MenuEntry(Screen.NEW_LICENCE, "pages/1_Nouvelle_Licence.py", "Nouvelle Licence d'Exportation",
              LICENCES_GROUP, "new"),
    MenuEntry(Screen.MANAGE, "pages/2_Gestion_des_Licences.py",
              "Gestion des Licences d'Exportation", LICENCES_GROUP, "manage"),
    MenuEntry(Screen.CONSULT, "pages/3_Consulter_des_Licences.py",
              "Consulter des Licences d'Exportation", LICENCES_GROUP, "consult"),
    MenuEntry(Screen.VISA, "pages/4_Visa_MCE.py", "Visa MCE", CIRCUIT_GROUP, "visa"),
    MenuEntry(Screen.IMPUTATION, "pages/5_Imputation_Douaniere.py", "Imputation douanière",
              CIRCUIT_GROUP, "imputation"),
    MenuEntry(Screen.REPATRIATION, "pages/6_Rapatriement_et_Apurement.py",
              "Rapatriement et apurement", CIRCUIT_GROUP, "repatriation"),
    MenuEntry(Screen.DASHBOARD, "pages/7_Tableau_de_bord.py", "Tableau de bord", "Analyse"),
    MenuEntry(Screen.ADMINISTRATION, "pages/8_Administration.py", "Administration",
              "Administration"),
    MenuEntry(Screen.PASSWORD, "pages/9_Mon_mot_de_passe.py", "Changer mon mot de passe",
              ACCOUNT_GROUP),
)
ENTRIES = {entry.screen: entry for entry in MENU}


def menu_for(role: str) -> list[MenuEntry]:
    """The entries of the screens `role` opens."""
    return [e for e in MENU if can_open(role, e.screen)]


def _css() -> None:
    css = (ASSETS / "style.css").read_text(encoding="utf-8")
    st.markdown(f"<style>{css}</style>", unsafe_allow_html=True)


def _footer() -> None:
    cfg = settings()
    st.markdown(
        '<div class="eld-footer">Support et assistance — HelpDesk : '
        f"{fmt.html_text(cfg.helpdesk_phone)} · Réclamations : "
        f'<a href="{html.escape(cfg.helpdesk_url)}" target="_blank" rel="noopener">'
        f"{html.escape(cfg.helpdesk_url)}</a></div>",
        unsafe_allow_html=True,
    )


def _sidebar(actor: Actor, authenticator: object) -> None:
    with st.sidebar:
        st.image(str(LOGO), width=48)
        st.markdown(f"**{fmt.md_escape(actor.full_name or actor.username)}**  \n"
                    f"{ROLE_LABELS[Role(actor.role)]}"
                    + (f"  \n{fmt.md_escape(actor.company_name)}" if actor.company_name else ""))
        if st.button("Se déconnecter", key="logout_button", icon=":material/logout:", width="stretch"):
            auth.logout(authenticator, actor)
            st.success("Vous êtes déconnecté.")
            st.page_link("Home.py", label="Se reconnecter")
            st.stop()
        group = None
        for entry in menu_for(actor.role):
            if entry.group != group:
                group = entry.group
                if group:
                    st.markdown(f'<div class="eld-menu-group">{fmt.html_text(group)}</div>',
                                unsafe_allow_html=True)
            badge = notifications.menu_badge(actor) if entry.path == "Home.py" else ""
            st.page_link(entry.path, label=entry.label + badge)


def page(screen: Screen) -> Actor:
    """Guard of every screen: the login form and nothing else until logged in and allowed."""
    entry = ENTRIES[screen]
    title = entry.label
    st.set_page_config(page_title=f"{title} · Export Licence Desk", page_icon=str(LOGO),
                       layout="wide", initial_sidebar_state="expanded")
    _css()
    auth.startup_checks()  # before anything reads the settings: a garbled file is a message
    _footer()
    authenticator = auth.make_authenticator()
    actor = auth.current_actor(authenticator)
    if actor is None:
        _banner("Guichet Unique — Licences d'Exportation")
        actor = auth.login_form(authenticator)
        if actor is None:
            st.stop()
    assert actor is not None
    _sidebar(actor, authenticator)
    if not can_open(actor.role, screen):
        _banner(title)
        st.error("Cet écran n'est pas ouvert à votre profil.")
        st.page_link("Home.py", label="Retour à l'écran principal")
        st.stop()
    _banner(title)
    if entry.help_key:
        help_panel(entry.help_key)
    return actor


def _banner(title: str) -> None:
    st.markdown(
        f'<div class="eld-banner"><span class="eld-brand">PortNet · Export Licence Desk</span>'
        f"<h1>{fmt.html_text(title)}</h1></div>",
        unsafe_allow_html=True,
    )


def help_panel(key: str) -> None:
    with st.expander("Aide", icon=":material/help:"):
        st.markdown(HELP[key])


def asset(name: str) -> Path:
    return ASSETS / name
