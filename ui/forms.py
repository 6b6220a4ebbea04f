"""Calling one core service from a widget: French errors kept next to their fields, flash
messages after the rerun, nothing re-validated here."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from core.errors import ConcurrentChange, DomainError, ValidationFailed

T = TypeVar("T")
FLASH = "eld_flash"
FLASH_AGAIN = "eld_flash_again"
# A page opened by `st.switch_page` runs twice in the browser: the login guard's cookie
# component reports its value once mounted. A message for that page is shown on both runs.
AGAIN_WITHIN_S = 4.0


def errors(form: str) -> dict[str, str]:
    return dict(st.session_state.get(f"eld_errors_{form}", {}))


def field_error(form: str, *fields: str) -> None:
    """Draw the refusal of `fields` right where it is called (under the widget)."""
    found = errors(form)
    for name in fields:
        if name in found:
            st.error(found[name], icon=":material/error:")


def other_errors(form: str, known: set[str]) -> None:
    for name, message in errors(form).items():
        if name not in known:
            st.error(message, icon=":material/error:")


def clear(form: str) -> None:
    st.session_state.pop(f"eld_errors_{form}", None)


def call(form: str, fn: Callable[[], T], success: str | None = None, *, rerun: bool = True
         ) -> T | None:
    """Run one service call; on refusal keep its messages for the form and show them."""
    try:
        result = fn()
    except ValidationFailed as exc:
        st.session_state[f"eld_errors_{form}"] = exc.errors
    except ConcurrentChange as exc:
        st.session_state[f"eld_errors_{form}"] = {"_conflict": exc.message}
    except DomainError as exc:
        st.session_state[f"eld_errors_{form}"] = {"_": exc.message}
    else:
        clear(form)
        if success:
            flash(success)
        if rerun:
            st.rerun()
        return result
    if rerun:
        st.rerun()
    return None


def flash(message: str, kind: str = "success", *, next_page: bool = False) -> None:
    """A message for the next run; `next_page=True` when `st.switch_page` follows."""
    st.session_state[FLASH] = (kind, message)
    if next_page:
        st.session_state[FLASH_AGAIN] = True
    else:
        st.session_state.pop(FLASH_AGAIN, None)


def show_flash() -> None:
    item: Any = st.session_state.get(FLASH)
    if not item:
        return
    again = st.session_state.get(FLASH_AGAIN)
    if again is True:  # first run of the new page: keep it for the component's rerun
        st.session_state[FLASH_AGAIN] = time.monotonic() + AGAIN_WITHIN_S
    else:
        st.session_state.pop(FLASH, None)
        st.session_state.pop(FLASH_AGAIN, None)
        if again is not None and time.monotonic() > again:
            return  # a later run of the user's: the message is old news
    kind, message = item
    getattr(st, kind)(message, icon=":material/check_circle:" if kind == "success" else None)
