"""Settings, read in one place: environment first, then `.streamlit/secrets.toml`, then defaults."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "db" / "licences.sqlite3"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
COOKIE_NAME = "eld_session"
MIN_COOKIE_KEY_BYTES = 32
GENERATE_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"


class ConfigurationError(RuntimeError):
    """A setting that makes starting impossible. The message says what to do, in French then in
    English (it is read by whoever deploys the application)."""


def _secrets(path: Path | None = None) -> dict[str, object]:
    path = path or SECRETS_PATH
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(
            f"Fichier de configuration {path} illisible ({exc}) : corrigez-le ou supprimez-le. / "
            f"{path} cannot be parsed ({exc}): fix or delete it."
        ) from exc


def _get(name: str, default: str) -> str:
    if name in os.environ:
        return os.environ[name]
    value = _secrets().get(name)
    return str(value) if value is not None else default


@dataclass(frozen=True)
class Settings:
    database_url: str
    demo_mode: bool
    visa_validity_months: int
    login_max_failures: int
    login_lock_minutes: int
    login_client_max_failures: int
    trusted_proxies: int
    session_hours: float
    helpdesk_phone: str
    helpdesk_url: str


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        database_url=_get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        demo_mode=_get("DEMO_MODE", "1").strip().lower() not in {"0", "false", "no", "off"},
        visa_validity_months=int(_get("VISA_VALIDITY_MONTHS", "6")),
        login_max_failures=max(1, int(_get("LOGIN_MAX_FAILURES", "5"))),
        login_lock_minutes=max(1, int(_get("LOGIN_LOCK_MINUTES", "15"))),
        login_client_max_failures=max(1, int(_get("LOGIN_CLIENT_MAX_FAILURES", "20"))),
        trusted_proxies=max(0, int(_get("TRUSTED_PROXIES", "0"))),
        session_hours=float(_get("SESSION_HOURS", "12")),
        helpdesk_phone=_get("HELPDESK_PHONE", "(+212) 5 20 473 100 / (+212) 5 22 473 100"),
        helpdesk_url=_get("HELPDESK_URL", "http://reclamation.portnet.ma"),
    )


# Threads of one process (Streamlit sessions) wait here; other processes on the file lock.
_KEY_LOCK = threading.Lock()


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Exclusive lock on the folder itself (no lock file left behind in the checkout)."""
    with _KEY_LOCK:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: threads are still serialised
            yield
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock


def _checked_key(value: object, where: str) -> str:
    key = str(value)
    if len(key.encode()) < MIN_COOKIE_KEY_BYTES:
        raise ConfigurationError(
            f"AUTH_COOKIE_KEY ({where}) trop courte : {MIN_COOKIE_KEY_BYTES} octets au moins. "
            f"Générez-en une avec {GENERATE_KEY}. / AUTH_COOKIE_KEY ({where}) is too short: at "
            f"least {MIN_COOKIE_KEY_BYTES} bytes. Generate one with {GENERATE_KEY}."
        )
    return key


def cookie_key(path: Path | None = None) -> str:
    """The cookie signing key: environment, then secrets.toml; on the very first start it is
    generated and added to secrets.toml once, however many processes start together (file lock,
    then a complete new file moved into place: readers never see half a file)."""
    if os.environ.get("AUTH_COOKIE_KEY"):
        return _checked_key(os.environ["AUTH_COOKIE_KEY"], "environnement")
    path = path or SECRETS_PATH
    value = _secrets(path).get("AUTH_COOKIE_KEY")
    if value:
        return _checked_key(value, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(path.parent):
        value = _secrets(path).get("AUTH_COOKIE_KEY")  # another process may have won
        if value:
            return _checked_key(value, str(path))
        key = secrets.token_hex(32)
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        if existing and not existing.endswith("\n"):
            existing += "\n"
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".secrets-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(existing + f'AUTH_COOKIE_KEY = "{key}"\n')
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return key
