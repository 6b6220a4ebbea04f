"""Login, session restore from the cookie, logout.

The password check is core's (`core.accounts.authenticate`: failures counted per account in the
database, same answer and cost for unknown users). streamlit-authenticator keeps the signed
re-authentication cookie; every run re-checks the user in the database, so a logout (which moves
`sessions_valid_after`) or a deactivation ends old sessions even if a cookie is replayed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import streamlit as st

from core import accounts
from core.config import COOKIE_EXPIRY_DAYS, COOKIE_NAME, cookie_key, settings
from core.errors import AuthenticationFailed
from core.lifecycle import ROLE_LABELS, Role
from core.seed import DEMO_PASSWORD, DEMO_USERS
from core.views import Actor

USER_KEY = "eld_username"
ISSUED_KEY = "eld_issued_at"

ROLE_CAN = {
    Role.EXPORTER: "crée, complète, soumet, modifie, annule et imprime les licences de sa société",
    Role.MCE: "accorde ou refuse le visa, renvoie pour correction",
    Role.CUSTOMS: "impute les déclarations sur les licences visées",
    Role.BANK: "enregistre les rapatriements et apure les licences",
    Role.ANALYST: "consulte toutes les licences soumises et le tableau de bord",
    Role.ADMIN: "gère utilisateurs, sociétés, référentiels et la démo",
}


def _authenticator() -> Any:
    import streamlit_authenticator as stauth

    st.session_state.setdefault("logout", None)
    return stauth.Authenticate(
        {"usernames": {}}, COOKIE_NAME, cookie_key(), COOKIE_EXPIRY_DAYS, auto_hash=False
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _from_cookie(authenticator: Any) -> Actor | None:
    try:
        token = authenticator.cookie_controller.get_cookie()
    except Exception:  # a forged or garbled cookie is no session
        return None
    if not token or "username" not in token or "exp_date" not in token:
        return None
    issued = dt.datetime.fromtimestamp(
        float(token["exp_date"]) - COOKIE_EXPIRY_DAYS * 86400, dt.UTC
    ).replace(tzinfo=None)
    actor = accounts.session_actor(str(token["username"]), issued)
    if actor:
        st.session_state[USER_KEY] = actor.username
        st.session_state[ISSUED_KEY] = issued
    return actor


def current_actor(authenticator: Any | None = None) -> Actor | None:
    """The logged-in user, re-read from the database on every run."""
    username = st.session_state.get(USER_KEY)
    if username:
        issued = st.session_state.get(ISSUED_KEY) or _now()
        actor = accounts.session_actor(username, issued)
        if actor is None:
            _forget()
        return actor
    if authenticator is not None:
        return _from_cookie(authenticator)
    return None


def _forget() -> None:
    for key in (USER_KEY, ISSUED_KEY, "username", "name", "authentication_status"):
        st.session_state.pop(key, None)


def login_form(authenticator: Any) -> Actor | None:
    """The guide's *Formulaire d'authentification*. Returns the actor on success."""
    box = st.container()
    with box:
        st.markdown("### Connexion")
        st.caption("Accédez à votre espace personnel sur le guichet unique.")
        with st.form("login", clear_on_submit=False):
            username = st.text_input("Nom d'utilisateur", max_chars=60)
            password = st.text_input("Mot de passe", type="password", max_chars=128)
            submitted = st.form_submit_button("Se connecter", type="primary")
        if submitted:
            try:
                actor = accounts.authenticate(username, password)
            except AuthenticationFailed as exc:
                st.error(exc.message)
            else:
                issued = _now()
                st.session_state[USER_KEY] = actor.username
                st.session_state[ISSUED_KEY] = issued
                # streamlit-authenticator signs and stores the cookie. No st.rerun() here: it
                # would abort the cookie component before the browser stores the cookie.
                st.session_state["username"] = actor.username
                st.session_state["name"] = actor.full_name
                st.session_state["authentication_status"] = True
                st.session_state["logout"] = None
                # Without a cookie the session still works in this tab.
                with contextlib.suppress(Exception):
                    authenticator.cookie_controller.set_cookie()
                return actor
        if settings().demo_mode:
            demo_accounts()
    return None


def demo_accounts() -> None:
    with st.expander("Comptes de démonstration", expanded=True):
        st.markdown(f"Mot de passe commun : `{DEMO_PASSWORD}`")
        rows = [
            f"| `{username}` | {ROLE_LABELS[role]} | {ROLE_CAN[role]} |"
            for username, _name, role, _company in DEMO_USERS
        ]
        st.markdown("| Compte | Profil | Peut |\n|---|---|---|\n" + "\n".join(rows))


def logout(authenticator: Any, actor: Actor) -> None:
    """End the session for good: revoked in the database, cookie deleted, state cleared."""
    accounts.revoke_sessions(actor.username)
    with contextlib.suppress(Exception):
        authenticator.cookie_controller.delete_cookie()
    _forget()
    st.session_state["logout"] = True
