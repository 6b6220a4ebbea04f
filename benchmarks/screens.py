"""Every screen as each role that opens it, run with Streamlit's AppTest and logged in as that
role's demo user, against a trivial page (a title and a few widgets) run the same way in turn."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.timing import Timing, paired

TRIVIAL_PAGE = """\
import streamlit as st

st.set_page_config(page_title="Trivial", layout="wide")
st.title("Trivial page")
name = st.text_input("Name", key="name")
choice = st.selectbox("Choice", ["one", "two", "three"], key="choice")
st.number_input("Amount", min_value=0, value=10, key="amount")
st.checkbox("Tick", key="tick")
if st.button("Go", key="go"):
    st.write("Gone", name, choice)
st.caption("A floor to compare the screens with: Streamlit's own cost of a run.")
"""
TIMEOUT_S = 300


@dataclass(frozen=True)
class ScreenResult:
    screen: str
    role: str
    username: str
    path: str
    screen_ms: Timing
    floor_ms: Timing

    @property
    def ratio(self) -> float:
        return self.screen_ms.median / self.floor_ms.median


def quiet_streamlit() -> None:
    """Streamlit warns on every cache or session call made outside a script run (importing the
    screens' modules, clearing the dashboard's cache): harmless here, and it drowns the table."""
    import logging

    for name, words in (
        ("streamlit.runtime.scriptrunner_utils.script_run_context", "missing ScriptRunContext"),
        ("streamlit.runtime.caching.cache_data_api", "No runtime found"),
        ("streamlit.runtime.caching.cache_resource_api", "No runtime found"),
    ):
        logging.getLogger(name).addFilter(lambda record, w=words: w not in record.getMessage())


def demo_user(role: str) -> str:
    from core.seed import DEMO_USERS

    return next(username for username, _name, r, _company in DEMO_USERS if r == role)


def _logged_in(path: str, username: str) -> Any:
    """An AppTest of `path` with `username` logged in, as tests/pages/login.py builds it."""
    from streamlit.testing.v1 import AppTest

    from core.config import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "Home.py"), default_timeout=TIMEOUT_S)
    if path != "Home.py":
        at.switch_page(path)
    at.session_state["eld_username"] = username
    # The guard refuses a session opened before its account's sessions were last revoked: the
    # demo accounts were just created, so the session is dated a moment after them (as the
    # page tests do).
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    at.session_state["eld_issued_at"] = now + dt.timedelta(seconds=30)
    return at


def _run(at: Any, what: str) -> None:
    at.run()
    if at.exception:
        raise RuntimeError(f"{what} raised: {at.exception[0].message}")


def _check_shown(at: Any, what: str) -> None:
    """The screen itself was drawn: not the login form, not a refusal."""
    refused = [e.value for e in at.error]
    login = [b for b in at.button if b.label == "Se connecter"]
    if refused or login:
        raise RuntimeError(f"{what} did not show the screen: {refused or 'login form'}")


def pairs() -> list[tuple[Any, str, str]]:
    """(menu entry, role, demo username) of every screen and every role that opens it."""
    from core.lifecycle import SCREEN_ROLES, Role
    from ui.layout import MENU

    out = []
    for entry in MENU:
        for role in Role:
            if role in SCREEN_ROLES[entry.screen]:
                out.append((entry, role.value, demo_user(role)))
    return out


def measure_screens(runs: int) -> list[ScreenResult]:
    quiet_streamlit()
    with tempfile.TemporaryDirectory(prefix="eld-bench-page-") as folder:
        trivial = Path(folder) / "trivial.py"
        trivial.write_text(TRIVIAL_PAGE, encoding="utf-8")
        results = []
        for entry, role, username in pairs():
            from streamlit.testing.v1 import AppTest

            screen = _logged_in(entry.path, username)
            floor = AppTest.from_file(str(trivial), default_timeout=TIMEOUT_S)
            what = f"{entry.path} as {username}"
            _run(screen, what)  # the first run imports the page's modules: not counted
            _check_shown(screen, what)
            screen_ms, floor_ms, _ = paired(
                lambda s=screen, w=what: _run(s, w),
                lambda f=floor: _run(f, "the trivial page"),
                runs,
            )
            results.append(
                ScreenResult(entry.screen.value, role, username, entry.path, screen_ms, floor_ms)
            )
    return results


def measure_dashboard_uncached(runs: int) -> Timing:
    """The dashboard screen as the analyst when its figures are not cached (first visit, or
    five minutes later): the cache is cleared before each run."""
    from benchmarks.timing import measure
    from ui import dashboard

    at = _logged_in("pages/7_Tableau_de_bord.py", demo_user("analyste"))

    def run() -> None:
        dashboard.refresh()
        _run(at, "the dashboard")

    return measure(run, runs)
