"""Concurrent users: numbers never handed out twice, writers wait instead of failing, and two
people saving the same version get one success and one clear conflict."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from core import drafting, reading
from core.errors import ConcurrentChange, DomainError
from core.records import Actor
from tests.conftest import header


def test_concurrent_creates_never_share_a_number(actors: dict[str, Actor]) -> None:
    users = [actors["exportateur"], actors["exportateur2"]]
    start = threading.Barrier(6)

    def create_many(n: int) -> list[str]:
        start.wait()
        return [drafting.create_licence(users[n % 2], header()).registration_number
                for _ in range(8)]

    with ThreadPoolExecutor(6) as pool:
        numbers = [num for batch in pool.map(create_many, range(6)) for num in batch]
    assert len(numbers) == 48 and len(set(numbers)) == 48
    sequence = sorted(int(n[-6:]) for n in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + 48))


def test_two_people_saving_the_same_version(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def save(country: str) -> None:
        start.wait()
        try:
            drafting.add_country(exp, lic.id, lic.version, country)
            outcomes.append("ok")
        except ConcurrentChange as exc:
            assert "modifiée entre-temps" in exc.message
            outcomes.append("conflit")
        except DomainError as exc:  # pragma: no cover - would be a wrong answer
            outcomes.append(exc.message)

    threads = [threading.Thread(target=save, args=(c,)) for c in ("FR", "ES")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflit", "ok"]
    after = reading.get_licence(exp, lic.id)
    assert len(after.countries) == 1 and after.version == lic.version + 1
    assert len(reading.history(exp, lic.id)) == 2


def test_many_concurrent_edits_of_different_licences_all_succeed(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    licences = [drafting.create_licence(exp, header()) for _ in range(6)]
    start = threading.Barrier(6)

    def edit(index: int) -> int:
        start.wait()
        lic = licences[index]
        for country in ("FR", "ES", "DE", "IT"):
            lic = drafting.add_country(exp, lic.id, lic.version, country)
        return len(lic.countries)

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(edit, range(6))) == [4] * 6
