"""French notation for the whole application: numbers, amounts, quantities, percentages, file
sizes, months, dates and times. Core messages and history details, the screens (through
`ui/format.py`) and the exports (Excel, CSV, PDF) all write through this module, so a figure or a
time reads the same everywhere. Never imports streamlit.

Numbers come from Babel's CLDR data for the locale **fr_FR**, not fr_MA. Both give the same
number notation (decimal comma, U+202F narrow no-break space between thousands: « 12 500,50 »),
but CLDR's fr_MA abbreviates months differently (« jui. » for juin, « mar. » for mars), which
reads ambiguously in the dashboard's month labels; fr_FR's « juin », « juil. », « mars » do not.
Babel is pinned in requirements.txt: CLDR changes arrive only with a deliberate upgrade, and
tests/core/test_text.py pins the notation.

Amounts keep the administration's shape « 12 500,50 EUR »: the ISO code after the number (CLDR's
« ¤¤ »), never a symbol, joined by a no-break space so the code never wraps alone.

Times: stored as naive UTC (SQLite returns naive datetimes, PostgreSQL aware ones: both are
accepted), shown in Moroccan legal time, Africa/Casablanca from the tz database (UTC+1, UTC+0
during Ramadan: no offset is written here), and labelled with `LOCAL_TIME_LABEL`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_currency, format_percent, parse_pattern

LOCALE = Locale.parse("fr_FR")
LOCAL_TZ = ZoneInfo("Africa/Casablanca")
LOCAL_TIME_LABEL = "heure du Maroc"
GROUP = LOCALE.number_symbols["latn"]["group"]  # U+202F
UNIT_SPACE = "\u00a0"  # between a number and its unit or currency code
KIBIBYTE = 1024
MEBIBYTE = 1024 * 1024

Number = Decimal | int | float


def _decimal(value: Number) -> Decimal:
    # str() first: a float's shortest repr, not its binary expansion (0.1 -> 0.1, not 0.1000…0555).
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _pattern(places: int, trim: bool) -> str:
    """CLDR pattern: grouped integer part, `places` decimals, optional ones when trimmed."""
    if places <= 0:
        return "#,##0"
    return "#,##0." + ("#" if trim else "0") * places


@lru_cache(maxsize=32)
def _parsed(places: int, trim: bool) -> NumberPattern:
    # Parsed once: what babel.numbers.format_decimal does on every call (a third of its time,
    # which counts in a 100 000-row CSV export).
    return parse_pattern(_pattern(places, trim))


# ------------------------------------------------------------------ numbers
def fr_number(value: Number, places: int = 2, *, group: str | None = None,
              trim: bool = False) -> str:
    """1 234 567,89: decimal comma, U+202F between thousands, rounded half-even to `places`.

    `trim` drops trailing zeros (quantities: 12,5 rather than 12,500). `group` replaces the
    thousands separator: "" for machine-read files (CSV), " " where a long figure may wrap."""
    text: str = _parsed(places, trim).apply(_decimal(value), LOCALE, group_separator=group != "")
    return text.replace(GROUP, group) if group else text


def fr_amount(value: Number, currency: str = "", places: int = 2) -> str:
    """12 500,50 EUR (ISO code after the number), or 12 500,50 without a currency."""
    if not currency:
        return fr_number(value, places)
    return format_currency(_decimal(value), currency, format=_pattern(places, False) + "\u00a0¤¤",
                           locale=LOCALE, currency_digits=False)


def fr_quantity(value: Number, *, group: str | None = None) -> str:
    """Up to 3 decimals, trailing zeros dropped: 1 250,5 ; 12 ; 0,125."""
    return fr_number(value, 3, group=group, trim=True)


def fr_count(value: int) -> str:
    """A whole count: 12 345."""
    return fr_number(value, 0)


def fr_percent(ratio: Number, places: int = 1) -> str:
    """A fraction as a French percentage: 0.25 -> 25,0 % (no-break space before %)."""
    pattern = _pattern(places, False) + "\u00a0%"
    return format_percent(_decimal(ratio), format=pattern, locale=LOCALE)


def fr_size(num_bytes: int) -> str:
    """A file size in binary units: 12 Ko, 2,5 Mo, 3 Mo (3 145 728 bytes)."""
    kib = round(num_bytes / KIBIBYTE)
    if kib < KIBIBYTE:
        return f"{fr_count(max(1, kib) if num_bytes else 0)}{UNIT_SPACE}Ko"
    return f"{fr_number(Decimal(num_bytes) / MEBIBYTE, 1, trim=True)}{UNIT_SPACE}Mo"


def fr_hours(value: Number, *, with_days: bool = True) -> str:
    """A delay in hours, one decimal, and the same in days: 36,5 h (1,5 j)."""
    shown = f"{fr_number(value, 1)}{UNIT_SPACE}h"
    if with_days:
        shown += f" ({fr_number(_decimal(value) / 24, 1)}{UNIT_SPACE}j)"
    return shown


def fr_waiting(hours: int) -> str:
    """A wait in whole hours: 2 j 3 h, 5 h, or « moins d'une heure »."""
    if hours >= 24:
        return f"{hours // 24} j {hours % 24} h"
    return f"{hours} h" if hours else "moins d'une heure"


# ------------------------------------------------------------------ times
def utc_naive(value: dt.datetime) -> dt.datetime:
    """UTC wall time without tzinfo, as stored: naive values are already UTC."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def local_datetime(value: dt.datetime) -> dt.datetime:
    """The stored time (naive = UTC, or aware) as an aware Africa/Casablanca datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(LOCAL_TZ)


def local_naive(value: dt.datetime) -> dt.datetime:
    """Moroccan wall time without tzinfo: what a spreadsheet cell can hold."""
    return local_datetime(value).replace(tzinfo=None)


def local_today() -> dt.date:
    """Today's date in Morocco (not the server's)."""
    return dt.datetime.now(LOCAL_TZ).date()


def file_stamp() -> str:
    """Today in Morocco as a file name takes it: 20260315."""
    return local_today().strftime("%Y%m%d")


# Dates and times are all digits in a fixed order: no locale data is involved, and strftime is
# twice as fast as Babel's pattern engine.
DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M"


def fr_date(value: dt.date | dt.datetime | None, empty: str = "") -> str:
    """dd/mm/yyyy; a datetime is first converted to Moroccan time (its day may change)."""
    if value is None:
        return empty
    if isinstance(value, dt.datetime):
        value = local_datetime(value)
    return value.strftime(DATE_FORMAT)


def fr_time(value: dt.datetime | None, empty: str = "") -> str:
    """HH:MM in Moroccan time."""
    return empty if value is None else local_datetime(value).strftime(TIME_FORMAT)


def fr_datetime(value: dt.datetime | None, empty: str = "") -> str:
    """dd/mm/yyyy HH:MM in Moroccan time (label the column or text with LOCAL_TIME_LABEL)."""
    if value is None:
        return empty
    return local_datetime(value).strftime(f"{DATE_FORMAT} {TIME_FORMAT}")


def fr_month(month: str | dt.date) -> str:
    """'2026-03' (or any date in that month) -> 'mars 2026'."""
    if isinstance(month, str):
        year, number = month.split("-")
        month = dt.date(int(year), int(number), 1)
    return format_date(month, "MMM y", locale=LOCALE)


def with_local_time(label: str) -> str:
    """A column title for Moroccan times: 'Date' -> 'Date (heure du Maroc)'."""
    return f"{label} ({LOCAL_TIME_LABEL})"
