"""Use cases: one function each, one transaction each.

Every function takes the acting user, re-reads that user from the database, checks role, company
and status through `core.lifecycle`, changes what it must, appends its history event in the same
transaction, and returns plain data. Anything refused raises a French `DomainError` and leaves
the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from core import changes as ch
from core import reference
from core.config import settings
from core.database import read_session, write_session
from core.errors import ConcurrentChange, DomainError, NotAllowed, NotFound, ValidationFailed
from core.files import check_pdf
from core.lifecycle import IMPUTED_STATUSES, SYSTEM, Action, Role, Status, check
from core.models import (
    Document,
    GoodsLine,
    HistoryChange,
    HistoryEvent,
    Imputation,
    ImputationLine,
    Invoice,
    Licence,
    LicenceCountry,
    LicenceRevision,
    RegistrationCounter,
    Repatriation,
    StoredFile,
    TariffCode,
    User,
    utcnow,
)
from core.text import fr_amount, fr_date, fr_quantity
from core.validation import Checker
from core.views import (
    Actor,
    CountryView,
    DocumentView,
    FieldChange,
    FileView,
    GoodsLineView,
    HistoryRow,
    ImputationLineView,
    ImputationView,
    InvoiceView,
    LicenceDetail,
    RepatriationView,
    RevisionComparison,
)

ZERO = Decimal("0")

def today() -> dt.date:
    return utcnow().date()


# ------------------------------------------------------------------ transactions and actors
@contextmanager
def writing() -> Iterator[Session]:
    try:
        with write_session() as session:
            yield session
    except StaleDataError:
        raise ConcurrentChange() from None
    except IntegrityError as exc:
        raise _integrity_message(exc) from None


def _integrity_message(exc: IntegrityError) -> DomainError:
    text = str(exc.orig).lower()
    if "uq_imputations_licence_ref" in text or "imputations.licence_id" in text:
        return ValidationFailed({"declaration_ref": "Cette déclaration est déjà imputée."})
    if "uq_repatriations_licence_ref" in text or "repatriations.licence_id" in text:
        return ValidationFailed({"bank_reference": "Cette référence bancaire est déjà enregistrée."})
    if "visa_number" in text:
        return ValidationFailed({"visa_number": VISA_TAKEN})
    if "licence_country" in text or "licence_countries" in text:
        return ValidationFailed({"country": "Ce pays est déjà dans la liste."})
    if "users.username" in text or "uq_users_username" in text:
        return ValidationFailed({"username": "Ce nom d'utilisateur existe déjà."})
    if "companies.ice" in text or "uq_companies_ice" in text:
        return ValidationFailed({"ice": "Cet ICE est déjà enregistré."})
    return DomainError("Enregistrement refusé : les données sont en conflit avec l'existant.")


VISA_TAKEN = "Numéro de visa : déjà attribué à une autre licence."


def current_user(session: Session, actor: Actor) -> User:
    """The acting user as the database knows it now (a deactivated account can do nothing).
    Every read and write of core opens with it, in this module and the others."""
    user = session.get(User, actor.user_id)
    if user is None or not user.active or user.username != actor.username:
        raise NotAllowed("Votre compte est désactivé ou inconnu : reconnectez-vous.")
    return user


def visibility(user: User) -> ColumnElement[bool]:
    """SQL condition of the licences `user` may see."""
    if user.role == Role.EXPORTER:
        return Licence.company_id == user.company_id
    return and_(Licence.status != Status.DRAFT, Licence.submitted_at.is_not(None))


def _load(session: Session, user: User, licence_id: int, *, lock: bool = False) -> Licence:
    query = select(Licence).where(Licence.id == licence_id, visibility(user))
    if lock and session.bind is not None and session.bind.dialect.name != "sqlite":
        query = query.with_for_update()
    licence = session.scalars(query).first()
    if licence is None:
        # Same answer whether the licence does not exist or belongs to somebody else.
        raise NotFound()
    return licence


def _expect(licence: Licence, expected_version: int) -> None:
    if licence.version != expected_version:
        raise ConcurrentChange()


def _event(
    session: Session,
    licence: Licence,
    user: User | None,
    action: Action,
    before: Status | None,
    details: str | None = None,
    changes: Sequence[FieldChange] = (),
) -> None:
    """The history event of an operation, with each changed field, in the caller's transaction."""
    session.add(
        HistoryEvent(
            licence_id=licence.id,
            occurred_at=utcnow(),
            user_id=user.id if user else None,
            username=user.username if user else SYSTEM,
            role=user.role if user else SYSTEM,
            action=action,
            status_before=before,
            status_after=licence.status,
            details=details,
            changes=[HistoryChange(position=n, label=c.label, old_value=c.old, new_value=c.new)
                     for n, c in enumerate(changes)],
        )
    )


def _touch(licence: Licence) -> None:
    """A change to any section is a change of the licence: bumps its version."""
    licence.updated_at = utcnow()


def _act(
    session: Session,
    actor: Actor,
    licence_id: int,
    expected_version: int,
    action: Action,
) -> tuple[User, Licence, Status, tuple[Status, ...]]:
    """The common opening of every write on an existing licence."""
    user = current_user(session, actor)
    expire_due(session)
    licence = _load(session, user, licence_id, lock=True)
    status = Status(licence.status)
    allowed = check(status, action, user.role)
    _expect(licence, expected_version)
    return user, licence, status, allowed


# ------------------------------------------------------------------ expiry
def expire_due(session: Session, on: dt.date | None = None) -> int:
    """Visaed licences past their validity end with nothing imputed become `Expirée`.

    Called by every service before it reads or writes, so every screen sees the same statuses.
    """
    on = on or today()
    due = list(
        session.scalars(
            select(Licence).where(Licence.status == Status.VISAED, Licence.validity_end < on)
        )
    )
    for licence in due:
        licence.status = Status.EXPIRED
        _touch(licence)
        _event(
            session, licence, None, Action.EXPIRE, Status.VISAED,
            f"Fin de validité le {fr_date(licence.validity_end)} sans imputation.",
        )
    return len(due)


def run_expiry(on: dt.date | None = None) -> int:
    with writing() as session:
        return expire_due(session, on)


def expire_before_read() -> None:
    """Reads apply expiry too, but only take the write lock when something is due."""
    with read_session() as session:
        due = session.scalar(
            select(Licence.id).where(
                Licence.status == Status.VISAED, Licence.validity_end < today()
            ).limit(1)
        )
    if due is not None:
        run_expiry()


# ------------------------------------------------------------------ numbering
def _next_registration_number(session: Session, year: int) -> str:
    """Atomic per-year counter: an upsert that returns the new value, never the same twice."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(RegistrationCounter)
        .values(year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[RegistrationCounter.year],
            set_={"last_value": RegistrationCounter.last_value + 1},
        )
        .returning(RegistrationCounter.last_value)
    )
    value = session.execute(stmt).scalar_one()
    return f"LE-{year}-{value:06d}"


# ------------------------------------------------------------------ header
HEADER_FIELDS = (
    "recipient", "category", "total_amount", "currency", "customs_regime", "customs_office",
    "payment_terms", "incoterm",
)


def _check_header(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    c = Checker()
    out: dict[str, Any] = {
        "recipient": c.text("recipient", "Destinataire", data.get("recipient"), max_len=200,
                            required=False),
        "category": c.code("category", "Catégorie", data.get("category") or "LE",
                           reference.code_list(session, "category")),
        "total_amount": c.amount("total_amount", "Montant total", data.get("total_amount")),
        "currency": c.code("currency", "Devise", data.get("currency"), reference.currencies()),
        "customs_regime": c.code("customs_regime", "Régime douanier", data.get("customs_regime"),
                                 reference.code_list(session, "regime")),
        "customs_office": c.code("customs_office", "Bureau douanier", data.get("customs_office"),
                                 reference.code_list(session, "office")),
        "payment_terms": c.code("payment_terms", "Modalité de paiement",
                                data.get("payment_terms") or "VF",
                                reference.code_list(session, "payment_terms")),
        "incoterm": c.code("incoterm", "Incoterm", data.get("incoterm"), reference.INCOTERMS),
    }
    unknown = set(data) - set(HEADER_FIELDS)
    if unknown:
        c.fail("form", f"Champs inconnus refusés : {', '.join(sorted(unknown))}.")
    c.done()
    return out


def _header_names(session: Session) -> dict[str, dict[str, str]]:
    """The reference lists the history names header codes with."""
    return {
        "customs_regime": reference.code_list(session, "regime", include_inactive=True),
        "customs_office": reference.code_list(session, "office", include_inactive=True),
        "payment_terms": reference.code_list(session, "payment_terms", include_inactive=True),
    }


def _header_of(licence: Licence) -> dict[str, Any]:
    return {k: getattr(licence, k) for k in HEADER_FIELDS}


def create_licence(actor: Actor, header: Mapping[str, Any]) -> LicenceDetail:
    """*Sauvegarder* on a new licence: assigns `LE-YYYY-NNNNNN` and opens the sections."""
    with writing() as session:
        user = current_user(session, actor)
        check(None, Action.CREATE, user.role)
        values = _check_header(session, header)
        now = utcnow()
        licence = Licence(
            registration_number=_next_registration_number(session, now.year),
            company_id=user.company_id, status=Status.DRAFT, created_by_id=user.id,
            created_at=now, updated_at=now, **values,
        )
        session.add(licence)
        session.flush()
        _event(session, licence, user, Action.CREATE, None,
               changes=ch.header_changes({}, values, _header_names(session)))
        return _detail(session, licence)


def update_header(
    actor: Actor, licence_id: int, expected_version: int, header: Mapping[str, Any]
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        values = _check_header(session, header)
        if values["currency"] != licence.currency and licence.invoices:
            # Invoices are in the licence's currency: changing it would silently change them.
            raise ValidationFailed({"currency": (
                f"Devise : la licence a déjà {len(licence.invoices)} facture(s) en "
                f"{licence.currency}. Retirez d'abord les factures pour changer de devise.")})
        before = _header_of(licence)
        changed = [k for k, v in values.items() if before[k] != v]
        if not changed:
            return _detail(session, licence)  # nothing changed: no event, same version
        for key in changed:
            setattr(licence, key, values[key])
        _touch(licence)
        _event(session, licence, user, Action.EDIT, status, "En-tête modifié",
               ch.header_changes(before, values, _header_names(session)))
        return _detail(session, licence)


# ------------------------------------------------------------------ sections
def add_country(
    actor: Actor, licence_id: int, expected_version: int, country_code: str
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        c = Checker()
        code = c.code("country", "Pays de destination", country_code,
                      reference.destination_countries())
        c.done()
        if any(existing.country_code == code for existing in licence.countries):
            raise ValidationFailed({"country": "Ce pays est déjà dans la liste."})
        licence.countries.append(LicenceCountry(country_code=code))
        _touch(licence)
        name = f"{reference.countries()[code]} ({code})"
        _event(session, licence, user, Action.EDIT, status,
               f"Pays de destination ajouté : {name}", ch.added([(ch.COUNTRIES, name)]))
        return _detail(session, licence)


def _child(items: list[Any], child_id: int, what: str) -> Any:
    for item in items:
        if item.id == child_id:
            return item
    raise NotFound(f"{what} introuvable sur cette licence.")


def remove_country(
    actor: Actor, licence_id: int, expected_version: int, country_id: int
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        item = _child(licence.countries, country_id, "Pays")
        licence.countries.remove(item)
        _touch(licence)
        name = f"{reference.countries().get(item.country_code, '')} ({item.country_code})"
        _event(session, licence, user, Action.EDIT, status,
               f"Pays de destination retiré : {name.strip()}",
               ch.removed([(ch.COUNTRIES, name.strip())]))
        return _detail(session, licence)


def _store(session: Session, file_name: str, data: bytes, field: str) -> StoredFile:
    pdf = check_pdf(file_name, data, field)
    stored = StoredFile(file_name=pdf.file_name, size=pdf.size, sha256=pdf.sha256,
                        content=pdf.data, uploaded_at=utcnow())
    session.add(stored)
    session.flush()
    return stored


def add_invoice(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    amount: object,
    invoice_date: object,
    file_name: str,
    data: bytes,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        c = Checker()
        value = c.amount("amount", "Montant", amount)
        day = c.date("invoice_date", "Date", invoice_date, today=today())
        c.done()
        stored = _store(session, file_name, data, "file")
        licence.invoices.append(Invoice(amount=value, invoice_date=day, file_id=stored.id))
        _touch(licence)
        _event(session, licence, user, Action.EDIT, status,
               f"Facture ajoutée : {fr_amount(value, licence.currency)} du {fr_date(day)} "
               f"({stored.file_name})",
               ch.added(ch.invoice_fields(value, licence.currency, day, stored.file_name)))
        return _detail(session, licence)


def remove_invoice(
    actor: Actor, licence_id: int, expected_version: int, invoice_id: int
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        item = _child(licence.invoices, invoice_id, "Facture")
        licence.invoices.remove(item)
        _touch(licence)
        _event(session, licence, user, Action.EDIT, status,
               f"Facture retirée : {fr_amount(item.amount, licence.currency)} du "
               f"{fr_date(item.invoice_date)}",
               ch.removed(ch.invoice_fields(item.amount, licence.currency, item.invoice_date,
                                            item.file.file_name)))
        return _detail(session, licence)


def add_document(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    doc_type: str,
    description: str,
    doc_date: object,
    file_name: str,
    data: bytes,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        c = Checker()
        types = reference.code_list(session, "document_type")
        code = c.code("doc_type", "Type du document", doc_type, types)
        text = c.text("description", "Description", description, max_len=300)
        day = c.date("doc_date", "Date", doc_date, today=today())
        c.done()
        stored = _store(session, file_name, data, "file")
        licence.documents.append(
            Document(doc_type=code, description=text or "", doc_date=day, file_id=stored.id)
        )
        _touch(licence)
        _event(session, licence, user, Action.EDIT, status,
               f"Document ajouté : {types[code]} – {text} ({stored.file_name})",
               ch.added(ch.document_fields(types[code], text or "", day, stored.file_name)))
        return _detail(session, licence)


def remove_document(
    actor: Actor, licence_id: int, expected_version: int, document_id: int
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        item = _child(licence.documents, document_id, "Document")
        licence.documents.remove(item)
        _touch(licence)
        types = reference.code_list(session, "document_type", include_inactive=True)
        _event(session, licence, user, Action.EDIT, status,
               f"Document retiré : {item.description}",
               ch.removed(ch.document_fields(types.get(item.doc_type, item.doc_type),
                                             item.description, item.doc_date,
                                             item.file.file_name)))
        return _detail(session, licence)


def add_goods_line(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    *,
    designation: str,
    origin_country: str,
    quantity: object,
    net_weight: object,
    tariff_code: str,
    supplementary_units: object = None,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        c = Checker()
        text = c.text("designation", "Désignation commerciale", designation, max_len=300)
        origin = c.code("origin_country", "Pays d'origine", origin_country, reference.countries())
        qty = c.decimal("quantity", "Quantité", quantity, places=3)
        weight = c.decimal("net_weight", "Poids net", net_weight, places=3)
        code = (tariff_code or "").strip().replace(".", "").replace(" ", "")
        tariff = session.get(TariffCode, code) if code else None
        if tariff is None:
            c.fail("tariff_code", "Nomenclature douanière : choisissez un code existant (loupe).")
        units = c.decimal("supplementary_units", "Unités complémentaires", supplementary_units,
                          places=3, allow_zero=True,
                          required=bool(tariff and tariff.supplementary_unit))
        c.done()
        assert tariff is not None and qty is not None and weight is not None
        line_no = max((g.line_no for g in licence.goods), default=0) + 1
        licence.goods.append(
            GoodsLine(line_no=line_no, designation=text or "", origin_country=origin,
                      quantity=qty, net_weight=weight, supplementary_units=units,
                      tariff_code=tariff.code)
        )
        _touch(licence)
        _event(session, licence, user, Action.EDIT, status,
               f"Marchandise ajoutée : {text} ({tariff.code}), quantité {fr_quantity(qty)}",
               ch.added(_goods_fields(line_no, text or "", origin, qty, weight, units, tariff)))
        return _detail(session, licence)


def _goods_fields(line_no: int, designation: str, origin: str, quantity: Decimal,
                  net_weight: Decimal, units: Decimal | None, tariff: TariffCode
                  ) -> list[tuple[str, str]]:
    origin_name = f"{reference.countries().get(origin, origin)} ({origin})"
    return ch.goods_fields(line_no, designation, origin_name, quantity, net_weight, units,
                           tariff.supplementary_unit, f"{tariff.code} – {tariff.description}")


def remove_goods_line(
    actor: Actor, licence_id: int, expected_version: int, goods_line_id: int
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(session, actor, licence_id, expected_version, Action.EDIT)
        item = _child(licence.goods, goods_line_id, "Marchandise")
        licence.goods.remove(item)
        _touch(licence)
        _event(session, licence, user, Action.EDIT, status,
               f"Marchandise retirée : {item.designation}",
               ch.removed(_goods_fields(item.line_no, item.designation, item.origin_country,
                                        item.quantity, item.net_weight,
                                        item.supplementary_units, item.tariff)))
        return _detail(session, licence)


# ------------------------------------------------------------------ exporter's lifecycle
def missing_items(licence: Licence) -> list[str]:
    """What *Soumettre pour visa* still needs, in the guide's words."""
    missing = []
    if not licence.countries:
        missing.append("Au moins un pays de destination doit être renseigné.")
    if not licence.invoices:
        missing.append("Au moins une facture doit être ajoutée.")
    if not licence.goods:
        missing.append("Au moins une marchandise est requise.")
    return missing


def _warnings(licence: Licence) -> list[str]:
    total = sum((i.amount for i in licence.invoices), ZERO)
    if licence.invoices and total != licence.total_amount:
        return [
            f"La somme des factures ({fr_amount(total, licence.currency)}) diffère du montant "
            f"total ({fr_amount(licence.total_amount, licence.currency)})."
        ]
    return []


def submit_for_visa(actor: Actor, licence_id: int, expected_version: int) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.SUBMIT
        )
        missing = missing_items(licence)
        if missing:
            raise ValidationFailed({"submit": "Licence incomplète : " + " ".join(missing)})
        licence.status = target
        licence.submitted_at = utcnow()
        licence.correction_reason = None
        _touch(licence)
        _event(session, licence, user, Action.SUBMIT, status)
        return _detail(session, licence)


def _reason(raw: object, label: str = "Motif") -> str:
    c = Checker()
    text = c.text("reason", label, raw, max_len=1000, multiline=True)
    c.done()
    return text or ""


def cancel_licence(
    actor: Actor, licence_id: int, expected_version: int, reason: str
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.CANCEL
        )
        text = _reason(reason, "Motif de l'annulation")
        licence.status = target
        licence.cancellation_reason = text
        _touch(licence)
        _event(session, licence, user, Action.CANCEL, status, text,
               ch.added([("Motif de l'annulation", text)]))
        return _detail(session, licence)


def request_modification(
    actor: Actor, licence_id: int, expected_version: int, reason: str
) -> LicenceDetail:
    """After the visa and before any imputation: back to draft as a new revision."""
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.REQUEST_MODIFICATION
        )
        text = _reason(reason, "Motif de la modification")
        if _active(licence.imputations) or _active(licence.repatriations):
            # The table already forbids it; the data must agree.
            raise NotAllowed("La licence a fait l'objet d'une imputation : modification impossible.")
        details = f"Révision {licence.revision + 1} – visa {licence.visa_number} annulé : {text}"
        changed = ch.changes([("Révision", str(licence.revision), str(licence.revision + 1)),
                              ("Motif de la modification", "", text)])
        changed += ch.removed(ch.visa_fields(licence.visa_number, licence.visa_date,
                                             licence.validity_end))
        licence.status = target
        licence.revision += 1
        licence.visa_number = None
        licence.visa_date = None
        licence.validity_end = None
        licence.decided_at = None
        _touch(licence)
        _event(session, licence, user, Action.REQUEST_MODIFICATION, status, details, changed)
        return _detail(session, licence)


def copy_licence(actor: Actor, licence_id: int) -> LicenceDetail:
    """A new draft with the header, destinations and goods of an existing licence."""
    with writing() as session:
        user = current_user(session, actor)
        source = _load(session, user, licence_id)
        check(Status(source.status), Action.COPY, user.role)
        now = utcnow()
        licence = Licence(
            registration_number=_next_registration_number(session, now.year),
            company_id=user.company_id, status=Status.DRAFT, created_by_id=user.id,
            created_at=now, updated_at=now, copied_from_id=source.id,
            **{k: getattr(source, k) for k in HEADER_FIELDS},
        )
        licence.countries = [LicenceCountry(country_code=c.country_code) for c in source.countries]
        licence.goods = [
            GoodsLine(line_no=g.line_no, designation=g.designation,
                      origin_country=g.origin_country, quantity=g.quantity,
                      net_weight=g.net_weight, supplementary_units=g.supplementary_units,
                      tariff_code=g.tariff_code)
            for g in source.goods
        ]
        session.add(licence)
        session.flush()
        _event(session, licence, user, Action.COPY, None,
               f"Copie de la licence {source.registration_number}",
               ch.header_changes({}, _header_of(licence), _header_names(session)))
        return _detail(session, licence)


# ------------------------------------------------------------------ MCE
def grant_visa(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    visa_number: str,
    validity_end: object = None,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.GRANT_VISA
        )
        day = today()
        c = Checker()
        number = c.reference("visa_number", "Numéro de visa", visa_number, max_len=40)
        end = default_validity_end(day) if validity_end in (None, "") else c.date(
            "validity_end", "Fin de validité", validity_end, today=day, not_future=False
        )
        if end <= day:
            c.fail("validity_end", "Fin de validité : doit être postérieure à la date du visa.")
        if end > day + dt.timedelta(days=3 * 366):
            c.fail("validity_end", "Fin de validité : 3 ans au plus après le visa.")
        if number and session.scalar(
            select(Licence.id).where(Licence.visa_number == number, Licence.id != licence.id)
        ):
            c.fail("visa_number", VISA_TAKEN)  # the unique index backs this up under a race
        c.done()
        assert number is not None
        licence.status = target
        licence.visa_number = number
        licence.visa_date = day
        licence.validity_end = end
        licence.decided_at = utcnow()
        licence.refusal_reason = None
        _touch(licence)
        _event(session, licence, user, Action.GRANT_VISA, status,
               f"Visa n° {number}, valable jusqu'au {fr_date(end)}",
               ch.added(ch.visa_fields(number, day, end)))
        detail = _detail(session, licence)
        # What was visaed, kept for the comparison with a later revision.
        session.add(LicenceRevision(licence_id=licence.id, revision=licence.revision,
                                    visa_number=number, visa_date=day,
                                    content=ch.snapshot(detail), created_at=utcnow()))
        return detail


def default_validity_end(visa_day: dt.date) -> dt.date:
    months = settings().visa_validity_months
    month_index = visa_day.month - 1 + months
    year, month = visa_day.year + month_index // 12, month_index % 12 + 1
    for day in (visa_day.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def refuse_visa(actor: Actor, licence_id: int, expected_version: int, reason: str) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.REFUSE
        )
        text = _reason(reason, "Motif du refus")
        licence.status = target
        licence.refusal_reason = text
        licence.decided_at = utcnow()
        _touch(licence)
        _event(session, licence, user, Action.REFUSE, status, text,
               ch.added([("Motif du refus", text)]))
        return _detail(session, licence)


def send_back(actor: Actor, licence_id: int, expected_version: int, reason: str) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.SEND_BACK
        )
        text = _reason(reason, "Motif du renvoi")
        licence.status = target
        licence.correction_reason = text
        licence.decided_at = utcnow()
        _touch(licence)
        _event(session, licence, user, Action.SEND_BACK, status, text,
               ch.added([("Motif du renvoi pour correction", text)]))
        return _detail(session, licence)


# ------------------------------------------------------------------ customs
def _imputed_by_line(session: Session, licence_id: int) -> dict[int, tuple[Decimal, Decimal]]:
    rows = session.execute(
        select(
            ImputationLine.goods_line_id,
            func.sum(ImputationLine.quantity),
            func.sum(ImputationLine.value),
        )
        .join(Imputation, Imputation.id == ImputationLine.imputation_id)
        .where(Imputation.licence_id == licence_id, Imputation.reversed_at.is_(None))
        .group_by(ImputationLine.goods_line_id)
    )
    return {
        gid: (Decimal(str(q)).quantize(Decimal("0.001")), Decimal(str(v)).quantize(Decimal("0.01")))
        for gid, q, v in rows
    }


def impute(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    *,
    declaration_ref: str,
    declaration_date: object,
    customs_office: str,
    lines: Mapping[int, tuple[object, object]],
) -> LicenceDetail:
    """Impute one customs declaration: `lines` maps a goods line id to (quantity, value)."""
    with writing() as session:
        user, licence, status, allowed = _act(
            session, actor, licence_id, expected_version, Action.IMPUTE
        )
        day = today()
        if licence.validity_end is None or licence.validity_end < day:
            raise NotAllowed("La validité de la licence a expiré : imputation impossible.")
        c = Checker()
        ref = c.reference("declaration_ref", "Référence de la déclaration", declaration_ref,
                          max_len=40)
        decl_day = c.date("declaration_date", "Date de la déclaration", declaration_date, today=day)
        if licence.visa_date and decl_day < licence.visa_date:
            c.fail("declaration_date", "Date de la déclaration : antérieure au visa.")
        office = c.code("customs_office", "Bureau douanier", customs_office,
                        reference.code_list(session, "office"))
        if ref and any(i.declaration_ref == ref for i in _active(licence.imputations)):
            c.fail("declaration_ref", f"La déclaration {ref} est déjà imputée sur cette licence.")
        imputed = _imputed_by_line(session, licence.id)
        goods = {g.id: g for g in licence.goods}
        accepted: list[ImputationLine] = []
        for goods_id, (raw_qty, raw_value) in lines.items():
            line = goods.get(goods_id)
            if line is None:
                c.fail(f"line_{goods_id}", "Ligne de marchandise inconnue sur cette licence.")
                continue
            if raw_qty in (None, "", 0, "0") and raw_value in (None, "", 0, "0"):
                continue
            qty = c.decimal(f"quantity_{goods_id}", f"Ligne {line.line_no} – quantité",
                            raw_qty, places=3)
            value = c.decimal(f"value_{goods_id}", f"Ligne {line.line_no} – valeur",
                              raw_value, places=2)
            remaining = line.quantity - imputed.get(goods_id, (ZERO, ZERO))[0]
            if qty is not None and qty > remaining:
                c.fail(f"quantity_{goods_id}",
                       f"Ligne {line.line_no} : {fr_quantity(qty)} dépasse le reste à imputer "
                       f"({fr_quantity(remaining)}).")
            if qty is not None and value is not None:
                accepted.append(ImputationLine(goods_line_id=goods_id, quantity=qty, value=value))
        if not accepted and not c.errors:
            c.fail("lines", "Indiquez une quantité à imputer sur au moins une ligne.")
        already = sum((v for _, v in imputed.values()), ZERO)
        adding = sum((part.value for part in accepted), ZERO)
        if accepted and already + adding > licence.total_amount:
            # Apurement compares the proceeds with the imputed value: beyond the licence's
            # amount it could never be reached.
            c.fail("lines", (
                f"Valeur imputée : {fr_amount(already + adding, licence.currency)} dépasserait "
                f"le montant total de la licence ({fr_amount(licence.total_amount, licence.currency)}"
                f") ; reste imputable {fr_amount(licence.total_amount - already, licence.currency)}."))
        c.done()
        imputation = Imputation(
            licence_id=licence.id, declaration_ref=ref, declaration_date=decl_day,
            customs_office=office, created_by_id=user.id, created_at=utcnow(), lines=accepted,
        )
        session.add(imputation)
        before = dict(imputed)
        for part in accepted:
            q, v = imputed.get(part.goods_line_id, (ZERO, ZERO))
            imputed[part.goods_line_id] = (q + part.quantity, v + part.value)
        licence.status = _imputed_status(licence, imputed, allowed)
        _touch(licence)
        _event(session, licence, user, Action.IMPUTE, status,
               f"Déclaration {ref} du {fr_date(decl_day)}, bureau {office} : "
               f"{len(accepted)} ligne(s), valeur {fr_amount(adding, licence.currency)}",
               [FieldChange("Déclaration", "", f"{ref} du {fr_date(decl_day)}, bureau {office}"),
                *_imputation_changes(licence, before, imputed)])
        session.flush()
        session.expire(licence, ["imputations"])
        return _detail(session, licence)


def _active(items: Sequence[Any]) -> list[Any]:
    """Imputations not reversed, repatriation proofs not withdrawn."""
    return [i for i in items
            if getattr(i, "reversed_at", None) is None and getattr(i, "withdrawn_at", None) is None]


def _imputed_status(
    licence: Licence, imputed: Mapping[int, tuple[Decimal, Decimal]], allowed: tuple[Status, ...]
) -> Status:
    """Visée when nothing stays imputed, totale when every goods line is, else partielle."""
    if not any(q > 0 for q, _ in imputed.values()):
        target = Status.VISAED
    elif all(imputed.get(g.id, (ZERO, ZERO))[0] >= g.quantity for g in licence.goods):
        target = Status.FULLY_IMPUTED
    else:
        target = Status.PARTIALLY_IMPUTED
    if target not in allowed:  # the table and the data disagree: refuse rather than guess
        raise NotAllowed(f"Statut « {target.label} » impossible après cette opération.")
    return target


def _imputation_changes(
    licence: Licence,
    before: Mapping[int, tuple[Decimal, Decimal]],
    after: Mapping[int, tuple[Decimal, Decimal]],
) -> list[FieldChange]:
    """Per goods line, the imputed quantity and value before and after; then the licence's."""
    cur = licence.currency
    triples = []
    for g in licence.goods:
        q0, v0 = before.get(g.id, (ZERO, ZERO))
        q1, v1 = after.get(g.id, (ZERO, ZERO))
        triples += [(f"Marchandise {g.line_no} – Quantité imputée", fr_quantity(q0),
                     fr_quantity(q1)),
                    (f"Marchandise {g.line_no} – Valeur imputée", fr_amount(v0, cur),
                     fr_amount(v1, cur))]
    total0 = sum((v for _, v in before.values()), ZERO)
    total1 = sum((v for _, v in after.values()), ZERO)
    triples.append(("Valeur imputée de la licence", fr_amount(total0, cur), fr_amount(total1, cur)))
    return ch.changes(triples)


def reverse_imputation(
    actor: Actor, licence_id: int, expected_version: int, imputation_id: int, reason: str
) -> LicenceDetail:
    """Customs reverses a mistaken imputation: it stays on record (who, when, why) and out of
    every sum; quantities and values go back to the licence and its status is recomputed."""
    with writing() as session:
        user, licence, status, allowed = _act(
            session, actor, licence_id, expected_version, Action.REVERSE_IMPUTATION
        )
        text = _reason(reason, "Motif de l'annulation de l'imputation")
        imputation = _child(licence.imputations, imputation_id, "Imputation")
        if imputation.reversed_at is not None:
            raise ValidationFailed({"imputation": (
                f"L'imputation {imputation.declaration_ref} est déjà annulée.")})
        before = _imputed_by_line(session, licence.id)
        imputation.reversed_at = utcnow()
        imputation.reversed_by_id = user.id
        imputation.reversal_reason = text
        session.flush()
        after = _imputed_by_line(session, licence.id)
        licence.status = _imputed_status(licence, after, allowed)
        _touch(licence)
        _event(session, licence, user, Action.REVERSE_IMPUTATION, status,
               f"Déclaration {imputation.declaration_ref} annulée : {text}",
               [FieldChange("Déclaration annulée", f"{imputation.declaration_ref} du "
                            f"{fr_date(imputation.declaration_date)}", ""),
                FieldChange("Motif de l'annulation de l'imputation", "", text),
                *_imputation_changes(licence, before, after)])
        session.flush()
        session.expire(licence, ["imputations"])
        return _detail(session, licence)


# ------------------------------------------------------------------ bank
def record_repatriation(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    *,
    amount: object,
    repatriation_date: object,
    bank_reference: str,
    file_name: str,
    data: bytes,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = _act(
            session, actor, licence_id, expected_version, Action.RECORD_REPATRIATION
        )
        c = Checker()
        value = c.amount("amount", "Montant rapatrié", amount)
        day = c.date("repatriation_date", "Date du rapatriement", repatriation_date, today=today())
        ref = c.reference("bank_reference", "Référence bancaire", bank_reference, max_len=60)
        if ref and any(r.bank_reference == ref for r in _active(licence.repatriations)):
            c.fail("bank_reference", f"La référence {ref} est déjà enregistrée sur cette licence.")
        c.done()
        stored = _store(session, file_name, data, "file")
        _, repatriated = settlement_position(session, licence)
        session.add(
            Repatriation(licence_id=licence.id, amount=value, repatriation_date=day,
                         bank_reference=ref, file_id=stored.id, created_by_id=user.id,
                         created_at=utcnow())
        )
        _touch(licence)
        cur = licence.currency
        _event(session, licence, user, Action.RECORD_REPATRIATION, status,
               f"Rapatriement {ref} du {fr_date(day)} : {fr_amount(value, cur)}",
               [FieldChange("Justificatif de rapatriement", "",
                            f"{ref} du {fr_date(day)} : {fr_amount(value, cur)} "
                            f"({stored.file_name})"),
                FieldChange("Montant rapatrié", fr_amount(repatriated, cur),
                            fr_amount(repatriated + value, cur))])
        session.flush()
        session.expire(licence, ["repatriations"])
        return _detail(session, licence)


def withdraw_repatriation(
    actor: Actor, licence_id: int, expected_version: int, repatriation_id: int, reason: str
) -> LicenceDetail:
    """The bank withdraws a proof recorded by mistake (before *Apurée*): kept on record with
    who, when and why, out of the repatriated amount from now on."""
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.WITHDRAW_REPATRIATION
        )
        text = _reason(reason, "Motif du retrait")
        proof = _child(licence.repatriations, repatriation_id, "Justificatif")
        if proof.withdrawn_at is not None:
            raise ValidationFailed({"repatriation": (
                f"Le justificatif {proof.bank_reference} est déjà retiré.")})
        _, repatriated = settlement_position(session, licence)
        proof.withdrawn_at = utcnow()
        proof.withdrawn_by_id = user.id
        proof.withdrawal_reason = text
        licence.status = target
        _touch(licence)
        cur = licence.currency
        _event(session, licence, user, Action.WITHDRAW_REPATRIATION, status,
               f"Justificatif {proof.bank_reference} retiré : {text}",
               [FieldChange("Justificatif de rapatriement",
                            f"{proof.bank_reference} du {fr_date(proof.repatriation_date)} : "
                            f"{fr_amount(proof.amount, cur)}", ""),
                FieldChange("Motif du retrait", "", text),
                FieldChange("Montant rapatrié", fr_amount(repatriated, cur),
                            fr_amount(repatriated - proof.amount, cur))])
        session.flush()
        session.expire(licence, ["repatriations"])
        return _detail(session, licence)


def settlement_position(session: Session, licence: Licence) -> tuple[Decimal, Decimal]:
    """(imputed value, repatriated amount) of a licence, both in its currency."""
    imputed = sum((v for _, v in _imputed_by_line(session, licence.id).values()), ZERO)
    repatriated = session.scalar(
        select(func.coalesce(func.sum(Repatriation.amount), 0)).where(
            Repatriation.licence_id == licence.id, Repatriation.withdrawn_at.is_(None)
        )
    )
    return imputed, Decimal(str(repatriated)).quantize(Decimal("0.01"))


def imputation_closed(status: Status, validity_end: dt.date | None, on: dt.date) -> bool:
    """Total imputation, or a partial one whose validity has ended."""
    if status == Status.FULLY_IMPUTED:
        return True
    return status == Status.PARTIALLY_IMPUTED and validity_end is not None and validity_end < on


def settle_blocker(
    status: Status,
    validity_end: dt.date | None,
    imputed: Decimal,
    repatriated: Decimal,
    currency: str,
    on: dt.date,
) -> str | None:
    """Why `settle` refuses (its rules, amounts written the French way); None when it would
    settle. The bank's screen asks the same function, so both always agree."""
    if status not in IMPUTED_STATUSES:
        return f"Apurement impossible : la licence est « {status.label} »."
    if not imputation_closed(status, validity_end, on):
        return ("Imputation encore ouverte : l'apurement d'une licence imputée partiellement "
                "attend la fin de sa validité"
                + (f" ({fr_date(validity_end)})." if validity_end else "."))
    if repatriated < imputed:
        return (f"Rapatriement insuffisant : {fr_amount(repatriated, currency)} rapatriés pour "
                f"{fr_amount(imputed, currency)} imputés (reste dû "
                f"{fr_amount(imputed - repatriated, currency)}).")
    return None


def settle(actor: Actor, licence_id: int, expected_version: int) -> LicenceDetail:
    """*Apurement*: imputation closed and proceeds covering the imputed value."""
    with writing() as session:
        user, licence, status, (target,) = _act(
            session, actor, licence_id, expected_version, Action.SETTLE
        )
        imputed, repatriated = settlement_position(session, licence)
        blocker = settle_blocker(status, licence.validity_end, imputed, repatriated,
                                 licence.currency, today())
        if blocker:
            raise NotAllowed(blocker)
        licence.status = target
        _touch(licence)
        _event(session, licence, user, Action.SETTLE, status,
               f"Imputé {fr_amount(imputed, licence.currency)}, "
               f"rapatrié {fr_amount(repatriated, licence.currency)}")
        return _detail(session, licence)


# ------------------------------------------------------------------ reads
def get_licence(actor: Actor, licence_id: int) -> LicenceDetail:
    expire_before_read()
    with read_session() as session:
        user = current_user(session, actor)
        return _detail(session, _load(session, user, licence_id))


def history(actor: Actor, licence_id: int) -> list[HistoryRow]:
    expire_before_read()
    with read_session() as session:
        user = current_user(session, actor)
        licence = _load(session, user, licence_id)
        events = session.scalars(
            select(HistoryEvent).where(HistoryEvent.licence_id == licence.id)
            .order_by(HistoryEvent.id).options(selectinload(HistoryEvent.changes))
        )
        return [
            HistoryRow(
                occurred_at=e.occurred_at, username=e.username, role=e.role, action=e.action,
                action_label=Action(e.action).label,
                status_before=Status(e.status_before) if e.status_before else None,
                status_after=Status(e.status_after), details=e.details,
                changes=tuple(FieldChange(c.label, c.old_value, c.new_value)
                              for c in e.changes),
            )
            for e in events
        ]


def compare_revisions(actor: Actor, detail: LicenceDetail) -> RevisionComparison | None:
    """The licence as the screen has it (`detail`, read through core) beside the last revision
    the MCE visaed, field by field; None when no earlier revision was visaed. Reads only the
    stored snapshot: the screens ask on every run."""
    if detail.revision < 1:
        return None
    with read_session() as session:
        user = current_user(session, actor)
        licence = _load(session, user, detail.id)
        visaed = session.scalars(
            select(LicenceRevision)
            .where(LicenceRevision.licence_id == licence.id,
                   LicenceRevision.revision < detail.revision)
            .order_by(LicenceRevision.revision.desc()).limit(1)
        ).first()
        if visaed is None:
            return None
        return RevisionComparison(
            registration_number=detail.registration_number, visaed_revision=visaed.revision,
            current_revision=detail.revision, visa_number=visaed.visa_number,
            visa_date=visaed.visa_date,
            fields=ch.compare(visaed.content, ch.licence_fields(detail)),
        )


def file_content(actor: Actor, licence_id: int, file_id: int) -> tuple[str, bytes]:
    """The bytes of a PDF attached to a licence the actor may see."""
    with read_session() as session:
        user = current_user(session, actor)
        licence = _load(session, user, licence_id)
        ids = {i.file_id for i in licence.invoices} | {d.file_id for d in licence.documents}
        ids |= {r.file_id for r in licence.repatriations}
        if file_id not in ids:
            raise NotFound("Fichier introuvable.")
        stored = session.get(StoredFile, file_id)
        assert stored is not None
        return stored.file_name, stored.content


def status_summary(actor: Actor) -> dict[Status, int]:
    """Count of visible licences per status (main screen)."""
    expire_before_read()
    with read_session() as session:
        user = current_user(session, actor)
        rows = session.execute(
            select(Licence.status, func.count()).where(visibility(user)).group_by(Licence.status)
        )
        return {Status(s): n for s, n in rows}


# ------------------------------------------------------------------ detail building
def _file(stored: StoredFile) -> FileView:
    return FileView(stored.id, stored.file_name, stored.size, stored.sha256)


def _detail(session: Session, licence: Licence) -> LicenceDetail:
    session.flush()
    session.refresh(licence)
    lic = session.scalars(
        select(Licence).where(Licence.id == licence.id).options(
            selectinload(Licence.company), selectinload(Licence.countries),
            selectinload(Licence.invoices).selectinload(Invoice.file),
            selectinload(Licence.documents).selectinload(Document.file),
            selectinload(Licence.goods).selectinload(GoodsLine.tariff),
            selectinload(Licence.imputations).selectinload(Imputation.lines),
            selectinload(Licence.repatriations).selectinload(Repatriation.file),
        )
    ).one()
    names = reference.countries()
    offices = reference.code_list(session, "office", include_inactive=True)
    regimes = reference.code_list(session, "regime", include_inactive=True)
    terms = reference.code_list(session, "payment_terms", include_inactive=True)
    doc_types = reference.code_list(session, "document_type", include_inactive=True)
    imputed = _imputed_by_line(session, lic.id)
    usernames = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({lic.created_by_id} | {i.created_by_id for i in lic.imputations}
                    | {i.reversed_by_id for i in lic.imputations if i.reversed_by_id}
                    | {r.created_by_id for r in lic.repatriations}
                    | {r.withdrawn_by_id for r in lic.repatriations if r.withdrawn_by_id})
    )).all())
    line_numbers = {g.id: g.line_no for g in lic.goods}
    copied = (
        session.scalar(select(Licence.registration_number).where(Licence.id == lic.copied_from_id))
        if lic.copied_from_id else None
    )
    return LicenceDetail(
        id=lic.id, registration_number=lic.registration_number, category=lic.category,
        company_id=lic.company_id, company_name=lic.company.name, company_ice=lic.company.ice,
        recipient=lic.recipient, total_amount=lic.total_amount, currency=lic.currency,
        customs_regime=lic.customs_regime,
        customs_regime_label=regimes.get(lic.customs_regime, lic.customs_regime),
        customs_office=lic.customs_office,
        customs_office_label=offices.get(lic.customs_office, lic.customs_office),
        payment_terms=lic.payment_terms,
        payment_terms_label=terms.get(lic.payment_terms, lic.payment_terms),
        incoterm=lic.incoterm, status=Status(lic.status), version=lic.version,
        revision=lic.revision, created_by=usernames.get(lic.created_by_id, ""),
        created_at=lic.created_at, updated_at=lic.updated_at, submitted_at=lic.submitted_at,
        decided_at=lic.decided_at, visa_number=lic.visa_number, visa_date=lic.visa_date,
        validity_end=lic.validity_end, refusal_reason=lic.refusal_reason,
        correction_reason=lic.correction_reason, cancellation_reason=lic.cancellation_reason,
        copied_from=copied,
        countries=tuple(CountryView(c.id, c.country_code, names.get(c.country_code, c.country_code))
                        for c in lic.countries),
        invoices=tuple(InvoiceView(i.id, i.amount, i.invoice_date, _file(i.file))
                       for i in lic.invoices),
        documents=tuple(
            DocumentView(d.id, d.doc_type, doc_types.get(d.doc_type, d.doc_type), d.description,
                         d.doc_date, _file(d.file))
            for d in lic.documents
        ),
        goods=tuple(
            GoodsLineView(
                id=g.id, line_no=g.line_no, designation=g.designation,
                origin_country=g.origin_country,
                origin_country_name=names.get(g.origin_country, g.origin_country),
                quantity=g.quantity, net_weight=g.net_weight,
                supplementary_units=g.supplementary_units, tariff_code=g.tariff_code,
                tariff_description=g.tariff.description,
                supplementary_unit_name=g.tariff.supplementary_unit,
                imputed_quantity=imputed.get(g.id, (ZERO, ZERO))[0],
                imputed_value=imputed.get(g.id, (ZERO, ZERO))[1],
            )
            for g in lic.goods
        ),
        imputations=tuple(
            ImputationView(
                id=i.id, declaration_ref=i.declaration_ref, declaration_date=i.declaration_date,
                customs_office=i.customs_office,
                customs_office_label=offices.get(i.customs_office, i.customs_office),
                created_at=i.created_at, created_by=usernames.get(i.created_by_id, ""),
                lines=tuple(ImputationLineView(x.goods_line_id,
                                               line_numbers.get(x.goods_line_id, 0),
                                               x.quantity, x.value) for x in i.lines),
                reversed_at=i.reversed_at,
                reversed_by=usernames.get(i.reversed_by_id) if i.reversed_by_id else None,
                reversal_reason=i.reversal_reason,
            )
            for i in lic.imputations
        ),
        repatriations=tuple(
            RepatriationView(r.id, r.amount, r.repatriation_date, r.bank_reference, r.created_at,
                             usernames.get(r.created_by_id, ""), _file(r.file),
                             withdrawn_at=r.withdrawn_at,
                             withdrawn_by=(usernames.get(r.withdrawn_by_id)
                                           if r.withdrawn_by_id else None),
                             withdrawal_reason=r.withdrawal_reason)
            for r in lic.repatriations
        ),
        missing=tuple(missing_items(lic)),
        warnings=tuple(_warnings(lic)),
    )

