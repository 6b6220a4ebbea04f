"""The files the screens hand out: the licence PDF and the blank form, a history of 1,000 events
as .xlsx, and 10,000 search rows as .xlsx and .csv (read from the database, then written)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from benchmarks.timing import Timing, clock, measure, of

HISTORY_EVENTS = 1_000
EXPORT_ROWS = 10_000


@dataclass(frozen=True)
class ExportResults:
    pdf: Timing
    pdf_with_read: Timing
    pdf_goods_lines: int
    pdf_bytes: int
    blank_pdf: Timing
    history_read: Timing
    history_xlsx: Timing
    history_total: Timing
    history_events: int
    export_rows: int
    export_fetch: Timing
    export_xlsx: Timing
    export_csv: Timing
    export_licence_rows_fetch: Timing


def _licence_with_goods() -> tuple[Any, Any]:
    """(exporter, detail) of the exporter's settled licence with the most goods lines among the
    latest: the fullest printed form (goods, imputations, repatriations)."""
    from core import reading, search
    from core.accounts import get_actor
    from core.lifecycle import Status
    from core.records import SearchFilters

    exporter = get_actor("exportateur")
    page = search.search(exporter, SearchFilters(statuses=(Status.SETTLED,)), 1, 20)
    if not page.rows:
        page = search.search(exporter, SearchFilters(), 1, 20)
    details = [reading.get_licence(exporter, row.id) for row in page.rows]
    best = max(details, key=lambda d: len(d.goods))
    if not best.goods:
        raise RuntimeError("no licence with goods lines to print")
    return exporter, best


def _history_licence(exporter: Any) -> tuple[int, str, int]:
    """(id, number, events) of the exporter's latest draft, given `HISTORY_EVENTS` history
    events in all, written in bulk (the history table refuses only updates and deletes): edits
    of the draft, one changed field each."""
    from sqlalchemy import func, insert, select

    from core import search
    from core.database import write_session
    from core.lifecycle import Action, Role, Status
    from core.models import HistoryChange, HistoryEvent, utcnow
    from core.records import SearchFilters

    draft = search.search(exporter, SearchFilters(statuses=(Status.DRAFT,)), 1, 1).rows[0]
    with write_session() as session:
        events = (
            select(func.count())
            .select_from(HistoryEvent)
            .where(HistoryEvent.licence_id == draft.id)
        )
        missing = HISTORY_EVENTS - (session.scalar(events) or 0)
        if missing > 0:
            before = session.scalar(select(func.max(HistoryEvent.id))) or 0
            start = utcnow() - dt.timedelta(minutes=missing + 1)
            session.execute(
                insert(HistoryEvent),
                [
                    dict(
                        licence_id=draft.id,
                        occurred_at=start + dt.timedelta(minutes=n),
                        user_id=exporter.user_id,
                        username=exporter.username,
                        role=Role.EXPORTER,
                        action=Action.EDIT,
                        status_before=Status.DRAFT,
                        status_after=Status.DRAFT,
                        details=f"Modification n° {n + 1} du brouillon",
                    )
                    for n in range(missing)
                ],
            )
            added = session.scalars(
                select(HistoryEvent.id).where(
                    HistoryEvent.licence_id == draft.id, HistoryEvent.id > before
                )
            ).all()
            session.execute(
                insert(HistoryChange),
                [
                    dict(
                        event_id=event_id,
                        position=0,
                        label="Destinataire",
                        old_value=f"Client {n}",
                        new_value=f"Client {n + 1}",
                    )
                    for n, event_id in enumerate(added)
                ],
            )
        return draft.id, draft.registration_number, int(session.scalar(events) or 0)


def measure_exports(runs: int) -> ExportResults:
    from core import analytics, reading, search
    from core.accounts import get_actor
    from core.analytics import DashboardFilters
    from core.exports import pdf, tables
    from core.records import SearchFilters

    exporter, detail = _licence_with_goods()
    printed = pdf.licence_pdf(detail)
    pdf_ms = measure(lambda: pdf.licence_pdf(detail), runs)
    pdf_with_read = measure(lambda: pdf.licence_pdf(reading.get_licence(exporter, detail.id)), runs)
    blank = measure(pdf.blank_licence_pdf, runs)

    draft_id, draft_number, events = _history_licence(exporter)
    reads, writes, totals = [], [], []
    for n in range(runs + 1):
        read_ms, rows = clock(lambda: reading.history(exporter, draft_id))
        write_ms, _ = clock(lambda r=rows: tables.history_xlsx(draft_number, r))
        if n:  # the first is the warm-up
            reads.append(read_ms)
            writes.append(write_ms)
            totals.append(read_ms + write_ms)

    analyst = get_actor("analyste")
    wanted = SearchFilters(actioned_only=True)
    fetches, xlsx, csv = [], [], []
    count = 0
    for n in range(runs + 1):
        fetch_ms, rows = clock(lambda: search.all_rows(analyst, wanted, limit=EXPORT_ROWS))
        xlsx_ms, _ = clock(lambda r=rows: tables.search_xlsx(r))
        csv_ms, _ = clock(lambda r=rows: tables.search_csv(r))
        count = len(rows)
        if n:
            fetches.append(fetch_ms)
            xlsx.append(fetch_ms + xlsx_ms)
            csv.append(fetch_ms + csv_ms)
    streamed = measure(
        lambda: analytics.licence_rows(analyst, DashboardFilters(), limit=EXPORT_ROWS), runs
    )
    return ExportResults(
        pdf=pdf_ms,
        pdf_with_read=pdf_with_read,
        pdf_goods_lines=len(detail.goods),
        pdf_bytes=len(printed),
        blank_pdf=blank,
        history_read=of(reads),
        history_xlsx=of(writes),
        history_total=of(totals),
        history_events=events,
        export_rows=count,
        export_fetch=of(fetches),
        export_xlsx=of(xlsx),
        export_csv=of(csv),
        export_licence_rows_fetch=streamed,
    )
