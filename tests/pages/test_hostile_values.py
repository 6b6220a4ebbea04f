"""Every screen as every role that has it, with a hostile value in every stored text field: no
raw markup reaches an element rendered as HTML, and no Markdown link, image or formula is made
from stored text. The values are put in the database directly where core would refuse them
today (identifiers, names), as data written before a rule existed would be."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from core import decisions, drafting, reading
from core.database import read_session, write_session
from core.files import tiny_pdf
from core.records import Actor
from core.reference import code_list
from tests.conftest import complete_draft, header, visaed
from tests.pages.login import app

HTML = "<img src=x onerror=alert(1)>"
MD = "![p](http://evil.invalid/p.png)[l](javascript:alert(1))$x$"
HOSTILE = f"{HTML}{MD}"
TODAY = dt.date.today()

# page, roles that open it, query parameters / session state to reach its detail views
PAGES: list[tuple[str, tuple[str, ...]]] = [
    ("Home.py", ("exportateur", "mce", "douane", "banque", "analyste", "admin")),
    ("pages/1_Nouvelle_Licence.py", ("exportateur",)),
    ("pages/2_Gestion_des_Licences.py", ("exportateur",)),
    ("pages/3_Consulter_des_Licences.py", ("exportateur", "mce", "douane", "banque",
                                           "analyste", "admin")),
    ("pages/4_Visa_MCE.py", ("mce",)),
    ("pages/5_Imputation_Douaniere.py", ("douane",)),
    ("pages/6_Rapatriement_et_Apurement.py", ("banque",)),
    ("pages/7_Tableau_de_bord.py", ("analyste", "mce", "admin")),
    ("pages/8_Administration.py", ("admin",)),
]


@pytest.fixture
def hostile_world(actors: dict[str, Actor]) -> Iterator[dict[str, int]]:
    """Licences in every part of the circuit, every stored text made hostile."""
    exp = actors["exportateur"]
    pdf = tiny_pdf(["Justificatif"])
    draft = drafting.create_licence(exp, header(recipient=HOSTILE))
    draft = drafting.add_goods_line(exp, draft.id, draft.version, designation=HOSTILE,
                                    origin_country="MA", quantity="1", net_weight="1",
                                    tariff_code=complete_draft(exp).goods[0].tariff_code)
    sent_back = complete_draft(exp)
    sent_back = drafting.submit_for_visa(exp, sent_back.id, sent_back.version)
    sent_back = decisions.send_back(actors["mce"], sent_back.id, sent_back.version, HOSTILE)
    with read_session() as s:
        doc_type = next(iter(code_list(s, "document_type")))
    drafting.add_document(exp, sent_back.id, sent_back.version, doc_type, HOSTILE, TODAY,
                          "doc.pdf", pdf)
    submitted = complete_draft(exp)
    submitted = drafting.submit_for_visa(exp, submitted.id, submitted.version)
    imputed = visaed(actors, lines=2)
    imputed = decisions.impute(actors["douane"], imputed.id, imputed.version,
                              declaration_ref="DUM-1", declaration_date=TODAY,
                              customs_office=imputed.customs_office,
                              lines={imputed.goods[0].id: ("100", "100")})
    imputed = decisions.record_repatriation(actors["banque"], imputed.id, imputed.version,
                                           amount="50", repatriation_date=TODAY,
                                           bank_reference="VIR-1", file_name="avis.pdf",
                                           data=pdf)
    drafting.cancel_licence(exp, draft.id, reading.get_licence(exp, draft.id).version, HOSTILE)
    with write_session() as s:
        for sql in (
            "UPDATE companies SET name = :h",
            "UPDATE users SET full_name = :h",
            "UPDATE licences SET recipient = :h, visa_number = CASE WHEN visa_number IS NULL "
            "THEN NULL ELSE :h || id END, correction_reason = :h, refusal_reason = :h",
            "UPDATE goods_lines SET designation = :h",
            "UPDATE stored_files SET file_name = :h",
            "UPDATE imputations SET declaration_ref = :h",
            "UPDATE repatriations SET bank_reference = :h",
            "UPDATE reference_items SET label = :h WHERE list_name = 'office'",
        ):
            s.execute(text(sql), {"h": HOSTILE})
    yield {"draft": draft.id, "sent_back": sent_back.id, "submitted": submitted.id,
           "imputed": imputed.id}


def _elements(at: AppTest) -> Iterator[tuple[str, bool, str]]:
    """(kind, rendered as HTML?, text) of everything drawn, dialogs and tables included."""
    for m in at.get("markdown"):
        yield "markdown", bool(getattr(m.proto, "allow_html", False)), str(m.value)
    for kind in ("caption", "error", "warning", "info", "success", "exception"):
        for e in at.get(kind):
            yield kind, False, str(getattr(e, "value", ""))
    for t in at.get("table"):
        frame = t.value
        for column in frame.columns:
            yield "table", False, str(column)
            for cell in frame[column]:
                yield "table", False, str(cell)


UNESCAPED_MARKDOWN = re.compile(r"(?<!\\)!(?<!\\)\[p|(?<!\\)\[l(?<!\\)\]\(|(?<!\\)\$x(?<!\\)\$")


def _check(at: AppTest, where: str) -> int:
    assert not at.exception, (where, [e.value for e in at.exception])
    seen = 0
    for kind, as_html, body in _elements(at):
        if "onerror" in body or "evil.invalid" in body:
            seen += 1
        if as_html:
            assert "<img" not in body, (where, kind, body[:200])
        assert not UNESCAPED_MARKDOWN.search(body), (where, kind, body[:200])
    return seen


@pytest.mark.parametrize(("page", "roles"), PAGES, ids=[p for p, _ in PAGES])
def test_every_screen_shows_hostile_values_as_text(hostile_world: dict[str, int], page: str,
                                                   roles: tuple[str, ...]) -> None:
    for role in roles:
        runs: list[tuple[str, dict[str, Any], dict[str, Any]]] = [("list", {}, {})]
        if page.endswith("1_Nouvelle_Licence.py"):
            runs = [("sent back", {"id": str(hostile_world["sent_back"])}, {})]
        if page.endswith("3_Consulter_des_Licences.py"):
            runs += [(name, {"id": str(hostile_world[name])}, {})
                     for name in ("submitted", "imputed")]
        if page.endswith("2_Gestion_des_Licences.py"):
            runs += [("history", {}, {"eld_dialog_gestion": {
                "kind": "history", "id": hostile_world["sent_back"], "number": HOSTILE,
                "version": 1}})]
        if page.endswith("5_Imputation_Douaniere.py"):
            runs += [("corrections", {}, {"douane_tab": "Corriger une imputation"})]
        shown = 0
        for name, query, state in runs:
            at = app(page, role, **query)
            for key, value in state.items():
                at.session_state[key] = value
            at.run()
            shown += _check(at, f"{page} as {role}, {name}")
        if page != "pages/8_Administration.py":
            assert shown > 0, f"{page} as {role}: no hostile value on screen (nothing tested)"
