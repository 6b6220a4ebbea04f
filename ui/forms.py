"""Calling one core service from a widget: French errors kept next to their fields, flash
messages after the rerun, nothing re-validated here.

The one way a screen shows a refusal: `call` keeps core's messages per form, `field_error` draws
a field's message under its widget and `other_errors` the rest. A read that core refuses is shown
by `read`."""

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


def generation(form: str) -> int:
    """Part of the widget keys of `form`: it moves when `call(..., renew=True)` succeeds, so the
    form comes back empty; a refusal keeps what was typed next to the messages."""
    return int(st.session_state.get(f"eld_gen_{form}", 0))


def form_key(form: str) -> str:
    """The key of `form`'s `st.form` and the stem of its widgets' keys (see `generation`)."""
    return f"{form}_{generation(form)}"


def text_field(form: str, name: str, label: str, **kwargs: Any) -> str:
    """The text input of field `name` of `form`, its refusal right under it."""
    value = st.text_input(label, key=f"{form_key(form)}_{name}", **kwargs)
    field_error(form, name)
    return value


def call(form: str, fn: Callable[[], T], success: str | None = None, *, rerun: bool = True,
         renew: bool = False) -> T | None:
    """Run one service call; on refusal keep its messages for the form and show them; on
    success, with `renew`, empty the form (`generation`)."""
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
        if renew:
            st.session_state[f"eld_gen_{form}"] = generation(form) + 1
        if success:
            flash(success)
        if rerun:
            st.rerun()
        return result
    if rerun:
        st.rerun()
    return None


def read(fn: Callable[[], T]) -> T | None:
    """A read through core; a refusal (licence gone, account disabled) is shown, not raised."""
    try:
        return fn()
    except DomainError as exc:
        st.error(exc.message, icon=":material/error:")
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


def upload_parts(upload: Any) -> tuple[str | None, bytes | None]:
    """(name, bytes) of a `st.file_uploader` value, (None, None) when nothing was chosen: core
    refuses a missing file itself, next to the form's other errors."""
    if upload is None:
        return None, None
    return upload.name, upload.getvalue()
