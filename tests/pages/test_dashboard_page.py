"""*Tableau de bord* through its widgets: who may open it, the figures on a small world (drafts
never counted), the filters changing what is shown, the charts in the badges' colours, the
exports prepared on demand."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from core import drafting
from core.files import tiny_pdf
from core.lifecycle import STATUS_COLOURS, Status
from core.records import Actor
from tests.conftest import first_tariff, header, visaed
from tests.pages.login import app, texts

PAGE = "pages/7_Tableau_de_bord.py"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """The figures are cached a few minutes per user and database: each test starts clean."""
    from ui import dashboard

    dashboard.refresh()


def _metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def _world(actors: dict[str, Actor]) -> None:
    """A visaed EUR licence, a submitted USD one, a draft of each company."""
    exp, exp2 = actors["exportateur"], actors["exportateur2"]
    visaed(actors)
    # Invoices freeze the currency: the USD licence is USD from its creation.
    usd = drafting.create_licence(exp2, header(currency="USD"))
    usd = drafting.add_country(exp2, usd.id, usd.version, "FR")
    usd = drafting.add_invoice(exp2, usd.id, usd.version, "12500.50", dt.date(2026, 1, 15),
                               "facture.pdf", tiny_pdf(["Facture"]))
    usd = drafting.add_goods_line(exp2, usd.id, usd.version, designation="Clémentines",
                                  origin_country="MA", quantity="100", net_weight="1000",
                                  tariff_code=first_tariff())
    drafting.submit_for_visa(exp2, usd.id, usd.version)
    drafting.create_licence(exp, header())
    drafting.create_licence(exp2, header(currency="GBP"))


@pytest.mark.parametrize("username", ["exportateur", "douane", "banque"])
def test_other_roles_are_refused(db_url: str, username: str) -> None:
    at = app(PAGE, username).run()
    assert not at.exception
    assert "Cet écran n'est pas ouvert à votre profil." in [e.value for e in at.error]
    assert len(at.metric) == 0 and len(at.get("vega_lite_chart")) == 0
    assert not any(b.label == "Appliquer" for b in at.button)


@pytest.mark.parametrize("username", ["analyste", "mce", "admin"])
def test_analyst_mce_and_admin_see_the_figures(db_url: str, actors: dict[str, Actor],
                                               username: str) -> None:
    _world(actors)
    at = app(PAGE, username).run()
    assert not at.exception
    assert _metric(at, "Licences soumises") == "2"  # the two drafts are not counted
    assert _metric(at, "Décisions de visa MCE") == "1"
    assert _metric(at, "Taux de refus") == "0,0\u00a0%"
    shown = texts(at)
    for title in ("Licences par statut", "Valeur par devise", "Volume mensuel par statut",
                  "Principaux pays de destination", "Principaux chapitres tarifaires",
                  "Licences par bureau douanier", "Délai de traitement MCE",
                  "Licences proches de l'expiration"):
        assert title in shown, title
    assert "date de soumission" in shown
    currencies = next(d.value for d in at.dataframe if "Devise" in d.value.columns)
    assert list(currencies["Devise"]) == ["EUR", "USD"]
    assert list(currencies["Montant total"]) == ["12\u202f500,50", "12\u202f500,50"]
    assert len(at.get("vega_lite_chart")) >= 5


def test_status_chart_uses_the_badge_colours_and_french_labels(db_url: str,
                                                               actors: dict[str, Actor]) -> None:
    _world(actors)
    at = app(PAGE, "analyste").run()
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    text = json.dumps(specs, ensure_ascii=False)
    assert "Soumise pour visa MCE" in text and "Visée" in text
    assert STATUS_COLOURS[Status.SUBMITTED] in text and STATUS_COLOURS[Status.VISAED] in text
    assert "Brouillon" not in text
    assert "Mois de soumission" in text and "Licences" in text


def test_a_filter_changes_the_figures(db_url: str, actors: dict[str, Actor]) -> None:
    _world(actors)
    at = app(PAGE, "analyste").run()
    assert _metric(at, "Licences soumises") == "2"
    next(s for s in at.selectbox if s.label == "Devise").set_value("USD")
    next(b for b in at.button if b.label == "Appliquer").click().run()
    assert not at.exception
    assert _metric(at, "Licences soumises") == "1"
    assert _metric(at, "Décisions de visa MCE") == "0"
    assert "**Devise** : USD" in texts(at)
    next(b for b in at.button if b.label == "Réinitialiser").click().run()
    assert _metric(at, "Licences soumises") == "2"


def test_an_empty_period_shows_zeros_and_messages(db_url: str, actors: dict[str, Actor]) -> None:
    _world(actors)
    at = app(PAGE, "analyste").run()
    at.date_input(key="dash_f_submitted_from").set_value(dt.date(2020, 1, 1))
    at.date_input(key="dash_f_submitted_to").set_value(dt.date(2020, 1, 31))
    next(b for b in at.button if b.label == "Appliquer").click().run()
    assert not at.exception
    assert _metric(at, "Licences soumises") == "0"
    assert _metric(at, "Délai MCE médian") == "—"
    assert "Aucune licence pour ces filtres." in texts(at)
    assert len(at.get("vega_lite_chart")) == 0


def test_a_reversed_period_is_refused_next_to_the_field(db_url: str,
                                                       actors: dict[str, Actor]) -> None:
    _world(actors)
    at = app(PAGE, "analyste").run()
    at.date_input(key="dash_f_submitted_from").set_value(dt.date(2026, 3, 1))
    at.date_input(key="dash_f_submitted_to").set_value(dt.date(2026, 2, 1))
    next(b for b in at.button if b.label == "Appliquer").click().run()
    assert not at.exception
    assert "Période : la date de fin précède la date de début." in [e.value for e in at.error]
    assert _metric(at, "Licences soumises") == "2"  # the previous (no) filters still apply


def test_exports_are_offered_and_the_list_is_prepared_on_demand(db_url: str,
                                                                actors: dict[str, Actor]) -> None:
    _world(actors)
    at = app(PAGE, "analyste").run()
    downloads = [b.label for b in at.get("download_button")]
    assert downloads == ["Chiffres du tableau de bord (.xlsx)"]
    next(b for b in at.button if b.label == "Préparer la liste des licences (.csv)").click().run()
    assert not at.exception
    downloads = [b.label for b in at.get("download_button")]
    assert "Télécharger la liste (.csv)" in downloads
    assert any(b.label == "Préparer la liste des licences (.xlsx)" for b in at.button)
    next(b for b in at.button if b.label == "Préparer la liste des licences (.xlsx)").click().run()
    assert [b.label for b in at.get("download_button")] == [
        "Chiffres du tableau de bord (.xlsx)", "Télécharger la liste (.xlsx)",
        "Télécharger la liste (.csv)"]
    # other filters: the prepared files no longer match, preparing is offered again
    next(s for s in at.selectbox if s.label == "Devise").set_value("USD")
    next(b for b in at.button if b.label == "Appliquer").click().run()
    assert [b.label for b in at.get("download_button")] == ["Chiffres du tableau de bord (.xlsx)"]
