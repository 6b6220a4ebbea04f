"""French notation of numbers, shared by messages, history details and exports."""

from __future__ import annotations

from decimal import Decimal


def fr_number(value: Decimal, places: int = 2, *, group: str = "\u00a0", trim: bool = False) -> str:
    """French notation: 1 234 567,89 (no-break space between thousands, decimal comma).

    `trim` drops trailing zeros (quantities: 12,5 rather than 12,500)."""
    text = f"{value:,.{places}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", group)


def fr_amount(value: Decimal, currency: str = "") -> str:
    """1 234 567,89 EUR."""
    text = fr_number(value, 2)
    return f"{text} {currency}" if currency else text


def fr_quantity(value: Decimal) -> str:
    return fr_number(value, 3, trim=True)
