"""The layers are enforced by the linter (ruff TID251, pyproject.toml and core/ruff.toml): this
checks that the rules are live for each layer, on snippets given to ruff as if they were files
there (nothing is written into the checkout)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.config import PROJECT_ROOT


def _ruff(path: str, source: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251",
         "--stdin-filename", path, "-"],
        input=source, capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    return done.stdout + done.stderr


@pytest.mark.parametrize(("path", "source"), [
    ("core/probe.py", "import streamlit as st\n"),
    ("ui/probe.py", "from sqlalchemy import select\n"),
    ("pages/probe.py", "from core.database import read_session\n"),
    ("Home.py", "import openpyxl\n"),
    ("ui/probe.py", "from fpdf import FPDF\n"),
])
def test_a_forbidden_import_is_refused(path: str, source: str) -> None:
    assert "TID251" in _ruff(path, source)


@pytest.mark.parametrize(("path", "source"), [
    ("core/probe.py", "from sqlalchemy import select\n"),
    ("ui/probe.py", "import streamlit as st\n"),
    ("tests/probe.py", "from core.database import read_session\n"),
])
def test_allowed_imports_pass(path: str, source: str) -> None:
    assert "TID251" not in _ruff(path, source)
