"""SQLAlchemy 2 typed models. Constraints live in the database too, not only in Python."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.lifecycle import Status

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)
RegistrationNumber = String(20).with_variant(String(20, collation="C"), "postgresql")
Quantity = Numeric(15, 3)


def utcnow() -> dt.datetime:
    """Naive UTC: SQLite drops time zones, so every timestamp is stored as naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Company(Base):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    ice: Mapped[str] = mapped_column(String(15), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('exportateur','mce','douane','banque','analyste','admin')", name="role"
        ),
        CheckConstraint("role <> 'exportateur' OR company_id IS NOT NULL", name="exporter_company"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Sessions (cookies) issued before this instant are void: logout, a password change and
    # deactivation move it.
    sessions_valid_after: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set when an administrator chose the password: its owner replaces it at the next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=text("false"))
    last_seen_events_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    company: Mapped[Company | None] = relationship()


class RegistrationCounter(Base):
    """Last registration number handed out per year; numbers are never reused."""

    __tablename__ = "registration_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class LicenceStatusCount(Base):
    """How many licences each company has per status, split by whether they were ever submitted
    (what the other roles see). Kept by database triggers on `licences` in the same transaction
    as every change, whoever makes it: the main screen reads it instead of counting the table."""

    __tablename__ = "licence_status_counts"
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    submitted: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    licences: Mapped[int] = mapped_column(Integer)


class ReferenceItem(Base):
    """Small code lists: customs regimes, offices, document types, payment terms, categories."""

    __tablename__ = "reference_items"
    list_name: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class TariffCode(Base):
    __tablename__ = "nomenclature"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    description: Mapped[str] = mapped_column(String(500))
    supplementary_unit: Mapped[str | None] = mapped_column(String(20))
    chapter: Mapped[str] = mapped_column(String(2), index=True)


class StoredFile(Base):
    """An uploaded PDF, in the database so that a backup of it is a backup of everything."""

    __tablename__ = "stored_files"
    __table_args__ = (CheckConstraint("size > 0 AND size <= 3145728", name="size"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Licence(Base):
    __tablename__ = "licences"
    __table_args__ = (
        CheckConstraint("total_amount > 0 AND total_amount < 1000000000000", name="amount"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_licences_company_created", "company_id", "created_at"),
        Index("ix_licences_company_status_created", "company_id", "status", "created_at"),
        Index("ix_licences_status_created", "status", "created_at"),
        Index("ix_licences_status_validity", "status", "validity_end"),
        Index("ix_licences_validity", "validity_end"),  # the queues, nearest end first
        Index("ix_licences_created", "created_at"),
        Index("ix_licences_submitted", "submitted_at"),
        Index("ix_licences_currency", "currency", "created_at"),
        Index("ix_licences_office", "customs_office", "created_at"),
        Index("ix_licences_regime", "customs_regime", "created_at"),
        Index("ix_licences_recipient", "recipient"),
        # *Consulter*'s default list: the latest actioned first (migration 0004).
        Index("ix_licences_updated", "updated_at"),
        Index("ix_licences_company_updated", "company_id", "updated_at"),
        # A visa number identifies one licence (migration 0004).
        Index("uq_licences_visa_number", "visa_number", unique=True),
        Index("ix_licences_amount", "total_amount"),
        # The dashboard's aggregates read only these columns: one covering index, led by the
        # submission date (its period filter), spares a table lookup per licence (migration 0003).
        Index("ix_licences_dashboard", "submitted_at", "status", "currency", "customs_office",
              "customs_regime", "company_id", "total_amount", "decided_at", "visa_date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Byte order on PostgreSQL too, so that a prefix search is an index range scan.
    registration_number: Mapped[str] = mapped_column(RegistrationNumber, unique=True)
    category: Mapped[str] = mapped_column(String(10), default="LE")
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    recipient: Mapped[str | None] = mapped_column(String(200))
    total_amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    customs_regime: Mapped[str] = mapped_column(String(20))
    customs_office: Mapped[str] = mapped_column(String(20))
    payment_terms: Mapped[str] = mapped_column(String(20))
    incoterm: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30), default=Status.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    visa_number: Mapped[str | None] = mapped_column(String(40))
    visa_date: Mapped[dt.date | None] = mapped_column(Date)
    validity_end: Mapped[dt.date | None] = mapped_column(Date)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("licences.id"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    company: Mapped[Company] = relationship()
    countries: Mapped[list[LicenceCountry]] = relationship(
        order_by="LicenceCountry.id", cascade="all, delete-orphan"
    )
    invoices: Mapped[list[Invoice]] = relationship(
        order_by="Invoice.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(
        order_by="Document.id", cascade="all, delete-orphan"
    )
    goods: Mapped[list[GoodsLine]] = relationship(
        order_by="GoodsLine.line_no", cascade="all, delete-orphan"
    )
    imputations: Mapped[list[Imputation]] = relationship(order_by="Imputation.id")
    repatriations: Mapped[list[Repatriation]] = relationship(order_by="Repatriation.id")


class LicenceCountry(Base):
    __tablename__ = "licence_countries"
    __table_args__ = (
        UniqueConstraint("licence_id", "country_code", name="uq_licence_countries_licence_country"),
        CheckConstraint("country_code <> 'MA'", name="not_morocco"),
        Index("ix_licence_countries_country", "country_code", "licence_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(String(2))


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("amount > 0 AND amount < 1000000000000", name="amount"),
        Index("ix_invoices_licence", "licence_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Money)
    invoice_date: Mapped[dt.date] = mapped_column(Date)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    file: Mapped[StoredFile] = relationship()


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_licence", "licence_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"))
    doc_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    doc_date: Mapped[dt.date] = mapped_column(Date)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    file: Mapped[StoredFile] = relationship()


class GoodsLine(Base):
    __tablename__ = "goods_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("net_weight > 0", name="net_weight"),
        CheckConstraint(
            "supplementary_units IS NULL OR supplementary_units >= 0", name="supplementary_units"
        ),
        UniqueConstraint("licence_id", "line_no", name="uq_goods_lines_licence_line"),
        Index("ix_goods_lines_tariff", "tariff_code", "licence_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    designation: Mapped[str] = mapped_column(String(300))
    origin_country: Mapped[str] = mapped_column(String(2))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    net_weight: Mapped[Decimal] = mapped_column(Quantity)
    supplementary_units: Mapped[Decimal | None] = mapped_column(Quantity)
    tariff_code: Mapped[str] = mapped_column(ForeignKey("nomenclature.code"))
    tariff: Mapped[TariffCode] = relationship()


_ACTIVE_IMPUTATION = text("reversed_at IS NULL")
_ACTIVE_REPATRIATION = text("withdrawn_at IS NULL")


class Imputation(Base):
    """One customs declaration imputed on a licence; its reference is accepted once per licence.

    A mistaken imputation is reversed, not deleted: it stays on record with who, when and why,
    and every sum leaves it out. Its reference may then be imputed again."""

    __tablename__ = "imputations"
    __table_args__ = (
        Index("uq_imputations_licence_ref", "licence_id", "declaration_ref", unique=True,
              sqlite_where=_ACTIVE_IMPUTATION, postgresql_where=_ACTIVE_IMPUTATION),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"))
    declaration_ref: Mapped[str] = mapped_column(String(40))
    declaration_date: Mapped[dt.date] = mapped_column(Date)
    customs_office: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reversed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    lines: Mapped[list[ImputationLine]] = relationship(
        order_by="ImputationLine.id", cascade="all, delete-orphan"
    )


class ImputationLine(Base):
    __tablename__ = "imputation_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("value > 0", name="value"),
        UniqueConstraint("imputation_id", "goods_line_id", name="uq_imputation_lines_goods"),
        Index("ix_imputation_lines_goods", "goods_line_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imputation_id: Mapped[int] = mapped_column(ForeignKey("imputations.id", ondelete="CASCADE"))
    goods_line_id: Mapped[int] = mapped_column(ForeignKey("goods_lines.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    # Declared value of what was exported, in the licence's currency: what the bank must see repatriated.
    value: Mapped[Decimal] = mapped_column(Money)


class Repatriation(Base):
    """A repatriation proof; one recorded by mistake is withdrawn (kept, out of every sum)."""

    __tablename__ = "repatriations"
    __table_args__ = (
        CheckConstraint("amount > 0 AND amount < 1000000000000", name="amount"),
        Index("uq_repatriations_licence_ref", "licence_id", "bank_reference", unique=True,
              sqlite_where=_ACTIVE_REPATRIATION, postgresql_where=_ACTIVE_REPATRIATION),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    repatriation_date: Mapped[dt.date] = mapped_column(Date)
    bank_reference: Mapped[str] = mapped_column(String(60))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    file: Mapped[StoredFile] = relationship()


class HistoryEvent(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "history_events"
    __table_args__ = (
        Index("ix_history_licence", "licence_id", "id"),
        Index("ix_history_occurred", "occurred_at"),
        Index("ix_history_action", "action", "licence_id"),  # send-backs, for the dashboard
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    status_before: Mapped[str | None] = mapped_column(String(30))
    status_after: Mapped[str] = mapped_column(String(30))
    details: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[list[HistoryChange]] = relationship(order_by="HistoryChange.position")


class HistoryChange(Base):
    """One changed field of a history event, written in the same transaction; append-only too."""

    __tablename__ = "history_changes"
    __table_args__ = (
        UniqueConstraint("event_id", "position", name="uq_history_changes_event_position"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("history_events.id"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")


class LicenceRevision(Base):
    """What the MCE visaed: the content of a revision at the moment of its visa, so that a new
    revision can be compared with it side by side. Append-only."""

    __tablename__ = "licence_revisions"
    __table_args__ = (
        UniqueConstraint("licence_id", "revision", name="uq_licence_revisions_licence_revision"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"))
    revision: Mapped[int] = mapped_column(Integer)
    visa_number: Mapped[str] = mapped_column(String(40))
    visa_date: Mapped[dt.date] = mapped_column(Date)
    # JSON list of [section, label, value], in the order the comparison shows them.
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEvent(Base):
    """What administrators and the CLI did outside licences (users, reference data, demo reset)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[str | None] = mapped_column(Text)
