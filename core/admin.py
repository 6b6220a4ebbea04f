"""Administration use cases: companies, users, reference lists, the tariff nomenclature, the
demo reset and the audit log.

Every function takes the acting administrator, re-reads that account from the database and
refuses anybody else. Every write is one transaction that also appends its `AuditEvent`, so the
change and its record succeed or fail together.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import accounts, reference, seed
from core.access import screen_user, writing
from core.config import settings
from core.database import current_url, read_session
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.lifecycle import ROLE_LABELS, Role, Screen
from core.models import AuditEvent, Company, Licence, ReferenceItem, User, utcnow
from core.records import Actor, Page
from core.text import LOCAL_TIME_LABEL, fr_datetime
from core.validation import Checker

REFERENCE_CODE_RE = re.compile(r"^[A-Z0-9]{1,20}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSHOWN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
AUDIT_PAGE_SIZE = 50
MAX_DEMO_LICENCES = 5000

# What the audit log shows for each recorded action (an unknown one is shown as recorded).
AUDIT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "CREER_SOCIETE": "Création de société",
        "CREER_UTILISATEUR": "Création d'utilisateur",
        "DESACTIVER_UTILISATEUR": "Désactivation de compte",
        "REACTIVER_UTILISATEUR": "Réactivation de compte",
        "REINITIALISER_MOT_DE_PASSE": "Réinitialisation du mot de passe",
        "CHANGER_MOT_DE_PASSE": "Mot de passe changé par son titulaire",
        "DESACTIVER_COMPTES_DEMO": "Comptes de démonstration désactivés",
        "DEVERROUILLER_UTILISATEUR": "Déverrouillage de compte",
        "CHANGER_PROFIL": "Changement de profil",
        "AJOUTER_REFERENCE": "Ajout au référentiel",
        "RENOMMER_REFERENCE": "Libellé de référentiel modifié",
        "DESACTIVER_REFERENCE": "Code de référentiel désactivé",
        "REACTIVER_REFERENCE": "Code de référentiel réactivé",
        "IMPORTER_NOMENCLATURE": "Import de la nomenclature",
        "REINITIALISER_DEMO": "Réinitialisation de la démo",
    }
)


# ------------------------------------------------------------------ returned data
@dataclass(frozen=True)
class CompanyRow:
    id: int
    name: str
    ice: str
    active: bool
    users: int
    licences: int
    created_at: dt.datetime


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    full_name: str
    role: str
    company_id: int | None
    company_name: str
    active: bool
    locked_until: dt.datetime | None
    failed_attempts: int
    created_at: dt.datetime
    must_change_password: bool = False

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


@dataclass(frozen=True)
class ReferenceRow:
    list_name: str
    code: str
    label: str
    active: bool
    sort_order: int


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: dt.datetime
    username: str
    action: str
    details: str | None

    @property
    def action_label(self) -> str:
        return AUDIT_LABELS.get(self.action, self.action)


# ------------------------------------------------------------------ helpers
def _admin(session: Session, actor: Actor) -> User:
    return screen_user(session, actor, Screen.ADMINISTRATION)


def _audit(session: Session, admin: User, action: str, details: str) -> None:
    session.add(AuditEvent(occurred_at=utcnow(), username=admin.username, action=action,
                           details=details))


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("Utilisateur introuvable.")
    return user


def _company_id(session: Session, raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or session.get(Company, raw) is None:
        raise ValidationFailed({"company_id": "Société inconnue."})
    return raw


def _list_name(raw: object) -> str:
    if not isinstance(raw, str) or raw not in reference.CODE_LISTS:
        raise ValidationFailed({"list_name": "Liste de référence inconnue."})
    return raw


def _item(session: Session, list_name: str, code: object) -> ReferenceItem:
    # Only what a code can be is looked up: a lone surrogate or U+0000 cannot even be sent.
    known = isinstance(code, str) and REFERENCE_CODE_RE.fullmatch(code)
    item = session.get(ReferenceItem, (list_name, code)) if known else None
    if item is None:
        raise NotFound("Élément de référence introuvable.")
    return item


def _label(raw: object) -> str:
    checker = Checker()
    label = _label_text(checker, raw)
    checker.done()
    assert label is not None
    return label


def _label_text(checker: Checker, raw: object) -> str | None:
    label = checker.text("label", "Libellé", raw, max_len=200)
    if label is not None and _SURROGATE.search(label):  # no database driver can store one
        checker.fail("label", "Libellé : caractère invalide (demi-caractère UTF-16 isolé).")
        return None
    return label


def _shown_file_name(raw: object) -> str:
    """The uploaded file's name as the audit log records it: no control, direction or broken
    character, at most 120 characters."""
    name = _UNSHOWN.sub("", raw if isinstance(raw, str) else "").strip() or "fichier"
    return name if len(name) <= 120 else name[:119] + "…"


def _user_row(user: User) -> UserRow:
    return UserRow(
        id=user.id, username=user.username, full_name=user.full_name, role=user.role,
        company_id=user.company_id, company_name=user.company.name if user.company else "",
        active=user.active, locked_until=user.locked_until,
        failed_attempts=user.failed_attempts or 0, created_at=user.created_at,
        must_change_password=bool(user.must_change_password),
    )


def _describe(user: User) -> str:
    return f"{user.username} ({ROLE_LABELS[Role(user.role)]})"


# ------------------------------------------------------------------ companies
def list_companies(actor: Actor) -> list[CompanyRow]:
    with read_session() as session:
        _admin(session, actor)
        users = dict(
            session.execute(
                select(User.company_id, func.count()).where(User.company_id.is_not(None))
                .group_by(User.company_id)
            ).all()
        )
        licences = dict(
            session.execute(
                select(Licence.company_id, func.count()).group_by(Licence.company_id)
            ).all()
        )
        return [
            CompanyRow(c.id, c.name, c.ice, c.active, users.get(c.id, 0), licences.get(c.id, 0),
                       c.created_at)
            for c in session.scalars(select(Company).order_by(Company.name, Company.id))
        ]


def create_company(actor: Actor, name: str, ice: str) -> int:
    checker = Checker()
    label, ice = accounts.check_company(checker, name, ice)
    with writing() as session:
        admin = _admin(session, actor)
        checker.done()
        company = accounts.insert_company(session, label, ice)
        _audit(session, admin, "CREER_SOCIETE", f"{company.name} (ICE {company.ice})")
        return company.id


# ------------------------------------------------------------------ users
def list_users(actor: Actor) -> list[UserRow]:
    with read_session() as session:
        _admin(session, actor)
        users = session.scalars(
            select(User).outerjoin(Company, Company.id == User.company_id)
            .order_by(User.username)
        )
        return [_user_row(u) for u in users]


def add_user(
    actor: Actor,
    username: str,
    full_name: str,
    password: str,
    role: str,
    company_id: int | None = None,
    *,
    rounds: int = 12,
) -> int:
    """*Ajouter un utilisateur*. The password is the administrator's choice: its owner replaces it
    at the first login."""

    def is_admin() -> None:
        with read_session() as session:
            _admin(session, actor)

    new = accounts.new_user(username, full_name, password, role, company_id, rounds=rounds,
                            demo_allowed=False, before_hashing=is_admin)
    with writing() as session:
        admin = _admin(session, actor)
        if role == Role.EXPORTER:
            _company_id(session, company_id)
        user = accounts.insert_user(session, new, must_change=True)
        company = f", société {user.company.name}" if user.company else ""
        _audit(session, admin, "CREER_UTILISATEUR", f"{_describe(user)}{company}")
        return user.id


def deactivate_user(actor: Actor, user_id: int) -> None:
    """The account can no longer log in, and its open sessions end now."""
    with writing() as session:
        admin = _admin(session, actor)
        user = _target(session, user_id)
        if user.id == admin.id:
            raise NotAllowed("Vous ne pouvez pas désactiver votre propre compte.")
        if not user.active:
            raise ValidationFailed({"user": f"Le compte {user.username} est déjà désactivé."})
        user.active = False
        user.sessions_valid_after = utcnow()
        _audit(session, admin, "DESACTIVER_UTILISATEUR", _describe(user))


def reactivate_user(actor: Actor, user_id: int) -> None:
    with writing() as session:
        admin = _admin(session, actor)
        user = _target(session, user_id)
        if user.active:
            raise ValidationFailed({"user": f"Le compte {user.username} est déjà actif."})
        if not settings().demo_mode and accounts.demo_password_accounts_of(
                session, [user.username], active_only=False):
            raise ValidationFailed({"user": f"Le compte {user.username} a encore le mot de passe "
                                    "de démonstration : réinitialisez-le d'abord."})
        user.active = True
        _audit(session, admin, "REACTIVER_UTILISATEUR", _describe(user))


def reset_password(actor: Actor, user_id: int, new_password: str, *, rounds: int = 12) -> None:
    """New password, to be replaced by its owner at the next login; the account's sessions end
    and its delays are lifted."""
    with read_session() as session:
        _admin(session, actor)
        username = _target(session, user_id).username
    problem = accounts.password_problem(new_password, username, demo_allowed=False)
    if problem:
        raise ValidationFailed({"password": problem})
    hashed = accounts.hash_password(new_password, rounds, username=username, demo_allowed=False)
    with writing() as session:
        admin = _admin(session, actor)
        user = _target(session, user_id)
        user.password_hash = hashed
        user.must_change_password = True
        user.sessions_valid_after = utcnow()
        user.failed_attempts, user.first_failure_at, user.locked_until = 0, None, None
        _audit(session, admin, "REINITIALISER_MOT_DE_PASSE", _describe(user))
    accounts.forget_failures(username)


def unlock_user(actor: Actor, user_id: int) -> None:
    with writing() as session:
        admin = _admin(session, actor)
        user = _target(session, user_id)
        was = (f"verrouillé jusqu'au {fr_datetime(user.locked_until)} ({LOCAL_TIME_LABEL})"
               if user.locked_until and user.locked_until > utcnow()
               else f"{user.failed_attempts or 0} échec(s)")
        user.failed_attempts, user.first_failure_at, user.locked_until = 0, None, None
        _audit(session, admin, "DEVERROUILLER_UTILISATEUR", f"{user.username} ({was})")
        username = user.username
    accounts.forget_failures(username)


def change_role(actor: Actor, user_id: int, role: str, company_id: int | None = None) -> None:
    """A new profile; an exporter must belong to a company (its current one if none is given)."""
    with writing() as session:
        admin = _admin(session, actor)
        user = _target(session, user_id)
        if role not in set(Role):
            raise ValidationFailed({"role": f"Profil inconnu : {role}."})
        if user.id == admin.id:
            raise NotAllowed("Vous ne pouvez pas modifier votre propre profil.")
        new_company = None
        if role == Role.EXPORTER:
            new_company = _company_id(session, company_id) or user.company_id
            if new_company is None:
                raise ValidationFailed(
                    {"company_id": "Un exportateur doit appartenir à une société."})
        if role == user.role and new_company == user.company_id:
            raise ValidationFailed({"role": "Le compte a déjà ce profil."})
        before = _describe(user)
        user.role, user.company_id = role, new_company
        session.flush()
        session.refresh(user)
        company = f", société {user.company.name}" if user.company else ""
        _audit(session, admin, "CHANGER_PROFIL", f"{before} → {ROLE_LABELS[Role(role)]}{company}")


# ------------------------------------------------------------------ reference lists
def list_reference(actor: Actor, list_name: str) -> list[ReferenceRow]:
    """Every item of one list, inactive ones included, in display order."""
    name = _list_name(list_name)
    with read_session() as session:
        _admin(session, actor)
        items = session.scalars(
            select(ReferenceItem).where(ReferenceItem.list_name == name)
            .order_by(ReferenceItem.sort_order, ReferenceItem.code)
        )
        return [ReferenceRow(i.list_name, i.code, i.label, i.active, i.sort_order) for i in items]


def add_reference_item(actor: Actor, list_name: str, code: str, label: str) -> ReferenceRow:
    checker = Checker()
    name = list_name if isinstance(list_name, str) and list_name in reference.CODE_LISTS else ""
    if not name:
        checker.fail("list_name", "Liste de référence inconnue.")
    value = code.strip().upper() if isinstance(code, str) else ""
    if not REFERENCE_CODE_RE.match(value):
        checker.fail("code", "Code : 1 à 20 lettres majuscules ou chiffres, sans espace ni accent.")
    text = _label_text(checker, label)
    with writing() as session:
        admin = _admin(session, actor)
        checker.done()
        assert text is not None
        if session.get(ReferenceItem, (name, value)) is not None:
            raise ValidationFailed({"code": f"Le code {value} existe déjà dans cette liste "
                                    "(réactivez-le s'il est désactivé)."})
        last = session.scalar(
            select(func.max(ReferenceItem.sort_order)).where(ReferenceItem.list_name == name)
        )
        item = ReferenceItem(list_name=name, code=value, label=text, active=True,
                             sort_order=(last if last is not None else -1) + 1)
        session.add(item)
        _audit(session, admin, "AJOUTER_REFERENCE",
               f"{reference.LIST_LABELS[name]} : {value} – {text}")
        return ReferenceRow(name, value, text, True, item.sort_order)


def rename_reference_item(actor: Actor, list_name: str, code: str, label: str) -> None:
    name = _list_name(list_name)
    text = _label(label)
    with writing() as session:
        admin = _admin(session, actor)
        item = _item(session, name, code)
        if item.label == text:
            raise ValidationFailed({"label": "Libellé inchangé."})
        before, item.label = item.label, text
        _audit(session, admin, "RENOMMER_REFERENCE",
               f"{reference.LIST_LABELS[name]} : {item.code} « {before} » → « {text} »")


def deactivate_reference_item(actor: Actor, list_name: str, code: str) -> None:
    """The code leaves the drop-down lists; licences that use it keep it (codes are never
    deleted)."""
    name = _list_name(list_name)
    with writing() as session:
        admin = _admin(session, actor)
        item = _item(session, name, code)
        if not item.active:
            raise ValidationFailed({"code": f"Le code {item.code} est déjà désactivé."})
        still = session.scalar(
            select(func.count()).select_from(ReferenceItem).where(
                ReferenceItem.list_name == name, ReferenceItem.active.is_(True)
            )
        ) or 0
        if still <= 1:
            raise ValidationFailed({"code": "Au moins un élément de la liste doit rester actif."})
        item.active = False
        _audit(session, admin, "DESACTIVER_REFERENCE",
               f"{reference.LIST_LABELS[name]} : {item.code} – {item.label}")


def reactivate_reference_item(actor: Actor, list_name: str, code: str) -> None:
    name = _list_name(list_name)
    with writing() as session:
        admin = _admin(session, actor)
        item = _item(session, name, code)
        if item.active:
            raise ValidationFailed({"code": f"Le code {item.code} est déjà actif."})
        item.active = True
        _audit(session, admin, "REACTIVER_REFERENCE",
               f"{reference.LIST_LABELS[name]} : {item.code} – {item.label}")


# ------------------------------------------------------------------ nomenclature, demo, audit
def import_nomenclature(
    actor: Actor,
    file_name: str,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> reference.ImportReport:
    """Good lines are inserted or updated (in chunks, so a progress bar can follow), bad ones
    are reported; the counts are recorded in the audit log, a failure too."""
    with read_session() as session:
        username = _admin(session, actor).username
    shown = _shown_file_name(file_name)
    try:
        report = reference.import_nomenclature(file_name, data, progress=progress)
    except Exception as exc:
        accounts.audit(username, "IMPORTER_NOMENCLATURE",
                       f"{shown} : échec ({type(exc).__name__}) ; lignes déjà importées "
                       "conservées")
        raise
    accounts.audit(
        username, "IMPORTER_NOMENCLATURE",
        f"{shown} : {report.inserted} ajoutée(s), {report.updated} mise(s) à jour, "
        f"{len(report.rejected)} rejetée(s)",
    )
    return report


def reset_demo(
    actor: Actor,
    licences: int = 120,
    *,
    progress: Callable[[int, int], None] | None = None,
    rounds: int = 12,
) -> int:
    """Drop everything and seed the demonstration again (demo mode only). The record of it is
    written after the reset, which erased the earlier log."""
    if isinstance(licences, bool) or not isinstance(licences, int) or not (
        0 <= licences <= MAX_DEMO_LICENCES
    ):
        raise ValidationFailed(
            {"licences": f"Nombre de licences : entre 0 et {MAX_DEMO_LICENCES}."})
    with read_session() as session:
        username = _admin(session, actor).username
    if not settings().demo_mode:
        raise NotAllowed("La réinitialisation n'est possible qu'en mode démonstration.")
    url = current_url()
    seed.reset_database(url)
    count = seed.seed_demo(licences, progress=progress, rounds=rounds)
    accounts.audit(username, "REINITIALISER_DEMO", f"Base recréée : {count} licence(s) de "
                   "démonstration")
    return count


def audit_log(actor: Actor, page: int = 1, page_size: int = AUDIT_PAGE_SIZE) -> Page[AuditRow]:
    """The administration log, newest first."""
    size = max(1, min(int(page_size), 500))
    with read_session() as session:
        _admin(session, actor)
        total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        last = max(1, -(-total // size))
        number = max(1, min(int(page), last))
        rows = session.scalars(
            select(AuditEvent).order_by(AuditEvent.id.desc())
            .offset((number - 1) * size).limit(size)
        )
        return Page(
            tuple(AuditRow(e.id, e.occurred_at, e.username, e.action, e.details) for e in rows),
            total, number, size,
        )
