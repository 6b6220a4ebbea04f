"""Licence search through the real services: every filter, newest first, paging, visibility in SQL,
French messages for bad filters, and the index behind a number prefix.

One small "world" of licences is built once per module (it takes a couple of seconds) and only
read by the tests: search never writes unless a visa is due to expire, and none is here.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

from core import decisions, drafting
from core.accounts import get_actor
from core.database import dispose_engines, get_engine, read_session, set_default_url, write_session
from core.errors import ValidationFailed
from core.files import tiny_pdf
from core.lifecycle import Status
from core.models import Licence, RegistrationCounter, TariffCode
from core.records import Actor, LicenceRow, Page, SearchFilters
from core.reference import code_list
from core.search import all_rows, conditions, empty_form, latest, parse_filters, search
from tests.conftest import PG_URL, _pg_admin, complete_draft


@dataclass(frozen=True)
class World:
    url: str
    year: int
    ids: dict[str, int]          # name -> licence id
    numbers: dict[str, str]      # name -> registration number
    actors: dict[str, Actor]
    offices: tuple[str, str]
    regimes: tuple[str, str]
    tariffs: tuple[str, str]     # two codes that differ in their first four digits
    company_b: int

    def names(self, page: Page[LicenceRow] | list[LicenceRow]) -> list[str]:
        rows = page.rows if isinstance(page, Page) else page
        by_id = {v: k for k, v in self.ids.items()}
        return [by_id[r.id] for r in rows]


A_NAMES = {"a1", "a2", "a3", "a4"}
B_NAMES = {"b1", "b2", "b3"}
ACTIONED = {"a2", "a3", "b2", "b3"}  # submitted onward: what counterparties may see


def _tariffs() -> tuple[str, str]:
    with read_session() as s:
        codes = list(s.scalars(select(TariffCode.code).where(
            TariffCode.supplementary_unit.is_(None)).order_by(TariffCode.code)))
    first = codes[0]
    second = next(c for c in codes if c[:4] != first[:4])
    return first, second


def _licence(actor: Actor, *, recipient: str | None, amount: str, currency: str, office: str,
             regime: str, countries: list[str], tariff: str) -> tuple[int, int, str]:
    lic = drafting.create_licence(actor, {
        "recipient": recipient, "total_amount": amount, "currency": currency,
        "customs_regime": regime, "customs_office": office, "incoterm": "FOB",
    })
    for code in countries:
        lic = drafting.add_country(actor, lic.id, lic.version, code)
    lic = drafting.add_invoice(actor, lic.id, lic.version, amount, dt.date(2026, 1, 5),
                               "facture.pdf", tiny_pdf(["Facture"]))
    lic = drafting.add_goods_line(actor, lic.id, lic.version, designation="Marchandise",
                                  origin_country="MA", quantity="10", net_weight="100",
                                  tariff_code=tariff)
    return lic.id, lic.version, lic.registration_number


def _build_world(url: str) -> World:
    actors = {n: get_actor(n) for n in ("exportateur", "exportateur2", "mce", "analyste",
                                        "douane", "banque", "admin")}
    with read_session() as s:
        offices = tuple(list(code_list(s, "office"))[:2])
        regimes = tuple(list(code_list(s, "regime"))[:2])
    t1, t2 = _tariffs()
    year = dt.datetime.now(dt.UTC).year
    # Start numbering at 9 so that the prefix LE-YYYY-00000 matches a single licence.
    with write_session() as s:
        s.add(RegistrationCounter(year=year, last_value=8))
    exp_a, exp_b, mce = actors["exportateur"], actors["exportateur2"], actors["mce"]
    o1, o2 = offices
    r1, r2 = regimes
    spec = [  # name, actor, recipient, amount, currency, office, regime, countries, tariff, fate
        ("a1", exp_a, "Carrefour 100% Bio_Import", "1000.00", "EUR", o1, r1, ["FR"], t1, "draft"),
        ("a2", exp_a, "Fruits d'Europe GmbH", "5000.00", "USD", o2, r1, ["ES", "DE"], t2,
         "submit"),
        ("a3", exp_a, "CARREFOUR 100 pct BioXImport", "20000.00", "EUR", o1, r2, ["DE"], t1,
         "visa"),
        ("a4", exp_a, "Rungis Primeurs", "750.50", "MAD", o2, r2, ["IT"], t2, "send_back"),
        ("b1", exp_b, "Carrefour 100% Bio_Import", "1000.00", "EUR", o1, r1, ["FR"], t1, "draft"),
        ("b2", exp_b, "Tesco Stores Ltd", "9000.00", "GBP", o1, r1, ["ES"], t1, "submit"),
        ("b3", exp_b, "Nordic Fresh AB", "20000.00", "USD", o2, r2, ["DE"], t2, "visa"),
    ]
    ids: dict[str, int] = {}
    numbers: dict[str, str] = {}
    for name, actor, recipient, amount, cur, office, regime, countries, tariff, fate in spec:
        lid, version, number = _licence(actor, recipient=recipient, amount=amount, currency=cur,
                                        office=office, regime=regime, countries=countries,
                                        tariff=tariff)
        ids[name], numbers[name] = lid, number
        if fate == "draft":
            continue
        lic = drafting.submit_for_visa(actor, lid, version)
        if fate == "visa":
            decisions.grant_visa(mce, lid, lic.version, f"V-{name}")
        elif fate == "send_back":
            decisions.send_back(mce, lid, lic.version, "Facture illisible")
    # Dates chosen so that newest first is not the order of creation (ids).
    dates = {
        "a1": ("2026-01-10 08:00", None),
        "a2": ("2026-03-05 18:30", "2026-03-06 09:00"),
        "a3": ("2026-02-01 09:00", "2026-02-03 10:00"),
        "a4": ("2026-04-20 11:00", "2026-04-21 12:00"),
        "b1": ("2026-01-10 08:00", None),
        "b2": ("2026-03-10 10:00", "2026-03-11 10:00"),
        "b3": ("2026-02-02 10:00", "2026-02-04 23:59"),
    }
    with write_session() as s:
        for name, (created, submitted) in dates.items():
            s.execute(update(Licence).where(Licence.id == ids[name]).values(
                created_at=dt.datetime.fromisoformat(created),
                submitted_at=dt.datetime.fromisoformat(submitted) if submitted else None,
            ))
    return World(url, year, ids, numbers, actors, offices, regimes, (t1, t2),  # type: ignore[arg-type]
                 company_b=actors["exportateur2"].company_id or 0)


@pytest.fixture(scope="module")
def world_db(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if PG_URL:
        name = f"eld_search_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin(PG_URL)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template_db).database}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        target = tmp_path_factory.mktemp("search") / "world.sqlite3"
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


def _find(w: World, who: str, page: int = 1, page_size: int = 50, **filters: object) -> list[str]:
    result = search(w.actors[who], SearchFilters(**filters), page, page_size)  # type: ignore[arg-type]
    assert result.total == len(result.rows), "page_size 50 should hold every match"
    return w.names(result)


# ------------------------------------------------------------------ numbers
def test_exact_number_finds_one_licence_and_lower_case_is_accepted(world: World) -> None:
    number = world.numbers["a2"]
    assert number == f"LE-{world.year}-000010"
    assert _find(world, "exportateur", number=number) == ["a2"]
    assert _find(world, "exportateur", number=f"  {number.lower()} ") == ["a2"]
    assert _find(world, "mce", number=number) == ["a2"]
    # the other company gets nothing, not even a hint that the number exists
    assert _find(world, "exportateur2", number=number) == []


def test_number_prefix_is_a_range(world: World) -> None:
    y = world.year
    assert _find(world, "exportateur", number=f"LE-{y}-00000") == ["a1"]
    assert _find(world, "exportateur", number=f"le-{y}-00000") == ["a1"]
    assert sorted(_find(world, "exportateur", number=f"LE-{y}-00001")) == ["a2", "a3", "a4"]
    assert sorted(_find(world, "exportateur2", number=f"LE-{y}-00001")) == ["b1", "b2", "b3"]
    assert sorted(_find(world, "exportateur", number=f"LE-{y}-")) == sorted(A_NAMES)
    assert _find(world, "exportateur", number=f"LE-{y - 1}-") == []
    # a draft is no counterparty's business, even when the number is typed in full
    assert _find(world, "mce", number=f"LE-{y}-00000") == []
    assert _find(world, "mce", number=world.numbers["a1"]) == []


# ------------------------------------------------------------------ the other filters
def test_status_filter(world: World) -> None:
    exp = "exportateur"
    assert sorted(_find(world, exp, statuses=(Status.DRAFT,))) == ["a1", "a4"]
    assert sorted(_find(world, exp, statuses=(Status.SUBMITTED, Status.VISAED))) == ["a2", "a3"]
    assert _find(world, exp, statuses=(Status.SETTLED,)) == []
    assert _find(world, "mce", statuses=(Status.DRAFT,)) == []
    assert sorted(_find(world, "mce", statuses=(Status.VISAED,))) == ["a3", "b3"]


def test_creation_date_range_includes_both_end_days(world: World) -> None:
    exp = "exportateur"
    found = _find(world, exp, created_from=dt.date(2026, 2, 1), created_to=dt.date(2026, 3, 5))
    assert found == ["a2", "a3"]  # a2 at 18:30 on the last day, a3 at 09:00 on the first
    assert _find(world, exp, created_from=dt.date(2026, 3, 6)) == ["a4"]
    assert _find(world, exp, created_to=dt.date(2026, 1, 10)) == ["a1"]
    assert _find(world, exp, created_from=dt.date(2026, 1, 11),
                 created_to=dt.date(2026, 1, 31)) == []


def test_submission_date_range(world: World) -> None:
    found = _find(world, "mce", submitted_from=dt.date(2026, 2, 3),
                  submitted_to=dt.date(2026, 2, 4))
    assert found == ["b3", "a3"]  # b3 submitted at 23:59 on the last day
    assert _find(world, "mce", submitted_from=dt.date(2026, 3, 7)) == ["b2"]
    # never submitted: no submission date, so outside any submission range
    assert "a1" not in _find(world, "exportateur", submitted_to=dt.date(2026, 12, 31))


def test_recipient_is_a_case_insensitive_substring(world: World) -> None:
    assert sorted(_find(world, "exportateur", recipient="carrefour")) == ["a1", "a3"]
    assert sorted(_find(world, "exportateur", recipient="  CARREFOUR ")) == ["a1", "a3"]
    assert _find(world, "exportateur", recipient="europe") == ["a2"]
    assert _find(world, "exportateur", recipient="Nordic") == []  # b3's recipient


def test_recipient_wildcards_are_literal(world: World) -> None:
    # "%" and "_" would match "100 pct" and "BioXImport" if they reached LIKE unescaped
    assert _find(world, "exportateur", recipient="100%") == ["a1"]
    assert _find(world, "exportateur", recipient="Bio_Import") == ["a1"]
    assert _find(world, "exportateur", recipient="%") == ["a1"]
    assert _find(world, "exportateur", recipient="_") == ["a1"]
    assert _find(world, "exportateur", recipient="\\") == []


def test_currency_office_and_regime(world: World) -> None:
    (o1, o2), (_r1, r2) = world.offices, world.regimes
    assert _find(world, "exportateur", currency="usd") == ["a2"]
    assert sorted(_find(world, "mce", currency="USD")) == ["a2", "b3"]
    assert _find(world, "exportateur", currency="CHF") == []
    assert sorted(_find(world, "exportateur", customs_office=o2)) == ["a2", "a4"]
    assert sorted(_find(world, "exportateur", customs_office=o1)) == ["a1", "a3"]
    assert sorted(_find(world, "exportateur", customs_regime=r2)) == ["a3", "a4"]
    combined = _find(world, "exportateur", currency="EUR", customs_office=o1, customs_regime=r2,
                     statuses=(Status.VISAED,))
    assert combined == ["a3"]


def test_destination_country_lists_each_licence_once(world: World) -> None:
    page = search(world.actors["exportateur"], SearchFilters(country="de"), 1, 10)
    assert world.names(page) == ["a2", "a3"] and page.total == 2  # a2 goes to ES and DE
    assert _find(world, "exportateur", country="ES") == ["a2"]
    assert sorted(_find(world, "mce", country="DE")) == ["a2", "a3", "b3"]
    assert _find(world, "exportateur", country="JP") == []


def test_tariff_code_prefix(world: World) -> None:
    t1, t2 = world.tariffs
    assert sorted(_find(world, "exportateur", tariff_code=t1[:4])) == ["a1", "a3"]
    assert sorted(_find(world, "exportateur", tariff_code=f"{t2[:4]}.{t2[4:6]}")) == ["a2", "a4"]
    assert sorted(_find(world, "exportateur", tariff_code=f"{t1[:2]} {t1[2:]}")) == ["a1", "a3"]
    assert sorted(_find(world, "exportateur", tariff_code=t1)) == ["a1", "a3"]
    assert _find(world, "exportateur", tariff_code=t1 + "9") == []


def test_amount_range_is_inclusive(world: World) -> None:
    exp = "exportateur"
    found = _find(world, exp, amount_min=Decimal("1000"), amount_max=Decimal("5000"))
    assert found == ["a2", "a1"]
    assert _find(world, exp, amount_max=Decimal("750.49")) == []
    assert _find(world, exp, amount_max=Decimal("750.50")) == ["a4"]
    assert _find(world, exp, amount_min=Decimal("5000.01")) == ["a3"]


# ------------------------------------------------------------------ order and paging
def test_newest_first_by_creation_date_not_by_id(world: World) -> None:
    assert _find(world, "exportateur") == ["a4", "a2", "a3", "a1"]
    assert _find(world, "mce") == ["b2", "a2", "b3", "a3"]
    assert world.ids["a3"] > world.ids["a2"]  # so the order above is really the dates'


def test_paging(world: World) -> None:
    exp = world.actors["exportateur"]
    first = search(exp, SearchFilters(), page=1, page_size=2)
    second = search(exp, SearchFilters(), page=2, page_size=2)
    assert world.names(first) == ["a4", "a2"] and world.names(second) == ["a3", "a1"]
    assert (second.total, second.page, second.page_size, second.page_count) == (4, 2, 2, 2)
    assert search(exp, SearchFilters(), page=1, page_size=3).page_count == 2
    beyond = search(exp, SearchFilters(), page=3, page_size=2)
    assert beyond.rows == () and beyond.total == 4
    empty = search(exp, SearchFilters(currency="CHF"))
    assert empty.total == 0 and empty.page_count == 1
    # the rows carry what the list shows
    row = second.rows[0]
    assert row.registration_number == world.numbers["a3"] and row.status == Status.VISAED
    assert row.company_name == exp.company_name and row.total_amount == Decimal("20000.00")
    assert row.currency == "EUR" and row.validity_end is not None


# ------------------------------------------------------------------ visibility
def _every_filter(w: World) -> list[SearchFilters]:
    t1, t2 = w.tariffs
    return [
        SearchFilters(),
        SearchFilters(number=f"LE-{w.year}-"),
        SearchFilters(number=w.numbers["b1"]),
        SearchFilters(number=w.numbers["a1"]),
        SearchFilters(statuses=tuple(Status)),
        SearchFilters(statuses=(Status.DRAFT,)),
        SearchFilters(created_from=dt.date(2020, 1, 1), created_to=dt.date(2030, 1, 1)),
        SearchFilters(submitted_from=dt.date(2020, 1, 1)),
        SearchFilters(recipient="carrefour"),
        SearchFilters(recipient="a"),
        SearchFilters(currency="EUR"),
        SearchFilters(currency="USD"),
        SearchFilters(customs_office=w.offices[0]),
        SearchFilters(customs_office=w.offices[1]),
        SearchFilters(customs_regime=w.regimes[1]),
        SearchFilters(country="DE"),
        SearchFilters(country="FR"),
        SearchFilters(tariff_code=t1[:2]),
        SearchFilters(tariff_code=t2[:2]),
        SearchFilters(amount_min=Decimal("0.01")),
        SearchFilters(company_id=w.company_b),
        SearchFilters(actioned_only=True),
    ]


def test_an_exporter_never_sees_the_other_company(world: World) -> None:
    seen_a: set[str] = set()
    seen_b: set[str] = set()
    for f in _every_filter(world):
        a = world.names(search(world.actors["exportateur"], f, 1, 50))
        b = world.names(search(world.actors["exportateur2"], f, 1, 50))
        assert set(a) <= A_NAMES, (f, a)
        assert set(b) <= B_NAMES, (f, b)
        assert set(world.names(all_rows(world.actors["exportateur"], f))) == set(a)
        seen_a |= set(a)
        seen_b |= set(b)
    assert seen_a == A_NAMES and seen_b == B_NAMES  # the filters did find things
    # asking for company B's id explicitly does not widen exporter A's view
    assert _find(world, "exportateur", company_id=world.company_b) == []


@pytest.mark.parametrize("who", ["mce", "analyste", "douane", "banque", "admin"])
def test_counterparties_never_see_drafts(world: World, who: str) -> None:
    seen: set[str] = set()
    for f in _every_filter(world):
        page = search(world.actors[who], f, 1, 50)
        names = set(world.names(page))
        assert names <= ACTIONED, (f, names)  # a1, b1 and the sent-back a4 stay hidden
        assert all(r.status != Status.DRAFT for r in page.rows)
        seen |= names
    assert seen == ACTIONED


def test_latest_actioned_only(world: World) -> None:
    # Consulter's default list: ordered by the latest action (the world's actions ran in the
    # order a2 submitted, a3 visaed, ..., b2 submitted, b3 visaed), not by creation date.
    exp = latest(world.actors["exportateur"], 10, actioned_only=True)
    assert world.names(exp) == ["a3", "a2"]  # the sent-back draft a4 was submitted once: not shown
    assert all(r.status != Status.DRAFT and r.submitted_at is not None for r in exp.rows)
    assert world.names(latest(world.actors["exportateur"], 10)) == ["a4", "a2", "a3", "a1"]
    assert world.names(latest(world.actors["analyste"], 10, actioned_only=True)) == [
        "b3", "b2", "a3", "a2"]
    two = latest(world.actors["mce"], 2, actioned_only=True)
    assert world.names(two) == ["b3", "b2"] and two.total == 4


def test_latest_actioned_follows_the_latest_action(actors: dict[str, Actor]) -> None:
    """An old licence acted on now comes first in Consulter, whatever its creation date."""
    exp, mce = actors["exportateur"], actors["mce"]
    first = complete_draft(exp)
    first = drafting.submit_for_visa(exp, first.id, first.version)
    second = complete_draft(exp)
    second = drafting.submit_for_visa(exp, second.id, second.version)
    assert [r.id for r in latest(mce, 10, actioned_only=True).rows] == [second.id, first.id]
    decisions.grant_visa(mce, first.id, first.version, "V-OLD-1")  # the older one acted on
    assert [r.id for r in latest(mce, 10, actioned_only=True).rows] == [first.id, second.id]
    # Gestion's list stays by creation date
    assert [r.id for r in latest(exp, 10).rows] == [second.id, first.id]


def test_all_rows(world: World) -> None:
    assert world.names(all_rows(world.actors["mce"], SearchFilters())) == ["b2", "a2", "b3", "a3"]
    assert world.names(all_rows(world.actors["exportateur"], SearchFilters(currency="EUR"))) == [
        "a3", "a1"]
    assert world.names(all_rows(world.actors["exportateur2"], SearchFilters(), limit=2)) == [
        "b2", "b3"]
    with pytest.raises(ValidationFailed):
        all_rows(world.actors["mce"], SearchFilters(amount_min=Decimal(2), amount_max=Decimal(1)))


# ------------------------------------------------------------------ bad filters
@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"created_from": dt.date(2026, 3, 2), "created_to": dt.date(2026, 3, 1)},
         "created_to", "Date de création : la fin précède le début."),
        ({"submitted_from": dt.date(2026, 3, 2), "submitted_to": dt.date(2026, 3, 1)},
         "submitted_to", "Date de soumission : la fin précède le début."),
        ({"amount_min": Decimal("10"), "amount_max": Decimal("9.99")},
         "amount_max", "Montant : le maximum est inférieur au minimum."),
        ({"tariff_code": "08a5"}, "tariff_code", "Nomenclature : chiffres uniquement."),
        ({"tariff_code": "0805%"}, "tariff_code", "Nomenclature : chiffres uniquement."),
        ({"number": "LE-2026-" + "0" * 30}, "number", "Numéro : 20 caractères au plus."),
    ],
)
def test_bad_filters_are_refused_in_french(
    world: World, filters: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        search(world.actors["exportateur"], SearchFilters(**filters))  # type: ignore[arg-type]
    assert info.value.errors == {field: message}
    assert info.value.message == message


def test_several_bad_filters_are_reported_together(world: World) -> None:
    with pytest.raises(ValidationFailed) as info:
        search(world.actors["mce"], SearchFilters(
            created_from=dt.date(2026, 5, 2), created_to=dt.date(2026, 5, 1),
            amount_min=Decimal(5), amount_max=Decimal(1), tariff_code="abc"))
    assert set(info.value.errors) == {"created_to", "amount_max", "tariff_code"}


def test_equal_bounds_are_not_an_error(world: World) -> None:
    day = dt.date(2026, 3, 5)
    assert _find(world, "exportateur", created_from=day, created_to=day) == ["a2"]
    amount = Decimal("20000.00")
    assert _find(world, "exportateur", amount_min=amount, amount_max=amount) == ["a3"]


# ------------------------------------------------------------------ the search form's values
def test_the_form_values_become_filters() -> None:
    raw = {**empty_form(), "number": "  le-2026-0001 ", "statuses": ["VISEE"],
           "recipient": " Fruits ", "created_from": dt.date(2026, 3, 1),
           "created_to": dt.datetime(2026, 3, 31, 12, 0), "currency": "EUR",
           "tariff_code": " 0805 ", "amount_min": "1 250,5", "amount_max": "20000"}
    filters = parse_filters(raw, actioned_only=True)
    assert filters == SearchFilters(
        number="le-2026-0001", statuses=(Status.VISAED,), recipient="Fruits",
        created_from=dt.date(2026, 3, 1), created_to=dt.date(2026, 3, 31), currency="EUR",
        tariff_code="0805", amount_min=Decimal("1250.50"), amount_max=Decimal("20000.00"),
        actioned_only=True)


def test_an_empty_form_is_no_filter() -> None:
    assert parse_filters(empty_form(), actioned_only=False) == SearchFilters()
    assert parse_filters({}, actioned_only=True) == SearchFilters(actioned_only=True)


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"statuses": ["VISEE", "PERDUE"]}, "statuses", "Statut inconnu."),
        ({"statuses": "VISEE"}, "statuses", "Statut inconnu."),
        ({"created_from": "2026-03-01"}, "created_from", "Date de création : date invalide."),
        ({"submitted_to": dt.date(1900, 1, 1)}, "submitted_to",
         "Date de soumission : date hors limites (du 01/01/1990 au 31/12/2100)."),
        ({"created_from": dt.date(2026, 3, 2), "created_to": dt.date(2026, 3, 1)},
         "created_to", "Date de création : la fin précède le début."),
        ({"amount_min": "douze"}, "amount_min", "Montant min : nombre attendu (ex. 1250,50)."),
        ({"amount_max": "-3"}, "amount_max", "Montant max : doit être positif ou nul."),
        ({"amount_min": "1,234"}, "amount_min", "Montant min : au plus 2 décimales."),
        ({"amount_min": "10", "amount_max": "9,99"}, "amount_max",
         "Montant : le maximum est inférieur au minimum."),
        ({"number": 12}, "number", "Numéro : texte attendu."),
        ({"number": "LE 2026"}, "number",
         "Numéro : lettres, chiffres et tirets uniquement (ex. LE-2026-000123)."),
        ({"recipient": "a\u202eb"}, "recipient",
         "Destinataire : caractères de contrôle ou de sens d'écriture interdits."),
        ({"currency": "EURO"}, "currency", "Devise : code ISO à trois lettres."),
        ({"country": "FRA"}, "country", "Pays : code ISO à deux lettres."),
        ({"customs_office": "3 01"}, "customs_office", "Bureau douanier : code inconnu."),
        ({"tariff_code": "08a5"}, "tariff_code", "Nomenclature : chiffres uniquement."),
    ],
)
def test_bad_form_values_are_refused_in_french(raw: dict[str, object], field: str,
                                               message: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_filters(raw, actioned_only=False)
    assert info.value.errors == {field: message}


def test_every_bad_form_value_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_filters({"amount_min": "abc", "amount_max": "5", "statuses": ["?"],
                       "submitted_from": dt.date(2026, 5, 2),
                       "submitted_to": dt.date(2026, 5, 1), "tariff_code": "x"},
                      actioned_only=False)
    assert info.value.errors == {
        "amount_min": "Montant min : nombre attendu (ex. 1250,50).",
        "statuses": "Statut inconnu.",
        "submitted_to": "Date de soumission : la fin précède le début.",
        "tariff_code": "Nomenclature : chiffres uniquement.",
    }


# ------------------------------------------------------------------ the index
def _registration_indexes(conn: object) -> set[str]:
    names = set()
    for row in conn.exec_driver_sql("PRAGMA index_list(licences)"):  # type: ignore[attr-defined]
        cols = [r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info('{row[1]}')")]  # type: ignore[attr-defined]
        if cols and cols[0] == "registration_number":
            names.add(row[1])
    return names


def test_number_prefix_uses_the_index_and_no_like(db_url: str) -> None:
    stmt = select(Licence.id).where(*conditions(SearchFilters(number="LE-2026-0001")))
    engine = get_engine()
    sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    assert "LIKE" not in sql.upper()
    assert "'LE-2026-0001'" in sql and "'LE-2026-0002'" in sql  # >= p AND < p_next
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            indexes = _registration_indexes(conn)
            assert indexes, "registration_number has no index"
            plan = " | ".join(str(r[3]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "LIKE" not in plan.upper()
            assert any(f"INDEX {name}" in plan for name in indexes), plan
            assert "registration_number>" in plan and "registration_number<" in plan, plan
        else:
            plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "licences" in plan
            assert conn.execute(stmt).all() == []


def test_prefix_search_runs_on_this_engine(db_url: str, actors: dict[str, Actor]) -> None:
    lic = drafting.create_licence(actors["exportateur"], {
        "recipient": None, "total_amount": "10", "currency": "EUR",
        "customs_regime": _first("regime"), "customs_office": _first("office"), "incoterm": "FOB",
    })
    prefix = lic.registration_number[:-1]
    with read_session() as s:
        found = s.scalars(select(Licence.id).where(*conditions(SearchFilters(number=prefix))))
        assert list(found) == [lic.id]
        total = s.scalar(select(func.count()).select_from(Licence))
    assert total == 1
    page = search(actors["exportateur"], SearchFilters(number=prefix.lower()))
    assert [r.id for r in page.rows] == [lic.id]


def _first(list_name: str) -> str:
    with read_session() as s:
        return next(iter(code_list(s, list_name)))

