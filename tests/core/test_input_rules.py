"""Texts that read differently from what they hold are refused by core, whoever calls it: control
characters (tab and line breaks included) and bidirectional controls in single-line fields; and
identifiers (visa numbers, declaration and bank references) have a format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from core import decisions, drafting, reading
from core.errors import ValidationFailed
from core.records import Actor, LicenceDetail
from core.validation import Checker
from tests.conftest import complete_draft, first_tariff, header, visaed

HOSTILE = ["\t", "\n", "\r", "\x00", "\x1b", "\x85", "\u2028", "\u202a", "\u202e", "\u2066",
           "\u2069"]
TODAY = dt.date.today()


@pytest.mark.parametrize("char", HOSTILE)
def test_single_line_texts_refuse_control_and_direction_characters(char: str) -> None:
    c = Checker()
    assert c.text("f", "Destinataire", f"Fruits{char}Europe", max_len=200) is None
    assert "interdit" in c.errors["f"] and f"U+{ord(char):04X}" in c.errors["f"]


def test_multi_line_texts_keep_line_breaks_only() -> None:
    c = Checker()
    assert c.text("r", "Motif", "Ligne 1\r\nLigne 2", max_len=100, multiline=True) == (
        "Ligne 1\nLigne 2")
    for char in ("\t", "\u202e", "\x00"):
        c = Checker()
        assert c.text("r", "Motif", f"a{char}b", max_len=100, multiline=True) is None


@pytest.mark.parametrize("raw", ["V 2026/01.5-A", "dum-300-2026-0001234", "A"])
def test_references_accept_letters_digits_and_separators(raw: str) -> None:
    c = Checker()
    assert c.reference("v", "Numéro de visa", raw, max_len=40) == raw.upper()


@pytest.mark.parametrize("raw", ["<img src=x onerror=alert(1)>", "V-2026-", "-V1", "V_1",
                                 "V\u00e91", "V#1", "x" * 41, "V\u202e1"])
def test_references_refuse_anything_else(raw: str) -> None:
    c = Checker()
    assert c.reference("v", "Numéro de visa", raw, max_len=40) is None
    assert "v" in c.errors


def _calls(actors: dict[str, Actor], lic: LicenceDetail, bad: str
           ) -> dict[str, tuple[str, Callable[[], Any]]]:
    exp = actors["exportateur"]
    return {
        "recipient": ("recipient", lambda: drafting.update_header(
            exp, lic.id, lic.version, header(recipient=bad))),
        "designation": ("designation", lambda: drafting.add_goods_line(
            exp, lic.id, lic.version, designation=bad, origin_country="MA", quantity="1",
            net_weight="1", tariff_code=first_tariff())),
    }


@pytest.mark.parametrize("char", ["\t", "\n", "\u202e"])
@pytest.mark.parametrize("which", ["recipient", "designation"])
def test_services_refuse_hostile_single_line_texts(actors: dict[str, Actor], char: str,
                                                   which: str) -> None:
    lic = complete_draft(actors["exportateur"])
    field, call = _calls(actors, lic, f"Nord{char}frucht")[which]
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert field in refused.value.errors
    after = reading.get_licence(actors["exportateur"], lic.id)
    assert after.version == lic.version and len(after.goods) == len(lic.goods)


def test_circuit_references_have_a_format(actors: dict[str, Actor], pdf: bytes) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    lic = complete_draft(exp)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    with pytest.raises(ValidationFailed) as refused:
        decisions.grant_visa(mce, lic.id, lic.version, "<img src=x onerror=alert(1)>")
    assert "lettres, chiffres" in refused.value.errors["visa_number"]
    lic = visaed(actors)
    with pytest.raises(ValidationFailed) as refused:
        decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="DUM\t1",
                        declaration_date=TODAY, customs_office=lic.customs_office,
                        lines={lic.goods[0].id: ("1", "1")})
    assert "declaration_ref" in refused.value.errors
    lic = decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="dum 1/26",
                          declaration_date=TODAY, customs_office=lic.customs_office,
                          lines={lic.goods[0].id: ("100", "100")})
    assert lic.imputations[0].declaration_ref == "DUM 1/26"
    with pytest.raises(ValidationFailed) as refused:
        decisions.record_repatriation(actors["banque"], lic.id, lic.version, amount="100",
                                     repatriation_date=TODAY, bank_reference="VIR\u202e1",
                                     file_name="a.pdf", data=pdf)
    assert "bank_reference" in refused.value.errors


def test_reasons_keep_their_line_breaks(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    lic = drafting.cancel_licence(exp, lic.id, lic.version, "Client parti.\r\nDossier clos.")
    assert lic.cancellation_reason == "Client parti.\nDossier clos."
