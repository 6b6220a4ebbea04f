"""The decisions of the circuit's counterparties: the MCE's visa, refusal or return for
correction; customs imputations and their reversal; the bank's repatriation proofs, their
withdrawal, and the settlement (*apurement*). Same contract as `core.drafting`: one transaction
each, rules checked through `core.lifecycle`, a history event, French refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import changes as ch
from core import reference
from core.access import (
    VISA_TAKEN,
    ZERO,
    active,
    child,
    open_licence,
    reason_text,
    record_event,
    require_file,
    store_pdf,
    today,
    touch,
    writing,
)
from core.config import settings
from core.errors import NotAllowed, ValidationFailed
from core.lifecycle import (
    Action,
    Status,
    latest_validity_end,
    months_after,
    settle_blocker,
)
from core.models import (
    Imputation,
    ImputationLine,
    Licence,
    LicenceRevision,
    Repatriation,
    utcnow,
)
from core.reading import imputed_by_line, licence_detail
from core.records import (
    Actor,
    FieldChange,
    LicenceDetail,
)
from core.text import fr_amount, fr_date, fr_quantity
from core.validation import Checker


def grant_visa(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    visa_number: str,
    validity_end: object = None,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, (target,) = open_licence(
            session, actor, licence_id, expected_version, Action.GRANT_VISA
        )
        day = today()
        checker = Checker()
        number = checker.reference("visa_number", "Numéro de visa", visa_number, max_len=40)
        end = default_validity_end(day) if validity_end in (None, "") else checker.date(
            "validity_end", "Fin de validité", validity_end, today=day, not_future=False
        )
        if end <= day:
            checker.fail("validity_end", "Fin de validité : doit être postérieure à la date du visa.")
        if end > latest_validity_end(day):
            checker.fail("validity_end", "Fin de validité : 3 ans au plus après le visa "
                         f"(le {fr_date(latest_validity_end(day))} au plus tard).")
        if number and session.scalar(
            select(Licence.id).where(Licence.visa_number == number, Licence.id != licence.id)
        ):
            checker.fail("visa_number", VISA_TAKEN)  # the unique index backs this up under a race
        checker.done()
        assert number is not None
        licence.status = target
        licence.visa_number = number
        licence.visa_date = day
        licence.validity_end = end
        licence.decided_at = utcnow()
        licence.refusal_reason = None
        touch(licence)
        record_event(session, licence, user, Action.GRANT_VISA, status,
                     f"Visa n° {number}, valable jusqu'au {fr_date(end)}",
                     ch.added(ch.visa_fields(number, day, end)))
        detail = licence_detail(session, licence)
        # What was visaed, kept for the comparison with a later revision.
        session.add(LicenceRevision(licence_id=licence.id, revision=licence.revision,
                                    visa_number=number, visa_date=day,
                                    content=ch.snapshot(detail), created_at=utcnow()))
        return detail


def default_validity_end(visa_day: dt.date) -> dt.date:
    """The validity end the visa screen proposes: the configured number of months."""
    return months_after(visa_day, settings().visa_validity_months)


def refuse_visa(actor: Actor, licence_id: int, expected_version: int, reason: str) -> LicenceDetail:
    return _answer_with_reason(actor, licence_id, expected_version, reason, Action.REFUSE,
                               "refusal_reason", "Motif du refus", "Motif du refus")


def send_back(actor: Actor, licence_id: int, expected_version: int, reason: str) -> LicenceDetail:
    return _answer_with_reason(actor, licence_id, expected_version, reason, Action.SEND_BACK,
                               "correction_reason", "Motif du renvoi",
                               "Motif du renvoi pour correction")


def _answer_with_reason(actor: Actor, licence_id: int, expected_version: int, reason: str,
                        action: Action, column: str, label: str, history_label: str
                        ) -> LicenceDetail:
    """The MCE's refusal or return for correction: the reason is required and kept on the
    licence (`column`) and in the history."""
    with writing() as session:
        user, licence, status, (target,) = open_licence(
            session, actor, licence_id, expected_version, action
        )
        text = reason_text(reason, label)
        licence.status = target
        setattr(licence, column, text)
        licence.decided_at = utcnow()
        touch(licence)
        record_event(session, licence, user, action, status, text,
                     ch.added([(history_label, text)]))
        return licence_detail(session, licence)


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
        user, licence, status, allowed = open_licence(
            session, actor, licence_id, expected_version, Action.IMPUTE
        )
        day = today()
        if licence.validity_end is None or licence.validity_end < day:
            raise NotAllowed("La validité de la licence a expiré : imputation impossible.")
        checker = Checker()
        ref = checker.reference("declaration_ref", "Référence de la déclaration", declaration_ref,
                                max_len=40)
        decl_day = checker.date("declaration_date", "Date de la déclaration", declaration_date, today=day)
        if licence.visa_date and decl_day < licence.visa_date:
            checker.fail("declaration_date", "Date de la déclaration : antérieure au visa.")
        office = checker.code("customs_office", "Bureau douanier", customs_office,
                              reference.code_list(session, "office"))
        if ref and any(i.declaration_ref == ref for i in active(licence.imputations)):
            checker.fail("declaration_ref", f"La déclaration {ref} est déjà imputée sur cette licence.")
        imputed = imputed_by_line(session, licence.id)
        goods = {g.id: g for g in licence.goods}
        accepted: list[ImputationLine] = []
        for goods_id, (raw_qty, raw_value) in lines.items():
            line = goods.get(goods_id)
            if line is None:
                checker.fail(f"line_{goods_id}", "Ligne de marchandise inconnue sur cette licence.")
                continue
            if raw_qty in (None, "", 0, "0") and raw_value in (None, "", 0, "0"):
                continue
            qty = checker.decimal(f"quantity_{goods_id}", f"Ligne {line.line_no} – quantité",
                                  raw_qty, places=3)
            value = checker.decimal(f"value_{goods_id}", f"Ligne {line.line_no} – valeur",
                                    raw_value, places=2)
            remaining = line.quantity - imputed.get(goods_id, (ZERO, ZERO))[0]
            if qty is not None and qty > remaining:
                checker.fail(f"quantity_{goods_id}",
                             f"Ligne {line.line_no} : {fr_quantity(qty)} dépasse le reste à imputer "
                             f"({fr_quantity(remaining)}).")
            if qty is not None and value is not None:
                accepted.append(ImputationLine(goods_line_id=goods_id, quantity=qty, value=value))
        if not accepted and not checker.errors:
            checker.fail("lines", "Indiquez une quantité à imputer sur au moins une ligne.")
        already = sum((v for _, v in imputed.values()), ZERO)
        adding = sum((part.value for part in accepted), ZERO)
        if accepted and already + adding > licence.total_amount:
            # Apurement compares the proceeds with the imputed value: beyond the licence's
            # amount it could never be reached.
            checker.fail("lines", (
                f"Valeur imputée : {fr_amount(already + adding, licence.currency)} dépasserait "
                f"le montant total de la licence ({fr_amount(licence.total_amount, licence.currency)}"
                f") ; reste imputable {fr_amount(licence.total_amount - already, licence.currency)}."))
        checker.done()
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
        touch(licence)
        record_event(session, licence, user, Action.IMPUTE, status,
                     f"Déclaration {ref} du {fr_date(decl_day)}, bureau {office} : "
                     f"{len(accepted)} ligne(s), valeur {fr_amount(adding, licence.currency)}",
                     [FieldChange("Déclaration", "", f"{ref} du {fr_date(decl_day)}, bureau {office}"),
                *_imputation_changes(licence, before, imputed)])
        session.flush()
        session.expire(licence, ["imputations"])
        return licence_detail(session, licence)


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
        user, licence, status, allowed = open_licence(
            session, actor, licence_id, expected_version, Action.REVERSE_IMPUTATION
        )
        text = reason_text(reason, "Motif de l'annulation de l'imputation")
        imputation = child(licence.imputations, imputation_id, "Imputation")
        if imputation.reversed_at is not None:
            raise ValidationFailed({"imputation": (
                f"L'imputation {imputation.declaration_ref} est déjà annulée.")})
        before = imputed_by_line(session, licence.id)
        imputation.reversed_at = utcnow()
        imputation.reversed_by_id = user.id
        imputation.reversal_reason = text
        session.flush()
        after = imputed_by_line(session, licence.id)
        licence.status = _imputed_status(licence, after, allowed)
        touch(licence)
        record_event(session, licence, user, Action.REVERSE_IMPUTATION, status,
                     f"Déclaration {imputation.declaration_ref} annulée : {text}",
                     [FieldChange("Déclaration annulée", f"{imputation.declaration_ref} du "
                            f"{fr_date(imputation.declaration_date)}", ""),
                FieldChange("Motif de l'annulation de l'imputation", "", text),
                *_imputation_changes(licence, before, after)])
        session.flush()
        session.expire(licence, ["imputations"])
        return licence_detail(session, licence)


def record_repatriation(
    actor: Actor,
    licence_id: int,
    expected_version: int,
    *,
    amount: object,
    repatriation_date: object,
    bank_reference: str,
    file_name: str | None,
    data: bytes | None,
) -> LicenceDetail:
    with writing() as session:
        user, licence, status, _ = open_licence(
            session, actor, licence_id, expected_version, Action.RECORD_REPATRIATION
        )
        checker = Checker()
        value = checker.amount("amount", "Montant rapatrié", amount)
        day = checker.date("repatriation_date", "Date du rapatriement", repatriation_date, today=today())
        ref = checker.reference("bank_reference", "Référence bancaire", bank_reference, max_len=60)
        if ref and any(r.bank_reference == ref for r in active(licence.repatriations)):
            checker.fail("bank_reference", f"La référence {ref} est déjà enregistrée sur cette licence.")
        require_file(checker, data, "Joignez l'avis de rapatriement (PDF).")
        checker.done()
        stored = store_pdf(session, file_name, data, "file")
        _, repatriated = settlement_position(session, licence)
        session.add(
            Repatriation(licence_id=licence.id, amount=value, repatriation_date=day,
                         bank_reference=ref, file_id=stored.id, created_by_id=user.id,
                         created_at=utcnow())
        )
        touch(licence)
        cur = licence.currency
        record_event(session, licence, user, Action.RECORD_REPATRIATION, status,
                     f"Rapatriement {ref} du {fr_date(day)} : {fr_amount(value, cur)}",
                     [FieldChange("Justificatif de rapatriement", "",
                            f"{ref} du {fr_date(day)} : {fr_amount(value, cur)} "
                            f"({stored.file_name})"),
                FieldChange("Montant rapatrié", fr_amount(repatriated, cur),
                            fr_amount(repatriated + value, cur))])
        session.flush()
        session.expire(licence, ["repatriations"])
        return licence_detail(session, licence)


def withdraw_repatriation(
    actor: Actor, licence_id: int, expected_version: int, repatriation_id: int, reason: str
) -> LicenceDetail:
    """The bank withdraws a proof recorded by mistake (before *Apurée*): kept on record with
    who, when and why, out of the repatriated amount from now on."""
    with writing() as session:
        user, licence, status, (target,) = open_licence(
            session, actor, licence_id, expected_version, Action.WITHDRAW_REPATRIATION
        )
        text = reason_text(reason, "Motif du retrait")
        proof = child(licence.repatriations, repatriation_id, "Justificatif")
        if proof.withdrawn_at is not None:
            raise ValidationFailed({"repatriation": (
                f"Le justificatif {proof.bank_reference} est déjà retiré.")})
        _, repatriated = settlement_position(session, licence)
        proof.withdrawn_at = utcnow()
        proof.withdrawn_by_id = user.id
        proof.withdrawal_reason = text
        licence.status = target
        touch(licence)
        cur = licence.currency
        record_event(session, licence, user, Action.WITHDRAW_REPATRIATION, status,
                     f"Justificatif {proof.bank_reference} retiré : {text}",
                     [FieldChange("Justificatif de rapatriement",
                            f"{proof.bank_reference} du {fr_date(proof.repatriation_date)} : "
                            f"{fr_amount(proof.amount, cur)}", ""),
                FieldChange("Motif du retrait", "", text),
                FieldChange("Montant rapatrié", fr_amount(repatriated, cur),
                            fr_amount(repatriated - proof.amount, cur))])
        session.flush()
        session.expire(licence, ["repatriations"])
        return licence_detail(session, licence)


def settlement_position(session: Session, licence: Licence) -> tuple[Decimal, Decimal]:
    """(imputed value, repatriated amount) of a licence, both in its currency."""
    imputed = sum((v for _, v in imputed_by_line(session, licence.id).values()), ZERO)
    repatriated = session.scalar(
        select(func.coalesce(func.sum(Repatriation.amount), 0)).where(
            Repatriation.licence_id == licence.id, Repatriation.withdrawn_at.is_(None)
        )
    )
    return imputed, Decimal(str(repatriated)).quantize(Decimal("0.01"))






def settle(actor: Actor, licence_id: int, expected_version: int) -> LicenceDetail:
    """*Apurement*: imputation closed and proceeds covering the imputed value."""
    with writing() as session:
        user, licence, status, (target,) = open_licence(
            session, actor, licence_id, expected_version, Action.SETTLE
        )
        imputed, repatriated = settlement_position(session, licence)
        blocker = settle_blocker(status, licence.validity_end, imputed, repatriated,
                                 licence.currency, today())
        if blocker:
            raise NotAllowed(blocker)
        licence.status = target
        touch(licence)
        record_event(session, licence, user, Action.SETTLE, status,
                     f"Imputé {fr_amount(imputed, licence.currency)}, "
                     f"rapatrié {fr_amount(repatriated, licence.currency)}")
        return licence_detail(session, licence)
