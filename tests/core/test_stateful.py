"""Hypothesis drives the real services on a fresh database and checks them against a small model.

The model is written from the guide's rules, independently of `core.lifecycle`: it says which
calls must succeed, and the invariants say what the database must hold after every step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from core import decisions, drafting
from core.accounts import get_actor
from core.database import read_session
from core.errors import DomainError
from core.files import tiny_pdf
from core.models import HistoryEvent, Imputation, ImputationLine, Licence
from core.records import Actor, LicenceDetail
from tests.conftest import first_tariff, fresh_database, header, stored_and_counted_status_counts

EDITABLE = {"BROUILLON"}
FINAL = {"REFUSEE", "ANNULEE", "APUREE", "EXPIREE"}


@dataclass
class Model:
    company: int
    status: str = "BROUILLON"
    version: int = 1
    countries: set[str] = field(default_factory=set)
    invoices: int = 0
    goods: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)  # id -> (qty, imputed)
    imputed_value: Decimal = Decimal("0")
    repatriated: Decimal = Decimal("0")
    refs: set[str] = field(default_factory=set)
    # in force: imputation id -> (reference, goods line, quantity, value); proof id -> amount
    imputations: dict[int, tuple[str, int, Decimal, Decimal]] = field(default_factory=dict)
    proofs: dict[int, Decimal] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return bool(self.countries) and self.invoices > 0 and bool(self.goods)

    @property
    def imputed_any(self) -> bool:
        return any(imp > 0 for _, imp in self.goods.values())


class LicenceMachine(RuleBasedStateMachine):
    template: str = ""
    workdir: Path = Path(".")

    def __init__(self) -> None:
        super().__init__()
        self.licences: dict[int, Model] = {}
        self.numbers: set[str] = set()
        self.events = 0
        self.cleanup: Any = None

    @initialize()
    def open_database(self) -> None:
        _, self.cleanup = fresh_database(self.template, self.workdir)
        self.users = {n: get_actor(n) for n in
                      ("exportateur", "exportateur2", "mce", "douane", "banque")}
        self.tariff = first_tariff()
        self.pdf = tiny_pdf(["justificatif"])

    def teardown(self) -> None:
        if self.cleanup:
            self.cleanup()

    # ------------------------------------------------------------- helpers
    def exporter(self, company: int) -> Actor:
        return self.users["exportateur" if company == 0 else "exportateur2"]

    def attempt(self, lid: int, expect_ok: bool, call: Any) -> LicenceDetail | None:
        """Run `call`; it must succeed exactly when the model says so."""
        try:
            result = call()
        except DomainError as exc:
            assert not expect_ok, f"refused but the model allows it: {exc.message}"
            return None
        assert expect_ok, "accepted but the model forbids it"
        self.events += 1
        if isinstance(result, LicenceDetail) and result.id in self.licences:
            self.licences[result.id].version = result.version
            self.licences[result.id].status = result.status.value
        return result

    def pick(self, data: st.DataObject, likely: frozenset[str] = frozenset()) -> tuple[int, Model]:
        """Any licence; with `likely`, mostly one in those statuses (when there is one), so that
        the circuit's later steps are reached in a short run and refusals still get tried."""
        ids = sorted(self.licences)
        fitting = [i for i in ids if self.licences[i].status in likely]
        if fitting and data.draw(st.integers(0, 3)) > 0:
            ids = fitting
        lid = data.draw(st.sampled_from(ids))
        return lid, self.licences[lid]

    # ------------------------------------------------------------- exporter
    @rule(company=st.integers(0, 1))
    def create(self, company: int) -> None:
        lic = drafting.create_licence(self.exporter(company), header())
        self.events += 1
        assert lic.registration_number not in self.numbers
        self.numbers.add(lic.registration_number)
        self.licences[lic.id] = Model(company=company, version=lic.version)

    @rule(company=st.integers(0, 1), lines=st.integers(1, 2))
    def create_visaed(self, company: int, lines: int) -> None:
        """A shortcut to the circuit's second half: a complete licence, submitted and visaed
        (six events), so that imputations, reversals and proofs are reached in a short run."""
        exp = self.exporter(company)
        lic = drafting.create_licence(exp, header())
        lic = drafting.add_country(exp, lic.id, lic.version, "FR")
        lic = drafting.add_invoice(exp, lic.id, lic.version, "100", dt.date.today(), "f.pdf",
                                   self.pdf)
        for _ in range(lines):
            lic = drafting.add_goods_line(exp, lic.id, lic.version, designation="Tomates",
                                          origin_country="MA", quantity="10", net_weight="1",
                                          tariff_code=self.tariff)
        lic = drafting.submit_for_visa(exp, lic.id, lic.version)
        lic = decisions.grant_visa(self.users["mce"], lic.id, lic.version, f"V-{lic.id}")
        self.events += 5 + lines
        self.numbers.add(lic.registration_number)
        self.licences[lic.id] = Model(
            company=company, status=lic.status.value, version=lic.version, countries={"FR"},
            invoices=1, goods={g.id: (g.quantity, Decimal("0")) for g in lic.goods})

    @precondition(lambda self: self.licences)
    @rule(data=st.data(), who=st.integers(0, 1),
          country=st.sampled_from(["FR", "ES", "DE", "MA"]))
    def add_country(self, data: st.DataObject, who: int, country: str) -> None:
        lid, m = self.pick(data)
        ok = (m.status in EDITABLE and who == m.company and country != "MA"
              and country not in m.countries)
        if self.attempt(lid, ok, lambda: drafting.add_country(
                self.exporter(who), lid, m.version, country)):
            m.countries.add(country)

    @precondition(lambda self: self.licences)
    @rule(data=st.data(), amount=st.sampled_from(["100", "0", "-3", "99.999", "2500.75"]))
    def add_invoice(self, data: st.DataObject, amount: str) -> None:
        lid, m = self.pick(data)
        ok = m.status in EDITABLE and amount in ("100", "2500.75")
        if self.attempt(lid, ok, lambda: drafting.add_invoice(
                self.exporter(m.company), lid, m.version, amount, dt.date.today(), "f.pdf",
                self.pdf)):
            m.invoices += 1

    @precondition(lambda self: self.licences)
    @rule(data=st.data(), qty=st.sampled_from(["10", "0.5", "0"]))
    def add_goods(self, data: st.DataObject, qty: str) -> None:
        lid, m = self.pick(data)
        ok = m.status in EDITABLE and qty != "0"
        result = self.attempt(lid, ok, lambda: drafting.add_goods_line(
            self.exporter(m.company), lid, m.version, designation="Tomates", origin_country="MA",
            quantity=qty, net_weight="1", tariff_code=self.tariff))
        if result:
            line = result.goods[-1]
            m.goods[line.id] = (Decimal(qty), Decimal("0"))

    @precondition(lambda self: self.licences)
    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        lid, m = self.pick(data)
        ok = m.status in EDITABLE and m.complete
        self.attempt(lid, ok, lambda: drafting.submit_for_visa(
            self.exporter(m.company), lid, m.version))

    @precondition(lambda self: self.licences)
    @rule(data=st.data(), reason=st.sampled_from(["Erreur de saisie", ""]))
    def cancel(self, data: st.DataObject, reason: str) -> None:
        lid, m = self.pick(data)
        ok = m.status in {"BROUILLON", "VISEE"} and bool(reason)
        self.attempt(lid, ok, lambda: drafting.cancel_licence(
            self.exporter(m.company), lid, m.version, reason))

    @precondition(lambda self: self.licences)
    @rule(data=st.data())
    def request_modification(self, data: st.DataObject) -> None:
        lid, m = self.pick(data)
        ok = m.status == "VISEE" and not m.imputed_any and not m.proofs
        self.attempt(lid, ok, lambda: drafting.request_modification(
            self.exporter(m.company), lid, m.version, "Quantités revues"))

    @precondition(lambda self: self.licences)
    @rule(data=st.data())
    def copy(self, data: st.DataObject) -> None:
        lid, m = self.pick(data)
        result = self.attempt(lid, True, lambda: drafting.copy_licence(
            self.exporter(m.company), lid))
        assert result is not None and result.registration_number not in self.numbers
        self.numbers.add(result.registration_number)
        self.licences[result.id] = Model(
            company=m.company, version=result.version, countries=set(m.countries),
            goods={g.id: (g.quantity, Decimal("0")) for g in result.goods})

    # ------------------------------------------------------------- MCE
    @precondition(lambda self: self.licences)
    @rule(data=st.data(), decision=st.sampled_from(["grant", "refuse", "send_back"]),
          by=st.sampled_from(["mce", "douane"]))
    def decide(self, data: st.DataObject, decision: str, by: str) -> None:
        lid, m = self.pick(data)
        actor = self.users[by]
        ok = m.status == "SOUMISE" and by == "mce"
        calls = {
            "grant": lambda: decisions.grant_visa(actor, lid, m.version, f"V-{lid}"),
            "refuse": lambda: decisions.refuse_visa(actor, lid, m.version, "Non conforme"),
            "send_back": lambda: decisions.send_back(actor, lid, m.version, "À corriger"),
        }
        self.attempt(lid, ok, calls[decision])

    # ------------------------------------------------------------- customs and bank
    @precondition(lambda self: self.licences)
    @rule(data=st.data(), share=st.sampled_from([Decimal("0.5"), Decimal("1"), Decimal("2")]),
          ref=st.sampled_from(["D1", "D2", "D3", "D4"]))
    def impute(self, data: st.DataObject, share: Decimal, ref: str) -> None:
        lid, m = self.pick(data, frozenset({"VISEE", "IMPUTEE_PARTIELLEMENT"}))
        if not m.goods:
            return
        gid = data.draw(st.sampled_from(sorted(m.goods)))
        qty, imputed = m.goods[gid]
        amount = (qty * share / 2).quantize(Decimal("0.001"))
        ok = (m.status in {"VISEE", "IMPUTEE_PARTIELLEMENT"} and ref not in m.refs
              and amount > 0 and imputed + amount <= qty)
        result = self.attempt(lid, ok, lambda: decisions.impute(
                self.users["douane"], lid, m.version, declaration_ref=ref,
                declaration_date=dt.date.today(), customs_office=header()["customs_office"],
                lines={gid: (str(amount), "10")}))
        if result:
            m.goods[gid] = (qty, imputed + amount)
            m.refs.add(ref)
            m.imputed_value += Decimal("10")
            (new,) = [i for i in result.imputations
                      if i.declaration_ref == ref and not i.is_reversed]
            m.imputations[new.id] = (ref, gid, amount, Decimal("10"))
            assert m.status == self.imputed_status(m)

    @staticmethod
    def imputed_status(m: Model) -> str:
        if not m.imputed_any:
            return "VISEE"
        done = all(q == i for q, i in m.goods.values())
        return "IMPUTEE_TOTALEMENT" if done else "IMPUTEE_PARTIELLEMENT"

    @precondition(lambda self: any(m.imputations for m in self.licences.values()))
    @rule(data=st.data(), by=st.sampled_from(["douane", "douane", "douane", "banque"]),
          reason=st.sampled_from(["Valeur mal saisie", "Mauvaise licence", " "]))
    def reverse_imputation(self, data: st.DataObject, by: str, reason: str) -> None:
        lid = data.draw(st.sampled_from(sorted(k for k, m in self.licences.items()
                                               if m.imputations)))
        m = self.licences[lid]
        imp_id = data.draw(st.sampled_from(sorted(m.imputations)))
        ref, gid, qty, value = m.imputations[imp_id]
        ok = (m.status in {"IMPUTEE_PARTIELLEMENT", "IMPUTEE_TOTALEMENT"} and by == "douane"
              and bool(reason.strip()))
        if self.attempt(lid, ok, lambda: decisions.reverse_imputation(
                self.users[by], lid, m.version, imp_id, reason)):
            del m.imputations[imp_id]
            licensed, imputed = m.goods[gid]
            m.goods[gid] = (licensed, imputed - qty)
            m.imputed_value -= value
            m.refs.discard(ref)
            assert m.status == self.imputed_status(m)

    @precondition(lambda self: any(m.proofs for m in self.licences.values()))
    @rule(data=st.data())
    def withdraw_repatriation(self, data: st.DataObject) -> None:
        lid = data.draw(st.sampled_from(sorted(k for k, m in self.licences.items() if m.proofs)))
        m = self.licences[lid]
        proof = data.draw(st.sampled_from(sorted(m.proofs)))
        ok = m.status in {"IMPUTEE_PARTIELLEMENT", "IMPUTEE_TOTALEMENT"}
        if self.attempt(lid, ok, lambda: decisions.withdraw_repatriation(
                self.users["banque"], lid, m.version, proof, "Erreur de licence")):
            m.repatriated -= m.proofs.pop(proof)

    @precondition(lambda self: self.licences)
    @rule(data=st.data(), amount=st.sampled_from(["10", "5.5"]))
    def repatriate(self, data: st.DataObject, amount: str) -> None:
        lid, m = self.pick(data, frozenset({"IMPUTEE_PARTIELLEMENT", "IMPUTEE_TOTALEMENT"}))
        ok = m.status in {"IMPUTEE_PARTIELLEMENT", "IMPUTEE_TOTALEMENT"}
        ref = f"R{self.events}"
        result = self.attempt(lid, ok, lambda: decisions.record_repatriation(
                self.users["banque"], lid, m.version, amount=amount,
                repatriation_date=dt.date.today(), bank_reference=ref, file_name="r.pdf",
                data=self.pdf))
        if result:
            m.repatriated += Decimal(amount)
            (new,) = [r for r in result.repatriations
                      if r.bank_reference == ref and not r.is_withdrawn]
            m.proofs[new.id] = Decimal(amount)

    @precondition(lambda self: self.licences)
    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        lid, m = self.pick(data, frozenset({"IMPUTEE_PARTIELLEMENT", "IMPUTEE_TOTALEMENT"}))
        # validity never ends within a run: only a total imputation can be settled
        ok = m.status == "IMPUTEE_TOTALEMENT" and m.repatriated >= m.imputed_value
        self.attempt(lid, ok, lambda: decisions.settle(self.users["banque"], lid, m.version))

    # ------------------------------------------------------------- invariants
    @invariant()
    def database_matches_the_model(self) -> None:
        if not self.licences:
            return
        with read_session() as s:
            assert s.scalar(select(func.count()).select_from(HistoryEvent)) == self.events
            rows = dict(s.execute(select(Licence.id, Licence.status)).all())
            numbers = list(s.scalars(select(Licence.registration_number)))
            over = s.execute(
                select(ImputationLine.goods_line_id, func.sum(ImputationLine.quantity))
                .join(Imputation, Imputation.id == ImputationLine.imputation_id)
                .where(Imputation.reversed_at.is_(None))
                .group_by(ImputationLine.goods_line_id)
            ).all()
            values = dict(s.execute(
                select(Imputation.licence_id, func.sum(ImputationLine.value))
                .join(ImputationLine, ImputationLine.imputation_id == Imputation.id)
                .where(Imputation.reversed_at.is_(None)).group_by(Imputation.licence_id)
            ).all())
            amounts = dict(s.execute(select(Licence.id, Licence.total_amount)).all())
        assert {k: v for k, v in rows.items()} == {k: m.status for k, m in self.licences.items()}
        assert len(numbers) == len(set(numbers))
        licensed = {gid: q for m in self.licences.values() for gid, (q, _) in m.goods.items()}
        for gid, total in over:
            assert Decimal(str(total)) <= licensed[gid]
        for lid, value in values.items():  # the imputed value never passes the licence's amount
            assert Decimal(str(value)).quantize(Decimal("0.01")) == self.licences[lid].imputed_value
            assert Decimal(str(value)) <= amounts[lid]
        stored, counted = stored_and_counted_status_counts()  # what the main screen reads
        assert stored == counted


@pytest.mark.slow
def test_lifecycle_state_machine(template_db: str, tmp_path: Path) -> None:
    LicenceMachine.template = template_db
    LicenceMachine.workdir = tmp_path
    run_state_machine_as_test(
        LicenceMachine,
        # No shrinking phase: on a database, shrinking a failure can take minutes; the failing
        # sequence is printed as it was found.
        settings=settings(max_examples=60, stateful_step_count=30, deadline=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much]),
    )
