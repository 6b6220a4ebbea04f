"""Demo data: two exporter companies, one account per role, and licences in every status with
realistic dates, amounts, PDFs and histories. Written through a bulk path (multi-row INSERTs with
ids assigned here) so that a million licences take minutes, not hours."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from core import accounts, reference
from core.database import current_url, dispose_engines, get_engine, write_session
from core.files import tiny_pdf
from core.lifecycle import SYSTEM, Action, Role, Status
from core.models import (
    Company,
    Document,
    GoodsLine,
    HistoryEvent,
    Imputation,
    ImputationLine,
    Invoice,
    Licence,
    LicenceCountry,
    RegistrationCounter,
    Repatriation,
    StoredFile,
    TariffCode,
    User,
    utcnow,
)
from core.reference import prepare_database
from core.text import fr_amount, fr_date

DEMO_PASSWORD = "licence-demo"
COMPANIES = (
    ("Atlas Agrumes SARL", "001524875000012"),
    ("Souss Textile Export SA", "002187654000034"),
)
# username, full name, role, company index
DEMO_USERS = (
    ("exportateur", "Karim Benali", Role.EXPORTER, 0),
    ("exportateur2", "Salma Idrissi", Role.EXPORTER, 1),
    ("mce", "Youssef Alaoui (MCE)", Role.MCE, None),
    ("douane", "Nadia Tazi (Douane)", Role.CUSTOMS, None),
    ("banque", "Omar Chraibi (Banque)", Role.BANK, None),
    ("analyste", "Leila Bennani (Analyste)", Role.ANALYST, None),
    ("admin", "Administrateur", Role.ADMIN, None),
)
RECIPIENTS = (
    "Carrefour Import SAS", "Fruits d'Europe GmbH", "Mercadona S.A.", "Tesco Stores Ltd",
    "Rungis Primeurs", "El Corte Inglés", "Lidl Einkauf", "Zara Logística", "Marks & Spencer",
    "Metro Cash & Carry", "Dakar Distribution", "Abidjan Négoce", "Société Générale d'Import",
    "Nordic Fresh AB", "Moscow Food Trading", "Toronto Import Inc.", None,
)
DESTINATIONS = ("FR", "ES", "DE", "GB", "NL", "BE", "IT", "US", "SN", "CI", "RU", "CA", "SE",
                "PT", "MR", "TN", "AE", "SA", "CN", "JP")
DESTINATION_WEIGHTS = (18, 16, 8, 8, 6, 5, 6, 4, 3, 3, 2, 2, 2, 3, 2, 2, 2, 1, 1, 1)
CURRENCIES = (("EUR", 70), ("USD", 22), ("GBP", 5), ("MAD", 3))
# Every status, with the share it gets beyond the first licences (which cover each status once).
STATUS_WEIGHTS = {
    Status.DRAFT: 8, Status.SUBMITTED: 7, Status.VISAED: 12, Status.REFUSED: 5,
    Status.PARTIALLY_IMPUTED: 10, Status.FULLY_IMPUTED: 10, Status.SETTLED: 35,
    Status.CANCELLED: 6, Status.EXPIRED: 7,
}
STATUS_ORDER = tuple(STATUS_WEIGHTS)


@dataclass
class _Ids:
    """Next free primary key per table, so children can be written without round trips."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class _Batch:
    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: Any, **values: Any) -> None:
        self.rows.setdefault(model, []).append(values)

    def size(self) -> int:
        return sum(len(v) for v in self.rows.values())


INSERT_ORDER = (StoredFile, Licence, LicenceCountry, Invoice, Document, GoodsLine, Imputation,
                ImputationLine, Repatriation, HistoryEvent)
# Tables whose ids the seed assigns itself (see `_Ids`).
OWN_IDS = (StoredFile, Licence, GoodsLine, Imputation)


def ensure_demo_accounts(rounds: int = 12) -> dict[str, int]:
    """Create the two companies and the demo accounts if missing; username -> user id."""
    with write_session() as session:
        existing = {u.username: u.id for u in session.scalars(select(User))}
        companies = {c.ice: c.id for c in session.scalars(select(Company))}
    ids = []
    for name, ice in COMPANIES:
        ids.append(companies.get(ice) or accounts.create_company(name, ice))
    for username, full_name, role, company in DEMO_USERS:
        if username not in existing:
            existing[username] = accounts.create_user(
                username, full_name, DEMO_PASSWORD, role,
                ids[company] if company is not None else None, rounds=rounds,
            )
    return existing


def seed_demo(
    licences: int = 120,
    *,
    seed: int = 2026,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 10_000,
    rounds: int = 12,
) -> int:
    """Add `licences` demo licences (accounts created if needed). Returns how many were written."""
    users = ensure_demo_accounts(rounds)
    today = today or utcnow().date()
    rng = random.Random(seed)
    with write_session() as session:
        company_ids = [
            session.scalar(select(Company.id).where(Company.ice == ice)) for _, ice in COMPANIES
        ]
        tariffs = list(session.execute(select(TariffCode.code, TariffCode.description,
                                              TariffCode.supplementary_unit)))
        offices = list(reference.code_list(session, "office"))
        regimes = list(reference.code_list(session, "regime"))
        doc_types = list(reference.code_list(session, "document_type"))
        ids = _Ids({
            "licences": (session.scalar(select(func.max(Licence.id))) or 0) + 1,
            "files": (session.scalar(select(func.max(StoredFile.id))) or 0) + 1,
            "goods": (session.scalar(select(func.max(GoodsLine.id))) or 0) + 1,
            "imputations": (session.scalar(select(func.max(Imputation.id))) or 0) + 1,
        })
        counters = dict(session.execute(select(RegistrationCounter.year,
                                               RegistrationCounter.last_value)).all())
    ctx = _Context(rng, today, users, company_ids, tariffs, offices, regimes, doc_types, ids,
                   counters, shared_files=licences > 5000)
    written = 0
    while written < licences:
        batch = _Batch()
        size = min(chunk, licences - written)
        for i in range(size):
            ctx.licence(batch, written + i)
        _flush(batch, ctx)
        written += size
        if progress:
            progress(written, licences)
    _news_since_last_week()
    return written


def _news_since_last_week() -> None:
    """Demo exporters open their first session with a week of circuit news to read."""
    with write_session() as session:
        for user in session.scalars(
            select(User).where(User.role == Role.EXPORTER, User.last_seen_events_at.is_(None))
        ):
            user.last_seen_events_at = utcnow() - dt.timedelta(days=7)


# SQLite's page cache while the seed writes a batch (its default is 2 MB): the licence table's
# indexes take rows in random order, and a small cache writes the same pages again and again.
# With batches of 10,000 licences, a 50,000-licence seed writes 0.45 GB instead of 1.3 GB.
SEED_CACHE_KIB = 256 * 1024
DEFAULT_CACHE_KIB = 2000


def _flush(batch: _Batch, ctx: _Context) -> None:
    with write_session() as session:
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA cache_size=-{SEED_CACHE_KIB}")
        for model in INSERT_ORDER:
            rows = batch.rows.get(model)
            if rows:
                # Core executemany: no primary keys to fetch back, one statement per table.
                conn.execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]
        for year, value in ctx.counters.items():
            session.merge(RegistrationCounter(year=year, last_value=value))
        if conn.dialect.name == "postgresql":
            # Ids given explicitly do not move PostgreSQL's sequences: without this, the next
            # licence, goods line, file or imputation the services create collides with the demo.
            for model in OWN_IDS:
                table = model.__table__.name  # type: ignore[attr-defined]
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}))"))
        if conn.dialect.name == "sqlite":  # the pooled connection goes back to the app as it was
            conn.exec_driver_sql(f"PRAGMA cache_size=-{DEFAULT_CACHE_KIB}")


class _Context:
    def __init__(
        self, rng: random.Random, today: dt.date, users: dict[str, int], company_ids: list[Any],
        tariffs: list[Any], offices: list[str], regimes: list[str], doc_types: list[str],
        ids: _Ids, counters: dict[int, int], *, shared_files: bool,
    ) -> None:
        self.rng, self.today, self.users = rng, today, users
        # Nothing happens after now: notifications and histories would show the future.
        self.now = min(utcnow(), dt.datetime.combine(today, dt.time(23, 0)))
        self.company_ids, self.tariffs = company_ids, tariffs
        self.offices, self.regimes, self.doc_types = offices, regimes, doc_types
        self.ids, self.counters = ids, counters
        self.exporters = [users["exportateur"], users["exportateur2"]]
        self.shared_files = shared_files
        self.pool: dict[str, int] = {}
        self.last_event = dt.datetime.min
        self.goods_ids: list[int] = []

    # -------------------------------------------------------------- helpers
    def pick_status(self, index: int) -> Status:
        if index < 2 * len(STATUS_ORDER):  # both companies get every status first
            return STATUS_ORDER[index // 2]
        return self.rng.choices(STATUS_ORDER, weights=list(STATUS_WEIGHTS.values()))[0]

    def when(self, start: dt.datetime, min_hours: float, max_hours: float) -> dt.datetime:
        moment = start + dt.timedelta(hours=self.rng.uniform(min_hours, max_hours))
        return min(moment, self.now)

    def file(self, batch: _Batch, kind: str, lines: list[str], moment: dt.datetime) -> int:
        if self.shared_files and kind in self.pool:
            return self.pool[kind]
        data = tiny_pdf(lines)
        file_id = self.ids.take("files")
        batch.add(StoredFile, id=file_id, file_name=f"{kind}_{file_id}.pdf", size=len(data),
                  sha256=hashlib.sha256(data).hexdigest(), content=data, uploaded_at=moment)
        if self.shared_files:
            self.pool[kind] = file_id
        return file_id

    def event(self, batch: _Batch, licence_id: int, moment: dt.datetime, user: str | None,
              action: Action, before: Status | None, after: Status, details: str | None = None
              ) -> None:
        role = {"exportateur": Role.EXPORTER, "exportateur2": Role.EXPORTER, "mce": Role.MCE,
                "douane": Role.CUSTOMS, "banque": Role.BANK}.get(user or "", SYSTEM)
        self.last_event = max(self.last_event, moment)
        batch.add(HistoryEvent, licence_id=licence_id, occurred_at=moment,
                  user_id=self.users[user] if user else None, username=user or SYSTEM,
                  role=role, action=action, status_before=before, status_after=after,
                  details=details)

    # -------------------------------------------------------------- one licence
    def licence(self, batch: _Batch, index: int) -> None:
        rng = self.rng
        status = self.pick_status(index)
        company = index % 2
        exporter = ("exportateur", "exportateur2")[company]
        created = self.created_at(status)
        year = created.year
        self.counters[year] = self.counters.get(year, 0) + 1
        lid = self.ids.take("licences")
        self.last_event = created
        self.goods_ids = []
        currency = rng.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0]
        lines = self.goods(rng.randint(1, 3))
        total = sum((v for *_, v in lines), Decimal("0"))
        row: dict[str, Any] = dict(
            id=lid, registration_number=f"LE-{year}-{self.counters[year]:06d}", category="LE",
            company_id=self.company_ids[company], recipient=rng.choice(RECIPIENTS),
            total_amount=total, currency=currency, customs_regime=self.regimes[0]
            if rng.random() < 0.75 else rng.choice(self.regimes),
            customs_office=rng.choice(self.offices), payment_terms="VF",
            incoterm=rng.choice(("FOB", "FOB", "CIF", "CFR", "EXW", "FCA", "DAP")),
            status=status, version=1, revision=0, created_by_id=self.users[exporter],
            created_at=created, updated_at=created, submitted_at=None, decided_at=None,
            visa_number=None, visa_date=None, validity_end=None, refusal_reason=None,
            correction_reason=None, cancellation_reason=None, copied_from_id=None,
        )
        self.event(batch, lid, created, exporter, Action.CREATE, None, Status.DRAFT)
        filled = self.when(created, 0.2, 30)
        self.sections(batch, lid, row, lines, filled)
        self.event(batch, lid, filled, exporter, Action.EDIT, Status.DRAFT, Status.DRAFT,
                   "Pays de destination, facture et marchandises ajoutés")
        self.lifecycle(batch, row, lines, exporter, filled)
        row["updated_at"] = self.last_event
        batch.add(Licence, **row)

    def created_at(self, status: Status) -> dt.datetime:
        rng = self.rng
        recent = {Status.DRAFT: 20, Status.SUBMITTED: 12, Status.VISAED: 80,
                  Status.PARTIALLY_IMPUTED: 120, Status.FULLY_IMPUTED: 170}
        if status in recent:
            days_back = rng.uniform(1, recent[status])
        elif status == Status.EXPIRED:
            days_back = rng.uniform(200, 540)
        else:
            days_back = rng.uniform(15, 540)
        moment = dt.datetime.combine(self.today, dt.time(8)) - dt.timedelta(days=days_back)
        return moment.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59),
                              second=rng.randint(0, 59), microsecond=0)

    def goods(self, count: int) -> list[tuple[Any, Decimal, Decimal, Decimal | None, Decimal]]:
        """(tariff row, quantity, net weight, supplementary units, value) per line."""
        out = []
        for _ in range(count):
            tariff = self.rng.choice(self.tariffs)
            qty = Decimal(self.rng.randint(10, 40000))
            weight = (qty * Decimal(str(round(self.rng.uniform(0.2, 1.2), 2)))).quantize(
                Decimal("0.001"))
            units = qty if tariff.supplementary_unit else None
            value = (qty * Decimal(str(round(self.rng.uniform(0.8, 25), 2)))).quantize(
                Decimal("0.01"))
            out.append((tariff, qty, weight, units, value))
        return out

    def sections(self, batch: _Batch, lid: int, row: dict[str, Any], lines: list[Any],
                 moment: dt.datetime) -> None:
        rng = self.rng
        for code in rng.sample(DESTINATIONS, k=rng.choice((1, 1, 1, 2, 3))):
            batch.add(LicenceCountry, licence_id=lid, country_code=code)
        invoice_day = moment.date() - dt.timedelta(days=rng.randint(0, 10))
        fid = self.file(batch, "facture", [f"FACTURE {row['registration_number']}",
                                           f"Montant : {row['total_amount']} {row['currency']}",
                                           f"Date : {fr_date(invoice_day)}"], moment)
        batch.add(Invoice, licence_id=lid, amount=row["total_amount"], invoice_date=invoice_day,
                  file_id=fid)
        if rng.random() < 0.5:
            fid = self.file(batch, "certificat_origine",
                            [f"CERTIFICAT D'ORIGINE {row['registration_number']}"], moment)
            batch.add(Document, licence_id=lid, doc_type=rng.choice(self.doc_types),
                      description="Certificat d'origine", doc_date=invoice_day, file_id=fid)
        for number, (tariff, qty, weight, units, _value) in enumerate(lines, start=1):
            self.goods_ids.append(self.ids.take("goods"))
            batch.add(GoodsLine, id=self.goods_ids[-1], licence_id=lid, line_no=number,
                      designation=tariff.description[:80], origin_country="MA", quantity=qty,
                      net_weight=weight, supplementary_units=units, tariff_code=tariff.code)

    def lifecycle(self, batch: _Batch, row: dict[str, Any], lines: list[Any], exporter: str,
                  moment: dt.datetime) -> None:
        status, lid, rng = Status(row["status"]), row["id"], self.rng
        if status == Status.DRAFT:
            return
        if status == Status.CANCELLED and rng.random() < 0.5:
            at = self.when(moment, 1, 200)
            row["cancellation_reason"] = "Commande annulée par le client"
            self.event(batch, lid, at, exporter, Action.CANCEL, Status.DRAFT, status,
                       row["cancellation_reason"])
            return
        submitted = self.when(moment, 0.5, 48)
        row["submitted_at"] = submitted
        self.event(batch, lid, submitted, exporter, Action.SUBMIT, Status.DRAFT, Status.SUBMITTED)
        if rng.random() < 0.1:  # some come back from the Ministry once before their decision
            sent = self.when(submitted, 2, 72)
            self.event(batch, lid, sent, "mce", Action.SEND_BACK, Status.SUBMITTED, Status.DRAFT,
                       "Facture illisible : joindre une copie lisible.")
            submitted = self.when(sent, 1, 48)
            row["submitted_at"] = submitted
            self.event(batch, lid, submitted, exporter, Action.SUBMIT, Status.DRAFT,
                       Status.SUBMITTED)
        if status == Status.SUBMITTED:
            return
        decided = self.when(submitted, 2, 24 * 9)
        row["decided_at"] = decided
        if status == Status.REFUSED:
            row["refusal_reason"] = rng.choice((
                "Marchandise soumise à restriction quantitative.",
                "Pièces justificatives insuffisantes.",
                "Incohérence entre la facture et les marchandises déclarées."))
            self.event(batch, lid, decided, "mce", Action.REFUSE, Status.SUBMITTED, status,
                       row["refusal_reason"])
            return
        visa_day = decided.date()
        end = visa_day + dt.timedelta(days=182)
        if status == Status.EXPIRED:
            end = min(end, self.today - dt.timedelta(days=rng.randint(1, 60)))
        elif status in (Status.VISAED, Status.PARTIALLY_IMPUTED, Status.FULLY_IMPUTED):
            end = max(end, self.today + dt.timedelta(days=rng.randint(3, 120)))
        row.update(visa_number=f"V{visa_day:%Y}-{lid:07d}", visa_date=visa_day, validity_end=end)
        self.event(batch, lid, decided, "mce", Action.GRANT_VISA, Status.SUBMITTED,
                   Status.VISAED, f"Visa n° {row['visa_number']}, valable jusqu'au {fr_date(end)}")
        if status == Status.VISAED:
            return
        if status == Status.CANCELLED:
            at = self.when(decided, 24, 24 * 30)
            row["cancellation_reason"] = "Expédition reportée sine die"
            self.event(batch, lid, at, exporter, Action.CANCEL, Status.VISAED, status,
                       row["cancellation_reason"])
            return
        if status == Status.EXPIRED:
            at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0, 5))
            self.event(batch, lid, at, None, Action.EXPIRE, Status.VISAED, status,
                       f"Fin de validité le {fr_date(end)} sans imputation.")
            return
        self.imputations(batch, row, lines, status, decided)

    def imputations(self, batch: _Batch, row: dict[str, Any], lines: list[Any], status: Status,
                    decided: dt.datetime) -> None:
        rng, lid = self.rng, row["id"]
        goods_ids = self.goods_ids
        parts = [(Decimal("0.5"), Decimal("0.5")), (Decimal("1"),)][rng.random() < 0.5]
        if status == Status.PARTIALLY_IMPUTED:
            parts = (Decimal(str(round(rng.uniform(0.2, 0.8), 2))),)
        at, before, imputed_value = decided, Status.VISAED, Decimal("0")
        for n, share in enumerate(parts, start=1):
            at = self.when(at, 24, 24 * 20)
            last = n == len(parts) and status != Status.PARTIALLY_IMPUTED
            after = Status.FULLY_IMPUTED if last else Status.PARTIALLY_IMPUTED
            imp_id = self.ids.take("imputations")
            ref = f"DUM-{at:%Y}-{imp_id:08d}"
            batch.add(Imputation, id=imp_id, licence_id=lid, declaration_ref=ref,
                      declaration_date=at.date(), customs_office=row["customs_office"],
                      created_by_id=self.users["douane"], created_at=at)
            value_sum = Decimal("0")
            for gid, (_t, qty, _w, _u, value) in zip(goods_ids, lines, strict=True):
                q = (qty * share).quantize(Decimal("0.001"))
                v = (value * share).quantize(Decimal("0.01"))
                if last and len(parts) == 2:  # the rest, exactly
                    q = qty - (qty * parts[0]).quantize(Decimal("0.001"))
                    v = value - (value * parts[0]).quantize(Decimal("0.01"))
                if q > 0:
                    batch.add(ImputationLine, imputation_id=imp_id, goods_line_id=gid,
                              quantity=q, value=v)
                    value_sum += v
            imputed_value += value_sum
            self.event(batch, lid, at, "douane", Action.IMPUTE, before, after,
                       f"Déclaration {ref} du {fr_date(at)}, bureau {row['customs_office']} : "
                       f"{len(goods_ids)} ligne(s), valeur {fr_amount(value_sum, row['currency'])}")
            before = after
        if status == Status.PARTIALLY_IMPUTED and rng.random() < 0.5:
            self.repatriation(batch, row, (imputed_value * Decimal("0.6")).quantize(
                Decimal("0.01")), at, before)
        if status == Status.SETTLED:
            at = self.repatriation(batch, row, imputed_value, at, before)
            at = self.when(at, 1, 24 * 5)
            self.event(batch, lid, at, "banque", Action.SETTLE, before, Status.SETTLED,
                       f"Imputé {imputed_value} {row['currency']}, rapatrié {imputed_value} "
                       f"{row['currency']}")

    def repatriation(self, batch: _Batch, row: dict[str, Any], amount: Decimal,
                     after: dt.datetime, status: Status) -> dt.datetime:
        at = self.when(after, 24, 24 * 40)
        ref = f"RAP-{row['id']:08d}-{self.rng.randint(100, 999)}"
        fid = self.file(batch, "avis_rapatriement",
                        [f"AVIS DE RAPATRIEMENT {ref}", f"{amount} {row['currency']}"], at)
        batch.add(Repatriation, licence_id=row["id"], amount=amount,
                  repatriation_date=at.date(), bank_reference=ref, file_id=fid,
                  created_by_id=self.users["banque"], created_at=at)
        self.event(batch, row["id"], at, "banque", Action.RECORD_REPATRIATION, status, status,
                   f"Rapatriement {ref} du {fr_date(at)} : {fr_amount(amount, row['currency'])}")
        return at


def reset_database(url: str | None = None) -> None:
    """Drop everything (history included, which only a schema drop can remove) and re-create."""
    url = url or current_url()
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        dispose_engines()
        import os

        for suffix in ("", "-wal", "-shm"):
            if path and os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        dispose_engines()
    prepare_database(url)
