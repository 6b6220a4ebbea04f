"""A walk through the application in headless Chromium, against a trivial two-page Streamlit app
walked the same way in the same run.

Each step is timed in the page itself: from the click (a capturing listener) to the last time
Streamlit's status (`data-test-script-state` on `stApp`) turned back to `notRunning`, once it has
run and then stayed idle for `QUIET_MS` (a login triggers a second run when its cookie is
written; that one counts too). A first load is timed from the navigation's start. Both servers
listen on 127.0.0.1 on free ports and are stopped through their own process at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.timing import Timing, of

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "licence-demo"
# A page's second run (the cookie component answering) came up to 0.9 s after its first.
QUIET_MS = 1500
STEP_TIMEOUT_S = 120

WATCH = """
(() => {
  const bench = window.__eld = {armed: false, start: null, events: [], drawn: null};
  document.addEventListener('click', () => {
    if (bench.armed) { bench.armed = false; bench.start = performance.now(); bench.drawn = null; }
  }, true);
  new MutationObserver((mutations) => {
    const now = performance.now();
    for (const m of mutations) {
      if (m.type === 'attributes' && m.attributeName === 'data-test-script-state') {
        bench.events.push([now, m.target.getAttribute('data-test-script-state')]);
      }
    }
    bench.drawn = now;
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""

TRIVIAL_SIDEBAR = """\
with st.sidebar:
    st.page_link("streamlit_app.py", label="Accueil")
    st.page_link("pages/2_Autre.py", label="Autre page")
"""
TRIVIAL_HOME = """\
import streamlit as st

st.set_page_config(page_title="Trivial", layout="wide")
{sidebar}
st.title("Trivial app")
with st.form("login"):
    user = st.text_input("Utilisateur")
    secret = st.text_input("Secret", type="password")
    sent = st.form_submit_button("Envoyer")
if sent:
    st.success(f"Bonjour {{user}}")
st.selectbox("Choix", ["un", "deux", "trois"])
st.checkbox("Case")
"""
TRIVIAL_OTHER = """\
import streamlit as st

st.set_page_config(page_title="Autre", layout="wide")
{sidebar}
st.title("Autre page")
st.text_input("Texte")
st.number_input("Nombre", value=3)
st.button("Bouton")
"""
TRIVIAL_CONFIG = """\
[client]
showSidebarNavigation = false
toolbarMode = "viewer"

[browser]
gatherUsageStats = false
"""

# The walk of the issue: the role's demo user, then the menu entries it clicks, in order.
WALK = (
    (
        "exportateur",
        (
            "Gestion des Licences d'Exportation",
            "Consulter des Licences d'Exportation",
            "Nouvelle Licence d'Exportation",
        ),
    ),
    ("mce", ("Visa MCE", "Écran principal")),
    ("analyste", ("Tableau de bord",)),
)


@dataclass(frozen=True)
class Step:
    name: str
    app: Timing  # to the end of the last run the click caused
    floor: Timing
    app_first_run: Timing  # to the end of the first run (the page drawn once)
    runs: int  # script runs the click caused, at most

    @property
    def ratio(self) -> float:
        return self.app.median / self.floor.median


@dataclass(frozen=True)
class Walk:
    steps: list[Step]
    server_rss_mb: float | None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@contextmanager
def _served(
    script: str, cwd: Path, env: dict[str, str], log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`streamlit run script` on 127.0.0.1 and a free port; stopped through its own PID."""
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                script,
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start ({script}): see {log}")
                time.sleep(0.2)
            yield base, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _arm(page: Any) -> None:
    page.evaluate(
        "() => { const b = window.__eld; b.armed = true; b.start = null; b.events = []; }"
    )


@dataclass(frozen=True)
class Sample:
    first_ms: float  # the end of the first run after the click
    settled_ms: float  # the end of the last run, once the page stays idle
    runs: int  # script runs the click caused


def _finished(page: Any, *, from_load: bool = False) -> Sample:
    """From the click (or the navigation's start) to the end of the first and the last run.

    A run short enough to start and end between two renders never shows `running` in the page:
    then the last change to the page after the click stands for the end of the run."""
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        start, events, drawn, now = page.evaluate(
            "() => { const b = window.__eld; return [b.start, b.events, b.drawn, "
            "performance.now()]; }"
        )
        if from_load:
            start = 0.0
        if start is not None:
            after = [(t, s) for t, s in events if t >= start]
            ran = [t for t, s in after if s == "running"]
            idle = not after or after[-1][1] == "notRunning"
            last = max([t for t, _s in after] + [start])
            if ran and idle and now - last >= QUIET_MS:
                first = next(t for t, s in after if s == "notRunning" and t > ran[0])
                return Sample(first - start, last - start, len(ran))
            if (
                not ran
                and idle
                and drawn is not None
                and drawn > start
                and now - drawn >= QUIET_MS
                and now - start >= QUIET_MS
            ):
                return Sample(drawn - start, drawn - start, 1)
        time.sleep(0.05)
    raise RuntimeError("the page did not finish running")


def _step(page: Any, action: Callable[[], None], expect: Callable[[], Any] | None = None) -> Sample:
    _arm(page)
    action()
    sample = _finished(page)
    if expect is not None:
        expect().first.wait_for(state="visible", timeout=STEP_TIMEOUT_S * 1000)
    return sample


def _load(context: Any, base: str) -> tuple[Any, Sample]:
    page = context.new_page()
    page.goto(base)
    return page, _finished(page, from_load=True)


def _sidebar_link(page: Any, label: str) -> Any:
    return page.locator('[data-testid="stSidebar"] a').filter(has_text=label).first


def _app_walk(browser: Any, base: str, samples: dict[str, list[Sample]]) -> None:
    for username, entries in WALK:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(WATCH)
        try:
            page, sample = _load(context, base)
            samples.setdefault(f"{username}: first load (login form)", []).append(sample)
            page.get_by_role("textbox", name="Nom d'utilisateur").fill(username)
            page.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
            sample = _step(
                page,
                lambda p=page: p.get_by_role("button", name="Se connecter").click(),
                lambda p=page: p.get_by_role("button", name="Se déconnecter"),
            )
            samples.setdefault(f"{username}: login → main screen", []).append(sample)
            for label in entries:
                sample = _step(
                    page,
                    lambda p=page, name=label: _sidebar_link(p, name).click(),
                    lambda p=page, name=label: p.locator("h1", has_text=name),
                )
                samples.setdefault(f"{username}: menu → {label}", []).append(sample)
        finally:
            context.close()


def _trivial_walk(browser: Any, base: str, samples: dict[str, list[Sample]]) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(WATCH)
    try:
        page, sample = _load(context, base)
        samples.setdefault("load", []).append(sample)
        page.get_by_role("textbox", name="Utilisateur").fill("quelqu'un")
        page.get_by_role("textbox", name="Secret").fill("secret")
        sample = _step(
            page,
            lambda: page.get_by_role("button", name="Envoyer").click(),
            lambda: page.get_by_text("Bonjour"),
        )
        samples.setdefault("submit", []).append(sample)
        for label, title in (("Autre page", "Autre page"), ("Accueil", "Trivial app")) * 2:
            sample = _step(
                page,
                lambda name=label: _sidebar_link(page, name).click(),
                lambda name=title: page.locator("h1", has_text=name),
            )
            samples.setdefault("link", []).append(sample)
    finally:
        context.close()


def _floor_of(step: str) -> str:
    if "first load" in step:
        return "load"
    if "login" in step:
        return "submit"
    return "link"


def measure_walk(database_url: str, runs: int) -> Walk:
    from playwright.sync_api import sync_playwright

    from core.config import PROJECT_ROOT

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"--browser needs Chromium at {CHROMIUM}")
    env = dict(os.environ, DATABASE_URL=database_url, DEMO_MODE="1")
    with tempfile.TemporaryDirectory(prefix="eld-bench-browser-") as folder:
        trivial = Path(folder) / "trivial"
        (trivial / "pages").mkdir(parents=True)
        (trivial / ".streamlit").mkdir()
        (trivial / ".streamlit" / "config.toml").write_text(TRIVIAL_CONFIG, encoding="utf-8")
        (trivial / "streamlit_app.py").write_text(
            TRIVIAL_HOME.format(sidebar=TRIVIAL_SIDEBAR), encoding="utf-8"
        )
        (trivial / "pages" / "2_Autre.py").write_text(
            TRIVIAL_OTHER.format(sidebar=TRIVIAL_SIDEBAR), encoding="utf-8"
        )
        logs = Path(folder)
        with (
            _served("Home.py", PROJECT_ROOT, env, logs / "app.log") as (app_base, app),
            _served("streamlit_app.py", trivial, env, logs / "trivial.log") as (floor_base, _),
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                app_samples: dict[str, list[Sample]] = {}
                floor_samples: dict[str, list[Sample]] = {}
                _app_walk(browser, app_base, {})  # warm-up: imports, first queries, caches
                _trivial_walk(browser, floor_base, {})
                for _ in range(runs):
                    _app_walk(browser, app_base, app_samples)
                    _trivial_walk(browser, floor_base, floor_samples)
            finally:
                browser.close()
            server_rss = _peak_rss_mb(app.pid)
    steps = [
        Step(
            name,
            of([v.settled_ms for v in values]),
            of([v.settled_ms for v in floor_samples[_floor_of(name)]]),
            of([v.first_ms for v in values]),
            max(v.runs for v in values),
        )
        for name, values in app_samples.items()
    ]
    return Walk(steps, server_rss)
