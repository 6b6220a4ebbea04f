"""Dialogs (`st.dialog`) open from a session-state flag and close by clearing it (STYLE.md), which
also lets AppTest press their buttons.

The flag is a dict under a key of the screen: `{"kind": ...}`, and for a dialog about one licence
`"id"`, `"number"` and `"version"` (the version shown when it was opened: what a decision acts on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

import streamlit as st

from core.records import LicenceDetail, LicenceRow
from ui.forms import call, clear

Width = Literal["small", "medium", "large"]


def open_dialog(flag: str, kind: str, licence: LicenceRow | LicenceDetail | None = None, *,
                forms: Iterable[str] = ()) -> None:
    """Open the dialog `kind` (about `licence`); the old refusals of `forms` are dropped, so it
    opens clean. Also a button's `on_click`."""
    for form in forms:
        clear(form)
    state: dict[str, Any] = {"kind": kind}
    if licence is not None:
        state.update(id=licence.id, number=licence.registration_number, version=licence.version)
    st.session_state[flag] = state


def dialog_state(flag: str, kind: str) -> dict[str, Any] | None:
    """The flag of the dialog `kind` when that one is open, else None."""
    found = st.session_state.get(flag)
    return found if isinstance(found, dict) and found.get("kind") == kind else None


def close_dialog(flag: str) -> None:
    st.session_state.pop(flag, None)


def show_dialog(title: str, flag: str, body: Callable[[], None], *, width: Width = "large"
                ) -> None:
    """Draw `body` in a dialog; closing it with × or Échap clears the flag."""

    def dismissed() -> None:
        close_dialog(flag)

    st.dialog(title, width=width, on_dismiss=dismissed)(body)()


def act(flag: str, form: str, fn: Callable[[], object], success: str, *,
        on_saved: Callable[[], None] | None = None) -> None:
    """One core call from a dialog: it closes on success (then `on_saved`), and keeps core's
    refusal next to its fields otherwise."""
    if call(form, fn, success, rerun=False) is not None:
        close_dialog(flag)
        if on_saved:
            on_saved()
    st.rerun()


def close_button(flag: str, key: str, *, width: Literal["content", "stretch"] = "content"
                 ) -> None:
    if st.button("Fermer", key=key, width=width):
        close_dialog(flag)
        st.rerun()


def confirm_buttons(flag: str, form: str, save: Callable[[], object], success: str, *,
                    label: str, key: str, close_key: str,
                    width: Literal["content", "stretch"] = "content",
                    on_saved: Callable[[], None] | None = None) -> None:
    """The dialog's action (`label`: one core call, see `act`) beside *Fermer*."""
    confirm, close = st.columns(2)
    with confirm:
        if st.button(label, type="primary", key=key, width=width):
            act(flag, form, save, success, on_saved=on_saved)
    with close:
        close_button(flag, close_key, width=width)
