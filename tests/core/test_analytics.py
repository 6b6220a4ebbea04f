"""The dashboard's figures against hand-computed expectations, on a small fixed world built
through the real services (then dated by SQL UPDATEs so that months and delays are exact).

The world, per licence (company A = exportateur, B = exportateur2; o = office, r = regime,
c1/c2 = two tariff chapters; submission and decision times in `moments` below):

- L1  A  0.10 EUR     o1 r1  FR      c1: 10               visa, 3.333 imputed
- L2  A  0.20 EUR     o1 r1  FR, ES  c1: 5, c2: 5, c1: 0.5  all imputed, settled
- L3  B  1000.55 USD  o2 r2  ES      c2: 2.5              refused
- L4  B  99.45 USD    o2 r1  DE      c1: 1                sent back, re-submitted, visa
- L8  A  1000.00 EUR  o2 r2  IT      c2: 7                visa, then cancelled
- L5  A  0.05 EUR     o2 r2  DE      c2: 3                submitted, waiting
- L6  A  500.00 EUR   o1 r1  US      c1: 1                draft, never submitted
- L7  B  7777.00 USD  o1 r1  GB      c1: 1                sent back, still a draft

Drafts (L6, L7) are never counted. March 2026 has no licence (an empty month between others).
Validity ends: L4 today + 10 days, L1 today + 45 days (near expiry within 30 / 60 days).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from core import access, analytics, decisions, drafting
from core.accounts import get_actor
from core.analytics import DashboardFilters as F
from core.database import dispose_engines, read_session, set_default_url, write_session
from core.errors import NotAllowed, ValidationFailed
from core.exports import tables
from core.files import tiny_pdf
from core.lifecycle import Status
from core.models import Licence, TariffCode
from core.records import Actor, LicenceDetail
from core.reference import code_list
from core.search import all_rows
from tests.conftest import PG_URL, _pg_admin

S = Status


@dataclass(frozen=True)
class World:
    url: str
    ids: dict[str, int]
    numbers: dict[str, str]
    actors: dict[str, Actor]
    offices: tuple[str, str]
    regimes: tuple[str, str]
    chapters: tuple[str, str]
    company_a: int
    company_b: int
    today: dt.date


def _tariffs() -> tuple[str, str, str]:
    """Two codes of one chapter and one code of another, none needing supplementary units."""
    with read_session() as s:
        codes = list(s.scalars(select(TariffCode.code).where(
            TariffCode.supplementary_unit.is_(None)).order_by(TariffCode.code)))
    first = codes[0]
    same = next(c for c in codes[1:] if c[:2] == first[:2])
    other = next(c for c in codes if c[:2] != first[:2])
    return first, same, other


def _licence(actor: Actor, *, amount: str, currency: str, office: str, regime: str,
             countries: list[str], goods: list[tuple[str, str]]) -> tuple[int, int]:
    lic = drafting.create_licence(actor, {
        "recipient": "Client", "total_amount": amount, "currency": currency,
        "customs_regime": regime, "customs_office": office, "incoterm": "FOB",
    })
    for code in countries:
        lic = drafting.add_country(actor, lic.id, lic.version, code)
    lic = drafting.add_invoice(actor, lic.id, lic.version, amount, dt.date(2026, 1, 5),
                               "facture.pdf", tiny_pdf(["Facture"]))
    for tariff, qty in goods:
        lic = drafting.add_goods_line(actor, lic.id, lic.version, designation="Marchandise",
                                      origin_country="MA", quantity=qty, net_weight="1",
                                      tariff_code=tariff)
    return lic.id, lic.version


def _build_world(url: str) -> World:
    actors = {n: get_actor(n) for n in ("exportateur", "exportateur2", "mce", "analyste",
                                        "douane", "banque", "admin")}
    a, b, mce = actors["exportateur"], actors["exportateur2"], actors["mce"]
    customs, bank = actors["douane"], actors["banque"]
    with read_session() as s:
        o1, o2 = list(code_list(s, "office"))[:2]
        r1, r2 = list(code_list(s, "regime"))[:2]
    t1, t1b, t2 = _tariffs()
    spec = {
        "L1": (a, "0.10", "EUR", o1, r1, ["FR"], [(t1, "10")]),
        "L2": (a, "0.20", "EUR", o1, r1, ["FR", "ES"], [(t1, "5"), (t2, "5"), (t1b, "0.5")]),
        "L3": (b, "1000.55", "USD", o2, r2, ["ES"], [(t2, "2.5")]),
        "L4": (b, "99.45", "USD", o2, r1, ["DE"], [(t1, "1")]),
        "L8": (a, "1000.00", "EUR", o2, r2, ["IT"], [(t2, "7")]),
        "L5": (a, "0.05", "EUR", o2, r2, ["DE"], [(t2, "3")]),
        "L6": (a, "500.00", "EUR", o1, r1, ["US"], [(t1, "1")]),
        "L7": (b, "7777.00", "USD", o1, r1, ["GB"], [(t1, "1")]),
    }
    ids: dict[str, int] = {}
    versions: dict[str, int] = {}
    for name, (actor, amount, cur, office, regime, countries, goods) in spec.items():
        ids[name], versions[name] = _licence(actor, amount=amount, currency=cur, office=office,
                                             regime=regime, countries=countries, goods=goods)

    def submit(name: str) -> int:
        actor = spec[name][0]
        return drafting.submit_for_visa(actor, ids[name], versions[name]).version

    def visa(name: str, version: int) -> LicenceDetail:
        return decisions.grant_visa(mce, ids[name], version, f"V-{name}")

    today = access.today()
    l1 = visa("L1", submit("L1"))
    goods1 = l1.goods[0].id
    decisions.impute(customs, l1.id, l1.version, declaration_ref="DUM-L1-1",
                    declaration_date=today, customs_office=o1,
                    lines={goods1: ("3.333", "0.03")})
    l2 = visa("L2", submit("L2"))
    l2 = decisions.impute(customs, l2.id, l2.version, declaration_ref="DUM-L2-1",
                         declaration_date=today, customs_office=o1,
                         lines={g.id: (str(g.quantity), "0.05") for g in l2.goods})
    assert l2.status == S.FULLY_IMPUTED
    l2 = decisions.record_repatriation(bank, l2.id, l2.version, amount="0.15",
                                      repatriation_date=today, bank_reference="RAP-L2",
                                      file_name="avis.pdf", data=tiny_pdf(["Avis"]))
    assert decisions.settle(bank, l2.id, l2.version).status == S.SETTLED
    decisions.refuse_visa(mce, ids["L3"], submit("L3"), "Pièces insuffisantes")
    l4 = decisions.send_back(mce, ids["L4"], submit("L4"), "Facture illisible")
    l4 = drafting.submit_for_visa(b, l4.id, l4.version)
    visa("L4", l4.version)
    l8 = visa("L8", submit("L8"))
    drafting.cancel_licence(a, l8.id, l8.version, "Commande annulée")
    submit("L5")
    decisions.send_back(mce, ids["L7"], submit("L7"), "Incomplet")

    moments = {
        "L1": ("2026-01-10 08:00", "2026-01-11 08:00"),
        "L2": ("2026-01-20 10:00", "2026-01-20 16:00"),
        "L3": ("2026-01-25 09:00", "2026-02-02 09:00"),
        "L4": ("2026-02-10 12:00", "2026-02-11 00:00"),
        "L8": ("2026-02-15 08:00", "2026-02-15 10:00"),
        "L5": ("2026-04-05 09:00", None),
        "L7": ("2026-02-20 09:00", "2026-02-21 09:00"),
    }
    ends = {"L4": today + dt.timedelta(days=10), "L1": today + dt.timedelta(days=45),
            "L2": today + dt.timedelta(days=5), "L8": today + dt.timedelta(days=3)}
    with write_session() as s:
        for name, (submitted, decided) in moments.items():
            values: dict[str, object] = {
                "submitted_at": dt.datetime.fromisoformat(submitted),
                "decided_at": dt.datetime.fromisoformat(decided) if decided else None,
            }
            if name in ends:
                values["validity_end"] = ends[name]
            s.execute(update(Licence).where(Licence.id == ids[name]).values(**values))
    with read_session() as s:
        numbers = dict(s.execute(select(Licence.id, Licence.registration_number)).all())
    return World(
        url, ids, {n: numbers[i] for n, i in ids.items()}, actors, (o1, o2), (r1, r2),
        (t1[:2], t2[:2]), a.company_id or 0, b.company_id or 0, today,
    )


@pytest.fixture(scope="module")
def world_db(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if PG_URL:
        name = f"eld_dash_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin(PG_URL)
        with admin.connect() as conn:
            conn.execute(text(
                f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template_db).database}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        target = tmp_path_factory.mktemp("analytics") / "world.sqlite3"
        shutil.copyfile(template_db, target)
        url = f"sqlite:///{target}"
    set_default_url(url)
    try:
        built = _build_world(url)
    finally:
        set_default_url(None)
    yield built
    dispose_engines()
    if PG_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world(world_db: World) -> Iterator[World]:
    set_default_url(world_db.url)
    yield world_db
    set_default_url(None)


def _analyst(w: World) -> Actor:
    return w.actors["analyste"]


EVERYTHING = F()


def _statuses(w: World, f: F = EVERYTHING, who: str = "analyste") -> dict[Status, int]:
    return {c.status: c.count for c in analytics.by_status(w.actors[who], f) if c.count}


# ------------------------------------------------------------------ counts and values
def test_by_status_counts_actioned_licences_only(world: World) -> None:
    counts = analytics.by_status(_analyst(world), F())
    assert [c.status for c in counts] == [s for s in Status if s != S.DRAFT]
    assert {c.status: c.count for c in counts} == {
        S.SUBMITTED: 1, S.VISAED: 1, S.REFUSED: 1, S.PARTIALLY_IMPUTED: 1,
        S.FULLY_IMPUTED: 0, S.SETTLED: 1, S.CANCELLED: 1, S.EXPIRED: 0,
    }
    assert counts[0].label == "Soumise pour visa MCE"


def test_value_by_currency_is_exact_and_never_adds_currencies(world: World) -> None:
    totals = analytics.value_by_currency(_analyst(world), F())
    # EUR: 0.10 + 0.20 + 1000.00 + 0.05 (the 500.00 draft excluded); USD: 1000.55 + 99.45
    # (the 7777.00 draft excluded). Two lines, one per currency, no grand total.
    assert [(t.currency, t.count, t.total) for t in totals] == [
        ("EUR", 4, Decimal("1000.35")), ("USD", 2, Decimal("1100.00"))]
    assert totals[0].name == "Euro"
    small = analytics.value_by_currency(
        _analyst(world), F(statuses=(S.PARTIALLY_IMPUTED, S.SETTLED)))
    assert [(t.currency, t.total) for t in small] == [("EUR", Decimal("0.30"))]
    assert str(small[0].total) == "0.30"  # not 0.30000000000000004


def test_monthly_by_status_by_submission_month(world: World) -> None:
    rows = analytics.monthly_by_status(_analyst(world), F())
    assert [(r.month, r.status, r.count) for r in rows] == [
        ("2026-01", S.REFUSED, 1), ("2026-01", S.PARTIALLY_IMPUTED, 1),
        ("2026-01", S.SETTLED, 1),
        ("2026-02", S.VISAED, 1), ("2026-02", S.CANCELLED, 1),
        ("2026-04", S.SUBMITTED, 1),
    ]
    table = analytics.monthly_table(rows)
    assert [m for m, _ in table] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert sum(table[2][1].values()) == 0  # March: an empty month, shown as zeros
    assert [sum(c.values()) for _, c in table] == [3, 2, 0, 1]
    assert analytics.month_label("2026-02") == "févr. 2026"
    assert analytics.month_range("2025-11", "2026-02") == [
        "2025-11", "2025-12", "2026-01", "2026-02"]


def test_top_countries_count_licences_per_destination(world: World) -> None:
    top = analytics.top_countries(_analyst(world), F())
    # FR: L1, L2; ES: L2, L3; DE: L4, L5; IT: L8. Ties by code. US, GB are drafts' only.
    assert [(c.code, c.count) for c in top] == [("DE", 2), ("ES", 2), ("FR", 2), ("IT", 1)]
    assert top[0].name == "Allemagne"
    assert [c.code for c in analytics.top_countries(_analyst(world), F(), n=2)] == ["DE", "ES"]


def test_top_chapters_count_each_licence_once(world: World) -> None:
    c1, c2 = world.chapters
    top = analytics.top_chapters(_analyst(world), F())
    # c1: L1, L2 (two lines), L4 -> 3 licences, 4 lines; c2: L2, L3, L8, L5 -> 4 and 4.
    assert [(c.chapter, c.licences, c.lines) for c in top] == [(c2, 4, 4), (c1, 3, 4)]


def test_by_office(world: World) -> None:
    o1, o2 = world.offices
    offices = analytics.by_office(_analyst(world), F())
    assert [(o.code, o.count) for o in offices] == [(o2, 4), (o1, 2)]
    assert all(o.label for o in offices)


# ------------------------------------------------------------------ delays and rates
def test_mce_processing_times_median_and_p90_per_month_of_decision(world: World) -> None:
    times = analytics.mce_processing_times(_analyst(world), F())
    # January decisions: L1 24 h, L2 6 h. February: L3 192 h (submitted in January), L4 12 h
    # (from its re-submission), L8 2 h (visaed, then cancelled: still a visa decision).
    # L5 waits; L7's send-back is no visa decision (and L7 is a draft).
    jan, feb = times.months
    assert (jan.month, jan.decided) == ("2026-01", 2)
    assert jan.median_hours == pytest.approx(15.0)      # 6 + 0.5 · (24 − 6)
    assert jan.p90_hours == pytest.approx(22.2)         # 6 + 0.9 · (24 − 6)
    assert (feb.month, feb.decided) == ("2026-02", 3)
    assert feb.median_hours == pytest.approx(12.0)      # [2, 12, 192]
    assert feb.p90_hours == pytest.approx(156.0)        # 12 + 0.8 · (192 − 12)
    overall = times.overall
    assert overall.decided == 5
    assert overall.median_hours == pytest.approx(12.0)  # [2, 6, 12, 24, 192]
    assert overall.p90_hours == pytest.approx(124.8)    # 24 + 0.6 · (192 − 24)
    # the definition is numpy's default (linear) and PostgreSQL's percentile_cont
    delays = [2, 6, 12, 24, 192]
    assert overall.p90_hours == pytest.approx(float(np.percentile(delays, 90)))
    assert feb.p90_hours == pytest.approx(float(np.percentile([2, 12, 192], 90)))


def test_processing_time_of_a_single_decision(world: World) -> None:
    times = analytics.mce_processing_times(_analyst(world), F(statuses=(S.REFUSED,)))
    (feb,) = times.months
    assert (feb.decided, feb.median_hours, feb.p90_hours) == (1, 192.0, 192.0)


def test_rates(world: World) -> None:
    r = analytics.rates(_analyst(world), F())
    assert (r.licences, r.decided, r.refused) == (6, 5, 1)
    assert r.refusal_rate == Decimal("0.2000")
    # L4 was sent back once and re-submitted; L7 (sent back, still a draft) is not counted.
    assert (r.sent_back, r.send_back_events) == (1, 1)
    assert r.send_back_rate == Decimal("0.1667")
    # L1: 3.333 of 10; L2: 10.5 of 10.5 -> 13.833 / 20.5
    assert (r.imputed_quantity, r.licensed_quantity) == (Decimal("13.833"), Decimal("20.500"))
    assert r.imputation_rate == Decimal("0.6748")
    assert (r.partially_imputed, r.fully_imputed, r.settled, r.imputed_licences) == (1, 0, 1, 2)
    assert r.settlement_rate == Decimal("0.5000")


def test_near_expiry(world: World) -> None:
    soon = analytics.near_expiry(_analyst(world), F())
    # L4 (visaed) ends in 10 days; L1 (partially imputed) in 45; L2 and L8 end sooner but are
    # settled and cancelled: nothing to export on them any more.
    assert soon.total == 1
    (row,) = soon.rows
    assert (row.registration_number, row.status, row.days_left) == (
        world.numbers["L4"], S.VISAED, 10)
    assert row.validity_end == world.today + dt.timedelta(days=10)
    assert row.company_name == "Souss Textile Export SA"
    later = analytics.near_expiry(_analyst(world), F(), days=60)
    assert [(r.registration_number, r.days_left) for r in later.rows] == [
        (world.numbers["L4"], 10), (world.numbers["L1"], 45)]


# ------------------------------------------------------------------ filters
def test_period_is_on_the_submission_date_both_days_included(world: World) -> None:
    feb = F(submitted_from=dt.date(2026, 2, 1), submitted_to=dt.date(2026, 2, 15))
    assert _statuses(world, feb) == {S.VISAED: 1, S.CANCELLED: 1}  # L4 (10/02), L8 (15/02)
    assert [(t.currency, t.total) for t in analytics.value_by_currency(_analyst(world), feb)] == [
        ("EUR", Decimal("1000.00")), ("USD", Decimal("99.45"))]
    assert _statuses(world, F(submitted_to=dt.date(2026, 1, 10))) == {S.PARTIALLY_IMPUTED: 1}


def test_an_empty_period_gives_zeros_and_empty_lists(world: World) -> None:
    empty = F(submitted_from=dt.date(2025, 3, 1), submitted_to=dt.date(2025, 3, 31))
    d = analytics.dashboard(_analyst(world), empty)
    assert d.total == 0 and all(c.count == 0 for c in d.by_status)
    assert d.value_by_currency == () and d.monthly_by_status == ()
    assert d.top_countries == () and d.top_chapters == () and d.by_office == ()
    assert d.processing.months == ()
    assert (d.processing.overall.decided, d.processing.overall.median_hours) == (0, None)
    r = d.rates
    assert (r.licences, r.decided, r.licensed_quantity) == (0, 0, Decimal("0.000"))
    assert r.refusal_rate is r.send_back_rate is r.imputation_rate is r.settlement_rate is None
    assert d.near_expiry.total == 0 and d.near_expiry.rows == ()
    assert analytics.monthly_table(d.monthly_by_status) == []
    book = load_workbook(io.BytesIO(tables.dashboard_xlsx(d)))
    assert book["Par statut"].max_row >= 4


@pytest.mark.parametrize(("filters", "expected"), [
    (F(currency="USD"), {S.REFUSED: 1, S.VISAED: 1}),
    (F(country="FR"), {S.PARTIALLY_IMPUTED: 1, S.SETTLED: 1}),
    (F(country="us"), {}),  # only a draft goes there
    (F(statuses=(S.REFUSED, S.SUBMITTED)), {S.REFUSED: 1, S.SUBMITTED: 1}),
    (F(statuses=(S.DRAFT,)), {}),  # drafts are never counted, even when asked for
])
def test_filters(world: World, filters: F, expected: dict[Status, int]) -> None:
    assert _statuses(world, filters) == expected


def test_office_regime_company_and_chapter_filters(world: World) -> None:
    o1, o2 = world.offices
    r1, r2 = world.regimes
    c1, c2 = world.chapters
    assert _statuses(world, F(customs_regime=r1)) == {
        S.PARTIALLY_IMPUTED: 1, S.SETTLED: 1, S.VISAED: 1}
    assert _statuses(world, F(customs_office=o1)) == {S.PARTIALLY_IMPUTED: 1, S.SETTLED: 1}
    assert _statuses(world, F(customs_regime=r2)) == {
        S.REFUSED: 1, S.CANCELLED: 1, S.SUBMITTED: 1}
    # company B: L3 and L4 (L7, its draft, is not counted)
    assert _statuses(world, F(company_id=world.company_b)) == {S.REFUSED: 1, S.VISAED: 1}
    assert _statuses(world, F(tariff_chapter=c1)) == {
        S.PARTIALLY_IMPUTED: 1, S.SETTLED: 1, S.VISAED: 1}
    # L2 has both chapters: with the filter on c1, its c2 line still shows in the chapters
    top = analytics.top_chapters(_analyst(world), F(tariff_chapter=c1))
    assert [(c.chapter, c.licences) for c in top] == [(c1, 3), (c2, 1)]
    both = F(customs_office=o2, currency="EUR", company_id=world.company_a)
    assert _statuses(world, both) == {S.CANCELLED: 1, S.SUBMITTED: 1}


@pytest.mark.parametrize(("filters", "field"), [
    (F(submitted_from=dt.date(2026, 3, 1), submitted_to=dt.date(2026, 2, 1)), "submitted_to"),
    (F(tariff_chapter="8"), "tariff_chapter"),
    (F(tariff_chapter="0805"), "tariff_chapter"),
    (F(currency="EURO"), "currency"),
    (F(country="FRA"), "country"),
    (F(statuses=("INCONNU",)), "statuses"),  # type: ignore[arg-type]  # a forged form value
])
def test_bad_filters_are_refused_in_french(world: World, filters: F, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        analytics.dashboard(_analyst(world), filters)
    assert field in caught.value.errors


# ------------------------------------------------------------------ who may see it
def test_mce_and_admin_see_the_same_figures(world: World) -> None:
    expected = analytics.dashboard(_analyst(world), F())
    for who in ("mce", "admin"):
        d = analytics.dashboard(world.actors[who], F())
        assert d.by_status == expected.by_status and d.rates == expected.rates


@pytest.mark.parametrize("who", ["exportateur", "exportateur2", "douane", "banque"])
def test_other_roles_are_refused(world: World, who: str) -> None:
    actor = world.actors[who]
    calls = [
        lambda: analytics.dashboard(actor, F()),
        lambda: analytics.by_status(actor, F()),
        lambda: analytics.value_by_currency(actor, F()),
        lambda: analytics.monthly_by_status(actor, F()),
        lambda: analytics.top_countries(actor, F()),
        lambda: analytics.top_chapters(actor, F()),
        lambda: analytics.by_office(actor, F()),
        lambda: analytics.mce_processing_times(actor, F()),
        lambda: analytics.rates(actor, F()),
        lambda: analytics.near_expiry(actor, F()),
        lambda: analytics.licence_rows(actor, F()),
        lambda: analytics.filter_options(actor),
    ]
    for call in calls:
        with pytest.raises(NotAllowed):
            call()


def test_a_forged_actor_claim_is_not_trusted(world: World) -> None:
    exporter = world.actors["exportateur"]
    forged = Actor(exporter.user_id, exporter.username, "analyste", exporter.company_id)
    with pytest.raises(NotAllowed):
        analytics.dashboard(forged, F())


# ------------------------------------------------------------------ dashboard and exports
def test_dashboard_holds_every_figure(world: World) -> None:
    d = analytics.dashboard(_analyst(world), F())
    assert d.total == 6
    assert d.by_status == analytics.by_status(_analyst(world), F())
    assert d.value_by_currency == analytics.value_by_currency(_analyst(world), F())
    assert d.monthly_by_status == analytics.monthly_by_status(_analyst(world), F())
    assert d.top_countries == analytics.top_countries(_analyst(world), F())
    assert d.top_chapters == analytics.top_chapters(_analyst(world), F())
    assert d.by_office == analytics.by_office(_analyst(world), F())
    assert d.processing == analytics.mce_processing_times(_analyst(world), F())
    assert d.rates == analytics.rates(_analyst(world), F())
    assert d.near_expiry == analytics.near_expiry(_analyst(world), F())
    assert set(d.timings_ms) >= {"by_status", "rates", "mce_processing_times"}


def _sheet(book: object, name: str) -> list[tuple[object, ...]]:
    ws = book[name]  # type: ignore[index]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_figures_workbook_has_one_sheet_per_figure_with_the_same_numbers(world: World) -> None:
    d = analytics.dashboard(_analyst(world), F(), expiry_days=60)
    book = load_workbook(io.BytesIO(tables.dashboard_xlsx(d)))
    assert book.sheetnames == [
        "Synthèse", "Par statut", "Valeur par devise", "Mensuel par statut",
        "Pays de destination", "Chapitres tarifaires", "Bureaux douaniers", "Délai MCE", "Taux",
        "Proches expiration"]
    currencies = _sheet(book, "Valeur par devise")
    assert ("EUR", "Euro", 4, 1000.35) in currencies
    assert ("USD", "Dollar américain", 2, 1100) in currencies
    assert book["Valeur par devise"]["D5"].number_format == "#,##0.00"
    statuses = {row[0]: row[1] for row in _sheet(book, "Par statut")[3:]}
    assert statuses["Refusée"] == 1 and statuses["Imputée totalement"] == 0
    monthly = _sheet(book, "Mensuel par statut")
    assert monthly[2][0] == "Mois" and monthly[2][-1] == "Total"
    assert [(row[0], row[-1]) for row in monthly[3:]] == [
        ("janv. 2026", 3), ("févr. 2026", 2), ("mars 2026", 0), ("avr. 2026", 1)]
    delays = _sheet(book, "Délai MCE")
    assert delays[-1][0] == "Toute la période"
    assert delays[-1][1:] == (5, 12, pytest.approx(124.8))
    rates = {row[0]: row[1:] for row in _sheet(book, "Taux")[3:]}
    assert rates["Refus / décisions de visa"] == (1, 5, 0.2)
    assert rates["Quantité imputée / quantité autorisée"] == (13.833, 20.5, 0.6748)
    expiring = _sheet(book, "Proches expiration")
    assert [row[0] for row in expiring[3:]] == [world.numbers["L4"], world.numbers["L1"]]
    assert expiring[3][3] == dt.datetime.combine(world.today + dt.timedelta(days=10),
                                                 dt.time.min)
    summary = _sheet(book, "Synthèse")
    assert ("Période (date de soumission)", "toutes", None) in summary
    assert ("Licences (soumises, hors brouillons)", 6, "licences") in summary
    assert ("Taux de refus", 0.2, "fraction") in summary


def test_licence_list_is_the_scope_of_the_figures(world: World) -> None:
    seen: list[tuple[int, int]] = []
    rows = analytics.licence_rows(_analyst(world), F(), progress=lambda d, t: seen.append((d, t)))
    assert {r.registration_number for r in rows} == {
        world.numbers[n] for n in ("L1", "L2", "L3", "L4", "L5", "L8")}
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    for filters in (F(), F(currency="USD"), F(tariff_chapter=world.chapters[0]),
                    F(country="ES", statuses=(S.REFUSED,)),
                    F(submitted_from=dt.date(2026, 2, 1), company_id=world.company_a)):
        mine = [r.id for r in analytics.licence_rows(_analyst(world), filters)]
        assert mine == [r.id for r in all_rows(_analyst(world), filters.to_search())]
        assert len(mine) == analytics.dashboard(_analyst(world), filters).total
    assert len(analytics.licence_rows(_analyst(world), F(), limit=2)) == 2


def test_licence_list_files(world: World) -> None:
    rows = analytics.licence_rows(_analyst(world), F(currency="USD"))
    seen: list[tuple[int, int]] = []
    data = tables.search_xlsx(rows, lambda d, t: seen.append((d, t)))
    sheet = load_workbook(io.BytesIO(data))["Licences"]
    numbers = {sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)}
    assert numbers == {world.numbers["L3"], world.numbers["L4"]}
    assert seen[-1] == (2, 2)
    csv = tables.search_csv(rows).decode("utf-8-sig")
    assert "1000,55" in csv and "99,45" in csv and csv.count("\r\n") == 3


# ------------------------------------------------------------------ the filter form's values
def test_the_dashboard_form_values_become_checked_filters() -> None:
    raw = {"submitted_from": dt.date(2026, 1, 1), "submitted_to": dt.date(2026, 3, 31),
           "statuses": ["VISEE", "APUREE"], "customs_office": "", "customs_regime": None,
           "currency": "EUR", "country": "", "tariff_chapter": "08", "company_id": None}
    assert analytics.parse_filters(raw) == F(
        submitted_from=dt.date(2026, 1, 1), submitted_to=dt.date(2026, 3, 31),
        statuses=(Status.VISAED, Status.SETTLED), currency="EUR", tariff_chapter="08")
    assert analytics.parse_filters({}) == F()


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"statuses": ["PIRATE"]}, "statuses", "Statut inconnu."),
    ({"statuses": "VISEE"}, "statuses", "Statut inconnu."),
    ({"tariff_chapter": "8"}, "tariff_chapter", "Chapitre tarifaire : deux chiffres (par exemple 08)."),
    ({"submitted_from": dt.date(2026, 5, 2), "submitted_to": dt.date(2026, 5, 1)},
     "submitted_to", "Période : la date de fin précède la date de début."),
    ({"currency": "EURO"}, "currency", "Devise : code ISO à trois lettres."),
])
def test_forged_dashboard_form_values_are_refused_in_french(raw: dict[str, object], field: str,
                                                             message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        analytics.parse_filters(raw)
    assert refused.value.errors[field] == message
