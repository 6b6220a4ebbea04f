"""Seeded demo licences must look like licences the services could have produced: each history
follows the transition table event by event, under the roles the table allows, and the
imputations, repatriations, visas and registration numbers agree with it.

The seed writes through a bulk path that bypasses the services, so nothing else checks this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core import decisions, drafting, seed
from core.database import read_session
from core.lifecycle import ACTION_ROLES, SYSTEM, TRANSITIONS, Action, Role, Status
from core.models import (
    GoodsLine,
    HistoryEvent,
    Imputation,
    ImputationLine,
    Licence,
    RegistrationCounter,
    Repatriation,
    User,
    utcnow,
)
from core.records import Actor
from tests.conftest import fresh_database, visaed

# Two runs on the same database, in small chunks: numbering and ids must carry over both.
RUNS = ((260, 2026), (40, 7))
CHUNK = 64
NUMBER = re.compile(r"LE-(\d{4})-(\d{6})")
ZERO = Decimal("0")
# Statuses reached through the customs: they carry imputations, the others carry none.
THROUGH_CUSTOMS = frozenset({Status.PARTIALLY_IMPUTED, Status.FULLY_IMPUTED, Status.SETTLED})
VISA_HOLDERS = THROUGH_CUSTOMS | {Status.VISAED, Status.EXPIRED}
# The paths the demo must show: (status before, action, status after).
PATHS = {
    (None, Action.CREATE, Status.DRAFT),
    (Status.DRAFT, Action.EDIT, Status.DRAFT),
    (Status.DRAFT, Action.SUBMIT, Status.SUBMITTED),
    (Status.DRAFT, Action.CANCEL, Status.CANCELLED),
    (Status.SUBMITTED, Action.SEND_BACK, Status.DRAFT),
    (Status.SUBMITTED, Action.GRANT_VISA, Status.VISAED),
    (Status.SUBMITTED, Action.REFUSE, Status.REFUSED),
    (Status.VISAED, Action.CANCEL, Status.CANCELLED),
    (Status.VISAED, Action.EXPIRE, Status.EXPIRED),
    (Status.VISAED, Action.IMPUTE, Status.PARTIALLY_IMPUTED),
    (Status.VISAED, Action.IMPUTE, Status.FULLY_IMPUTED),
    (Status.PARTIALLY_IMPUTED, Action.IMPUTE, Status.FULLY_IMPUTED),
    (Status.PARTIALLY_IMPUTED, Action.RECORD_REPATRIATION, Status.PARTIALLY_IMPUTED),
    (Status.FULLY_IMPUTED, Action.RECORD_REPATRIATION, Status.FULLY_IMPUTED),
    (Status.FULLY_IMPUTED, Action.SETTLE, Status.SETTLED),
}


@dataclass(frozen=True)
class World:
    """Everything the seed wrote, read back as plain rows."""

    seeded_until: dt.datetime
    licences: dict[int, Any]
    events: dict[int, list[Any]]
    users: dict[int, Any]
    goods: dict[int, list[Any]]
    imputations: dict[int, list[Any]]  # reversed ones included
    imputed_lines: dict[int, list[Any]]  # licence id -> lines of the imputations in force
    repatriations: dict[int, list[Any]]  # withdrawn ones included
    counters: dict[int, int]


def _in_force(row: Any, column: str) -> bool:
    """Reversed imputations and withdrawn proofs stay on record but count for nothing."""
    return getattr(row, column, None) is None


def _group(rows: Any, key: str) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


@pytest.fixture(scope="module")
def world(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    _url, cleanup = fresh_database(template_db, Path(tmp_path_factory.mktemp("seed_history")))
    try:
        for count, rng_seed in RUNS:
            assert seed.seed_demo(count, seed=rng_seed, chunk=CHUNK, rounds=4) == count
        seeded_until = utcnow()
        with read_session() as s:
            licences = {r.id: r for r in s.execute(select(Licence.__table__))}
            events = _group(
                s.execute(
                    select(HistoryEvent.__table__).order_by(
                        HistoryEvent.licence_id, HistoryEvent.id
                    )
                ),
                "licence_id",
            )
            users = {
                r.id: r
                for r in s.execute(select(User.id, User.username, User.role, User.company_id))
            }
            goods = _group(
                s.execute(select(GoodsLine.__table__).order_by(GoodsLine.id)), "licence_id"
            )
            imputations = _group(
                s.execute(select(Imputation.__table__).order_by(Imputation.id)), "licence_id"
            )
            in_force = {
                i.id for rows in imputations.values() for i in rows if _in_force(i, "reversed_at")
            }
            imputed_lines = _group(
                (
                    line
                    for line in s.execute(
                        select(ImputationLine.__table__, Imputation.licence_id)
                        .join(Imputation, Imputation.id == ImputationLine.imputation_id)
                        .order_by(ImputationLine.id)
                    )
                    if line.imputation_id in in_force
                ),
                "licence_id",
            )
            repatriations = _group(
                s.execute(select(Repatriation.__table__).order_by(Repatriation.id)), "licence_id"
            )
            counters: dict[int, int] = {
                year: last
                for year, last in s.execute(
                    select(RegistrationCounter.year, RegistrationCounter.last_value)
                )
            }
            assert s.scalar(select(func.count()).select_from(Licence)) == sum(n for n, _ in RUNS)
    finally:
        cleanup()
    yield World(
        seeded_until,
        licences,
        events,
        users,
        goods,
        imputations,
        imputed_lines,
        repatriations,
        counters,
    )


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s), first ones:\n" + "\n".join(problems[:15])


# ------------------------------------------------------------------ coverage
def test_every_status_and_every_path_is_seeded(world: World) -> None:
    statuses = Counter(Status(r.status) for r in world.licences.values())
    assert set(statuses) == set(Status), statuses
    paths = {
        (
            Status(e.status_before) if e.status_before else None,
            Action(e.action),
            Status(e.status_after),
        )
        for history in world.events.values()
        for e in history
    }
    assert not PATHS - paths, PATHS - paths
    assert set(world.events) == set(world.licences)  # every licence has a history


# ------------------------------------------------------------------ histories
def test_histories_follow_the_transition_table(world: World) -> None:
    problems: list[str] = []
    for lid, lic in world.licences.items():
        history = world.events[lid]
        first = history[0]
        if not (
            first.action in (Action.CREATE, Action.COPY)
            and first.status_before is None
            and first.status_after == Status.DRAFT
        ):
            problems.append(
                f"{lid}: starts with {first.action} {first.status_before} -> {first.status_after}"
            )
        for e in history[1:]:
            before = Status(e.status_before) if e.status_before else None
            key = (before, Action(e.action))
            if key not in TRANSITIONS:
                problems.append(f"{lid} event {e.id}: {e.action} not allowed from {before}")
            elif e.status_after not in TRANSITIONS[key]:
                problems.append(
                    f"{lid} event {e.id}: {e.action} from {before} "
                    f"leads to {TRANSITIONS[key]}, not {e.status_after}"
                )
        for previous, e in pairwise(history):
            if e.status_before != previous.status_after:
                problems.append(
                    f"{lid} event {e.id}: starts from {e.status_before}, "
                    f"previous event left {previous.status_after}"
                )
        if history[-1].status_after != lic.status:
            problems.append(
                f"{lid}: history ends in {history[-1].status_after}, licence is {lic.status}"
            )
    assert not problems, _report(problems)


def test_events_are_done_by_the_roles_the_table_allows(world: World) -> None:
    problems: list[str] = []
    for lid, lic in world.licences.items():
        for e in world.events[lid]:
            action = Action(e.action)
            if e.role not in ACTION_ROLES[action]:
                problems.append(f"{lid} event {e.id}: {action} by role {e.role}")
            if e.role == SYSTEM:
                if (e.user_id, e.username) != (None, SYSTEM):
                    problems.append(f"{lid} event {e.id}: system event by {e.username}")
                continue
            user = world.users.get(e.user_id)
            if user is None or (user.username, user.role) != (e.username, e.role):
                problems.append(f"{lid} event {e.id}: {e.username}/{e.role} is not its user")
            elif user.role == Role.EXPORTER and user.company_id != lic.company_id:
                problems.append(f"{lid} event {e.id}: exporter of another company")
    assert not problems, _report(problems)


def test_timestamps_never_go_backwards(world: World) -> None:
    problems: list[str] = []
    for lid, lic in world.licences.items():
        history = world.events[lid]
        if history[0].occurred_at != lic.created_at:
            problems.append(
                f"{lid}: created {lic.created_at}, first event {history[0].occurred_at}"
            )
        for previous, e in pairwise(history):
            if e.occurred_at < previous.occurred_at:
                problems.append(
                    f"{lid} event {e.id} ({e.action}): {e.occurred_at} before "
                    f"{previous.occurred_at} ({previous.action})"
                )
        if history[-1].occurred_at > world.seeded_until:
            problems.append(f"{lid}: last event in the future ({history[-1].occurred_at})")
        if lic.updated_at < history[-1].occurred_at:
            problems.append(f"{lid}: updated {lic.updated_at} before its last event")
    assert not problems, _report(problems)


# ------------------------------------------------------------------ visas
def test_visa_data_comes_from_a_granted_visa(world: World) -> None:
    problems: list[str] = []
    for lid, lic in world.licences.items():
        actions = [e.action for e in world.events[lid]]
        has_visa = any(v is not None for v in (lic.visa_number, lic.visa_date, lic.validity_end))
        if has_visa and Action.GRANT_VISA not in actions:
            problems.append(f"{lid} ({lic.status}): visa data without a GRANT_VISA event")
        if lic.status in VISA_HOLDERS and not (
            lic.visa_number and lic.visa_date and lic.validity_end
        ):
            problems.append(f"{lid} ({lic.status}): visa data missing")
        if lic.status in THROUGH_CUSTOMS | {Status.EXPIRED} and Action.GRANT_VISA not in actions:
            problems.append(f"{lid} ({lic.status}): never visaed")
    numbers = Counter(r.visa_number for r in world.licences.values() if r.visa_number)
    problems += [f"visa number {n} on {c} licences" for n, c in numbers.items() if c > 1]
    assert not problems, _report(problems)


# ------------------------------------------------------------------ customs and bank
def test_imputations_match_the_status_and_the_goods(world: World) -> None:
    problems: list[str] = []
    for lid, lic in world.licences.items():
        status = Status(lic.status)
        imputations = world.imputations.get(lid, [])
        impute_events = [e for e in world.events[lid] if e.action == Action.IMPUTE]
        if len(imputations) != len(impute_events):
            problems.append(
                f"{lid}: {len(imputations)} imputations, {len(impute_events)} IMPUTE events"
            )
        in_force = [i for i in imputations if _in_force(i, "reversed_at")]
        if status in THROUGH_CUSTOMS and not in_force:
            problems.append(f"{lid} ({status}): no imputation")
        if status not in THROUGH_CUSTOMS and in_force:
            problems.append(f"{lid} ({status}): imputed")
        for imp in in_force:
            if lic.visa_date and imp.declaration_date < lic.visa_date:
                problems.append(f"{lid}: declaration {imp.declaration_ref} before the visa")
            if lic.validity_end and imp.declaration_date > lic.validity_end:
                problems.append(f"{lid}: declaration {imp.declaration_ref} after validity end")
        licensed = {g.id: g.quantity for g in world.goods.get(lid, [])}
        imputed: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for line in world.imputed_lines.get(lid, []):
            if line.goods_line_id not in licensed:
                problems.append(
                    f"{lid}: imputation line on goods line {line.goods_line_id} of another licence"
                )
            imputed[line.goods_line_id] += line.quantity
        for gid, quantity in licensed.items():
            if imputed[gid] > quantity:
                problems.append(f"{lid} goods line {gid}: {imputed[gid]} imputed of {quantity}")
        complete = all(imputed[gid] >= q for gid, q in licensed.items())
        if status in (Status.FULLY_IMPUTED, Status.SETTLED) and not complete:
            problems.append(f"{lid} ({status}): goods left to impute")
        if status == Status.PARTIALLY_IMPUTED and complete:
            problems.append(f"{lid} ({status}): every goods line fully imputed")
    assert not problems, _report(problems)


def test_repatriations_cover_settled_licences(world: World) -> None:
    problems: list[str] = []
    for lid, lic in world.licences.items():
        status = Status(lic.status)
        repatriations = world.repatriations.get(lid, [])
        events = [e for e in world.events[lid] if e.action == Action.RECORD_REPATRIATION]
        if len(repatriations) != len(events):
            problems.append(f"{lid}: {len(repatriations)} repatriations, {len(events)} events")
        if repatriations and status not in THROUGH_CUSTOMS:
            problems.append(f"{lid} ({status}): repatriation without imputation")
        imputed = sum((line.value for line in world.imputed_lines.get(lid, [])), ZERO)
        repatriated = sum((r.amount for r in repatriations if _in_force(r, "withdrawn_at")), ZERO)
        if status == Status.SETTLED and repatriated < imputed:
            problems.append(f"{lid}: settled with {repatriated} repatriated of {imputed}")
    assert not problems, _report(problems)


# ------------------------------------------------------------------ numbering
def test_registration_numbers_are_unique_and_gap_free_per_year(world: World) -> None:
    per_year: dict[int, list[int]] = defaultdict(list)
    problems: list[str] = []
    for lid, lic in world.licences.items():
        match = NUMBER.fullmatch(lic.registration_number)
        if match is None:
            problems.append(f"{lid}: number {lic.registration_number}")
            continue
        year, value = int(match[1]), int(match[2])
        if year != lic.created_at.year:
            problems.append(f"{lid}: number {lic.registration_number}, created {lic.created_at}")
        per_year[year].append(value)
    for year, values in per_year.items():
        if sorted(values) != list(range(1, len(values) + 1)):
            dupes = [v for v, c in Counter(values).items() if c > 1]
            missing = sorted(set(range(1, max(values) + 1)) - set(values))
            problems.append(f"{year}: duplicates {dupes[:5]}, gaps {missing[:5]}")
        if world.counters.get(year) != len(values):
            problems.append(f"{year}: counter {world.counters.get(year)}, {len(values)} numbers")
    assert not problems, _report(problems)


# ------------------------------------------------------------------ after the seed
def test_the_services_carry_on_after_the_seed(
    db_url: str, actors: dict[str, Actor], pdf: bytes
) -> None:
    """The seed gives ids and numbers itself: the services' next ones must not collide with it
    (on PostgreSQL, explicit ids leave the sequences behind unless the seed moves them)."""
    seed.seed_demo(40, rounds=4)
    year = utcnow().year
    with read_session() as s:
        last_number = s.scalar(
            select(RegistrationCounter.last_value).where(RegistrationCounter.year == year)
        )
        top_id = s.scalar(select(func.max(Licence.id)))
        settled = s.scalar(
            select(Licence.id)
            .where(
                Licence.status == Status.SETTLED,
                Licence.company_id == actors["exportateur"].company_id,
            )
            .limit(1)
        )
    assert top_id and settled

    lic = visaed(actors, quantity="10")
    lic = decisions.impute(
        actors["douane"],
        lic.id,
        lic.version,
        declaration_ref="DUM-APRES-DEMO",
        declaration_date=utcnow().date(),
        customs_office=lic.customs_office,
        lines={lic.goods[0].id: ("10", "500")},
    )
    lic = decisions.record_repatriation(
        actors["banque"],
        lic.id,
        lic.version,
        amount="500",
        repatriation_date=utcnow().date(),
        bank_reference="RAP-APRES-DEMO",
        file_name="avis.pdf",
        data=pdf,
    )
    lic = decisions.settle(actors["banque"], lic.id, lic.version)
    copy = drafting.copy_licence(actors["exportateur"], settled)

    assert lic.status == Status.SETTLED
    assert lic.id > top_id and copy.id > lic.id
    assert lic.registration_number == f"LE-{year}-{(last_number or 0) + 1:06d}"
    assert copy.registration_number == f"LE-{year}-{(last_number or 0) + 2:06d}"
