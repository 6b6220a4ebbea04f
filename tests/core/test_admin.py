"""Administration: only admins, every write recorded once in the audit log, French refusals that
change nothing, sessions ended by deactivation and password resets."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from core import accounts, admin, reading
from core.database import read_session
from core.errors import AuthenticationFailed, DomainError, NotAllowed, NotFound, ValidationFailed
from core.lifecycle import Role
from core.models import AuditEvent, Company, Licence, ReferenceItem, TariffCode, User
from core.records import Actor
from core.reference import code_list
from core.seed import DEMO_PASSWORD
from tests.conftest import complete_draft

ICE = "003456789000077"
NEW_PASSWORD = "une-phrase-de-passe-neuve"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _uid(username: str) -> int:
    with read_session() as s:
        uid = s.scalar(select(User.id).where(User.username == username))
    assert uid is not None
    return uid


def _audit_rows() -> list[tuple[str, str, str | None]]:
    with read_session() as s:
        rows = s.execute(select(AuditEvent.username, AuditEvent.action, AuditEvent.details)
                         .order_by(AuditEvent.id))
        return [(r[0], r[1], r[2]) for r in rows]


def _rows(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in result]


def _snapshot() -> dict[str, Any]:
    """Everything an administrator can change."""
    with read_session() as s:
        return {
            "users": _rows(s.execute(select(
                User.id, User.username, User.full_name, User.password_hash, User.role,
                User.company_id, User.active, User.failed_attempts, User.locked_until,
                User.sessions_valid_after).order_by(User.id)).all()),
            "companies": _rows(s.execute(select(Company.id, Company.name, Company.ice)
                                        .order_by(Company.id)).all()),
            "reference": _rows(s.execute(select(
                ReferenceItem.list_name, ReferenceItem.code, ReferenceItem.label,
                ReferenceItem.active).order_by(ReferenceItem.list_name, ReferenceItem.code)
            ).all()),
            "tariffs": s.scalar(select(func.count()).select_from(TariffCode)),
            "licences": s.scalar(select(func.count()).select_from(Licence)),
            "audit": s.scalar(select(func.count()).select_from(AuditEvent)),
        }


def _first_code(list_name: str) -> str:
    with read_session() as s:
        return next(iter(code_list(s, list_name)))


CSV = (
    "code;description;supplementary_unit\n"
    "0805101000;Oranges douces, fraîches (test);\n"
    "12345;Code trop court;\n"
    "0805102000;;\n"
    "0805103000;Oranges sanguines (test);NOMBRE\n"
    "0805101000;Doublon;\n"
).encode()

# Every administration call, as a non-admin would try it (user 1 = exportateur).
ADMIN_CALLS: dict[str, Callable[[Actor], object]] = {
    "list_companies": lambda a: admin.list_companies(a),
    "create_company": lambda a: admin.create_company(a, "Nouvelle SARL", ICE),
    "list_users": lambda a: admin.list_users(a),
    "add_user": lambda a: admin.add_user(a, "pirate", "Pirate", NEW_PASSWORD, Role.ADMIN,
                                               rounds=4),
    "deactivate_user": lambda a: admin.deactivate_user(a, _uid("mce")),
    "reactivate_user": lambda a: admin.reactivate_user(a, _uid("mce")),
    "reset_password": lambda a: admin.reset_password(a, _uid("admin"), NEW_PASSWORD, rounds=4),
    "unlock_user": lambda a: admin.unlock_user(a, _uid("mce")),
    "change_role": lambda a: admin.change_role(a, _uid("analyste"), Role.ADMIN),
    "list_reference": lambda a: admin.list_reference(a, "office"),
    "add_reference_item": lambda a: admin.add_reference_item(a, "office", "999", "Bureau pirate"),
    "rename_reference_item": lambda a: admin.rename_reference_item(
        a, "office", _first_code("office"), "Renommé"),
    "deactivate_reference_item": lambda a: admin.deactivate_reference_item(
        a, "office", _first_code("office")),
    "reactivate_reference_item": lambda a: admin.reactivate_reference_item(
        a, "office", _first_code("office")),
    "import_nomenclature": lambda a: admin.import_nomenclature(a, "n.csv", CSV),
    "reset_demo": lambda a: admin.reset_demo(a, 1, rounds=4),
    "audit_log": lambda a: admin.audit_log(a),
}


def test_every_admin_function_is_covered() -> None:
    public = {name for name in dir(admin) if not name.startswith("_")
              and callable(getattr(admin, name)) and getattr(admin, name).__module__ == admin.__name__
              and name[0].islower()}
    assert public == set(ADMIN_CALLS)


@pytest.mark.parametrize("role", ["exportateur", "mce", "douane", "banque", "analyste"])
def test_non_admins_are_refused_everything_and_nothing_changes(
    actors: dict[str, Actor], role: str
) -> None:
    before = _snapshot()
    for name, fn in ADMIN_CALLS.items():
        with pytest.raises(NotAllowed) as info:
            fn(actors[role])
        assert info.value.message == "Cet écran n'est pas ouvert à votre profil.", name
    assert _snapshot() == before


def test_a_deactivated_admin_can_do_nothing(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    second = admin.add_user(boss, "admin2", "Second administrateur", NEW_PASSWORD, Role.ADMIN,
                               rounds=4)
    other = accounts.get_actor("admin2")
    admin.deactivate_user(boss, second)
    before = _snapshot()
    for fn in ADMIN_CALLS.values():
        with pytest.raises(NotAllowed):
            fn(other)
    assert _snapshot() == before


WRITES: dict[str, tuple[Callable[[Actor], object], str]] = {
    "create_company": (lambda a: admin.create_company(a, "Nouvelle SARL", ICE), "CREER_SOCIETE"),
    "add_user": (lambda a: admin.add_user(a, "nouveau", "Nouveau", NEW_PASSWORD, Role.BANK,
                                                rounds=4), "CREER_UTILISATEUR"),
    "deactivate_user": (lambda a: admin.deactivate_user(a, _uid("mce")),
                        "DESACTIVER_UTILISATEUR"),
    "reset_password": (lambda a: admin.reset_password(a, _uid("mce"), NEW_PASSWORD, rounds=4),
                       "REINITIALISER_MOT_DE_PASSE"),
    "unlock_user": (lambda a: admin.unlock_user(a, _uid("mce")), "DEVERROUILLER_UTILISATEUR"),
    "change_role": (lambda a: admin.change_role(a, _uid("analyste"), Role.BANK), "CHANGER_PROFIL"),
    "add_reference_item": (lambda a: admin.add_reference_item(a, "office", "999", "Bureau test"),
                           "AJOUTER_REFERENCE"),
    "rename_reference_item": (lambda a: admin.rename_reference_item(
        a, "office", _first_code("office"), "Renommé"), "RENOMMER_REFERENCE"),
    "deactivate_reference_item": (lambda a: admin.deactivate_reference_item(
        a, "office", _first_code("office")), "DESACTIVER_REFERENCE"),
    "import_nomenclature": (lambda a: admin.import_nomenclature(a, "n.csv", CSV),
                            "IMPORTER_NOMENCLATURE"),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_each_write_leaves_exactly_one_audit_row(actors: dict[str, Actor], name: str) -> None:
    fn, action = WRITES[name]
    before = _audit_rows()
    fn(actors["admin"])
    after = _audit_rows()
    assert after[: len(before)] == before
    (added,) = after[len(before):]
    assert added[:2] == ("admin", action) and added[2]


def test_reactivations_are_recorded_once_too(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    admin.deactivate_user(boss, _uid("banque"))
    code = _first_code("regime")
    admin.deactivate_reference_item(boss, "regime", code)
    before = len(_audit_rows())
    admin.reactivate_user(boss, _uid("banque"))
    admin.reactivate_reference_item(boss, "regime", code)
    assert [r[1] for r in _audit_rows()[before:]] == ["REACTIVER_UTILISATEUR",
                                                       "REACTIVER_REFERENCE"]


def test_refused_writes_leave_no_audit_row(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    before = _snapshot()
    with pytest.raises(ValidationFailed):
        admin.create_company(boss, "", "123")
    with pytest.raises(ValidationFailed):
        admin.add_user(boss, "mce", "Doublon", NEW_PASSWORD, Role.MCE, rounds=4)
    with pytest.raises(NotAllowed):
        admin.deactivate_user(boss, _uid("admin"))
    assert _snapshot() == before


# ------------------------------------------------------------------ companies
def test_create_company_and_list_it(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    cid = admin.create_company(boss, "  Oriental Dattes SARL ", f" {ICE} ")
    rows = {c.id: c for c in admin.list_companies(boss)}
    assert (rows[cid].name, rows[cid].ice, rows[cid].users, rows[cid].licences) == (
        "Oriental Dattes SARL", ICE, 0, 0)
    atlas = next(c for c in rows.values() if c.name == "Atlas Agrumes SARL")
    assert atlas.users == 1


@pytest.mark.parametrize(("name", "ice", "errors"), [
    ("", ICE, {"name": "Raison sociale : champ obligatoire."}),
    ("X" * 201, ICE, {"name": "Raison sociale : 200 caractères au plus (201 saisis)."}),
    ("Société", "12345678901234", {"ice": "ICE : 15 chiffres."}),
    ("Société", "12345678901234A", {"ice": "ICE : 15 chiffres."}),
    ("Société", "001524875000012", {"ice": "Cet ICE est déjà enregistré."}),
])
def test_bad_companies_are_refused_by_field(
    actors: dict[str, Actor], name: str, ice: str, errors: dict[str, str]
) -> None:
    before = _snapshot()
    with pytest.raises(ValidationFailed) as info:
        admin.create_company(actors["admin"], name, ice)
    assert info.value.errors == errors
    assert _snapshot() == before


# ------------------------------------------------------------------ users
def test_create_an_exporter_who_can_log_in(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    cid = admin.create_company(boss, "Oriental Dattes SARL", ICE)
    uid = admin.add_user(boss, " Nouvel.Export ", "Hamid Nouvel", NEW_PASSWORD,
                            Role.EXPORTER, cid, rounds=4)
    row = next(u for u in admin.list_users(boss) if u.id == uid)
    assert (row.username, row.full_name, row.role, row.company_name, row.active) == (
        "nouvel.export", "Hamid Nouvel", "exportateur", "Oriental Dattes SARL", True)
    assert row.role_label == "Exportateur / déclarant" and not row.is_locked()
    assert accounts.authenticate("nouvel.export", NEW_PASSWORD).company_id == cid
    assert _audit_rows()[-1][2] == ("nouvel.export (Exportateur / déclarant), "
                                    "société Oriental Dattes SARL")


@pytest.mark.parametrize(("args", "fields"), [
    (("mce", "Doublon", NEW_PASSWORD, "mce"), {"username"}),
    (("Bad Name!", "", "court", "pirate"), {"username", "full_name", "role", "password"}),
    (("nouveau", "Nouveau", "court", "mce"), {"password"}),
    (("nouveau", "Nouveau", "é" * 40, "mce"), {"password"}),
    (("nouveau", "Nouveau", NEW_PASSWORD, "exportateur"), {"company_id"}),
    (("nouveau", "Nouveau", NEW_PASSWORD, "root"), {"role"}),
])
def test_bad_users_are_refused_by_field(
    actors: dict[str, Actor], args: tuple[str, str, str, str], fields: set[str]
) -> None:
    before = _snapshot()
    with pytest.raises(ValidationFailed) as info:
        admin.add_user(actors["admin"], *args, rounds=4)
    assert set(info.value.errors) == fields
    assert all(info.value.errors.values())
    assert _snapshot() == before


def test_password_messages_are_french(actors: dict[str, Actor]) -> None:
    with pytest.raises(ValidationFailed) as info:
        admin.add_user(actors["admin"], "nouveau", "N", "court", Role.MCE, rounds=4)
    assert info.value.errors == {"password": "Mot de passe : 8 caractères au moins."}
    with pytest.raises(ValidationFailed) as info:
        admin.reset_password(actors["admin"], _uid("mce"), "é" * 129, rounds=4)
    assert info.value.errors == {"password": "Mot de passe : 128 caractères au plus."}
    with pytest.raises(ValidationFailed) as info:
        admin.reset_password(actors["admin"], _uid("douane"), "Douane-2026!", rounds=4)
    assert info.value.errors == {
        "password": "Mot de passe : il ne doit pas contenir le nom d'utilisateur."}
    with pytest.raises(ValidationFailed) as info:
        admin.reset_password(actors["admin"], _uid("mce"), "Azerty2026!", rounds=4)
    assert info.value.errors["password"].startswith("Mot de passe trop courant")


def test_exporter_in_an_unknown_company_is_refused(actors: dict[str, Actor]) -> None:
    with pytest.raises(ValidationFailed) as info:
        admin.add_user(actors["admin"], "nouveau", "N", NEW_PASSWORD, Role.EXPORTER, 9999,
                          rounds=4)
    assert info.value.errors == {"company_id": "Société inconnue."}


def test_deactivation_ends_earlier_sessions_and_logins(actors: dict[str, Actor]) -> None:
    issued = _now() - dt.timedelta(seconds=5)
    assert accounts.session_actor("banque", issued) is not None
    admin.deactivate_user(actors["admin"], _uid("banque"))
    assert accounts.session_actor("banque", issued) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("banque", DEMO_PASSWORD)
    # services refuse the deactivated account at once, whatever its cookie says
    with pytest.raises(NotAllowed):
        reading.status_summary(actors["banque"])
    assert not next(u for u in admin.list_users(actors["admin"]) if u.username == "banque").active
    admin.reactivate_user(actors["admin"], _uid("banque"))
    assert accounts.session_actor("banque", issued) is None  # the old session stays dead
    assert accounts.authenticate("banque", DEMO_PASSWORD).username == "banque"


def test_an_admin_cannot_deactivate_or_demote_themself(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    with pytest.raises(NotAllowed, match="propre compte"):
        admin.deactivate_user(boss, boss.user_id)
    with pytest.raises(NotAllowed, match="propre profil"):
        admin.change_role(boss, boss.user_id, Role.ANALYST)


def test_double_deactivation_and_unknown_users_are_refused(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    admin.deactivate_user(boss, _uid("douane"))
    with pytest.raises(ValidationFailed, match="déjà désactivé"):
        admin.deactivate_user(boss, _uid("douane"))
    with pytest.raises(ValidationFailed, match="déjà actif"):
        admin.reactivate_user(boss, _uid("mce"))
    with pytest.raises(NotFound, match="Utilisateur introuvable"):
        admin.unlock_user(boss, 99999)


def test_reset_password_revokes_sessions_and_lifts_the_lock(actors: dict[str, Actor]) -> None:
    now = _now()
    for i in range(5):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("mce", "faux", now=now + dt.timedelta(seconds=i))
    issued = _now()
    admin.reset_password(actors["admin"], _uid("mce"), NEW_PASSWORD, rounds=4)
    assert accounts.session_actor("mce", issued) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("mce", DEMO_PASSWORD)
    assert accounts.authenticate("mce", NEW_PASSWORD).username == "mce"


def test_unlock_clears_failures_and_lock(actors: dict[str, Actor]) -> None:
    now = _now()
    for i in range(5):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("douane", "faux", now=now + dt.timedelta(seconds=i))
    row = next(u for u in admin.list_users(actors["admin"]) if u.username == "douane")
    assert row.is_locked()
    admin.unlock_user(actors["admin"], row.id)
    row = next(u for u in admin.list_users(actors["admin"]) if u.username == "douane")
    assert not row.is_locked() and row.failed_attempts == 0 and row.locked_until is None
    assert accounts.authenticate("douane", DEMO_PASSWORD).username == "douane"
    assert "verrouillé jusqu'au" in (_audit_rows()[-1][2] or "")


def test_change_role_needs_a_company_for_an_exporter(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    uid = _uid("analyste")
    before = _snapshot()
    with pytest.raises(ValidationFailed) as info:
        admin.change_role(boss, uid, Role.EXPORTER)
    assert info.value.errors == {"company_id": "Un exportateur doit appartenir à une société."}
    with pytest.raises(ValidationFailed) as info:
        admin.change_role(boss, uid, "roi")
    assert info.value.errors == {"role": "Profil inconnu : roi."}
    with pytest.raises(ValidationFailed, match="déjà ce profil"):
        admin.change_role(boss, uid, Role.ANALYST)
    assert _snapshot() == before
    cid = admin.create_company(boss, "Oriental Dattes SARL", ICE)
    admin.change_role(boss, uid, Role.EXPORTER, cid)
    actor = accounts.get_actor("analyste")
    assert (actor.role, actor.company_name) == ("exportateur", "Oriental Dattes SARL")
    # back to a counterparty: no company any more
    admin.change_role(boss, uid, Role.MCE)
    actor = accounts.get_actor("analyste")
    assert (actor.role, actor.company_id) == ("mce", None)
    assert _audit_rows()[-1][2] == ("analyste (Exportateur / déclarant) → "
                                    "Ministère du Commerce Extérieur (visa)")


# ------------------------------------------------------------------ reference lists
def test_reference_items_are_added_renamed_deactivated_never_deleted(
    actors: dict[str, Actor],
) -> None:
    boss = actors["admin"]
    row = admin.add_reference_item(boss, "office", " 999 ", "Dakhla - Port")
    assert (row.code, row.label, row.active) == ("999", "Dakhla - Port", True)
    items = admin.list_reference(boss, "office")
    assert items[-1].code == "999" and items[-1].sort_order == len(items) - 1
    admin.rename_reference_item(boss, "office", "999", "Dakhla - Port Atlantique")
    admin.deactivate_reference_item(boss, "office", "999")
    with read_session() as s:
        assert "999" not in code_list(s, "office")
        assert code_list(s, "office", include_inactive=True)["999"] == "Dakhla - Port Atlantique"
    assert [i.active for i in admin.list_reference(boss, "office") if i.code == "999"] == [False]
    admin.reactivate_reference_item(boss, "office", "999")
    with read_session() as s:
        assert "999" in code_list(s, "office")


def test_a_code_in_use_can_be_deactivated_and_the_licence_keeps_it(
    actors: dict[str, Actor],
) -> None:
    lic = complete_draft(actors["exportateur"])
    admin.deactivate_reference_item(actors["admin"], "office", lic.customs_office)
    again = reading.get_licence(actors["exportateur"], lic.id)
    assert again.customs_office == lic.customs_office
    assert again.customs_office_label == lic.customs_office_label


@pytest.mark.parametrize(("code", "label", "fields"), [
    ("A B", "Libellé", {"code"}),
    ("É1", "Libellé", {"code"}),
    ("X" * 21, "Libellé", {"code"}),
    ("", "Libellé", {"code"}),
    ("OK1", "", {"label"}),
    ("OK1", "L" * 201, {"label"}),
    ("OK1", "a\x00b", {"label"}),
])
def test_bad_reference_items_are_refused_by_field(
    actors: dict[str, Actor], code: str, label: str, fields: set[str]
) -> None:
    before = _snapshot()
    with pytest.raises(ValidationFailed) as info:
        admin.add_reference_item(actors["admin"], "regime", code, label)
    assert set(info.value.errors) == fields
    assert _snapshot() == before


def test_reference_refusals(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    code = _first_code("regime")
    with pytest.raises(ValidationFailed, match="existe déjà"):
        admin.add_reference_item(boss, "regime", code.lower(), "Doublon")
    with pytest.raises(ValidationFailed) as info:
        admin.add_reference_item(boss, "pays", "FR", "France")
    assert info.value.errors == {"list_name": "Liste de référence inconnue."}
    with pytest.raises(ValidationFailed, match="Libellé : champ obligatoire"):
        admin.rename_reference_item(boss, "regime", code, "  ")
    with pytest.raises(NotFound):
        admin.rename_reference_item(boss, "regime", "NOPE", "Libellé")
    # the only category cannot go: a licence could no longer be created
    with pytest.raises(ValidationFailed, match="doit rester actif"):
        admin.deactivate_reference_item(boss, "category", "LE")
    with pytest.raises(ValidationFailed, match="déjà actif"):
        admin.reactivate_reference_item(boss, "regime", code)


# ------------------------------------------------------------------ nomenclature
def test_import_reports_rejected_lines_and_records_the_counts(actors: dict[str, Actor]) -> None:
    seen: list[tuple[int, int]] = []
    report = admin.import_nomenclature(actors["admin"], "nomenclature.csv", CSV,
                                       progress=lambda done, total: seen.append((done, total)))
    assert (report.inserted, report.updated) == (2, 0)
    assert report.rejected == [
        (3, "12345", "Code à 10 chiffres attendu."),
        (4, "0805102000", "Description vide ou trop longue (500 max)."),
        (6, "0805101000", "Code en double dans le fichier."),
    ]
    assert seen == [(2, 2)]
    with read_session() as s:
        tariff = s.get(TariffCode, "0805103000")
        assert tariff is not None and tariff.supplementary_unit == "NOMBRE"
    assert _audit_rows()[-1] == ("admin", "IMPORTER_NOMENCLATURE",
                                 "nomenclature.csv : 2 ajoutée(s), 0 mise(s) à jour, 3 rejetée(s)")
    again = admin.import_nomenclature(actors["admin"], "nomenclature.csv", CSV)
    assert (again.inserted, again.updated) == (0, 2)


def test_a_failed_import_is_recorded_and_raises(
    actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import reference

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disque plein")

    monkeypatch.setattr(reference, "import_nomenclature", broken)
    with pytest.raises(RuntimeError):
        admin.import_nomenclature(actors["admin"], "n.csv", CSV)
    assert _audit_rows()[-1][1:] == ("IMPORTER_NOMENCLATURE",
                                     "n.csv : échec (RuntimeError) ; lignes déjà importées "
                                     "conservées")


# ------------------------------------------------------------------ demo and audit log
def test_reset_demo_recreates_the_demo_and_records_it(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    admin.add_user(boss, "temporaire", "Temporaire", NEW_PASSWORD, Role.BANK, rounds=4)
    complete_draft(actors["exportateur"])
    count = admin.reset_demo(boss, 3, rounds=4)
    assert count == 3
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(Licence)) == 3
        assert s.scalar(select(User.id).where(User.username == "temporaire")) is None
    assert _audit_rows() == [("admin", "REINITIALISER_DEMO",
                              "Base recréée : 3 licence(s) de démonstration")]
    # the administrator is still there and can go on
    assert admin.audit_log(accounts.get_actor("admin")).total == 1


def test_reset_demo_only_in_demo_mode(
    actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    real = admin.settings()
    monkeypatch.setattr(admin, "settings", lambda: dataclasses.replace(real, demo_mode=False))
    before = _snapshot()
    with pytest.raises(NotAllowed, match="mode démonstration"):
        admin.reset_demo(actors["admin"], 3, rounds=4)
    with pytest.raises(ValidationFailed):
        admin.reset_demo(actors["admin"], -1, rounds=4)
    assert _snapshot() == before


def test_audit_log_pages_newest_first(actors: dict[str, Actor]) -> None:
    boss = actors["admin"]
    for code in ("A1", "A2", "A3", "A4", "A5"):
        admin.add_reference_item(boss, "document_type", code, f"Document {code}")
    first = admin.audit_log(boss, 1, page_size=2)
    assert (first.total, first.page_count, first.page) == (5, 3, 1)
    assert [r.details for r in first.rows] == ["Types de document : A5 – Document A5",
                                               "Types de document : A4 – Document A4"]
    last = admin.audit_log(boss, 99, page_size=2)
    assert last.page == 3 and [r.details for r in last.rows] == [
        "Types de document : A1 – Document A1"]
    assert all(r.username == "admin" and r.action == "AJOUTER_REFERENCE" for r in first.rows)
    assert first.rows[0].action_label == "Ajout au référentiel"


def test_every_recorded_action_has_a_french_label() -> None:
    import inspect

    source = inspect.getsource(admin)
    recorded = set(re.findall(r'"([A-Z_]{6,})"', source))
    assert recorded == set(admin.AUDIT_LABELS)


def test_domain_errors_are_french(actors: dict[str, Actor]) -> None:
    with pytest.raises(DomainError) as info:
        admin.list_users(actors["mce"])
    assert info.value.message == "Cet écran n'est pas ouvert à votre profil."
