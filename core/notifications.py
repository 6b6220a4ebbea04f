"""What happened to an exporter's licences since it last looked: visa granted or refused, sent
back for correction, imputed, settled, expired.

Unread = history events of those actions on the company's licences that occurred after
`users.last_seen_events_at` (never looked: since the account was created). The look-back is
capped at `MAX_LOOKBACK`, and the query starts from the `occurred_at` index, so an account that has
not looked for years does not make the database walk the company's whole history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.access import current_user
from core.database import read_session, write_session
from core.lifecycle import NOTIFIED_ROLES, Action, Status
from core.models import HistoryEvent, Licence, User, utcnow
from core.records import Actor

# What the counterparties (and the system) do to a licence that its exporter wants to hear about.
NOTIFIED_ACTIONS: tuple[Action, ...] = (
    Action.GRANT_VISA,
    Action.REFUSE,
    Action.SEND_BACK,
    Action.IMPUTE,
    Action.SETTLE,
    Action.EXPIRE,
)
MAX_LOOKBACK = dt.timedelta(days=90)
MAX_LIMIT = 200
COUNT_CAP = 100
# Below this many licences, a company's own history is shorter than a window of everybody's events.
SMALL_COMPANY = 500


@dataclass(frozen=True)
class Notification:
    event_id: int
    licence_id: int
    registration_number: str
    occurred_at: dt.datetime
    action: Action
    status_after: Status
    details: str | None

    @property
    def action_label(self) -> str:
        return self.action.label

    @property
    def status_label(self) -> str:
        return self.status_after.label


def _since(user: User, now: dt.datetime) -> dt.datetime:
    seen = user.last_seen_events_at or user.created_at or now
    return max(seen, now - MAX_LOOKBACK)


def _unread(session: Session, user: User, now: dt.datetime) -> list[ColumnElement[bool]]:
    """Conditions on history_events joined to licences, shaped so that the planner starts where
    it reads fewer rows. A company with many licences starts from ix_history_occurred: only the
    events after the mark are read and their licence is reached through its primary key
    (`company_id + 0` keeps SQLite, which has no statistics here, from walking the company's
    whole history through ix_history_licence instead). A small company starts from its licences:
    their history is short, while the window may hold everybody's events."""
    small = session.scalar(
        select(func.count()).select_from(
            select(Licence.id).where(Licence.company_id == user.company_id)
            .limit(SMALL_COMPANY + 1).subquery()
        )
    ) or 0
    company = Licence.company_id if small <= SMALL_COMPANY else Licence.company_id + 0
    return [
        HistoryEvent.occurred_at > _since(user, now),
        # Not ahead of the clock: mark_seen never moves past now, so such an event would stay
        # unread for ever after "Marquer comme lu".
        HistoryEvent.occurred_at <= now,
        # `action || ''`: read through ix_history_occurred (the window after the mark), never
        # through ix_history_action, which holds every decision of every company.
        HistoryEvent.action.concat("").in_([a.value for a in NOTIFIED_ACTIONS]),
        company == user.company_id,
    ]


def _exporter(session: Session, actor: Actor) -> User | None:
    user = current_user(session, actor)
    if user.role not in NOTIFIED_ROLES or user.company_id is None:
        return None
    return user


def unread(actor: Actor, limit: int = 50) -> list[Notification]:
    """The exporter's unread events, newest first (nothing for other roles)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    with read_session() as session:
        user = _exporter(session, actor)
        if user is None:
            return []
        rows = session.execute(
            select(HistoryEvent, Licence.registration_number)
            .join(Licence, Licence.id == HistoryEvent.licence_id)
            .where(*_unread(session, user, utcnow()))
            .order_by(HistoryEvent.occurred_at.desc(), HistoryEvent.id.desc())
            .limit(limit)
        )
        return [
            Notification(
                event_id=event.id, licence_id=event.licence_id, registration_number=number,
                occurred_at=event.occurred_at, action=Action(event.action),
                status_after=Status(event.status_after), details=event.details,
            )
            for event, number in rows
        ]


def unread_count(actor: Actor, cap: int = COUNT_CAP) -> int:
    """How many unread events, counted up to `cap` (0 for other roles): one COUNT query over a
    LIMIT, so that a huge backlog costs no more than `cap` rows. A menu shows « 99+ »."""
    with read_session() as session:
        user = _exporter(session, actor)
        if user is None:
            return 0
        unread_ids = (
            select(HistoryEvent.id)
            .join(Licence, Licence.id == HistoryEvent.licence_id)
            .where(*_unread(session, user, utcnow()))
            .limit(max(1, cap))
            .subquery()
        )
        return int(session.scalar(select(func.count()).select_from(unread_ids)) or 0)


def mark_seen(actor: Actor, up_to: dt.datetime | None = None) -> None:
    """Everything up to `up_to` (default: now) is read. A screen passes the time of the newest
    event it showed, so that an event arriving between display and click is not lost; the mark
    never moves back."""
    now = utcnow()
    mark = min(up_to, now) if up_to is not None else now
    with write_session() as session:
        user = current_user(session, actor)
        if user.role not in NOTIFIED_ROLES:
            return
        if user.last_seen_events_at is None or mark > user.last_seen_events_at:
            user.last_seen_events_at = mark
