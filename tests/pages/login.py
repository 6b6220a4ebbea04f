"""Helpers for AppTest: a logged-in run of a page, as the guard in ui/auth.py expects it."""

from __future__ import annotations

import datetime as dt
import os

from streamlit.testing.v1 import AppTest

from core.config import PROJECT_ROOT

# The guard signs session cookies: with the key in the environment, no AppTest run ever generates
# one into the checkout's .streamlit/secrets.toml.
os.environ.setdefault("AUTH_COOKIE_KEY", "page-tests-cookie-key-" + "k" * 32)


def app(page: str, username: str | None = None, **query: str) -> AppTest:
    # The entry point is Home.py, as under `streamlit run`; switch_page then runs the page file
    # alone, exactly like a deep link opened in the browser.
    at = AppTest.from_file(str(PROJECT_ROOT / "Home.py"), default_timeout=60)
    if page != "Home.py":
        at.switch_page(page)
    if username:
        at.session_state["eld_username"] = username
        at.session_state["eld_issued_at"] = (
            dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=30)
        )
    for key, value in query.items():
        at.query_params[key] = value
    return at


def texts(at: AppTest) -> str:
    """Everything written on the page (markdown, captions, messages), for assertions."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("error", "warning", "info", "success"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)
