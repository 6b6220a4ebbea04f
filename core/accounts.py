"""Companies, users and authentication (failed logins are counted in the database)."""

from __future__ import annotations

import datetime as dt
import re

import bcrypt
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import settings
from core.database import read_session, write_session
from core.errors import AuthenticationFailed, ValidationFailed
from core.lifecycle import Role
from core.models import AuditEvent, Company, User, utcnow
from core.validation import Checker
from core.views import Actor

BAD_LOGIN = "Nom d'utilisateur ou mot de passe incorrect."
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
# Checked against when the user is unknown, so both cases cost one bcrypt run.
_DUMMY_HASH = bcrypt.hashpw(b"unknown-user", bcrypt.gensalt(12)).decode()


def password_problem(password: object) -> str | None:
    """The French refusal of a new password, or None when bcrypt can take it."""
    if not isinstance(password, str):
        return "Mot de passe : texte attendu."
    if len(password.encode()) > 72:
        return "Mot de passe : 72 octets au plus."
    if len(password) < 8:
        return "Mot de passe : 8 caractères au moins."
    return None


def hash_password(password: str, rounds: int = 12) -> str:
    problem = password_problem(password)
    if problem:
        raise ValidationFailed({"password": problem})
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def _verify(password: str, hashed: str) -> bool:
    data = password.encode()
    if len(data) > 72:
        data = data[:72]
    try:
        return bcrypt.checkpw(data, hashed.encode())
    except ValueError:
        return False


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, username=user.username, role=user.role, company_id=user.company_id,
        full_name=user.full_name, company_name=user.company.name if user.company else "",
    )


def authenticate(username: str, password: str, now: dt.datetime | None = None) -> Actor:
    """Check a login; count failures per account in a time window; lock after too many."""
    cfg = settings()
    now = now or utcnow()
    name = (username or "").strip().lower()
    with write_session() as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        ok = _verify(password or "", user.password_hash if user else _DUMMY_HASH)
        if user is None or not user.active:
            raise AuthenticationFailed(BAD_LOGIN)
        if user.locked_until and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise AuthenticationFailed(
                f"Compte verrouillé après trop d'échecs : réessayez dans {minutes} min "
                "ou contactez l'administrateur."
            )
        if ok:
            user.failed_attempts = 0
            user.first_failure_at = None
            user.locked_until = None
            return actor_of(user)
        window = dt.timedelta(minutes=cfg.login_lock_minutes)
        if user.first_failure_at is None or now - user.first_failure_at > window:
            user.failed_attempts, user.first_failure_at = 1, now
        else:
            user.failed_attempts += 1
        if user.failed_attempts >= cfg.login_max_failures:
            user.locked_until = now + window
            user.failed_attempts, user.first_failure_at = 0, None
    raise AuthenticationFailed(BAD_LOGIN)


def credentials() -> dict[str, dict[str, dict[str, str]]]:
    """Active users in streamlit-authenticator's dict format (bcrypt hashes, nothing else)."""
    with read_session() as session:
        users = session.scalars(select(User).where(User.active.is_(True)))
        return {
            "usernames": {
                u.username: {"name": u.full_name, "password": u.password_hash, "email": u.email}
                for u in users
            }
        }


def session_actor(username: str, issued_at: dt.datetime) -> Actor | None:
    """The actor behind a login session, or None if the account is gone, inactive, or its
    sessions were revoked (logout, deactivation) after `issued_at`."""
    with read_session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            return None
        if user.sessions_valid_after and issued_at <= user.sessions_valid_after:
            return None
        return actor_of(user)


def revoke_sessions(username: str) -> None:
    with write_session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is not None:
            user.sessions_valid_after = utcnow()


def audit(session_username: str, action: str, details: str | None = None) -> None:
    with write_session() as session:
        session.add(AuditEvent(username=session_username, action=action, details=details))


def check_company(c: Checker, name: str, ice: str) -> tuple[str, str]:
    """Raison sociale and ICE as stored; refusals collected in `c`."""
    label = c.text("name", "Raison sociale", name, max_len=200)
    ice = (ice or "").strip() if isinstance(ice, str) else ""
    if not re.fullmatch(r"\d{15}", ice):
        c.fail("ice", "ICE : 15 chiffres.")
    return label or "", ice


def insert_company(session: Session, name: str, ice: str) -> Company:
    """Add a checked company in the caller's transaction (duplicate ICE refused)."""
    if session.scalars(select(Company).where(Company.ice == ice)).first():
        raise ValidationFailed({"ice": "Cet ICE est déjà enregistré."})
    company = Company(name=name, ice=ice)
    session.add(company)
    session.flush()
    return company


def create_company(name: str, ice: str) -> int:
    c = Checker()
    label, ice = check_company(c, name, ice)
    c.done()
    with write_session() as session:
        return insert_company(session, label, ice).id


def check_user(
    c: Checker, username: str, full_name: str, role: str, company_id: int | None
) -> tuple[str, str]:
    """(username, full name) as stored; refusals collected in `c`."""
    name = (username or "").strip().lower() if isinstance(username, str) else ""
    if not USERNAME_RE.match(name):
        c.fail("username", "Nom d'utilisateur : 2 à 60 caractères, lettres minuscules, chiffres, . _ -")
    label = c.text("full_name", "Nom complet", full_name, max_len=200)
    if role not in set(Role):
        c.fail("role", f"Profil inconnu : {role}.")
    if role == Role.EXPORTER and company_id is None:
        c.fail("company_id", "Un exportateur doit appartenir à une société.")
    return name, label or name


def insert_user(
    session: Session, username: str, full_name: str, hashed: str, role: str,
    company_id: int | None,
) -> User:
    """Add a checked user in the caller's transaction (duplicate name, unknown company refused)."""
    if session.scalars(select(User).where(User.username == username)).first():
        raise ValidationFailed({"username": "Ce nom d'utilisateur existe déjà."})
    if company_id is not None and session.get(Company, company_id) is None:
        raise ValidationFailed({"company_id": "Société inconnue."})
    user = User(
        username=username, full_name=full_name, password_hash=hashed, role=role,
        company_id=company_id if role == Role.EXPORTER else None,
    )
    session.add(user)
    session.flush()
    return user


def create_user(
    username: str,
    full_name: str,
    password: str,
    role: str,
    company_id: int | None = None,
    *,
    rounds: int = 12,
) -> int:
    c = Checker()
    name, label = check_user(c, username, full_name, role, company_id)
    c.done()
    hashed = hash_password(password, rounds)
    with write_session() as session:
        return insert_user(session, name, label, hashed, role, company_id).id


def get_actor(username: str) -> Actor:
    with read_session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise AuthenticationFailed(BAD_LOGIN)
        return actor_of(user)
