"""French notation (core.text): what every screen, message and export shows.

Babel's French thousands separator is U+202F (narrow no-break space); a unit or currency code
follows a no-break space U+00A0."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core import text
from ui import format as fmt

NNBSP = "\u202f"
NBSP = "\u00a0"


def test_amounts_have_the_code_after_the_number() -> None:
    assert text.fr_amount(Decimal("12500.5"), "EUR") == f"12{NNBSP}500,50{NBSP}EUR"
    assert text.fr_amount(Decimal("1234567.89"), "MAD") == f"1{NNBSP}234{NNBSP}567,89{NBSP}MAD"
    assert text.fr_amount(Decimal("0.1") + Decimal("0.2")) == "0,30"
    assert text.fr_amount(Decimal("-12.5"), "USD") == f"-12,50{NBSP}USD"
    assert text.fr_amount(Decimal("999999999999.99")) == f"999{NNBSP}999{NNBSP}999{NNBSP}999,99"
    assert text.fr_amount(7, "EUR", places=0) == f"7{NBSP}EUR"


def test_numbers_round_exactly_and_take_another_separator_on_request() -> None:
    assert text.fr_number(Decimal("1234.5")) == f"1{NNBSP}234,50"
    assert text.fr_number(0.1 + 0.2) == "0,30"  # a float's repr, not its binary expansion
    assert text.fr_number(Decimal("2.675"), 2) == "2,68"
    assert text.fr_number(Decimal("1234567.5"), 1, group="") == "1234567,5"
    assert text.fr_number(Decimal("1234567.5"), 1, group=" ") == "1 234 567,5"
    assert text.fr_count(1234567) == f"1{NNBSP}234{NNBSP}567"


def test_quantities_keep_up_to_three_decimals_trimmed() -> None:
    assert text.fr_quantity(Decimal("1250.500")) == f"1{NNBSP}250,5"
    assert text.fr_quantity(Decimal("1200.125")) == f"1{NNBSP}200,125"
    assert text.fr_quantity(Decimal("12.000")) == "12"
    assert text.fr_quantity(Decimal("0.0004")) == "0"
    assert text.fr_quantity(Decimal("0.1256")) == "0,126"
    assert text.fr_quantity(Decimal("1E+3")) == f"1{NNBSP}000"


def test_percentages() -> None:
    assert text.fr_percent(Decimal("0.25")) == f"25,0{NBSP}%"
    assert text.fr_percent(0) == f"0,0{NBSP}%"
    assert text.fr_percent(Decimal("0.12346"), 2) == f"12,35{NBSP}%"


@pytest.mark.parametrize(
    ("num_bytes", "shown"),
    [
        (3_145_728, f"3{NBSP}Mo"),
        (int(2.5 * 1024 * 1024), f"2,5{NBSP}Mo"),
        (12_345, f"12{NBSP}Ko"),
        (10, f"1{NBSP}Ko"),
        (1024 * 1024 - 1, f"1{NBSP}Mo"),
        (3 * 1024 * 1024 + 1, f"3{NBSP}Mo"),
    ],
)
def test_file_sizes(num_bytes: int, shown: str) -> None:
    assert text.fr_size(num_bytes) == shown
    assert fmt.size(num_bytes) == shown


def test_dates_and_months() -> None:
    assert text.fr_date(dt.date(2026, 9, 5)) == "05/09/2026"
    assert text.fr_date(None) == ""
    assert text.fr_date(None, empty="—") == "—"
    assert text.fr_month("2026-02") == "févr. 2026"
    assert text.fr_month("2026-06") == "juin 2026"
    assert text.fr_month(dt.date(2026, 3, 17)) == "mars 2026"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        # Winter: Morocco is UTC+1.
        (dt.datetime(2026, 1, 15, 12, 0), "15/01/2026 13:00"),
        # Summer: UTC+1 as well.
        (dt.datetime(2026, 7, 15, 8, 45), "15/07/2026 09:45"),
        # Ramadan 2026 (tz database): UTC+0.
        (dt.datetime(2026, 3, 1, 12, 0), "01/03/2026 12:00"),
        # Late evening UTC is already the next day in Morocco.
        (dt.datetime(2026, 12, 31, 23, 30), "01/01/2027 00:30"),
    ],
)
def test_stored_utc_is_shown_in_moroccan_time(stored: dt.datetime, shown: str) -> None:
    assert text.fr_datetime(stored) == shown
    assert fmt.datetime(stored) == shown
    # PostgreSQL gives the same moment as an aware datetime.
    aware = stored.replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert text.fr_datetime(aware) == shown
    assert text.fr_date(stored) == shown[:10]


def test_local_datetime_conversions() -> None:
    stored = dt.datetime(2026, 1, 15, 23, 30)
    local = text.local_datetime(stored)
    assert local.tzinfo is not None and str(local.tzinfo) == "Africa/Casablanca"
    assert local.replace(tzinfo=None) == dt.datetime(2026, 1, 16, 0, 30)
    assert text.local_datetime(local) == local  # already converted: unchanged
    assert text.local_naive(stored) == dt.datetime(2026, 1, 16, 0, 30)
    aware = dt.datetime(2026, 1, 16, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert text.utc_naive(aware) == dt.datetime(2026, 1, 15, 23, 30)
    assert text.utc_naive(stored) is stored
    assert text.fr_time(stored) == "00:30"
    assert text.with_local_time("Date") == "Date (heure du Maroc)"


def test_delays_in_hours_and_waits() -> None:
    assert text.fr_hours(36.5) == f"36,5{NBSP}h (1,5{NBSP}j)"
    assert text.fr_hours(Decimal("1234"), with_days=False) == f"1{NNBSP}234,0{NBSP}h"
    assert text.fr_waiting(50) == "2 j 2 h"
    assert text.fr_waiting(5) == "5 h"
    assert text.fr_waiting(0) == "moins d'une heure"
    assert len(text.file_stamp()) == 8 and text.file_stamp().isdigit()


def test_screen_helpers_show_a_dash_for_missing_values() -> None:
    assert fmt.amount(None) == fmt.quantity(None) == fmt.date(None) == fmt.datetime(None) == "—"
    assert fmt.hours(None) == "—"
    assert fmt.amount(Decimal("12500.5"), "EUR") == text.fr_amount(Decimal("12500.5"), "EUR")
    assert fmt.quantity(Decimal("1250.500")) == f"1{NNBSP}250,5"
    assert fmt.local(None) is None
