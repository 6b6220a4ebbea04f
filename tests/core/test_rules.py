"""The rules kept in `core.lifecycle` beside the transition table: which role opens which screen,
the status groups the worklists and the dashboard read, the visa's longest validity, what a
licence needs before its submission. Each is asked by the core functions that enforce it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from core import admin, analytics, circuit, decisions, drafting, lifecycle
from core.access import today
from core.errors import NotAllowed, ValidationFailed
from core.lifecycle import Action, Role, Screen, Status
from core.records import Actor
from tests.conftest import complete_draft

ACTOR_OF_ROLE = {
    Role.EXPORTER: "exportateur", Role.MCE: "mce", Role.CUSTOMS: "douane", Role.BANK: "banque",
    Role.ANALYST: "analyste", Role.ADMIN: "admin",
}

# The core functions that serve one screen only, with the screen they serve.
ONE_SCREEN: list[tuple[Screen, Callable[[Actor], Any]]] = [
    (Screen.VISA, lambda a: circuit.mce_queue(a)),
    (Screen.VISA, lambda a: circuit.mce_decisions(a, circuit.DecisionFilters())),
    (Screen.IMPUTATION, lambda a: circuit.customs_worklist(a)),
    (Screen.REPATRIATION, lambda a: circuit.bank_worklist(a)),
    (Screen.DASHBOARD, lambda a: analytics.dashboard(a, analytics.DashboardFilters())),
    (Screen.DASHBOARD, lambda a: analytics.filter_options(a)),
    (Screen.ADMINISTRATION, lambda a: admin.list_users(a)),
]


@pytest.mark.parametrize(("screen", "call"), ONE_SCREEN)
def test_core_opens_a_screen_to_exactly_the_roles_of_the_table(
    actors: dict[str, Actor], screen: Screen, call: Callable[[Actor], Any]
) -> None:
    for role, name in ACTOR_OF_ROLE.items():
        if lifecycle.can_open(role, screen):
            call(actors[name])  # no refusal
        else:
            with pytest.raises(NotAllowed, match="pas ouvert à votre profil"):
                call(actors[name])


def test_every_screen_has_roles_and_every_role_a_screen_beyond_home() -> None:
    assert set(lifecycle.SCREEN_ROLES) == set(Screen)
    for role in Role:
        opened = {s for s in Screen if lifecycle.can_open(role, s)}
        assert {Screen.HOME, Screen.CONSULT, Screen.PASSWORD} < opened, role
    assert {r for r in Role if lifecycle.can_open(r, Screen.DASHBOARD)} == {
        Role.ANALYST, Role.MCE, Role.ADMIN}


def test_status_groups_are_read_from_the_transition_table() -> None:
    assert lifecycle.IMPUTABLE_STATUSES == (Status.VISAED, Status.PARTIALLY_IMPUTED)
    assert lifecycle.REPATRIATION_STATUSES == (Status.PARTIALLY_IMPUTED, Status.FULLY_IMPUTED)
    assert set(lifecycle.REPATRIATION_STATUSES) == lifecycle.IMPUTED_STATUSES
    assert lifecycle.REVERSIBLE_STATUSES == (Status.PARTIALLY_IMPUTED, Status.FULLY_IMPUTED)
    assert lifecycle.AWAITING_VISA == (Status.SUBMITTED,)
    assert Status.DRAFT not in lifecycle.SUBMITTED_STATUSES
    assert len(lifecycle.SUBMITTED_STATUSES) == len(Status) - 1
    for status in lifecycle.IMPUTABLE_STATUSES:
        assert lifecycle.is_allowed(status, Action.IMPUTE, Role.CUSTOMS)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (dt.date(2026, 1, 31), 6, dt.date(2026, 7, 31)),
    (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
    (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
    (dt.date(2024, 2, 29), 36, dt.date(2027, 2, 28)),
    (dt.date(2026, 12, 2), 36, dt.date(2029, 12, 2)),
])
def test_months_after(day: dt.date, months: int, expected: dt.date) -> None:
    assert lifecycle.months_after(day, months) == expected


def test_visa_valid_three_years_at_most_to_the_day(actors: dict[str, Actor]) -> None:
    exporter, mce = actors["exportateur"], actors["mce"]
    latest = lifecycle.latest_validity_end(today())
    assert latest == lifecycle.months_after(today(), 36)
    first = complete_draft(exporter)
    first = drafting.submit_for_visa(exporter, first.id, first.version)
    with pytest.raises(ValidationFailed) as refused:
        decisions.grant_visa(mce, first.id, first.version, "V-MAX-1",
                             latest + dt.timedelta(days=1))
    assert "3 ans au plus" in refused.value.errors["validity_end"]
    granted = decisions.grant_visa(mce, first.id, first.version, "V-MAX-1", latest)
    assert granted.validity_end == latest and granted.status == Status.VISAED


def test_a_licence_is_complete_with_a_country_an_invoice_and_a_goods_line() -> None:
    assert lifecycle.missing_items(1, 1, 1) == []
    assert lifecycle.missing_items(0, 0, 0) == [
        "Au moins un pays de destination doit être renseigné.",
        "Au moins une facture doit être ajoutée.",
        "Au moins une marchandise est requise.",
    ]
    assert lifecycle.missing_items(2, 0, 3) == ["Au moins une facture doit être ajoutée."]
