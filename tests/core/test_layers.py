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


def _project_modules() -> list[tuple[str, object]]:
    import ast

    files = [*PROJECT_ROOT.glob("core/**/*.py"), *PROJECT_ROOT.glob("ui/*.py"),
             *PROJECT_ROOT.glob("pages/*.py"), PROJECT_ROOT / "Home.py"]
    return [(str(f.relative_to(PROJECT_ROOT)), ast.parse(f.read_text(encoding="utf-8")))
            for f in files]


def _private_uses(tree: object) -> list[str]:
    """`from core.x import _name`, and `module._name` on a project module imported by name."""
    import ast

    assert isinstance(tree, ast.Module)
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {"core", "ui"}:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {node.module} import {alias.name}")
                aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"core", "ui"}:
                    aliases.add(alias.asname or alias.name.split(".")[-1])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    offences = {path: uses for path, tree in _project_modules() if (uses := _private_uses(tree))}
    assert offences == {}


def test_the_private_name_check_finds_an_offence() -> None:
    import ast

    probe = ast.parse("from core import exports\nfrom core.access import _x\nexports._column\n")
    assert _private_uses(probe) == ["from core.access import _x", "exports._column"]
