"""The use cases on a real database: what the user sees and what the database holds."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core import changes, decisions, drafting, reading
from core.access import today
from core.database import read_session, write_session
from core.errors import ConcurrentChange, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from core.lifecycle import Status
from core.models import HistoryEvent, Licence, StoredFile
from core.records import Actor
from tests.conftest import complete_draft, first_tariff, header, visaed


def _count(model: type) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_create_assigns_the_next_number_and_logs_it(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    a = drafting.create_licence(exp, header())
    b = drafting.create_licence(exp, header(recipient=None))
    year = dt.datetime.now(dt.UTC).year
    assert re.fullmatch(rf"LE-{year}-\d{{6}}", a.registration_number)
    assert int(b.registration_number[-6:]) == int(a.registration_number[-6:]) + 1
    assert a.status == Status.DRAFT and a.category == "LE" and a.payment_terms == "VF"
    assert a.total_amount == Decimal("12500.50")
    assert a.missing == (
        "Au moins un pays de destination doit être renseigné.",
        "Au moins une facture doit être ajoutée.",
        "Au moins une marchandise est requise.",
    )
    rows = reading.history(exp, a.id)
    assert [(r.action, r.status_after) for r in rows] == [("CREER", Status.DRAFT)]


def test_submit_refused_with_the_full_list_of_what_is_missing(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    lic = drafting.add_country(exp, lic.id, lic.version, "ES")
    with pytest.raises(ValidationFailed) as info:
        drafting.submit_for_visa(exp, lic.id, lic.version)
    assert "facture" in info.value.message and "marchandise" in info.value.message
    assert "pays" not in info.value.message
    assert reading.get_licence(exp, lic.id).status == Status.DRAFT


def test_full_circuit_to_settled(actors: dict[str, Actor], pdf: bytes) -> None:
    exp, mce, dou, bank = (actors[n] for n in ("exportateur", "mce", "douane", "banque"))
    lic = complete_draft(exp, quantity="10", lines=2)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    assert lic.status == Status.SUBMITTED
    lic = decisions.grant_visa(mce, lic.id, lic.version, "V-1")
    assert lic.status == Status.VISAED and lic.validity_end and lic.validity_end > lic.visa_date
    g1, g2 = lic.goods
    today = dt.datetime.now(dt.UTC).date()
    lic = decisions.impute(dou, lic.id, lic.version, declaration_ref="dum-1",
                          declaration_date=today, customs_office=lic.customs_office,
                          lines={g1.id: ("4", "400.10"), g2.id: ("10", "1000")})
    assert lic.status == Status.PARTIALLY_IMPUTED
    assert [g.remaining_quantity for g in lic.goods] == [Decimal("6"), Decimal("0")]
    with pytest.raises(ValidationFailed, match="dépasse le reste"):
        decisions.impute(dou, lic.id, lic.version, declaration_ref="DUM-2",
                        declaration_date=today, customs_office=lic.customs_office,
                        lines={g1.id: ("6.001", "1")})
    with pytest.raises(ValidationFailed, match="déjà imputée"):
        decisions.impute(dou, lic.id, lic.version, declaration_ref="DUM-1",
                        declaration_date=today, customs_office=lic.customs_office,
                        lines={g1.id: ("1", "1")})
    lic = decisions.impute(dou, lic.id, lic.version, declaration_ref="DUM-2",
                          declaration_date=today, customs_office=lic.customs_office,
                          lines={g1.id: ("6", "600.45")})
    assert lic.status == Status.FULLY_IMPUTED
    assert lic.imputed_value == Decimal("2000.55")
    lic = decisions.record_repatriation(bank, lic.id, lic.version, amount="2000.54",
                                       repatriation_date=today, bank_reference="R1",
                                       file_name="avis.pdf", data=pdf)
    with pytest.raises(NotAllowed, match="insuffisant"):
        decisions.settle(bank, lic.id, lic.version)
    lic = decisions.record_repatriation(bank, lic.id, lic.version, amount="0.01",
                                       repatriation_date=today, bank_reference="R2",
                                       file_name="avis2.pdf", data=pdf)
    lic = decisions.settle(bank, lic.id, lic.version)
    assert lic.status == Status.SETTLED
    actions = [r.action for r in reading.history(exp, lic.id)]
    assert actions[-7:] == ["SOUMETTRE", "ACCORDER_VISA", "IMPUTER", "IMPUTER", "RAPATRIER",
                            "RAPATRIER", "APURER"]


def test_roles_cannot_do_each_others_work(actors: dict[str, Actor]) -> None:
    lic = complete_draft(actors["exportateur"])
    lic = drafting.submit_for_visa(actors["exportateur"], lic.id, lic.version)
    with pytest.raises(NotAllowed):
        decisions.grant_visa(actors["douane"], lic.id, lic.version, "V")
    lic = decisions.grant_visa(actors["mce"], lic.id, lic.version, "V")
    with pytest.raises(NotAllowed):
        decisions.impute(actors["mce"], lic.id, lic.version, declaration_ref="D",
                        declaration_date=dt.date.today(), customs_office=lic.customs_office,
                        lines={lic.goods[0].id: ("1", "1")})
    assert reading.get_licence(actors["mce"], lic.id).status == Status.VISAED


def test_nothing_changes_while_awaiting_the_mce(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = complete_draft(exp)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    for call in (
        lambda: drafting.add_country(exp, lic.id, lic.version, "DE"),
        lambda: drafting.update_header(exp, lic.id, lic.version, header()),
        lambda: drafting.cancel_licence(exp, lic.id, lic.version, "plus besoin"),
        lambda: drafting.remove_goods_line(exp, lic.id, lic.version, lic.goods[0].id),
    ):
        with pytest.raises(InvalidTransition, match="Soumise pour visa MCE"):
            call()
    assert reading.get_licence(exp, lic.id).version == lic.version


def test_send_back_then_modify_after_visa(actors: dict[str, Actor]) -> None:
    exp, mce = actors["exportateur"], actors["mce"]
    lic = complete_draft(exp)
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    with pytest.raises(ValidationFailed, match="Motif"):
        decisions.send_back(mce, lic.id, lic.version, "  ")
    lic = decisions.send_back(mce, lic.id, lic.version, "Facture illisible")
    assert lic.status == Status.DRAFT and lic.correction_reason == "Facture illisible"
    lic = drafting.submit_for_visa(exp, lic.id, lic.version)
    lic = decisions.grant_visa(mce, lic.id, lic.version, "V-9")
    lic = drafting.request_modification(exp, lic.id, lic.version, "Quantité revue")
    assert lic.status == Status.DRAFT and lic.revision == 1 and lic.visa_number is None


def test_no_modification_or_cancellation_after_imputation(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    lic = decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="D1",
                          declaration_date=dt.date.today(), customs_office=lic.customs_office,
                          lines={lic.goods[0].id: ("1", "10")})
    with pytest.raises(InvalidTransition):
        drafting.request_modification(actors["exportateur"], lic.id, lic.version, "x")
    with pytest.raises(InvalidTransition):
        drafting.cancel_licence(actors["exportateur"], lic.id, lic.version, "x")


def test_expiry_applies_on_read(actors: dict[str, Actor]) -> None:
    lic = visaed(actors)
    with write_session() as s:
        s.execute(text("UPDATE licences SET validity_end = :d WHERE id = :i"),
                  {"d": dt.date.today() - dt.timedelta(days=1), "i": lic.id})
    seen = reading.get_licence(actors["douane"], lic.id)
    assert seen.status == Status.EXPIRED
    rows = reading.history(actors["exportateur"], lic.id)
    assert rows[-1].action == "EXPIRER" and rows[-1].username == "systeme"
    with pytest.raises(InvalidTransition):
        decisions.impute(actors["douane"], lic.id, seen.version, declaration_ref="D",
                        declaration_date=dt.date.today(), customs_office=lic.customs_office,
                        lines={lic.goods[0].id: ("1", "1")})


def test_partial_settlement_waits_for_validity_end(actors: dict[str, Actor], pdf: bytes) -> None:
    lic = visaed(actors, quantity="10")
    lic = decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="D1",
                          declaration_date=dt.date.today(), customs_office=lic.customs_office,
                          lines={lic.goods[0].id: ("3", "0.10")})
    lic = decisions.record_repatriation(actors["banque"], lic.id, lic.version, amount="0.10",
                                       repatriation_date=dt.date.today(), bank_reference="R",
                                       file_name="a.pdf", data=pdf)
    with pytest.raises(NotAllowed, match="attend la fin de sa validité"):
        decisions.settle(actors["banque"], lic.id, lic.version)
    with write_session() as s:
        s.execute(text("UPDATE licences SET validity_end = :d WHERE id = :i"),
                  {"d": dt.date.today() - dt.timedelta(days=1), "i": lic.id})
    lic = reading.get_licence(actors["banque"], lic.id)
    assert lic.status == Status.PARTIALLY_IMPUTED  # imputed licences never expire
    assert decisions.settle(actors["banque"], lic.id, lic.version).status == Status.SETTLED


def test_stale_version_is_a_conflict_and_nothing_is_lost(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    first = drafting.add_country(exp, lic.id, lic.version, "FR")   # user 1, from version 1
    with pytest.raises(ConcurrentChange):
        drafting.add_country(exp, lic.id, lic.version, "ES")       # user 2, also from version 1
    now = reading.get_licence(exp, lic.id)
    assert [c.code for c in now.countries] == ["FR"] and now.version == first.version


def test_other_company_can_neither_see_nor_change(actors: dict[str, Actor], pdf: bytes) -> None:
    mine = complete_draft(actors["exportateur"])
    other = actors["exportateur2"]
    attempts = [
        lambda: reading.get_licence(other, mine.id),
        lambda: reading.history(other, mine.id),
        lambda: drafting.add_country(other, mine.id, mine.version, "DE"),
        lambda: drafting.update_header(other, mine.id, mine.version, header()),
        lambda: drafting.add_invoice(other, mine.id, mine.version, "1", dt.date.today(),
                                     "f.pdf", pdf),
        lambda: drafting.remove_country(other, mine.id, mine.version, mine.countries[0].id),
        lambda: drafting.submit_for_visa(other, mine.id, mine.version),
        lambda: drafting.cancel_licence(other, mine.id, mine.version, "x"),
        lambda: drafting.copy_licence(other, mine.id),
        lambda: reading.file_content(other, mine.id, mine.invoices[0].file.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    # counterparties do not see drafts either
    with pytest.raises(NotFound):
        reading.get_licence(actors["mce"], mine.id)
    assert reading.get_licence(actors["exportateur"], mine.id).version == mine.version


def test_forged_child_id_of_another_licence_is_refused(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    a, b = complete_draft(exp), complete_draft(exp)
    with pytest.raises(NotFound):
        drafting.remove_country(exp, a.id, a.version, b.countries[0].id)
    assert len(reading.get_licence(exp, b.id).countries) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("total_amount", "-5", "supérieur à 0"),
        ("total_amount", "0", "supérieur à 0"),
        ("total_amount", "1e15", "nombre attendu"),
        ("total_amount", "1000000000000", "trop grande"),
        ("total_amount", "12.345", "2 décimales"),
        ("total_amount", "abc", "nombre attendu"),
        ("currency", "XYZ", "inconnue"),
        ("incoterm", "FOO", "inconnue"),
        ("customs_office", "999999", "inconnue"),
        ("recipient", "x" * 201, "200 caractères"),
        ("recipient", "bad\x00name", "contrôle"),
    ],
)
def test_bad_header_is_refused_in_french(
    actors: dict[str, Actor], field: str, value: str, message: str
) -> None:
    before = _count(Licence)
    with pytest.raises(ValidationFailed) as info:
        drafting.create_licence(actors["exportateur"], header(**{field: value}))
    assert field in info.value.errors and message in info.value.errors[field]
    assert _count(Licence) == before


def test_unknown_tariff_code_and_bad_goods(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    with pytest.raises(ValidationFailed) as info:
        drafting.add_goods_line(exp, lic.id, lic.version, designation="", origin_country="ZZ",
                                quantity="-1", net_weight="1.0001", tariff_code="0000000000")
    assert set(info.value.errors) == {"designation", "origin_country", "quantity", "net_weight",
                                      "tariff_code"}
    assert reading.get_licence(exp, lic.id).goods == ()


def test_morocco_is_not_a_destination_and_no_duplicates(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    with pytest.raises(ValidationFailed):
        drafting.add_country(exp, lic.id, lic.version, "MA")
    lic = drafting.add_country(exp, lic.id, lic.version, "FR")
    with pytest.raises(ValidationFailed, match="déjà"):
        drafting.add_country(exp, lic.id, lic.version, "fr")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("faux.pdf", b"MZ\x90\x00 this is an exe", "Seuls les documents PDF"),
        ("vide.pdf", b"", "vide"),
        ("casse.pdf", b"%PDF-1.4\n garbage", "illisible"),
        ("gros.pdf", b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024 - 8), "3 Mo"),
    ],
)
def test_bad_files_are_refused_and_nothing_stored(
    actors: dict[str, Actor], name: str, data: bytes, message: str
) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    files = _count(StoredFile)
    with pytest.raises(ValidationFailed, match=message):
        drafting.add_invoice(exp, lic.id, lic.version, "10", dt.date.today(), name, data)
    assert _count(StoredFile) == files
    assert reading.get_licence(exp, lic.id).invoices == ()


def test_exactly_three_megabytes_is_accepted(actors: dict[str, Actor]) -> None:
    from core.files import tiny_pdf

    exp = actors["exportateur"]
    base = tiny_pdf(["gros"])
    data = base + b"%" * (3 * 1024 * 1024 - len(base))
    assert len(data) == 3 * 1024 * 1024
    lic = drafting.create_licence(exp, header())
    lic = drafting.add_invoice(exp, lic.id, lic.version, "10", dt.date.today(),
                               "../../etc/Facture été.PDF", data)
    assert lic.invoices[0].file.file_name == "Facture_ete.pdf"
    assert lic.invoices[0].file.size == 3 * 1024 * 1024
    _name, stored = reading.file_content(exp, lic.id, lic.invoices[0].file.id)
    assert stored == data


def test_future_invoice_date_refused(actors: dict[str, Actor], pdf: bytes) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    with pytest.raises(ValidationFailed, match="futur"):
        drafting.add_invoice(exp, lic.id, lic.version, "10",
                             dt.date.today() + dt.timedelta(days=2), "f.pdf", pdf)


def test_rollback_when_a_multi_row_save_fails_midway(
    actors: dict[str, Actor], pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    files, events = _count(StoredFile), _count(HistoryEvent)

    def boom(*_: object) -> None:
        raise RuntimeError("panne simulée")

    # fails after the file and the invoice rows are written, while the history is being built
    monkeypatch.setattr(changes, "invoice_fields", boom)
    with pytest.raises(RuntimeError):
        drafting.add_invoice(exp, lic.id, lic.version, "10", dt.date.today(), "f.pdf", pdf)
    monkeypatch.undo()
    assert _count(StoredFile) == files and _count(HistoryEvent) == events
    after = reading.get_licence(exp, lic.id)
    assert after.invoices == () and after.version == lic.version


def test_rollback_of_an_imputation(actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
                                   ) -> None:
    lic = visaed(actors)
    # fails after the imputation and its lines are added and the status moved
    monkeypatch.setattr(changes, "changes", lambda triples: (_ for _ in ()).throw(OSError()))
    with pytest.raises(OSError):
        decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="D1",
                        declaration_date=dt.date.today(), customs_office=lic.customs_office,
                        lines={lic.goods[0].id: ("1", "1")})
    monkeypatch.undo()
    after = reading.get_licence(actors["douane"], lic.id)
    assert after.status == Status.VISAED and after.imputations == ()


def test_history_cannot_be_updated_or_deleted(actors: dict[str, Actor]) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    for sql in ("UPDATE history_events SET details = 'x'", "DELETE FROM history_events"):
        with pytest.raises(Exception, match="append-only"), write_session() as s:
            s.execute(text(sql))
    assert len(reading.history(actors["exportateur"], lic.id)) == 1


def test_database_constraints_hold_without_python(actors: dict[str, Actor]) -> None:
    lic = drafting.create_licence(actors["exportateur"], header())
    bad = [
        ("UPDATE licences SET total_amount = -1 WHERE id = :i", {"i": lic.id}),
        ("INSERT INTO licence_countries (licence_id, country_code) VALUES (:i, 'FR'), (:i, 'FR')",
         {"i": lic.id}),
        ("INSERT INTO licence_countries (licence_id, country_code) VALUES (999999, 'FR')", {}),
        ("UPDATE licences SET registration_number = (SELECT registration_number FROM licences "
         "ORDER BY id LIMIT 1) WHERE id <> (SELECT MIN(id) FROM licences)", {}),
    ]
    drafting.create_licence(actors["exportateur"], header())
    for sql, params in bad:
        with pytest.raises(Exception), write_session() as s:  # noqa: B017
            s.execute(text(sql), params)


def test_copy_makes_a_new_draft(actors: dict[str, Actor]) -> None:
    exp = actors["exportateur"]
    lic = complete_draft(exp)
    lic = drafting.cancel_licence(exp, lic.id, lic.version, "Erreur de saisie")
    copy = drafting.copy_licence(exp, lic.id)
    assert copy.status == Status.DRAFT and copy.registration_number != lic.registration_number
    assert [c.code for c in copy.countries] == ["FR"] and len(copy.goods) == 1
    assert copy.invoices == () and copy.copied_from == lic.registration_number
    assert reading.get_licence(exp, lic.id).status == Status.CANCELLED


def test_deactivated_user_can_do_nothing(actors: dict[str, Actor]) -> None:
    with write_session() as s:
        s.execute(text("UPDATE users SET active = false WHERE username = 'exportateur'"))
    with pytest.raises(NotAllowed, match="désactivé"):
        drafting.create_licence(actors["exportateur"], header())


def test_supplementary_units_required_when_the_tariff_names_one(actors: dict[str, Actor]) -> None:
    from core.models import TariffCode

    with read_session() as s:
        code = s.scalar(select(TariffCode.code).where(TariffCode.supplementary_unit.is_not(None)))
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    with pytest.raises(ValidationFailed) as info:
        drafting.add_goods_line(exp, lic.id, lic.version, designation="Jeans", origin_country="MA",
                                quantity="10", net_weight="5", tariff_code=code)
    assert "supplementary_units" in info.value.errors
    lic = drafting.add_goods_line(exp, lic.id, lic.version, designation="Jeans",
                                  origin_country="MA", quantity="10", net_weight="5",
                                  tariff_code=code, supplementary_units="10")
    assert lic.goods[0].supplementary_units == Decimal("10.000")
    assert first_tariff()


@pytest.mark.parametrize("left_out", ["country", "invoice", "goods"])
def test_each_required_section_alone_blocks_submission(
    actors: dict[str, Actor], pdf: bytes, left_out: str
) -> None:
    exp = actors["exportateur"]
    lic = drafting.create_licence(exp, header())
    if left_out != "country":
        lic = drafting.add_country(exp, lic.id, lic.version, "FR")
    if left_out != "invoice":
        lic = drafting.add_invoice(exp, lic.id, lic.version, "10", dt.date.today(), "f.pdf", pdf)
    if left_out != "goods":
        lic = drafting.add_goods_line(exp, lic.id, lic.version, designation="Oranges",
                                      origin_country="MA", quantity="5", net_weight="5",
                                      tariff_code=first_tariff())
    assert len(lic.missing) == 1
    with pytest.raises(ValidationFailed, match="Licence incomplète"):
        drafting.submit_for_visa(exp, lic.id, lic.version)
    assert reading.get_licence(exp, lic.id).status == Status.DRAFT


def test_a_form_sent_without_its_pdf_is_refused_by_core_with_the_other_errors(
    actors: dict[str, Actor],
) -> None:
    exporter = actors["exportateur"]
    lic = drafting.create_licence(exporter, header())
    with pytest.raises(ValidationFailed) as refused:
        drafting.add_invoice(exporter, lic.id, lic.version, "-5", dt.date(2026, 1, 15), None, None)
    assert refused.value.errors["file"] == "Joignez la facture scannée (PDF)."
    assert "amount" in refused.value.errors  # reported together, not one after the other
    with pytest.raises(ValidationFailed) as refused:
        drafting.add_document(exporter, lic.id, lic.version, "X", "Certificat",
                              dt.date(2026, 1, 15), None, None)
    assert refused.value.errors["file"] == "Joignez le document (PDF)."
    lic = visaed(actors)
    lic = decisions.impute(actors["douane"], lic.id, lic.version, declaration_ref="D-1",
                           declaration_date=today(), customs_office=lic.customs_office,
                           lines={lic.goods[0].id: ("10", "100.00")})
    with pytest.raises(ValidationFailed) as refused:
        decisions.record_repatriation(actors["banque"], lic.id, lic.version, amount="100",
                                      repatriation_date=today(), bank_reference="B-1",
                                      file_name=None, data=None)
    assert refused.value.errors == {"file": "Joignez l'avis de rapatriement (PDF)."}
    assert reading.get_licence(exporter, lic.id).repatriations == ()


def test_the_main_screen_counts_follow_every_change_whoever_makes_it(
    actors: dict[str, Actor],
) -> None:
    """The counts are kept by the database: use cases, the seed and raw SQL all move them."""
    from core import seed
    from tests.conftest import stored_and_counted_status_counts

    exporter, mce = actors["exportateur"], actors["mce"]
    seed.seed_demo(40)
    draft = drafting.create_licence(exporter, header())
    cancelled = drafting.create_licence(exporter, header())
    drafting.cancel_licence(exporter, cancelled.id, cancelled.version, "Erreur de saisie")
    lic = complete_draft(exporter)
    lic = drafting.submit_for_visa(exporter, lic.id, lic.version)
    lic = decisions.send_back(mce, lic.id, lic.version, "Facture illisible")
    with write_session() as session:  # behind the application's back
        session.execute(text("UPDATE licences SET status = 'VISEE', submitted_at = created_at "
                             "WHERE id = :i"), {"i": draft.id})
    stored, counted = stored_and_counted_status_counts()
    assert stored == counted
    with read_session() as session:
        mine = dict(session.execute(
            select(Licence.status, func.count()).where(Licence.company_id == exporter.company_id)
            .group_by(Licence.status)).all())
        seen = dict(session.execute(
            select(Licence.status, func.count()).where(Licence.status != Status.DRAFT,
                                                       Licence.submitted_at.is_not(None))
            .group_by(Licence.status)).all())
    assert reading.status_summary(exporter) == {Status(s): n for s, n in mine.items()}
    assert reading.status_summary(mce) == {Status(s): n for s, n in seen.items()}
    # a draft cancelled before any submission is the exporter's only; a sent-back one too
    assert reading.status_summary(mce).get(Status.DRAFT) is None
