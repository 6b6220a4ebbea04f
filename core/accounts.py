"""Companies, users and authentication.

Passwords: at least 8 and at most 128 characters, never a common one (`common_passwords.txt`),
nor the user name, nor the demo password outside demo mode. They are stored as bcrypt over an
HMAC-SHA256 of the password, so every character counts (bcrypt alone ignores what lies beyond 72
bytes); hashes of the older plain-bcrypt form are still read.

Logins: every refusal gives the same message and costs one bcrypt run, whether the name exists,
is locked or not. Consecutive failures are counted per account in the database: from the
LOGIN_MAX_FAILURES-th, the account is delayed 1, 2, 4… minutes (up to LOGIN_LOCK_MINUTES), and
the delay holds back only the clients that failed on it; a client with no failure on the account
is not held back, so nobody can lock somebody else out. Each client (IP address) is throttled on
its own after LOGIN_CLIENT_MAX_FAILURES failures within an hour, whatever the names it tries.

Sessions: a token signed with the cookie key carries the user name, its issue time and an expiry
no later than issue + SESSION_HOURS; a logout, a password change or a deactivation voids every
token issued before it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bcrypt
import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings, settings
from core.database import current_url, read_session, write_session
from core.errors import AuthenticationFailed, NotFound, ValidationFailed
from core.lifecycle import Role
from core.models import AuditEvent, Company, User, utcnow
from core.records import Actor
from core.validation import Checker

BAD_LOGIN = ("Nom d'utilisateur ou mot de passe incorrect. Après plusieurs échecs, les essais "
             "sont ralentis : patientez quelques minutes avant de réessayer.")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
CLI_USER = "ligne-de-commande"

# ------------------------------------------------------------------ passwords
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 128
ALL_DIGITS_MIN = 16  # below that, a password made of digits only is guessed
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
PASSWORD_HELP = (f"{MIN_PASSWORD_CHARS} à {MAX_PASSWORD_CHARS} caractères ; ni un mot de passe "
                 "courant, ni votre nom d'utilisateur. Une phrase de plusieurs mots est idéale.")
_PREHASHED = "$eld-sha256$"
_PREHASH_KEY = b"export-licence-desk/bcrypt-sha256"
_SEPARATORS = re.compile(r"[\s._-]+")
_TRAILING = re.compile(r"[\d\W_]+$")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s"})


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _forms(password: str) -> set[str]:
    """The password as guessing tools see it: lower case, without separators, without the digits
    and symbols stuck at its end, with look-alike digits read as letters."""
    lower = password.strip().lower()
    forms = {lower, _SEPARATORS.sub("", lower)}
    for form in list(forms):
        stem = _TRAILING.sub("", form)
        forms |= {stem, form.translate(_LEET), stem.translate(_LEET)}
    return {f for f in forms if f}


def _demo_password() -> str:
    from core.seed import DEMO_PASSWORD  # the seed imports this module

    return DEMO_PASSWORD


def password_problem(password: object, username: str = "", *,
                     demo_allowed: bool | None = None) -> str | None:
    """The French refusal of a new password, or None. `demo_allowed` defaults to the demo mode."""
    if not isinstance(password, str):
        return "Mot de passe : texte attendu."
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Mot de passe : {MIN_PASSWORD_CHARS} caractères au moins."
    if len(password) > MAX_PASSWORD_CHARS:
        return f"Mot de passe : {MAX_PASSWORD_CHARS} caractères au plus."
    if demo_allowed is None:
        demo_allowed = settings().demo_mode
    if password == _demo_password() and not demo_allowed:
        return "Mot de passe : le mot de passe de démonstration n'est pas accepté."
    forms = _forms(password)
    name = username.strip().lower() if isinstance(username, str) else ""
    names = {n for n in (name, _SEPARATORS.sub("", name)) if n}
    if names and any(n in forms or n[::-1] in forms or (len(n) >= 4 and n in f)
                     for n in names for f in forms):
        return "Mot de passe : il ne doit pas contenir le nom d'utilisateur."
    if password.isdigit() and len(password) < ALL_DIGITS_MIN:
        return (f"Mot de passe : uniquement des chiffres, trop facile à deviner ({ALL_DIGITS_MIN} "
                "chiffres au moins, ou ajoutez des lettres).")
    if len(set(password)) < 4:
        return "Mot de passe : trop peu de caractères différents."
    if forms & common_passwords():
        return ("Mot de passe trop courant : choisissez-en un moins prévisible, par exemple une "
                "phrase de plusieurs mots.")
    return None


def _prehash(password: str) -> bytes:
    # 44 ASCII bytes whatever the password's length: within bcrypt's 72, no NUL byte.
    return base64.b64encode(hmac.new(_PREHASH_KEY, password.encode(), hashlib.sha256).digest())


def hash_password(password: str, rounds: int = 12, *, username: str = "",
                  demo_allowed: bool | None = None) -> str:
    problem = password_problem(password, username, demo_allowed=demo_allowed)
    if problem:
        raise ValidationFailed({"password": problem})
    return _PREHASHED + bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode()


def _verify(password: str, hashed: str) -> bool:
    try:
        if hashed.startswith(_PREHASHED):
            return bcrypt.checkpw(_prehash(password), hashed[len(_PREHASHED):].encode())
        data = password.encode()  # a plain bcrypt hash, from before the HMAC step
        return len(data) <= 72 and bcrypt.checkpw(data, hashed.encode())
    except ValueError:
        return False


# Checked against when the user is unknown, so every refusal costs one bcrypt run.
_DUMMY_HASH = _PREHASHED + bcrypt.hashpw(_prehash("unknown-user"), bcrypt.gensalt(12)).decode()


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, username=user.username, role=user.role, company_id=user.company_id,
        full_name=user.full_name, company_name=user.company.name if user.company else "",
    )


# ------------------------------------------------------------------ failed logins
# Per client, in this process's memory (keyed by database too, so that two databases served by
# one process never mix). Several replicas each keep their own: see the README.
CLIENT_WINDOW = dt.timedelta(hours=1)
CLIENT_MAX_DELAY_MINUTES = 60
SUSPECT_MEMORY = dt.timedelta(hours=24)
SERIES_MEMORY = dt.timedelta(hours=24)
_MEMORY_LIMIT = 100_000


@dataclass
class _ClientFailures:
    count: int
    last: dt.datetime
    blocked_until: dt.datetime | None = None


_memory_lock = threading.Lock()
_clients: dict[tuple[str, str], _ClientFailures] = {}
_suspects: dict[tuple[str, str, str], dt.datetime] = {}  # (database, user, client) -> failure


def _delay(excess: int, cap_minutes: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** min(excess, 16), cap_minutes))


def _prune(now: dt.datetime) -> None:
    if len(_clients) + len(_suspects) < _MEMORY_LIMIT:
        return
    for client in [k for k, v in _clients.items() if now - v.last > CLIENT_WINDOW * 2]:
        del _clients[client]
    for suspect in [k for k, t in _suspects.items() if now - t > SUSPECT_MEMORY]:
        del _suspects[suspect]


def _client_blocked(url: str, client: str, now: dt.datetime) -> bool:
    with _memory_lock:
        record = _clients.get((url, client))
        return bool(record and record.blocked_until and record.blocked_until > now)


def _client_failed(url: str, client: str, now: dt.datetime, limit: int) -> None:
    with _memory_lock:
        _prune(now)
        record = _clients.get((url, client))
        if record is None or now - record.last > CLIENT_WINDOW:
            record = _clients[(url, client)] = _ClientFailures(0, now)
        record.count += 1
        record.last = now
        if record.count >= limit:
            record.blocked_until = now + _delay(record.count - limit, CLIENT_MAX_DELAY_MINUTES)


def _is_suspect(url: str, username: str, client: str, now: dt.datetime) -> bool:
    with _memory_lock:
        failed = _suspects.get((url, username, client))
        return failed is not None and now - failed < SUSPECT_MEMORY


def _set_suspect(url: str, username: str, client: str, now: dt.datetime | None) -> None:
    with _memory_lock:
        if now is None:
            _suspects.pop((url, username, client), None)
        else:
            _suspects[(url, username, client)] = now


def forget_failures(username: str) -> None:
    """After an administrator's unlock or reset: no client is held back on this account."""
    url = current_url()
    with _memory_lock:
        for key in [k for k in _suspects if k[0] == url and k[1] == username]:
            del _suspects[key]


def _account_failed(user: User, now: dt.datetime, cfg: Settings) -> None:
    anchor = user.locked_until or user.first_failure_at
    if anchor is None or now - anchor > SERIES_MEMORY:
        user.failed_attempts, user.first_failure_at = 1, now
    else:
        user.failed_attempts = (user.failed_attempts or 0) + 1
    excess = user.failed_attempts - cfg.login_max_failures
    if excess >= 0:
        user.locked_until = now + _delay(excess, cfg.login_lock_minutes)


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: int) -> str:
    """Who is asking: the TCP peer, or with `trusted_proxies` reverse proxies in front, the
    address the outermost of them saw (X-Forwarded-For entries before it can be forged)."""
    address = (peer or "").strip() or "local"
    if trusted_proxies > 0:
        hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
        chain = [*hops, address]
        address = chain[max(len(chain) - 1 - trusted_proxies, 0)]
    return address[:100]


def authenticate(username: str, password: str, now: dt.datetime | None = None, *,
                 client: str = "") -> Actor:
    """Check a login (see the module's docstring for the delays); one message for every
    refusal."""
    cfg = settings()
    now = now or utcnow()
    name = username.strip().lower() if isinstance(username, str) else ""
    secret = password if isinstance(password, str) else ""
    client = client or "local"
    url = current_url()
    if _client_blocked(url, client, now):
        raise AuthenticationFailed(BAD_LOGIN)
    with write_session() as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        ok = _verify(secret, user.password_hash if user else _DUMMY_HASH)
        if user is not None and user.active:
            held = (user.locked_until is not None and user.locked_until > now
                    and _is_suspect(url, name, client, now))
            if ok and not held:
                user.failed_attempts, user.first_failure_at, user.locked_until = 0, None, None
                _set_suspect(url, name, client, None)
                return actor_of(user)
            if not held:  # attempts while held back do not lengthen the delay
                _account_failed(user, now, cfg)
                _set_suspect(url, name, client, now)
    _client_failed(url, client, now, cfg.login_client_max_failures)
    raise AuthenticationFailed(BAD_LOGIN)


# ------------------------------------------------------------------ sessions
CLOCK_SKEW = dt.timedelta(minutes=1)
_EPOCH = dt.datetime(1970, 1, 1)


def session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=settings().session_hours)


def _stamp(moment: dt.datetime) -> float:
    return (moment - _EPOCH) / dt.timedelta(seconds=1)


def _moment(stamp: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=round(stamp * 1_000_000))


def new_session_token(username: str, key: str, issued_at: dt.datetime) -> str:
    """The signed cookie value of a session opened at `issued_at` (naive UTC)."""
    claims = {"username": username, "iat": _stamp(issued_at),
              "exp": _stamp(issued_at + session_lifetime())}
    return jwt.encode(claims, key, algorithm="HS256")


def session_from_token(token: object, key: str, now: dt.datetime | None = None
                       ) -> tuple[str, dt.datetime] | None:
    """(user name, issue time) of a token signed with `key`, or None. Refused: a bad signature,
    no issue time, an expiry past, further than SESSION_HOURS after the issue or from now, an
    issue time to come. Whether the user still may use it is `session_actor`'s question."""
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={
            "require": ["iat", "exp"], "verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError:
        return None
    username, iat, exp = claims.get("username"), claims.get("iat"), claims.get("exp")
    if not isinstance(username, str) or not username:
        return None
    if not (isinstance(iat, int | float) and isinstance(exp, int | float)) or isinstance(
            iat, bool) or isinstance(exp, bool):
        return None
    try:
        issued, expires = _moment(float(iat)), _moment(float(exp))
    except (OverflowError, ValueError):
        return None
    now = now or utcnow()
    lifetime = session_lifetime()
    if expires <= now or issued > now + CLOCK_SKEW:
        return None
    if expires - issued > lifetime + dt.timedelta(seconds=1) or expires > now + lifetime + CLOCK_SKEW:
        return None
    return username, issued


def session_actor(username: str, issued_at: dt.datetime, now: dt.datetime | None = None
                  ) -> Actor | None:
    """The actor behind a session opened at `issued_at`, or None: account gone or inactive,
    session older than SESSION_HOURS (or from the future), or revoked after it was opened."""
    now = now or utcnow()
    if issued_at > now + CLOCK_SKEW or now - issued_at > session_lifetime():
        return None
    with read_session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            return None
        if user.sessions_valid_after and issued_at < user.sessions_valid_after:
            return None
        return actor_of(user)


def revoke_sessions(username: str) -> None:
    with write_session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is not None:
            user.sessions_valid_after = utcnow()


# ------------------------------------------------------------------ password changes
def password_change_required(username: str) -> bool:
    with read_session() as session:
        return bool(session.scalar(
            select(User.must_change_password).where(User.username == username)))


def change_password(username: str, current: str, new: str, confirmation: str, *,
                    client: str = "", now: dt.datetime | None = None, rounds: int = 12
                    ) -> dt.datetime:
    """The user's own change: the current password is checked like a login (same delays), the
    new one like any new password. Every session of the account opened before ends; returns
    the issue time for the session that made the change."""
    errors: dict[str, str] = {}
    problem = password_problem(new, username, demo_allowed=False)
    if problem:
        errors["new"] = problem
    elif new == current:
        errors["new"] = "Le nouveau mot de passe doit être différent de l'actuel."
    if confirmation != new:
        errors["confirmation"] = "Les deux saisies du nouveau mot de passe ne correspondent pas."
    try:
        authenticate(username, current, now, client=client)
    except AuthenticationFailed:
        errors["current"] = ("Mot de passe actuel incorrect (après plusieurs échecs, patientez "
                             "quelques minutes).")
    if errors:
        raise ValidationFailed(errors)
    hashed = hash_password(new, rounds, username=username, demo_allowed=False)
    now = now or utcnow()
    with write_session() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        user.password_hash = hashed
        user.must_change_password = False
        user.sessions_valid_after = now
        session.add(AuditEvent(occurred_at=now, username=username, action="CHANGER_MOT_DE_PASSE",
                               details=f"{username} : sessions précédentes fermées"))
    return now


def set_password(username: str, password: str, *, rounds: int = 12) -> None:
    """From the command line: a new password the user replaces at the next login; sessions end
    and the account's delays are lifted."""
    name = username.strip().lower() if isinstance(username, str) else ""
    hashed = hash_password(password, rounds, username=name, demo_allowed=False)
    with write_session() as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        if user is None:
            raise NotFound("Utilisateur introuvable.")
        user.password_hash = hashed
        user.must_change_password = True
        user.sessions_valid_after = utcnow()
        user.failed_attempts, user.first_failure_at, user.locked_until = 0, None, None
        session.add(AuditEvent(username=CLI_USER, action="REINITIALISER_MOT_DE_PASSE",
                               details=f"{name} (à changer à la prochaine connexion)"))
    forget_failures(name)


# ------------------------------------------------------------------ demo accounts
_checked_clean: set[str] = set()  # databases found free of demo passwords (outside demo mode)


def demo_password_accounts_of(session: Session, names: list[str], *,
                              active_only: bool = True) -> list[str]:
    """Those of `names` that the demo password opens (a bcrypt check each)."""
    query = select(User.username, User.password_hash).where(User.username.in_(names))
    if active_only:
        query = query.where(User.active.is_(True))
    users = session.execute(query.order_by(User.username)).all()
    return [u.username for u in users if _verify(_demo_password(), u.password_hash)]


def demo_password_accounts() -> list[str]:
    """Active demo accounts that the demo password still opens. Only the seed gives that
    password (it is refused everywhere else), and only to these names."""
    from core.seed import DEMO_USERS

    with read_session() as session:
        return demo_password_accounts_of(session, [name for name, *_ in DEMO_USERS])


def production_problem() -> str | None:
    """Why the application must not start, or None: outside demo mode, no account may still
    open with the public demo password."""
    if settings().demo_mode:
        return None
    url = current_url()
    if url in _checked_clean:
        return None
    names = demo_password_accounts()
    if not names:
        _checked_clean.add(url)
        return None
    return ("Démarrage refusé : DEMO_MODE=0, mais le mot de passe de démonstration ouvre encore "
            f"les comptes {', '.join(names)}. Donnez-leur un autre mot de passe "
            "(python -m core set-password NOM) ou désactivez-les (python -m core "
            "disable-demo-accounts), puis rechargez la page.")


def disable_demo_accounts() -> list[str]:
    """Deactivate every account the demo password still opens; their sessions end."""
    names = demo_password_accounts()
    if names:
        with write_session() as session:
            for user in session.scalars(select(User).where(User.username.in_(names))):
                user.active = False
                user.sessions_valid_after = utcnow()
            session.add(AuditEvent(username=CLI_USER, action="DESACTIVER_COMPTES_DEMO",
                                   details=", ".join(names)))
    return names


def audit(session_username: str, action: str, details: str | None = None) -> None:
    with write_session() as session:
        session.add(AuditEvent(username=session_username, action=action, details=details))


def check_company(checker: Checker, name: str, ice: str) -> tuple[str, str]:
    """Raison sociale and ICE as stored; refusals collected in `c`."""
    label = checker.text("name", "Raison sociale", name, max_len=200)
    ice = (ice or "").strip() if isinstance(ice, str) else ""
    if not re.fullmatch(r"\d{15}", ice):
        checker.fail("ice", "ICE : 15 chiffres.")
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
    checker = Checker()
    label, ice = check_company(checker, name, ice)
    checker.done()
    with write_session() as session:
        return insert_company(session, label, ice).id


@dataclass(frozen=True)
class NewUser:
    """A user checked and with their password hashed, ready for `insert_user`."""

    username: str
    full_name: str
    password_hash: str
    role: str
    company_id: int | None


def new_user(
    username: str,
    full_name: str,
    password: str,
    role: str,
    company_id: int | None = None,
    *,
    rounds: int = 12,
    demo_allowed: bool | None = None,
    before_hashing: Callable[[], None] | None = None,
) -> NewUser:
    """Check a new account (all refusals at once, in French) and hash its password. bcrypt
    (≈ 0.3 s) runs here, before any write transaction. `before_hashing` runs once the fields are
    checked and before their refusals are raised (the administration checks its actor there)."""
    checker = Checker()
    name = (username or "").strip().lower() if isinstance(username, str) else ""
    if not USERNAME_RE.match(name):
        checker.fail("username", "Nom d'utilisateur : 2 à 60 caractères, lettres minuscules, chiffres, . _ -")
    label = checker.text("full_name", "Nom complet", full_name, max_len=200)
    if role not in set(Role):
        checker.fail("role", f"Profil inconnu : {role}.")
    if role == Role.EXPORTER and company_id is None:
        checker.fail("company_id", "Un exportateur doit appartenir à une société.")
    problem = password_problem(password, name, demo_allowed=demo_allowed)
    if problem:
        checker.fail("password", problem)
    if before_hashing is not None:
        before_hashing()
    checker.done()
    hashed = hash_password(password, rounds, username=name, demo_allowed=demo_allowed)
    return NewUser(name, label or name, hashed, role,
                   company_id if role == Role.EXPORTER else None)


def insert_user(session: Session, new: NewUser, *, must_change: bool = False) -> User:
    """Add a checked user in the caller's transaction (duplicate name, unknown company refused)."""
    if session.scalars(select(User).where(User.username == new.username)).first():
        raise ValidationFailed({"username": "Ce nom d'utilisateur existe déjà."})
    if new.company_id is not None and session.get(Company, new.company_id) is None:
        raise ValidationFailed({"company_id": "Société inconnue."})
    user = User(
        username=new.username, full_name=new.full_name, password_hash=new.password_hash,
        role=new.role, company_id=new.company_id, must_change_password=must_change,
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
    must_change: bool = False,
    demo_allowed: bool | None = None,
) -> int:
    """A user created by the command line or the demo seed (the administration screen goes
    through `core.admin.add_user`, which audits it). `must_change`: the password was chosen for
    the user, who replaces it at the first login. `demo_allowed` defaults to the demo mode."""
    new = new_user(username, full_name, password, role, company_id, rounds=rounds,
                   demo_allowed=demo_allowed)
    with write_session() as session:
        return insert_user(session, new, must_change=must_change).id


def get_actor(username: str) -> Actor:
    with read_session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise AuthenticationFailed(BAD_LOGIN)
        return actor_of(user)
