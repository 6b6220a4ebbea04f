"""The drop-down lists: core's reference lists, read once and kept `LISTS_TTL_S` seconds per
database (an administrator's change clears them at once: `ui.admin`), and the one drop-down
widget of the screens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import streamlit as st

from core import analytics, reference
from core.analytics import FilterOptions
from core.records import Actor
from core.reference import FormOptions

LISTS_TTL_S = 60
PICK = "Sélectionnez…"
ALL = "Tous"
K = TypeVar("K")


@st.cache_resource(ttl=LISTS_TTL_S, show_spinner=False)
def _form_options(url: str) -> FormOptions:
    return reference.form_options(url)


def form_options() -> FormOptions:
    """Every list of the licence screens (currencies, offices, regimes, countries…)."""
    return _form_options(reference.cache_key())


@st.cache_resource(ttl=LISTS_TTL_S, show_spinner=False)
def _dashboard_options(url: str, actor: Actor) -> FilterOptions:
    return analytics.filter_options(actor)


def dashboard_options(actor: Actor) -> FilterOptions:
    """The companies and tariff chapters the dashboard's filters offer."""
    return _dashboard_options(reference.cache_key(), actor)


def select(label: str, choices: Mapping[K, str], key: str, *, current: K | None = None,
           show_code: bool = True, filtering: bool = False, **kwargs: Any) -> K | None:
    """A drop-down of `choices` (code -> French label), an option shown as « code – label » or
    the label alone. An entry field starts at `current` and asks *Sélectionnez…*; a filter
    (`filtering`) starts empty, which means every value (*Tous*), and writes « code — label »."""
    codes = list(choices)
    dash = "—" if filtering else "–"
    return st.selectbox(
        label, codes, index=codes.index(current) if current in codes else None, key=key,
        placeholder=ALL if filtering else PICK,
        format_func=(lambda code: f"{code} {dash} {choices[code]}") if show_code
        else choices.__getitem__,
        **kwargs,
    )
