"""The exporter's use cases: create and fill a draft (header, destinations, invoices, documents,
goods lines), submit it for the visa, cancel it, ask to modify a visaed licence, copy one.

Each function is one transaction: it re-reads the acting user, checks role, company and status
through `core.lifecycle`, changes what it must, appends its history event and returns plain
data. Anything refused raises a French `DomainError` and leaves the database as it was."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import changes as ch
from core import reference
from core.access import (
    active,
    child,
    current_user,
    load_licence,
    open_licence,
    reason_text,
    record_event,
    require_file,
    store_pdf,
    today,
    touch,
    writing,
)
from core.errors import NotAllowed, ValidationFailed
from core.lifecycle import Action, Status, check, missing_items
from core.models import (
    Document,
    GoodsLine,
    Invoice,
    Licence,
    LicenceCountry,
    RegistrationCounter,
    TariffCode,
    utcnow,
)
from core.reading import licence_detail
from core.records import (
    Actor,
    LicenceDetail,
)
from core.text import fr_amount, fr_date, fr_quantity
from core.validation import Checker


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


HEADER_FIELDS = (
    "recipient", "category", "total_amount", "currency", "customs_regime", "customs_office",
    "payment_terms", "incoterm",
)


def _check_header(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    checker = Checker()
    out: dict[str, Any] = {
        "recipient": checker.text("recipient", "Destinataire", data.get("recipient"), max_len=200,
                                  required=False),
        "category": checker.code("category", "Catégorie", data.get("category") or "LE",
                                 reference.code_list(session, "category")),
        "total_amount": checker.amount("total_amount", "Montant total", data.get("total_amount")),
        "currency": checker.code("currency", "Devise", data.get("currency"), reference.currencies()),
        "customs_regime": checker.code("customs_regime", "Régime douanier", data.get("customs_regime"),
                                       reference.code_list(session, "regime")),
        "customs_office": checker.code("customs_office", "Bureau douanier", data.get("customs_office"),
                                       reference.code_list(session, "office")),
        "payment_terms": checker.code("payment_terms", "Modalité de paiement",
                                      data.get("payment_terms") or "VF",
                                      reference.code_list(session, "payment_terms")),
        "incoterm": checker.code("incoterm", "Incoterm", data.get("incoterm"), reference.INCOTERMS),
    }
    unknown = set(data) - set(HEADER_FIELDS)
    if unknown:
        checker.fail("form", f"Champs inconnus refusés : {', '.join(sorted(unknown))}.")
    checker.done()
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
        record_event(session, licence, user, Action.CREATE, None,
                     changes=ch.header_changes({}, values, _header_names(session)))
        return licence_detail(session, licence)


def update_header(
    actor: Actor, licence_id: int, expected_version: int, header: Mapping[str, Any]
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = open_licence(session, actor, licence_id, expected_version, Action.EDIT)
        values = _check_header(session, header)
        if values["currency"] != licence.currency and licence.invoices:
            # Invoices are in the licence's currency: changing it would silently change them.
            raise ValidationFailed({"currency": (
                f"Devise : la licence a déjà {len(licence.invoices)} facture(s) en "
                f"{licence.currency}. Retirez d'abord les factures pour changer de devise.")})
        before = _header_of(licence)
        changed = [k for k, v in values.items() if before[k] != v]
        if not changed:
            return licence_detail(session, licence)  # nothing changed: no event, same version
        for key in changed:
            setattr(licence, key, values[key])
        touch(licence)
        record_event(session, licence, user, Action.EDIT, status, "En-tête modifié",
                     ch.header_changes(before, values, _header_names(session)))
        return licence_detail(session, licence)


def add_country(
    actor: Actor, licence_id: int, expected_version: int, country_code: str
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = open_licence(session, actor, licence_id, expected_version, Action.EDIT)
        checker = Checker()
        code = checker.code("country", "Pays de destination", country_code,
                            reference.destination_countries())
        checker.done()
        if any(existing.country_code == code for existing in licence.countries):
            raise ValidationFailed({"country": "Ce pays est déjà dans la liste."})
        licence.countries.append(LicenceCountry(country_code=code))
        touch(licence)
        name = f"{reference.countries()[code]} ({code})"
        record_event(session, licence, user, Action.EDIT, status,
                     f"Pays de destination ajouté : {name}", ch.added([(ch.COUNTRIES, name)]))
        return licence_detail(session, licence)


# What a removal writes in the history: its summary, and the fields it takes away.
Removal = tuple[str, list[tuple[str, str]]]


def _remove(actor: Actor, licence_id: int, expected_version: int, section: str, child_id: int,
            what: str, described: Callable[[Session, Licence, Any], Removal]) -> LicenceDetail:
    """Take one destination, invoice, document or goods line off a draft (`section` is the
    licence's list of them), with its history event."""
    with writing() as session:
        user, licence, status, _ = open_licence(session, actor, licence_id, expected_version,
                                                Action.EDIT)
        items = getattr(licence, section)
        item = child(items, child_id, what)
        details, fields = described(session, licence, item)
        items.remove(item)
        touch(licence)
        record_event(session, licence, user, Action.EDIT, status, details, ch.removed(fields))
        return licence_detail(session, licence)


def remove_country(
    actor: Actor, licence_id: int, expected_version: int, country_id: int
) -> LicenceDetail:
    def described(session: Session, licence: Licence, item: LicenceCountry) -> Removal:
        name = f"{reference.countries().get(item.country_code, '')} ({item.country_code})".strip()
        return f"Pays de destination retiré : {name}", [(ch.COUNTRIES, name)]

    return _remove(actor, licence_id, expected_version, "countries", country_id, "Pays", described)


def add_invoice(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    amount: object,
    invoice_date: object,
    file_name: str | None,
    data: bytes | None,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = open_licence(session, actor, licence_id, expected_version, Action.EDIT)
        checker = Checker()
        value = checker.amount("amount", "Montant", amount)
        day = checker.date("invoice_date", "Date", invoice_date, today=today())
        require_file(checker, data, "Joignez la facture scannée (PDF).")
        checker.done()
        stored = store_pdf(session, file_name, data, "file")
        licence.invoices.append(Invoice(amount=value, invoice_date=day, file_id=stored.id))
        touch(licence)
        record_event(session, licence, user, Action.EDIT, status,
                     f"Facture ajoutée : {fr_amount(value, licence.currency)} du {fr_date(day)} "
                     f"({stored.file_name})",
                     ch.added(ch.invoice_fields(value, licence.currency, day, stored.file_name)))
        return licence_detail(session, licence)


def remove_invoice(
    actor: Actor, licence_id: int, expected_version: int, invoice_id: int
) -> LicenceDetail:
    def described(session: Session, licence: Licence, item: Invoice) -> Removal:
        currency = licence.currency
        return (f"Facture retirée : {fr_amount(item.amount, currency)} du "
                f"{fr_date(item.invoice_date)}",
                ch.invoice_fields(item.amount, currency, item.invoice_date, item.file.file_name))

    return _remove(actor, licence_id, expected_version, "invoices", invoice_id, "Facture",
                   described)


def add_document(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    doc_type: str,
    description: str,
    doc_date: object,
    file_name: str | None,
    data: bytes | None,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = open_licence(session, actor, licence_id, expected_version, Action.EDIT)
        checker = Checker()
        types = reference.code_list(session, "document_type")
        code = checker.code("doc_type", "Type du document", doc_type, types)
        text = checker.text("description", "Description", description, max_len=300)
        day = checker.date("doc_date", "Date", doc_date, today=today())
        require_file(checker, data, "Joignez le document (PDF).")
        checker.done()
        stored = store_pdf(session, file_name, data, "file")
        licence.documents.append(
            Document(doc_type=code, description=text or "", doc_date=day, file_id=stored.id)
        )
        touch(licence)
        record_event(session, licence, user, Action.EDIT, status,
                     f"Document ajouté : {types[code]} – {text} ({stored.file_name})",
                     ch.added(ch.document_fields(types[code], text or "", day, stored.file_name)))
        return licence_detail(session, licence)


def remove_document(
    actor: Actor, licence_id: int, expected_version: int, document_id: int
) -> LicenceDetail:
    def described(session: Session, licence: Licence, item: Document) -> Removal:
        types = reference.code_list(session, "document_type", include_inactive=True)
        return (f"Document retiré : {item.description}",
                ch.document_fields(types.get(item.doc_type, item.doc_type), item.description,
                                   item.doc_date, item.file.file_name))

    return _remove(actor, licence_id, expected_version, "documents", document_id, "Document",
                   described)


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
        user, licence, status, _ = open_licence(session, actor, licence_id, expected_version, Action.EDIT)
        checker = Checker()
        text = checker.text("designation", "Désignation commerciale", designation, max_len=300)
        origin = checker.code("origin_country", "Pays d'origine", origin_country, reference.countries())
        qty = checker.decimal("quantity", "Quantité", quantity, places=3)
        weight = checker.decimal("net_weight", "Poids net", net_weight, places=3)
        code = (tariff_code or "").strip().replace(".", "").replace(" ", "")
        tariff = session.get(TariffCode, code) if code else None
        if tariff is None:
            checker.fail("tariff_code", "Nomenclature douanière : choisissez un code existant (loupe).")
        units = checker.decimal("supplementary_units", "Unités complémentaires", supplementary_units,
                                places=3, allow_zero=True,
                                required=bool(tariff and tariff.supplementary_unit))
        checker.done()
        assert tariff is not None and qty is not None and weight is not None
        line_no = max((g.line_no for g in licence.goods), default=0) + 1
        licence.goods.append(
            GoodsLine(line_no=line_no, designation=text or "", origin_country=origin,
                      quantity=qty, net_weight=weight, supplementary_units=units,
                      tariff_code=tariff.code)
        )
        touch(licence)
        record_event(session, licence, user, Action.EDIT, status,
                     f"Marchandise ajoutée : {text} ({tariff.code}), quantité {fr_quantity(qty)}",
                     ch.added(_goods_fields(line_no, text or "", origin, qty, weight, units, tariff)))
        return licence_detail(session, licence)


def _goods_fields(line_no: int, designation: str, origin: str, quantity: Decimal,
                  net_weight: Decimal, units: Decimal | None, tariff: TariffCode
                  ) -> list[tuple[str, str]]:
    origin_name = f"{reference.countries().get(origin, origin)} ({origin})"
    return ch.goods_fields(line_no, designation, origin_name, quantity, net_weight, units,
                           tariff.supplementary_unit, f"{tariff.code} – {tariff.description}")


def remove_goods_line(
    actor: Actor, licence_id: int, expected_version: int, goods_line_id: int
) -> LicenceDetail:
    def described(session: Session, licence: Licence, item: GoodsLine) -> Removal:
        return (f"Marchandise retirée : {item.designation}",
                _goods_fields(item.line_no, item.designation, item.origin_country, item.quantity,
                              item.net_weight, item.supplementary_units, item.tariff))

    return _remove(actor, licence_id, expected_version, "goods", goods_line_id, "Marchandise",
                   described)


def submit_for_visa(actor: Actor, licence_id: int, expected_version: int) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = open_licence(
            session, actor, licence_id, expected_version, Action.SUBMIT
        )
        missing = missing_items(len(licence.countries), len(licence.invoices),
                                len(licence.goods))
        if missing:
            raise ValidationFailed({"submit": "Licence incomplète : " + " ".join(missing)})
        licence.status = target
        licence.submitted_at = utcnow()
        licence.correction_reason = None
        touch(licence)
        record_event(session, licence, user, Action.SUBMIT, status)
        return licence_detail(session, licence)


def cancel_licence(
    actor: Actor, licence_id: int, expected_version: int, reason: str
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = open_licence(
            session, actor, licence_id, expected_version, Action.CANCEL
        )
        text = reason_text(reason, "Motif de l'annulation")
        licence.status = target
        licence.cancellation_reason = text
        touch(licence)
        record_event(session, licence, user, Action.CANCEL, status, text,
                     ch.added([("Motif de l'annulation", text)]))
        return licence_detail(session, licence)


def request_modification(
    actor: Actor, licence_id: int, expected_version: int, reason: str
) -> LicenceDetail:
    """After the visa and before any imputation: back to draft as a new revision."""
    with writing() as session:
        user, licence, status, (target,) = open_licence(
            session, actor, licence_id, expected_version, Action.REQUEST_MODIFICATION
        )
        text = reason_text(reason, "Motif de la modification")
        if active(licence.imputations) or active(licence.repatriations):
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
        touch(licence)
        record_event(session, licence, user, Action.REQUEST_MODIFICATION, status, details, changed)
        return licence_detail(session, licence)


def copy_licence(actor: Actor, licence_id: int) -> LicenceDetail:
    """A new draft with the header, destinations and goods of an existing licence."""
    with writing() as session:
        user = current_user(session, actor)
        source = load_licence(session, user, licence_id)
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
        record_event(session, licence, user, Action.COPY, None,
                     f"Copie de la licence {source.registration_number}",
                     ch.header_changes({}, _header_of(licence), _header_names(session)))
        return licence_detail(session, licence)
