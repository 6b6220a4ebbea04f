"""Reading one licence: its whole detail as plain data, its history, the comparison with the
revision the MCE visaed, its attached files, and the counts of the main screen."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core import changes as ch
from core import reference
from core.access import ZERO, current_user, expire_before_read, load_licence
from core.database import read_session
from core.errors import NotFound
from core.lifecycle import SEES_OWN_COMPANY_ONLY, Action, Status, missing_items
from core.models import (
    Document,
    GoodsLine,
    HistoryEvent,
    Imputation,
    ImputationLine,
    Invoice,
    Licence,
    LicenceRevision,
    LicenceStatusCount,
    Repatriation,
    StoredFile,
    User,
)
from core.records import (
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
from core.text import fr_amount


def imputed_by_line(session: Session, licence_id: int) -> dict[int, tuple[Decimal, Decimal]]:
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


def get_licence(actor: Actor, licence_id: int) -> LicenceDetail:
    expire_before_read()
    with read_session() as session:
        user = current_user(session, actor)
        return licence_detail(session, load_licence(session, user, licence_id))


def history(actor: Actor, licence_id: int) -> list[HistoryRow]:
    expire_before_read()
    with read_session() as session:
        user = current_user(session, actor)
        licence = load_licence(session, user, licence_id)
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
        licence = load_licence(session, user, detail.id)
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
        licence = load_licence(session, user, licence_id)
        ids = {i.file_id for i in licence.invoices} | {d.file_id for d in licence.documents}
        ids |= {r.file_id for r in licence.repatriations}
        if file_id not in ids:
            raise NotFound("Fichier introuvable.")
        stored = session.get(StoredFile, file_id)
        assert stored is not None
        return stored.file_name, stored.content


def status_summary(actor: Actor) -> dict[Status, int]:
    """Count of visible licences per status (main screen), read from the counts the database
    keeps as licences change (`LicenceStatusCount`): the same figures as counting the licences,
    at a cost that does not grow with them."""
    expire_before_read()
    with read_session() as session:
        user = current_user(session, actor)
        counts = select(LicenceStatusCount.status, func.sum(LicenceStatusCount.licences))
        if user.role in SEES_OWN_COMPANY_ONLY:
            counts = counts.where(LicenceStatusCount.company_id == user.company_id)
        else:  # what `visibility` lets the other roles see: submitted once, not a draft now
            counts = counts.where(LicenceStatusCount.submitted.is_(True),
                                  LicenceStatusCount.status != Status.DRAFT)
        rows = session.execute(counts.group_by(LicenceStatusCount.status))
        return {Status(s): int(n) for s, n in rows if n}


def _file(stored: StoredFile) -> FileView:
    return FileView(stored.id, stored.file_name, stored.size, stored.sha256)


def _warnings(licence: Licence) -> list[str]:
    total = sum((i.amount for i in licence.invoices), ZERO)
    if licence.invoices and total != licence.total_amount:
        return [
            f"La somme des factures ({fr_amount(total, licence.currency)}) diffère du montant "
            f"total ({fr_amount(licence.total_amount, licence.currency)})."
        ]
    return []


def licence_detail(session: Session, licence: Licence) -> LicenceDetail:
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
    imputed = imputed_by_line(session, lic.id)
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
        missing=tuple(missing_items(len(lic.countries), len(lic.invoices), len(lic.goods))),
        warnings=tuple(_warnings(lic)),
    )
