"""The administration page through its widgets: only for admins, forms that create what they say,
French refusals next to the field that change nothing, the nomenclature import and its report."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core.database import read_session
from core.models import AuditEvent, Company, ReferenceItem, TariffCode, User
from tests.pages.login import app, texts

PAGE = "pages/8_Administration.py"


def _admin(tab: str = "Utilisateurs") -> AppTest:
    at = app(PAGE, "admin")
    at.session_state["admin_tab"] = tab
    return at.run()


def _input(at: AppTest, label: str, value: str) -> None:
    next(t for t in at.text_input if t.label == label).input(value)


def _select(at: AppTest, label: str, value: object) -> None:
    next(s for s in at.selectbox if s.label == label).set_value(value)


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def _count(model: type) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("username", ["exportateur", "mce", "analyste"])
def test_other_roles_are_refused(db_url: str, username: str) -> None:
    at = app(PAGE, username).run()
    assert not at.exception
    assert "Cet écran n'est pas ouvert à votre profil." in [e.value for e in at.error]
    assert len(at.dataframe) == 0
    assert not any(b.label == "Créer l'utilisateur" for b in at.button)


def test_each_tab_opens_without_error(db_url: str) -> None:
    expected = {"Utilisateurs": "Créer l'utilisateur", "Sociétés": "Créer la société",
                "Référentiels": "Ajouter", "Nomenclature": "Importer",
                "Démonstration": "Réinitialiser la démo"}
    for tab, button in expected.items():
        at = _admin(tab)
        assert not at.exception, tab
        assert any(b.label == button for b in at.button), tab
    at = _admin("Journal")
    assert not at.exception and "Aucune opération enregistrée." in texts(at)


def test_create_a_user_through_the_form(db_url: str) -> None:
    at = _admin()
    _input(at, "Nom d'utilisateur", "nadia.b")
    _input(at, "Nom complet", "Nadia Berrada")
    _input(at, "Mot de passe", "mot-de-passe-sur")
    _select(at, "Profil", "douane")
    at = _click(at, "Créer l'utilisateur")
    assert not at.exception
    assert ("Utilisateur nadia.b créé : il choisira son mot de passe à sa première connexion."
            in [s.value for s in at.success])
    with read_session() as s:
        user = s.scalars(select(User).where(User.username == "nadia.b")).one()
        assert (user.full_name, user.role, user.active, user.must_change_password) == (
            "Nadia Berrada", "douane", True, True)
        assert s.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
            "CREER_UTILISATEUR")
    # the form comes back empty, the new account is in the table
    assert next(t for t in at.text_input if t.label == "Nom d'utilisateur").value == ""
    assert "nadia.b" in at.dataframe[0].value["Utilisateur"].tolist()


def test_an_exporter_without_company_is_refused_next_to_the_field(db_url: str) -> None:
    at = _admin()
    before = _count(User)
    _input(at, "Nom d'utilisateur", "sans.societe")
    _input(at, "Nom complet", "Sans Société")
    _input(at, "Mot de passe", "court")
    _select(at, "Profil", "exportateur")
    at = _click(at, "Créer l'utilisateur")
    errors = [e.value for e in at.error]
    assert "Un exportateur doit appartenir à une société." in errors
    assert "Mot de passe : 8 caractères au moins." in errors
    assert _count(User) == before
    # what was typed stays in the form
    assert next(t for t in at.text_input if t.label == "Nom d'utilisateur").value == "sans.societe"


def test_bad_ice_shows_a_french_error_and_creates_nothing(db_url: str) -> None:
    at = _admin("Sociétés")
    before = _count(Company)
    _input(at, "Raison sociale", "Oriental Dattes SARL")
    _input(at, "ICE (Identifiant Commun de l'Entreprise)", "12345")
    at = _click(at, "Créer la société")
    assert not at.exception
    assert [e.value for e in at.error] == ["ICE : 15 chiffres."]
    assert _count(Company) == before and _count(AuditEvent) == 0


def test_create_a_company_through_the_form(db_url: str) -> None:
    at = _admin("Sociétés")
    _input(at, "Raison sociale", "Oriental Dattes SARL")
    _input(at, "ICE (Identifiant Commun de l'Entreprise)", "003456789000077")
    at = _click(at, "Créer la société")
    assert "Société Oriental Dattes SARL créée." in [s.value for s in at.success]
    assert "Oriental Dattes SARL" in at.dataframe[0].value["Raison sociale"].tolist()


def test_deactivate_and_unlock_from_the_account_panel(db_url: str) -> None:
    with read_session() as s:
        uid = s.scalar(select(User.id).where(User.username == "banque"))
    at = _admin()
    _select(at, "Compte", uid)
    at.run()
    at = _click(at, "Désactiver")
    assert not at.exception
    assert "Compte banque désactivé, ses sessions sont fermées." in [s.value for s in at.success]
    with read_session() as s:
        user = s.get(User, uid)
        assert user is not None and not user.active and user.sessions_valid_after is not None
    assert any(b.label == "Réactiver" for b in at.button)


def test_the_admin_cannot_deactivate_themself_from_the_page(db_url: str) -> None:
    with read_session() as s:
        uid = s.scalar(select(User.id).where(User.username == "admin"))
    at = _admin()
    _select(at, "Compte", uid)
    at.run()
    assert next(b for b in at.button if b.label == "Désactiver").disabled


def test_add_a_reference_code_and_refuse_a_bad_one(db_url: str) -> None:
    at = _admin("Référentiels")
    _select(at, "Liste", "office")
    at.run()
    _input(at, "Code", "dak1")
    _input(at, "Libellé", "Dakhla - Port")
    at = _click(at, "Ajouter")
    assert "Code DAK1 ajouté." in [s.value for s in at.success]
    with read_session() as s:
        item = s.get(ReferenceItem, ("office", "DAK1"))
        assert item is not None and item.label == "Dakhla - Port" and item.active
    before = _count(ReferenceItem)
    _input(at, "Code", "A B")
    _input(at, "Libellé", "Espace interdit")
    at = _click(at, "Ajouter")
    assert ("Code : 1 à 20 lettres majuscules ou chiffres, sans espace ni accent."
            in [e.value for e in at.error])
    assert _count(ReferenceItem) == before


def test_import_a_small_csv_shows_the_rejected_lines(db_url: str) -> None:
    at = _admin("Nomenclature")
    before = _count(TariffCode)
    data = (b"code,description,supplementary_unit\n"
            b"0805101100,Oranges de test,\n"
            b"ABC,Code illisible,\n"
            b"0805.10.12.00,Oranges de test bis,NOMBRE\n")
    at.file_uploader[0].set_value(("nomenclature.csv", data, "text/csv"))
    at.run()
    at = _click(at, "Importer")
    assert not at.exception
    assert _count(TariffCode) == before + 2
    with read_session() as s:
        assert s.get(TariffCode, "0805101200") is not None
    rejected = next(d for d in at.dataframe if "Motif" in d.value.columns).value
    assert rejected.to_dict("records") == [
        {"Ligne": 3, "Code": "ABC", "Motif": "Code à 10 chiffres attendu."}]
    assert [m.value for m in at.metric] == ["2", "0", "1"]
    # and the import is in the journal
    at = _admin("Journal")
    log = at.dataframe[0].value
    assert log["Action"].tolist() == ["Import de la nomenclature"]
    assert "2 ajoutée(s), 0 mise(s) à jour, 1 rejetée(s)" in log["Détails"].iloc[0]


def test_reset_needs_the_confirmation_word(db_url: str) -> None:
    at = _admin("Démonstration")
    before = _count(User)
    _input(at, "Tapez RÉINITIALISER pour confirmer", "oui")
    at = _click(at, "Réinitialiser la démo")
    assert "Tapez exactement RÉINITIALISER pour confirmer." in [e.value for e in at.error]
    assert _count(User) == before and _count(AuditEvent) == 0


def test_reset_through_the_page(db_url: str) -> None:
    at = _admin("Sociétés")
    _input(at, "Raison sociale", "Société éphémère")
    _input(at, "ICE (Identifiant Commun de l'Entreprise)", "003456789000077")
    at = _click(at, "Créer la société")
    at = _admin("Démonstration")
    next(n for n in at.number_input if n.label == "Licences de démonstration").set_value(0)
    _input(at, "Tapez RÉINITIALISER pour confirmer", "RÉINITIALISER")
    at = _click(at, "Réinitialiser la démo")
    assert not at.exception
    assert "Démonstration réinitialisée : 0 licence(s) créée(s)." in [s.value for s in at.success]
    with read_session() as s:
        assert s.scalar(select(Company.id).where(Company.name == "Société éphémère")) is None
        assert s.scalars(select(AuditEvent.action)).all() == ["REINITIALISER_DEMO"]
