"""The sample reverse proxy (scripts/nginx.conf.template run by scripts/proxy.py): TLS with HSTS,
the security headers on every answer, HTTP redirected to HTTPS, and the whole app working through
it in a real browser (websocket, login cookie set by a component frame) without a single
Content-Security-Policy violation."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import PROJECT_ROOT
from tests.e2e.conftest import body_text, idle, login, wait_until

pytestmark = pytest.mark.e2e
NGINX = Path("/usr/sbin/nginx")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not NGINX.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("nginx is required with REQUIRE_BROWSER=1 (apt-get install nginx-light)")
        pytest.skip("nginx not installed")
    folder = tmp_path_factory.mktemp("proxy")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{folder / 'proxy.sqlite3'}",
               AUTH_COOKIE_KEY="proxy-test-cookie-key-" + "x" * 20, DEMO_MODE="1")
    subprocess.run([sys.executable, "-m", "core", "ensure-demo", "--licences", "5"], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    script = str(PROJECT_ROOT / "scripts" / "proxy.py")
    run = folder / "run"
    subprocess.run([sys.executable, script, "start", "--dir", str(run)], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=120)
    try:
        yield json.loads((run / "pids").read_text(encoding="utf-8"))
    finally:
        subprocess.run([sys.executable, script, "stop", "--dir", str(run)], env=env,
                       cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=60)


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the proxy's certificate is self-signed
    return context


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_tls_security_headers_and_redirect(proxied: dict[str, Any]) -> None:
    with urllib.request.urlopen(proxied["url"] + "/", context=_unverified(), timeout=20) as r:
        headers = {k.lower(): v for k, v in r.headers.items()}
        assert r.status == 200
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    for directive in ("default-src 'self'", "img-src 'self' data: blob:", "object-src 'none'",
                      "frame-ancestors 'self'", "base-uri 'self'"):
        assert directive in csp
    assert headers["server"] == "nginx"  # no version given away
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as moved:
        opener.open(proxied["http_url"] + "/Gestion_des_Licences", timeout=20)
    assert moved.value.code == 301
    assert moved.value.headers["Location"] == proxied["url"] + "/Gestion_des_Licences"


def test_the_app_works_through_the_proxy(proxied: dict[str, Any], browser: Any,
                                         shots: Path) -> None:
    context = browser.new_context(ignore_https_errors=True, locale="fr-FR",
                                  viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    login(page, proxied["url"], "exportateur")  # the cookie is written from a component frame
    page.goto(proxied["url"] + "/Gestion_des_Licences")
    idle(page)
    wait_until(lambda: "Page 1 /" in body_text(page), message="Gestion not drawn via proxy")
    page.screenshot(path=str(shots / "gestion_via_proxy.png"))
    context.close()
    violations = [m for m in console if "Content Security Policy" in m]
    assert violations == []
