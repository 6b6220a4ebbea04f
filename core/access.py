"""What every use case of core opens with: the write transaction and its French refusals, the
acting user as the database knows them, which licences they see, loading a licence for a change
(role, status and version checked), the history event written in the same transaction, and the
expiry of visaed licences applied before any read or write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.database import read_session, write_session
from core.errors import ConcurrentChange, DomainError, NotAllowed, NotFound, ValidationFailed
from core.files import check_pdf
from core.lifecycle import (
    SEES_OWN_COMPANY_ONLY,
    SYSTEM,
    Action,
    Screen,
    Status,
    check,
    require_screen,
)
from core.models import (
    HistoryChange,
    HistoryEvent,
    Licence,
    StoredFile,
    User,
    utcnow,
)
from core.records import (
    Actor,
    FieldChange,
)
from core.text import fr_date
from core.validation import Checker

ZERO = Decimal("0")


def today() -> dt.date:
    return utcnow().date()


@contextmanager
def writing() -> Iterator[Session]:
    try:
        with write_session() as session:
            yield session
    except StaleDataError:
        raise ConcurrentChange() from None
    except IntegrityError as exc:
        raise _integrity_message(exc) from None


def _integrity_message(exc: IntegrityError) -> DomainError:
    text = str(exc.orig).lower()
    if "uq_imputations_licence_ref" in text or "imputations.licence_id" in text:
        return ValidationFailed({"declaration_ref": "Cette déclaration est déjà imputée."})
    if "uq_repatriations_licence_ref" in text or "repatriations.licence_id" in text:
        return ValidationFailed({"bank_reference": "Cette référence bancaire est déjà enregistrée."})
    if "visa_number" in text:
        return ValidationFailed({"visa_number": VISA_TAKEN})
    if "licence_country" in text or "licence_countries" in text:
        return ValidationFailed({"country": "Ce pays est déjà dans la liste."})
    if "users.username" in text or "uq_users_username" in text:
        return ValidationFailed({"username": "Ce nom d'utilisateur existe déjà."})
    if "companies.ice" in text or "uq_companies_ice" in text:
        return ValidationFailed({"ice": "Cet ICE est déjà enregistré."})
    return DomainError("Enregistrement refusé : les données sont en conflit avec l'existant.")


VISA_TAKEN = "Numéro de visa : déjà attribué à une autre licence."


def current_user(session: Session, actor: Actor) -> User:
    """The acting user as the database knows it now (a deactivated account can do nothing).
    Every read and write of core opens with it, in this module and the others."""
    user = session.get(User, actor.user_id)
    if user is None or not user.active or user.username != actor.username:
        raise NotAllowed("Votre compte est désactivé ou inconnu : reconnectez-vous.")
    return user


def screen_user(session: Session, actor: Actor, screen: Screen) -> User:
    """`current_user`, refused unless their role opens `screen` (the core functions that serve
    one screen: the circuit's queues, the dashboard, the administration)."""
    user = current_user(session, actor)
    require_screen(user.role, screen)
    return user


def visibility(user: User) -> ColumnElement[bool]:
    """SQL condition of the licences `user` may see."""
    if user.role in SEES_OWN_COMPANY_ONLY:
        return Licence.company_id == user.company_id
    return and_(Licence.status != Status.DRAFT, Licence.submitted_at.is_not(None))


def load_licence(session: Session, user: User, licence_id: int, *, lock: bool = False) -> Licence:
    query = select(Licence).where(Licence.id == licence_id, visibility(user))
    if lock and session.bind is not None and session.bind.dialect.name != "sqlite":
        query = query.with_for_update()
    licence = session.scalars(query).first()
    if licence is None:
        # Same answer whether the licence does not exist or belongs to somebody else.
        raise NotFound()
    return licence


def expect_version(licence: Licence, expected_version: int) -> None:
    if licence.version != expected_version:
        raise ConcurrentChange()


def record_event(
    session: Session,
    licence: Licence,
    user: User | None,
    action: Action,
    before: Status | None,
    details: str | None = None,
    changes: Sequence[FieldChange] = (),
) -> None:
    """The history event of an operation, with each changed field, in the caller's transaction."""
    session.add(
        HistoryEvent(
            licence_id=licence.id,
            occurred_at=utcnow(),
            user_id=user.id if user else None,
            username=user.username if user else SYSTEM,
            role=user.role if user else SYSTEM,
            action=action,
            status_before=before,
            status_after=licence.status,
            details=details,
            changes=[HistoryChange(position=n, label=c.label, old_value=c.old, new_value=c.new)
                     for n, c in enumerate(changes)],
        )
    )


def touch(licence: Licence) -> None:
    """A change to any section is a change of the licence: bumps its version."""
    licence.updated_at = utcnow()


def open_licence(
    session: Session,
    actor: Actor,
    licence_id: int,
    expected_version: int,
    action: Action,
) -> tuple[User, Licence, Status, tuple[Status, ...]]:
    """The common opening of every write on an existing licence."""
    user = current_user(session, actor)
    expire_due(session)
    licence = load_licence(session, user, licence_id, lock=True)
    status = Status(licence.status)
    allowed = check(status, action, user.role)
    expect_version(licence, expected_version)
    return user, licence, status, allowed


def child(items: list[Any], child_id: int, what: str) -> Any:
    for item in items:
        if item.id == child_id:
            return item
    raise NotFound(f"{what} introuvable sur cette licence.")


def reason_text(raw: object, label: str = "Motif") -> str:
    checker = Checker()
    text = checker.text("reason", label, raw, max_len=1000, multiline=True)
    checker.done()
    return text or ""


def active(items: Sequence[Any]) -> list[Any]:
    """Imputations not reversed, repatriation proofs not withdrawn."""
    return [i for i in items
            if getattr(i, "reversed_at", None) is None and getattr(i, "withdrawn_at", None) is None]


def require_file(checker: Checker, data: bytes | None, message: str) -> None:
    """A form sent without its PDF is refused on the field `file`, with the others' errors."""
    if data is None:
        checker.fail("file", message)


def store_pdf(session: Session, file_name: str | None, data: bytes | None, field: str
              ) -> StoredFile:
    """The checked PDF, stored in the caller's transaction (`check_pdf` refuses bad files)."""
    pdf = check_pdf(file_name or "document.pdf", data or b"", field)
    stored = StoredFile(file_name=pdf.file_name, size=pdf.size, sha256=pdf.sha256,
                        content=pdf.data, uploaded_at=utcnow())
    session.add(stored)
    session.flush()
    return stored


def expire_due(session: Session, on: dt.date | None = None) -> int:
    """Visaed licences past their validity end with nothing imputed become `Expirée`.

    Called by every service before it reads or writes, so every screen sees the same statuses.
    """
    on = on or today()
    due = list(
        session.scalars(
            select(Licence).where(Licence.status == Status.VISAED, Licence.validity_end < on)
        )
    )
    for licence in due:
        licence.status = Status.EXPIRED
        touch(licence)
        record_event(
            session, licence, None, Action.EXPIRE, Status.VISAED,
            f"Fin de validité le {fr_date(licence.validity_end)} sans imputation.",
        )
    return len(due)


def run_expiry(on: dt.date | None = None) -> int:
    with writing() as session:
        return expire_due(session, on)


def expire_before_read() -> None:
    """Reads apply expiry too, but only take the write lock when something is due."""
    with read_session() as session:
        due = session.scalar(
            select(Licence.id).where(
                Licence.status == Status.VISAED, Licence.validity_end < today()
            ).limit(1)
        )
    if due is not None:
        run_expiry()
