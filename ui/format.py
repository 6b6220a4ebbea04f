"""Screen formatting: `core.text`'s French notation, with « — » for a missing value, and the
status badge. Times are shown in Moroccan time (`core.text.local_datetime`)."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

from core import text
from core.lifecycle import STATUS_COLOURS, Status

LOCAL_TZ = text.LOCAL_TZ
LOCAL_TIME_LABEL = text.LOCAL_TIME_LABEL
DASH = "—"
# The downloads' file types, by file name extension.
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "pdf": "application/pdf",
}


def amount(value: Decimal | float | int | None, currency: str = "", places: int = 2) -> str:
    return DASH if value is None else text.fr_amount(value, currency, places)


def quantity(value: Decimal | None) -> str:
    return DASH if value is None else text.fr_quantity(value)


def count(value: int | None) -> str:
    return DASH if value is None else text.fr_count(value)


def percent(ratio: Decimal | float | None, places: int = 1) -> str:
    return DASH if ratio is None else text.fr_percent(ratio, places)


def date(value: dt.date | None) -> str:
    """dd/mm/yyyy; a datetime (stored UTC) gives its day in Morocco."""
    return text.fr_date(value, empty=DASH)


def local(value: dt.datetime | None) -> dt.datetime | None:
    """Stored timestamps are UTC (naive from SQLite); screens show Moroccan time."""
    return None if value is None else text.local_datetime(value)


def datetime(value: dt.datetime | None) -> str:
    return text.fr_datetime(value, empty=DASH)


def with_local_time(label: str) -> str:
    """'Date' -> 'Date (heure du Maroc)', for a column of times."""
    return text.with_local_time(label)


def month(value: str) -> str:
    """'2026-03' -> 'mars 2026'."""
    return text.fr_month(value)


def size(num_bytes: int) -> str:
    return text.fr_size(num_bytes)


def hours(value: float | None, *, with_days: bool = True) -> str:
    return DASH if value is None else text.fr_hours(value, with_days=with_days)


def waiting(hours: int) -> str:
    return text.fr_waiting(hours)


def file_stamp() -> str:
    return text.file_stamp()


def badge(status: Status) -> str:
    """A coloured status badge (HTML, for st.markdown with unsafe_allow_html)."""
    colour = STATUS_COLOURS[status]
    return f'<span class="eld-badge" style="background:{colour}">{html_text(status.label)}</span>'


def status_style(label: object) -> str:
    """A status cell of a table (`Styler.map` on the status labels) in its badge's colour."""
    colour = next((STATUS_COLOURS[s] for s in Status if s.label == label), None)
    return f"background-color: {colour}; color: white; font-weight: 600" if colour else ""


# Markdown's markers as character references: inert in HTML and in Markdown alike.
_MARKDOWN_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]!|~$#:()"})


def html_text(value: object) -> str:
    """THE escaping of a value put into hand-built HTML (`unsafe_allow_html`, `st.html`): HTML
    special characters and Markdown markers become character references, so a company name or
    a visa number can neither open a tag nor make a link, an image or a formula."""
    # « ' » stays as typed (Fruits d'Europe): attributes built here are always double-quoted.
    return html.escape(str(value), quote=False).replace('"', "&quot;").translate(
        _MARKDOWN_ENTITIES)


_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_[]!<>|~$#"})


def md_escape(value: object) -> object:
    """A text cell of `st.table` (which renders cells as Markdown) shown as typed: no link,
    image, emphasis or formula made from a user's text. Other values pass unchanged."""
    return value.translate(_MARKDOWN) if isinstance(value, str) else value
