"""Login, session restore from the cookie, logout, password change.

Every rule is core's (`core.accounts`): passwords, failed logins (one message for every refusal,
delays per account and per client), the session token (HS256, signed with AUTH_COOKIE_KEY,
holding the user name, its issue time and an expiry bounded by SESSION_HOURS) and revocations
(logout, password change, deactivation). Here: the forms, and the token carried to the browser
by streamlit-authenticator's cookie manager and back in `st.context.cookies`. A login and a
logout each start from an empty session state: the next user of the tab inherits nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Any

import streamlit as st

from core import accounts
from core.config import COOKIE_NAME, ConfigurationError, cookie_key, settings
from core.errors import AuthenticationFailed
from core.lifecycle import ROLE_DUTIES, ROLE_LABELS
from core.models import utcnow
from core.records import Actor
from core.seed import DEMO_PASSWORD, DEMO_USERS
from ui.forms import call, field_error, other_errors

USER_KEY = "eld_username"
ISSUED_KEY = "eld_issued_at"
AUTHENTICATOR_KEY = "eld_authenticator"  # this run's cookie manager, for the password page
PASSWORD_FORM = "password_change"
PASSWORD_CHANGED = "Mot de passe changé. Vos sessions ouvertes ailleurs sont fermées."
CHANGED_AT_KEY = "eld_password_changed_at"
CHANGED_NOTICE_S = 8.0

def startup_checks() -> None:
    """Settings that forbid serving anything: a short cookie key, demo passwords in production."""
    try:
        cookie_key()
        problem = accounts.production_problem()
    except ConfigurationError as exc:
        problem = str(exc)
    if problem:
        st.error(problem, icon=":material/block:")
        st.stop()


def make_authenticator() -> Any:
    """The cookie manager of this run (call `startup_checks` first: `ui.layout.page` does)."""
    import streamlit_authenticator as stauth

    authenticator = stauth.Authenticate(
        {"usernames": {}}, COOKIE_NAME, cookie_key(), settings().session_hours / 24,
        auto_hash=False,
    )
    st.session_state[AUTHENTICATOR_KEY] = authenticator
    return authenticator


def _client() -> str:
    headers = st.context.headers
    forwarded = headers.get("X-Forwarded-For", "") if headers is not None else ""
    return accounts.client_address(st.context.ip_address, forwarded, settings().trusted_proxies)


def _cookie_token() -> str | None:
    value = st.context.cookies.get(COOKIE_NAME)
    return value if isinstance(value, str) else None


def _store_cookie(authenticator: Any, username: str, issued: dt.datetime) -> None:
    token = accounts.new_session_token(username, cookie_key(), issued)
    # The component reads a local time, like the browser's clock.
    expires = dt.datetime.now() + accounts.session_lifetime()
    # Without a cookie the session still works in this tab.
    with contextlib.suppress(Exception):
        authenticator.cookie_controller.cookie_model.cookie_manager.set(
            COOKIE_NAME, token, expires_at=expires)


def _new_session_state() -> None:
    st.session_state.clear()


def _from_cookie() -> Actor | None:
    found = accounts.session_from_token(_cookie_token(), cookie_key())
    if found is None:
        return None
    username, issued = found
    actor = accounts.session_actor(username, issued)
    if actor:
        st.session_state[USER_KEY] = actor.username
        st.session_state[ISSUED_KEY] = issued
    return actor


def current_actor(authenticator: Any | None = None) -> Actor | None:
    """The logged-in user, re-read from the database on every run; a password chosen by an
    administrator is replaced before anything else is shown."""
    username = st.session_state.get(USER_KEY)
    if username:
        issued = st.session_state.get(ISSUED_KEY)
        actor = (accounts.session_actor(username, issued)
                 if isinstance(issued, dt.datetime) else None)
        if actor is None:
            _new_session_state()
    else:
        actor = _from_cookie()
    if actor is not None:
        _password_gate(actor, authenticator)
        _changed_notice()
    return actor


def login_form(authenticator: Any) -> Actor | None:
    """The guide's *Formulaire d'authentification*. Returns the actor on success."""
    box = st.empty()
    with box.container():
        st.markdown("### Connexion")
        st.caption("Accédez à votre espace personnel sur le guichet unique.")
        if settings().demo_mode:
            st.info("**Version de démonstration** : sociétés, licences et comptes fictifs, "
                    "réinitialisables ; les comptes ci-dessous sont publics.",
                    icon=":material/science:")
        with st.form("login", clear_on_submit=False):
            username = st.text_input("Nom d'utilisateur", max_chars=60)
            password = st.text_input("Mot de passe", type="password",
                                     max_chars=accounts.MAX_PASSWORD_CHARS)
            submitted = st.form_submit_button("Se connecter", type="primary")
        actor = None
        if submitted:
            try:
                actor = accounts.authenticate(username, password, client=_client())
            except AuthenticationFailed as exc:
                st.error(exc.message)
        if actor is None and settings().demo_mode:
            demo_accounts()
    if actor is None:
        return None
    box.empty()  # the form goes: the page (or the password change) takes its place
    issued = utcnow()
    _new_session_state()  # nothing of what was there before the login survives
    st.session_state[USER_KEY] = actor.username
    st.session_state[ISSUED_KEY] = issued
    # No st.rerun() here: it would abort the cookie component before the browser stores it.
    _store_cookie(authenticator, actor.username, issued)
    _password_gate(actor, authenticator)
    _changed_notice()
    return actor


def demo_accounts() -> None:
    with st.expander("Comptes de démonstration", expanded=True):
        st.markdown(f"Mot de passe commun : `{DEMO_PASSWORD}`")
        rows = [
            f"| `{username}` | {ROLE_LABELS[role]} | {ROLE_DUTIES[role]} |"
            for username, _name, role, _company in DEMO_USERS
        ]
        st.markdown("| Compte | Profil | Peut |\n|---|---|---|\n" + "\n".join(rows))


def logout(authenticator: Any, actor: Actor) -> None:
    """End the session for good: revoked in the database, cookie deleted, state emptied."""
    accounts.revoke_sessions(actor.username)
    with contextlib.suppress(Exception):
        authenticator.cookie_controller.delete_cookie()
    _new_session_state()


# ------------------------------------------------------------------ password change
def _password_gate(actor: Actor, authenticator: Any) -> None:
    """A password chosen by an administrator: the change form and nothing else."""
    if not accounts.password_change_required(actor.username):
        return
    box = st.empty()
    with box.container():
        st.markdown("### Nouveau mot de passe")
        st.warning("Votre mot de passe a été fixé par un administrateur : choisissez votre "
                   "propre mot de passe pour continuer.", icon=":material/key:")
        issued = password_form(actor, form="password_gate")
        logout_clicked = issued is None and st.button("Se déconnecter",
                                                      key="password_gate_logout")
    if issued is not None:
        box.empty()
        _changed(authenticator, actor, issued)
        return  # the guard shows the notice
    if logout_clicked:
        logout(authenticator, actor)
        st.success("Vous êtes déconnecté.")
    st.stop()


def _changed(authenticator: Any, actor: Actor, issued: dt.datetime) -> None:
    """This session goes on with a new cookie (no st.rerun(): the component must reach the
    browser; it then reruns the page, maybe twice: the message stays a few seconds)."""
    st.session_state[ISSUED_KEY] = issued
    st.session_state[CHANGED_AT_KEY] = time.monotonic()
    _store_cookie(authenticator, actor.username, issued)


def _changed_notice() -> None:
    at = st.session_state.get(CHANGED_AT_KEY)
    if isinstance(at, float) and time.monotonic() - at < CHANGED_NOTICE_S:
        st.success(PASSWORD_CHANGED, icon=":material/check_circle:")
    else:
        st.session_state.pop(CHANGED_AT_KEY, None)


def password_form(actor: Actor, *, form: str = PASSWORD_FORM) -> dt.datetime | None:
    """Current password, new one twice. Returns the new session's issue time once changed."""
    with st.form(form, clear_on_submit=True):
        current = st.text_input("Mot de passe actuel", type="password",
                                max_chars=accounts.MAX_PASSWORD_CHARS)
        field_error(form, "current")
        new = st.text_input("Nouveau mot de passe", type="password",
                            max_chars=accounts.MAX_PASSWORD_CHARS, help=accounts.PASSWORD_HELP)
        field_error(form, "new")
        confirmation = st.text_input("Confirmer le nouveau mot de passe", type="password",
                                     max_chars=accounts.MAX_PASSWORD_CHARS)
        field_error(form, "confirmation")
        submitted = st.form_submit_button("Changer le mot de passe", type="primary")
    if submitted:
        issued = call(form, lambda: accounts.change_password(
            actor.username, current, new, confirmation, client=_client()), rerun=False)
        if issued is None:
            st.rerun()
        return issued
    other_errors(form, {"current", "new", "confirmation"})
    return None


def password_page(actor: Actor) -> None:
    st.caption("Votre mot de passe actuel est demandé. Une fois le mot de passe changé, vos "
               "sessions ouvertes ailleurs (autres navigateurs, autres postes) sont fermées.")
    issued = password_form(actor)
    if issued is not None:
        _changed(st.session_state.get(AUTHENTICATOR_KEY), actor, issued)
        _changed_notice()
