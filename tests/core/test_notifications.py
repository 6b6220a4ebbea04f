"""What the exporter hears about its licences: counterparties' decisions after its last look."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from core import access, decisions, drafting, notifications, reading
from core.database import read_session, write_session
from core.lifecycle import Action, Status
from core.models import User, utcnow
from core.records import Actor
from tests.conftest import complete_draft, visaed


def _submitted(actor: Actor) -> int:
    lic = complete_draft(actor)
    return drafting.submit_for_visa(actor, lic.id, lic.version).id


def _version(actor: Actor, licence_id: int) -> int:
    return reading.get_licence(actor, licence_id).version


def _last_seen(username: str) -> dt.datetime | None:
    with read_session() as s:
        return s.scalar(select(User.last_seen_events_at).where(User.username == username))


def test_a_visa_shows_for_the_exporter_and_not_for_the_other_company(
    actors: dict[str, Actor],
) -> None:
    exp, other = actors["exportateur"], actors["exportateur2"]
    lid = _submitted(exp)
    # its own submission is not news to the exporter
    assert notifications.unread(exp) == [] and notifications.unread_count(exp) == 0
    lic = decisions.grant_visa(actors["mce"], lid, _version(actors["mce"], lid), "V-2026-0042")
    (note,) = notifications.unread(exp)
    assert note.licence_id == lid and note.registration_number == lic.registration_number
    assert note.action == Action.GRANT_VISA and note.action_label == "Visa MCE accordé"
    assert note.status_after == Status.VISAED and note.status_label == "Visée"
    assert "V-2026-0042" in (note.details or "")
    assert notifications.unread_count(exp) == 1
    assert notifications.unread(other) == [] and notifications.unread_count(other) == 0


def test_mark_seen_empties_the_list_and_a_later_refusal_shows_again(
    actors: dict[str, Actor],
) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    first, second = _submitted(exp), _submitted(exp)
    decisions.grant_visa(mce, first, _version(mce, first), "V-1")
    assert notifications.unread_count(exp) == 1
    notifications.mark_seen(exp)
    assert _last_seen("exportateur") is not None
    assert notifications.unread(exp) == [] and notifications.unread_count(exp) == 0
    decisions.refuse_visa(mce, second, _version(mce, second), "Dossier incomplet")
    (note,) = notifications.unread(exp)
    assert (note.licence_id, note.action, note.status_after) == (
        second, Action.REFUSE, Status.REFUSED)
    assert "Dossier incomplet" in (note.details or "")


def test_every_counterparty_decision_counts_newest_first(actors: dict[str, Actor]) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    back, refused = _submitted(exp), _submitted(exp)
    decisions.send_back(mce, back, _version(mce, back), "Facture illisible")
    decisions.refuse_visa(mce, refused, _version(mce, refused), "Hors délai")
    lic = visaed(actors, quantity="10")
    lic = decisions.impute(
        actors["douane"], lic.id, lic.version, declaration_ref="DUM-1",
        declaration_date=access.today(), customs_office=lic.customs_office,
        lines={lic.goods[0].id: ("10", "12500.50")},
    )
    notes = notifications.unread(exp)
    assert [n.action for n in notes] == [
        Action.IMPUTE, Action.GRANT_VISA, Action.REFUSE, Action.SEND_BACK]
    assert notes[0].status_after == Status.FULLY_IMPUTED
    assert notifications.unread_count(exp) == 4
    assert [n.action for n in notifications.unread(exp, limit=2)] == [
        Action.IMPUTE, Action.GRANT_VISA]
    assert notifications.unread_count(exp, cap=3) == 3
    # the other roles hear nothing, and their mark is not touched
    for role in ("mce", "douane", "banque", "analyste", "admin"):
        assert notifications.unread(actors[role]) == []
        assert notifications.unread_count(actors[role]) == 0
        notifications.mark_seen(actors[role])
        assert _last_seen(role) is None
    assert lic.imputed_value == Decimal("12500.50")


def test_mark_seen_up_to_the_newest_shown_keeps_later_events(actors: dict[str, Actor]) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    first, second = _submitted(exp), _submitted(exp)
    decisions.grant_visa(mce, first, _version(mce, first), "V-1")
    shown = notifications.unread(exp)
    decisions.grant_visa(mce, second, _version(mce, second), "V-2")  # arrives after display
    notifications.mark_seen(exp, up_to=shown[0].occurred_at)
    assert [n.licence_id for n in notifications.unread(exp)] == [second]
    # the mark never moves back
    notifications.mark_seen(exp, up_to=shown[0].occurred_at - dt.timedelta(days=1))
    assert [n.licence_id for n in notifications.unread(exp)] == [second]


def test_never_looked_means_since_the_account_was_created_within_the_cap(
    actors: dict[str, Actor],
) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    lid = _submitted(exp)
    decisions.grant_visa(mce, lid, _version(mce, lid), "V-1")
    assert _last_seen("exportateur") is None
    assert notifications.unread_count(exp) == 1
    # an account created after the event has nothing to catch up on
    with write_session() as s:
        s.execute(update(User).where(User.username == "exportateur")
                  .values(created_at=utcnow() + dt.timedelta(seconds=5)))
    assert notifications.unread_count(exp) == 0
    # a mark older than the cap is read as the cap
    old = utcnow() - notifications.MAX_LOOKBACK - dt.timedelta(days=30)
    with write_session() as s:
        s.execute(update(User).where(User.username == "exportateur")
                  .values(created_at=old, last_seen_events_at=old))
    assert notifications.unread_count(exp) == 1


def test_both_query_shapes_give_the_same_answer(
    actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    lid = _submitted(exp)
    decisions.grant_visa(mce, lid, _version(mce, lid), "V-1")
    other = _submitted(actors["exportateur2"])
    decisions.refuse_visa(mce, other, _version(mce, other), "Non")
    small = [(n.event_id, n.action) for n in notifications.unread(exp)]
    monkeypatch.setattr(notifications, "SMALL_COMPANY", 0)  # the large-company shape
    assert [(n.event_id, n.action) for n in notifications.unread(exp)] == small
    assert notifications.unread_count(exp) == 1


def test_an_event_dated_ahead_of_the_clock_waits_for_its_time(actors: dict[str, Actor]) -> None:
    from core.models import HistoryEvent

    exp = actors["exportateur"]
    lid = _submitted(exp)
    with write_session() as s:
        s.add(HistoryEvent(licence_id=lid, occurred_at=utcnow() + dt.timedelta(hours=2),
                           username="mce", role="mce", action=Action.GRANT_VISA,
                           status_before=Status.SUBMITTED, status_after=Status.VISAED))
    assert notifications.unread(exp) == [] and notifications.unread_count(exp) == 0
