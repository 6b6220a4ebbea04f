"""Lists read a page at a time (search results, work queues, the MCE's decisions, the
administration log): the page asked for, *Précédent* / *Suivant*, and the choice of the licence a
screen acts on. A list's page number lives in `st.session_state["eld_<prefix>_page"]`."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import streamlit as st

from core.records import Page
from ui import format as fmt

PAGE_SIZE = 10
T = TypeVar("T")


class Listed(Protocol):
    """A licence as a list shows it."""

    @property
    def id(self) -> int: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Listed)


def page_key(prefix: str) -> str:
    return f"eld_{prefix}_page"


def current_page(prefix: str) -> int:
    return int(st.session_state.get(page_key(prefix), 1))


def paged(prefix: str, read: Callable[[int], Page[T]]) -> Page[T]:
    """The current page of a list; its last page when the list got shorter (a licence moved on,
    another search, a demo reset)."""
    asked = current_page(prefix)
    found = read(asked)
    if found.page > found.page_count:
        found = read(found.page_count)
    if found.page != asked:
        st.session_state[page_key(prefix)] = found.page
    return found


def pager(prefix: str, page: Page[Any], noun: str = "licence") -> None:
    """*Précédent* / « Page 2 / 5 — 42 licences » / *Suivant*."""
    previous, info, following = st.columns([1, 3, 1], vertical_alignment="center")
    with previous:
        if st.button("Précédent", icon=":material/chevron_left:", key=f"{prefix}_prev",
                     disabled=page.page <= 1, width="stretch"):
            st.session_state[page_key(prefix)] = page.page - 1
            st.rerun()
    with info:
        count = f"{'plus de ' if page.capped else ''}{fmt.count(page.total)}"
        st.markdown(f"<div style='text-align:center'>Page {page.page} / {page.page_count} — "
                    f"{count} {noun}{'s' if page.total > 1 else ''}</div>",
                    unsafe_allow_html=True)
    with following:
        if st.button("Suivant", icon=":material/chevron_right:", icon_position="right",
                     key=f"{prefix}_next", disabled=page.page >= page.page_count,
                     width="stretch"):
            st.session_state[page_key(prefix)] = page.page + 1
            st.rerun()


def choose_licence(prefix: str, rows: Sequence[R], label: Callable[[R], str], *,
                   label_shows_status: bool = False) -> R:
    """The licence the screen acts on: one of `rows` (not empty), the one chosen last while it
    is listed, else the first.

    The browser keeps the label it was first given for an option of a keyed selectbox. When
    `label` shows what changes while a licence stays listed (its status), the key carries a
    fingerprint of the rows (ids and versions), so a changed licence shows its new label; the
    choice is remembered apart and survives the new key."""
    by_id = {row.id: row for row in rows}
    key = f"{prefix}_choice"
    if label_shows_status:
        fingerprint = zlib.crc32(" ".join(f"{r.id}.{r.version}" for r in rows).encode())
        key = f"{key}_{fingerprint:08x}"
    remembered = f"eld_{prefix}_chosen"
    if st.session_state.get(key) not in by_id:
        last = st.session_state.get(remembered)
        st.session_state[key] = last if last in by_id else next(iter(by_id))
    chosen = st.selectbox("Licence", list(by_id), key=key,
                          format_func=lambda licence_id: label(by_id[licence_id]))
    row = by_id.get(chosen, rows[0])
    st.session_state[remembered] = row.id
    return row
