"""Start or stop the app behind the sample nginx proxy (TLS, security headers, sticky sessions),
all on 127.0.0.1, unprivileged, in one folder:

    .venv/bin/python scripts/proxy.py start --dir /tmp/eld-proxy [--replicas 1]
    .venv/bin/python scripts/proxy.py stop --dir /tmp/eld-proxy

`start` writes a self-signed certificate, the nginx configuration (from nginx.conf.template),
starts the Streamlit replica(s) and nginx, waits until they answer, and prints the HTTPS URL;
the process ids go to <dir>/pids so that `stop` ends exactly what `start` started. The
database is DATABASE_URL (default: the demo SQLite file), shared by every replica.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


def _certificate(run: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(run / "key.pem"), "-out", str(run / "cert.pem")],
        check=True, capture_output=True)


def start(run: Path, replicas: int = 1) -> dict[str, object]:
    if not Path(NGINX).exists():
        raise SystemExit("nginx is not installed (Debian: apt-get install nginx-light)")
    run.mkdir(parents=True, exist_ok=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run / sub).mkdir(exist_ok=True)
    _certificate(run)
    app_ports = [free_port() for _ in range(replicas)]
    http_port, https_port = free_port(), free_port()
    pids: list[int] = []
    for n, port in enumerate(app_ports):
        log = (run / f"app{n}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.address",
             "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
        pids.append(proc.pid)
    upstreams = "\n".join(f"        server 127.0.0.1:{p};" for p in app_ports)
    conf = (Path(__file__).with_name("nginx.conf.template").read_text(encoding="utf-8")
            .replace("@RUN@", str(run)).replace("@UPSTREAMS@", upstreams)
            .replace("@HTTP_PORT@", str(http_port)).replace("@HTTPS_PORT@", str(https_port)))
    (run / "nginx.conf").write_text(conf, encoding="utf-8")
    subprocess.run([NGINX, "-t", "-p", str(run), "-c", str(run / "nginx.conf"),
                    "-g", "daemon on;"], check=True, capture_output=True)
    subprocess.run([NGINX, "-p", str(run), "-c", str(run / "nginx.conf"), "-g", "daemon on;"],
                   check=True, capture_output=True)
    for port in (*app_ports, https_port):
        _wait(port)
    state = {"url": f"https://127.0.0.1:{https_port}", "http_url": f"http://127.0.0.1:{http_port}",
             "app_ports": app_ports, "app_pids": pids,
             "nginx_pid": int((run / "nginx.pid").read_text().strip())}
    (run / "pids").write_text(json.dumps(state), encoding="utf-8")
    return state


def stop(run: Path) -> None:
    state = json.loads((run / "pids").read_text(encoding="utf-8"))
    for pid in [state["nginx_pid"], *state["app_pids"]]:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    for pid in [state["nginx_pid"], *state["app_pids"]]:
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--dir", type=Path, required=True, help="folder for config, logs, pids")
    parser.add_argument("--replicas", type=int, default=1)
    args = parser.parse_args()
    if args.command == "start":
        print(start(args.dir.resolve(), args.replicas)["url"])
    else:
        stop(args.dir.resolve())


if __name__ == "__main__":
    main()
