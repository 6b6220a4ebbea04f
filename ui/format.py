"""French formatting of amounts, dates and statuses for the screens."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.lifecycle import STATUS_COLOURS, Status

LOCAL_TZ = ZoneInfo("Africa/Casablanca")
NBSP = "\u00a0"


def amount(value: Decimal | float | int | None, currency: str = "", places: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(str(value)):,.{places}f}".replace(",", NBSP).replace(".", ",")
    return f"{text}{NBSP}{currency}" if currency else text


def quantity(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = amount(value, places=3)
    return text.rstrip("0").rstrip(",") if "," in text else text


def date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def local(value: dt.datetime | None) -> dt.datetime | None:
    """Stored timestamps are naive UTC; screens show Moroccan time."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(LOCAL_TZ)


def datetime(value: dt.datetime | None) -> str:
    shown = local(value)
    return shown.strftime("%d/%m/%Y %H:%M") if shown else "—"


def badge(status: Status) -> str:
    """A coloured status badge (HTML, for st.markdown with unsafe_allow_html)."""
    colour = STATUS_COLOURS[status]
    return (
        f'<span class="eld-badge" style="background:{colour}">{html.escape(status.label)}</span>'
    )


def size(num_bytes: int) -> str:
    if num_bytes >= 1024 * 1024:
        return f"{num_bytes / 1048576:.1f}".replace(".", ",") + " Mo"
    return f"{max(1, round(num_bytes / 1024))} Ko"
