"""The counterparties' work queues (core.circuit) and the circuit rules the issue names that
tests/core/test_services.py does not already prove."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core import circuit, decisions, drafting, lifecycle, reading
from core.circuit import DecisionFilters
from core.database import read_session, write_session
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from core.lifecycle import Status
from core.models import HistoryEvent, Imputation, Repatriation
from core.records import Actor, LicenceDetail
from tests.conftest import complete_draft, visaed

TODAY = dt.date.today()


def _submitted(actors: dict[str, Actor], who: str = "exportateur") -> LicenceDetail:
    lic = complete_draft(actors[who])
    return drafting.submit_for_visa(actors[who], lic.id, lic.version)


def _sql(statement: str, **params: object) -> None:
    with write_session() as s:
        s.execute(text(statement), params)


def _impute(actors: dict[str, Actor], lic: LicenceDetail, ref: str,
            lines: dict[int, tuple[str, str]]) -> LicenceDetail:
    return decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref=ref,
                           declaration_date=TODAY, customs_office=lic.customs_office, lines=lines)


def _repatriate(actors: dict[str, Actor], lic: LicenceDetail, amount: str, ref: str,
                pdf: bytes) -> LicenceDetail:
    return decisions.record_repatriation(actors["banque"], lic.id, lic.version, amount=amount,
                                        repatriation_date=TODAY, bank_reference=ref,
                                        file_name="avis.pdf", data=pdf)


def _count(model: type) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


# ------------------------------------------------------------------ roles
@pytest.mark.parametrize(
    ("fn", "allowed"),
    [
        (lambda a: circuit.mce_queue(a), "mce"),
        (lambda a: circuit.mce_decisions(a), "mce"),
        (lambda a: circuit.customs_worklist(a), "douane"),
        (lambda a: circuit.bank_worklist(a), "banque"),
    ],
)
def test_each_queue_is_open_to_its_role_only(actors: dict[str, Actor], fn: object,
                                             allowed: str) -> None:
    assert callable(fn)
    for name, actor in actors.items():
        if name == allowed:
            assert fn(actor).total == 0
        else:
            with pytest.raises(NotAllowed, match="pas ouvert à votre profil"):
                fn(actor)


def test_a_deactivated_counterparty_reads_nothing(actors: dict[str, Actor]) -> None:
    _sql("UPDATE users SET active = false WHERE username = 'mce'")
    with pytest.raises(NotAllowed, match="désactivé"):
        circuit.mce_queue(actors["mce"])


def test_customs_cannot_visa_and_mce_cannot_impute_or_settle(
    actors: dict[str, Actor], pdf: bytes
) -> None:
    lic = _submitted(actors)
    for name in ("douane", "banque", "exportateur", "analyste", "admin"):
        with pytest.raises(NotAllowed):
            decisions.grant_visa(actors[name], lic.id, lic.version, "V-1")
        with pytest.raises(NotAllowed):
            decisions.refuse_visa(actors[name], lic.id, lic.version, "non")
        with pytest.raises(NotAllowed):
            decisions.send_back(actors[name], lic.id, lic.version, "à corriger")
    lic = decisions.grant_visa(actors["mce"], lic.id, lic.version, "V-1")
    line = lic.goods[0].id
    for name in ("mce", "banque", "exportateur", "analyste"):
        with pytest.raises(NotAllowed):
            decisions.impute(actors[name], lic.id, lic.version, declaration_ref="D1",
                            declaration_date=TODAY, customs_office=lic.customs_office,
                            lines={line: ("1", "1")})
    lic = _impute(actors, lic, "D1", {line: ("100", "500")})
    assert lic.status == Status.FULLY_IMPUTED
    for name in ("mce", "douane", "exportateur"):
        with pytest.raises(NotAllowed):
            _repatriate({**actors, "banque": actors[name]}, lic, "500", "R1", pdf)
        with pytest.raises(NotAllowed):
            decisions.settle(actors[name], lic.id, lic.version)
    after = reading.get_licence(actors["banque"], lic.id)
    assert after.status == Status.FULLY_IMPUTED and after.repatriations == ()
    assert after.version == lic.version


# ------------------------------------------------------------------ MCE queue and decisions
def test_mce_queue_oldest_first_with_waiting_time(actors: dict[str, Actor]) -> None:
    a, b, c = (_submitted(actors) for _ in range(3))
    other = _submitted(actors, "exportateur2")
    complete_draft(actors["exportateur"])  # a draft is never in the queue
    visaed(actors)  # nor a visaed licence
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for lic, hours in ((a, 5), (b, 80), (c, 0.2), (other, 30)):
        _sql("UPDATE licences SET submitted_at = :t WHERE id = :i",
             t=now - dt.timedelta(hours=hours), i=lic.id)
    page = circuit.mce_queue(actors["mce"], page=1, page_size=3)
    assert page.total == 4 and page.page_count == 2
    assert [r.id for r in page.rows] == [b.id, other.id, a.id]
    first = page.rows[0]
    assert first.waiting_days == 3 and first.waiting_hours == 80
    assert first.company_name == "Atlas Agrumes SARL" and first.currency == "EUR"
    assert first.total_amount == Decimal("12500.50") and first.version == b.version
    last = circuit.mce_queue(actors["mce"], page=2, page_size=3)
    assert [r.id for r in last.rows] == [c.id] and last.rows[0].waiting_hours == 0


def test_mce_decisions_history_is_searchable(actors: dict[str, Actor]) -> None:
    mce = actors["mce"]
    granted, refused, sent = (_submitted(actors) for _ in range(3))
    decisions.grant_visa(mce, granted.id, granted.version, "V-7")
    decisions.refuse_visa(mce, refused.id, refused.version, "Pièces insuffisantes")
    decisions.send_back(mce, sent.id, sent.version, "Facture illisible")
    page = circuit.mce_decisions(mce)
    assert page.total == 3
    assert [r.licence_id for r in page.rows] == [sent.id, refused.id, granted.id]  # newest first
    back = page.rows[0]
    # the licence is a draft again, its send-back stays in the Ministry's history
    assert back.action == "RENVOYER_CORRECTION" and back.current_status == Status.DRAFT
    assert back.details == "Facture illisible" and back.username == "mce"
    assert back.action_label == "Renvoi pour correction"
    assert page.rows[2].details and "V-7" in page.rows[2].details

    only_refusals = circuit.mce_decisions(mce, DecisionFilters(decision="REFUSER"))
    assert [(r.registration_number, r.details) for r in only_refusals.rows] == [
        (refused.registration_number, "Pièces insuffisantes")]
    by_number = circuit.mce_decisions(mce, DecisionFilters(number=granted.registration_number))
    assert [r.licence_id for r in by_number.rows] == [granted.id]
    prefix = granted.registration_number[:8].lower()
    assert circuit.mce_decisions(mce, DecisionFilters(number=prefix)).total == 3
    assert circuit.mce_decisions(mce, DecisionFilters(date_from=TODAY + dt.timedelta(days=2))
                                 ).total == 0
    utc_today = dt.datetime.now(dt.UTC).date()
    assert circuit.mce_decisions(mce, DecisionFilters(date_from=utc_today, date_to=utc_today)
                                 ).total == 3
    paged = circuit.mce_decisions(mce, page=2, page_size=2)
    assert paged.total == 3 and [r.licence_id for r in paged.rows] == [granted.id]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (DecisionFilters(decision="IMPUTER"), "decision"),
        (DecisionFilters(number="X" * 21), "number"),
        (DecisionFilters(date_from=TODAY, date_to=TODAY - dt.timedelta(days=1)), "date_to"),
    ],
)
def test_bad_decision_filters_are_refused(actors: dict[str, Actor], filters: DecisionFilters,
                                          field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        circuit.mce_decisions(actors["mce"], filters)
    assert field in info.value.errors


def test_refusal_and_send_back_need_a_reason_and_change_nothing(actors: dict[str, Actor]
                                                                ) -> None:
    lic = _submitted(actors)
    events = _count(HistoryEvent)
    for fn in (decisions.refuse_visa, decisions.send_back):
        with pytest.raises(ValidationFailed, match="obligatoire"):
            fn(actors["mce"], lic.id, lic.version, "   ")
    with pytest.raises(ValidationFailed, match="Fin de validité"):
        decisions.grant_visa(actors["mce"], lic.id, lic.version, "V-1", TODAY)
    with pytest.raises(ValidationFailed, match="Numéro de visa"):
        decisions.grant_visa(actors["mce"], lic.id, lic.version, " ")
    after = reading.get_licence(actors["mce"], lic.id)
    assert after.status == Status.SUBMITTED and after.version == lic.version
    assert _count(HistoryEvent) == events


def test_visa_with_a_chosen_validity_end(actors: dict[str, Actor]) -> None:
    lic = _submitted(actors)
    end = TODAY + dt.timedelta(days=40)
    number = circuit.suggested_visa_number(lic.registration_number)
    assert number == f"V-{TODAY.year}-{lic.registration_number[-6:]}"
    lic = decisions.grant_visa(actors["mce"], lic.id, lic.version, number, end)
    assert (lic.status, lic.visa_number, lic.visa_date, lic.validity_end) == (
        Status.VISAED, number, TODAY, end)
    default = _submitted(actors)
    default = decisions.grant_visa(actors["mce"], default.id, default.version, "V-2")
    assert default.validity_end == decisions.default_validity_end(TODAY)


# ------------------------------------------------------------------ customs
def test_customs_worklist_valid_licences_with_their_balances(actors: dict[str, Actor]) -> None:
    fresh = visaed(actors, lines=2, quantity="10")
    partial = visaed(actors, lines=2, quantity="10")
    g1, g2 = partial.goods
    partial = _impute(actors, partial, "DUM-1", {g1.id: ("10", "0.10"), g2.id: ("4", "0.20")})
    full = visaed(actors)
    _impute(actors, full, "DUM-9", {full.goods[0].id: ("100", "5")})
    expiring = visaed(actors)
    _submitted(actors)
    _sql("UPDATE licences SET validity_end = :d WHERE id = :i", d=TODAY, i=partial.id)
    _sql("UPDATE licences SET validity_end = :d WHERE id = :i",
         d=TODAY - dt.timedelta(days=1), i=expiring.id)
    page = circuit.customs_worklist(actors["douane"])
    # the expired one left the list (and became Expirée); fully imputed is not there either
    assert [r.id for r in page.rows] == [partial.id, fresh.id] and page.total == 2
    assert reading.get_licence(actors["douane"], expiring.id).status == Status.EXPIRED
    p, f = page.rows
    assert (p.status, p.days_left, p.lines_total, p.lines_open) == (
        Status.PARTIALLY_IMPUTED, 0, 2, 1)
    assert (p.imputation_count, p.imputed_value) == (1, Decimal("0.30"))
    assert (f.status, f.lines_open, f.imputation_count, f.imputed_value) == (
        Status.VISAED, 2, 0, Decimal("0"))
    assert f.visa_number == f"V-2026-{fresh.id:04d}"
    found = circuit.customs_worklist(actors["douane"], fresh.registration_number.lower())
    assert [r.id for r in found.rows] == [fresh.id]
    with pytest.raises(ValidationFailed) as info:
        circuit.customs_worklist(actors["douane"], "L" * 25)
    assert "number" in info.value.errors


def test_imputation_of_an_expired_licence_is_refused(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    _sql("UPDATE licences SET validity_end = :d WHERE id = :i",
         d=TODAY - dt.timedelta(days=1), i=lic.id)
    with pytest.raises(InvalidTransition, match="Expirée"):
        _impute(actors, lic, "D1", {lic.goods[0].id: ("1", "1")})
    after = reading.get_licence(actors["douane"], lic.id)
    assert after.status == Status.EXPIRED and after.imputations == ()
    assert _count(Imputation) == 0


def test_partial_imputation_after_its_validity_end_is_refused(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    lic = _impute(actors, lic, "D1", {lic.goods[0].id: ("1", "1")})
    _sql("UPDATE licences SET validity_end = :d WHERE id = :i",
         d=TODAY - dt.timedelta(days=1), i=lic.id)
    lic = reading.get_licence(actors["douane"], lic.id)
    assert lic.status == Status.PARTIALLY_IMPUTED
    with pytest.raises(NotAllowed, match="validité de la licence a expiré"):
        _impute(actors, lic, "D2", {lic.goods[0].id: ("1", "1")})
    assert len(reading.get_licence(actors["douane"], lic.id).imputations) == 1


def test_a_reference_refused_once_can_be_used_after_the_fix_but_only_once(
    actors: dict[str, Actor]
) -> None:
    lic = visaed(actors, quantity="10")
    line = lic.goods[0].id
    with pytest.raises(ValidationFailed, match="dépasse le reste"):
        _impute(actors, lic, "DUM-42", {line: ("11", "10")})
    assert _count(Imputation) == 0  # the failed attempt left nothing, not even the reference
    lic = _impute(actors, lic, "DUM-42", {line: ("4", "10")})
    assert lic.status == Status.PARTIALLY_IMPUTED
    for ref in ("DUM-42", " dum-42 "):  # the same message again, however it is typed
        with pytest.raises(ValidationFailed, match="déjà imputée"):
            _impute(actors, lic, ref, {line: ("1", "1")})
    after = reading.get_licence(actors["douane"], lic.id)
    assert after.goods[0].imputed_quantity == Decimal("4") and len(after.imputations) == 1
    # the same reference on another licence is another declaration line: accepted
    other = visaed(actors)
    assert _impute(actors, other, "DUM-42", {other.goods[0].id: ("1", "1")}).imputations


def test_never_beyond_the_remainder_over_several_declarations(actors: dict[str, Actor]) -> None:
    lic = visaed(actors, quantity="0.3")
    line = lic.goods[0].id
    lic = _impute(actors, lic, "D1", {line: ("0.1", "1")})
    lic = _impute(actors, lic, "D2", {line: ("0.1", "1")})
    with pytest.raises(ValidationFailed, match=r"0,101 dépasse le reste à imputer \(0,1\)"):
        _impute(actors, lic, "D3", {line: ("0.101", "1")})
    lic = _impute(actors, lic, "D3", {line: ("0.1", "1")})
    assert lic.status == Status.FULLY_IMPUTED and lic.goods[0].remaining_quantity == 0
    with pytest.raises(InvalidTransition):
        _impute(actors, lic, "D4", {line: ("0.001", "1")})


# ------------------------------------------------------------------ bank and settlement
def test_settlement_arithmetic_with_decimals(actors: dict[str, Actor], pdf: bytes) -> None:
    lic = visaed(actors, lines=2, quantity="1")
    g1, g2 = lic.goods
    lic = _impute(actors, lic, "D1", {g1.id: ("1", "0.1"), g2.id: ("1", "0.2")})
    assert lic.status == Status.FULLY_IMPUTED and lic.imputed_value == Decimal("0.30")
    for n, amount in enumerate(("0.1", "0.1", "0.09"), start=1):
        lic = _repatriate(actors, lic, amount, f"R{n}", pdf)
    (row,) = circuit.bank_worklist(actors["banque"]).rows
    assert row.imputed_value == Decimal("0.30") and row.repatriated_amount == Decimal("0.29")
    assert row.remaining_due == Decimal("0.01") and not row.settleable
    assert row.settle_blocker == ("Rapatriement insuffisant : 0,29\u00a0EUR rapatriés pour "
                                  "0,30\u00a0EUR imputés (reste dû 0,01\u00a0EUR).")
    with pytest.raises(NotAllowed, match="reste dû 0,01\u00a0EUR"):
        decisions.settle(actors["banque"], lic.id, lic.version)
    lic = _repatriate(actors, lic, "0.01", "R4", pdf)
    (row,) = circuit.bank_worklist(actors["banque"]).rows
    # 0.1 + 0.1 + 0.09 + 0.01 is exactly 0.30 (SQLite's float sums are brought back to cents)
    assert row.repatriated_amount == Decimal("0.30") and row.remaining_due == Decimal("0.00")
    assert row.settleable and row.repatriation_count == 4
    lic = decisions.settle(actors["banque"], lic.id, lic.version)
    assert lic.status == Status.SETTLED and lic.repatriated_amount == Decimal("0.30")
    assert circuit.bank_worklist(actors["banque"]).total == 0


def test_over_repatriation_still_settles(actors: dict[str, Actor], pdf: bytes) -> None:
    lic = visaed(actors)
    lic = _impute(actors, lic, "D1", {lic.goods[0].id: ("100", "1000.10")})
    lic = _repatriate(actors, lic, "1000.11", "R1", pdf)
    (row,) = circuit.bank_worklist(actors["banque"]).rows
    assert row.remaining_due == Decimal("0.00") and row.settleable
    assert decisions.settle(actors["banque"], lic.id, lic.version).status == Status.SETTLED


def test_bank_worklist_says_when_a_partial_imputation_can_be_settled(
    actors: dict[str, Actor], pdf: bytes
) -> None:
    open_one = visaed(actors, quantity="10")
    open_one = _impute(actors, open_one, "D1", {open_one.goods[0].id: ("3", "30")})
    open_one = _repatriate(actors, open_one, "30", "R1", pdf)
    closed = visaed(actors, quantity="10")
    closed = _impute(actors, closed, "D1", {closed.goods[0].id: ("3", "30")})
    closed = _repatriate(actors, closed, "30", "R1", pdf)
    _sql("UPDATE licences SET validity_end = :d WHERE id = :i",
         d=TODAY - dt.timedelta(days=3), i=closed.id)
    visaed(actors)  # not imputed: not the bank's
    page = circuit.bank_worklist(actors["banque"])
    assert [r.id for r in page.rows] == [closed.id, open_one.id]
    c, o = page.rows
    assert c.imputation_closed and c.settleable
    assert not o.imputation_closed and not o.settleable
    assert o.settle_blocker and "attend la fin de sa validité" in o.settle_blocker
    # the worklist and the service agree
    with pytest.raises(NotAllowed, match="attend la fin de sa validité"):
        decisions.settle(actors["banque"], o.id, o.version)
    assert decisions.settle(actors["banque"], c.id, c.version).status == Status.SETTLED
    found = circuit.bank_worklist(actors["banque"], open_one.registration_number)
    assert [r.id for r in found.rows] == [open_one.id]


def test_a_repeated_bank_reference_counts_once(actors: dict[str, Actor], pdf: bytes) -> None:
    lic = visaed(actors)
    lic = _impute(actors, lic, "D1", {lic.goods[0].id: ("100", "100")})
    lic = _repatriate(actors, lic, "60", "VIR-1", pdf)
    with pytest.raises(ValidationFailed, match="déjà enregistrée"):
        _repatriate(actors, lic, "60", "vir-1", pdf)
    (row,) = circuit.bank_worklist(actors["banque"]).rows
    assert row.repatriated_amount == Decimal("60.00") and row.repatriation_count == 1
    assert _count(Repatriation) == 1


def test_settle_blocker_matches_the_rules() -> None:
    day = dt.date(2026, 3, 1)
    blocker = lifecycle.settle_blocker
    assert blocker(Status.VISAED, day, Decimal(0), Decimal(0), "EUR", day)
    assert blocker(Status.FULLY_IMPUTED, day, Decimal("10.00"), Decimal("10.00"), "EUR", day) is None
    assert "insuffisant" in (blocker(Status.FULLY_IMPUTED, None, Decimal("10.00"),
                                     Decimal("9.99"), "EUR", day) or "")
    assert "ouverte" in (blocker(Status.PARTIALLY_IMPUTED, day, Decimal(1), Decimal(1), "EUR",
                                 day) or "")
    assert blocker(Status.PARTIALLY_IMPUTED, day - dt.timedelta(days=1), Decimal(1), Decimal(1),
                   "EUR", day) is None


def test_queue_counts_stop_at_the_cap_and_say_so(actors: dict[str, Actor],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A queue of any length costs no more than COUNT_CAP rows to count: beyond it the page
    says so (« plus de »), and its rows are still the nearest validity ends."""
    for _ in range(3):
        visaed(actors)
    monkeypatch.setattr(circuit, "COUNT_CAP", 2)
    page = circuit.customs_worklist(actors["douane"], page_size=2)
    assert (page.total, page.capped) == (2, True)
    assert [r.validity_end for r in page.rows] == sorted(r.validity_end for r in page.rows)
    monkeypatch.setattr(circuit, "COUNT_CAP", 3)
    page = circuit.customs_worklist(actors["douane"], page_size=2)
    assert (page.total, page.capped) == (3, False)
