"""Settings, read in one place: environment first, then `.streamlit/secrets.toml`, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "db" / "licences.sqlite3"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"


def _secrets() -> dict[str, object]:
    if SECRETS_PATH.exists():
        with SECRETS_PATH.open("rb") as fh:
            return tomllib.load(fh)
    return {}


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
    max_upload_bytes: int
    login_max_failures: int
    login_lock_minutes: int
    helpdesk_phone: str
    helpdesk_url: str


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        database_url=_get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        demo_mode=_get("DEMO_MODE", "1").strip().lower() not in {"0", "false", "no", "off"},
        visa_validity_months=int(_get("VISA_VALIDITY_MONTHS", "6")),
        max_upload_bytes=3 * 1024 * 1024,
        login_max_failures=int(_get("LOGIN_MAX_FAILURES", "5")),
        login_lock_minutes=int(_get("LOGIN_LOCK_MINUTES", "15")),
        helpdesk_phone=_get("HELPDESK_PHONE", "(+212) 5 20 473 100 / (+212) 5 22 473 100"),
        helpdesk_url=_get("HELPDESK_URL", "http://reclamation.portnet.ma"),
    )


COOKIE_NAME = "eld_session"
COOKIE_EXPIRY_DAYS = 1.0


def cookie_key() -> str:
    """The cookie signing key: environment, then secrets.toml; generated there on first start."""
    import secrets

    value = os.environ.get("AUTH_COOKIE_KEY") or _secrets().get("AUTH_COOKIE_KEY")
    if value:
        return str(value)
    key = secrets.token_hex(32)
    SECRETS_PATH.parent.mkdir(parents=True, exist_ok=True)
    existing = SECRETS_PATH.read_text(encoding="utf-8") if SECRETS_PATH.exists() else ""
    with SECRETS_PATH.open("a", encoding="utf-8") as fh:
        if existing and not existing.endswith("\n"):
            fh.write("\n")
        fh.write(f'AUTH_COOKIE_KEY = "{key}"\n')
    SECRETS_PATH.chmod(0o600)
    return key
