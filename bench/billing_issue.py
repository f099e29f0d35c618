"""Benchmark: what one saga costs the billing service in CPU, part by part, on a temp SQLite file. Prints a table
and writes bench/results/billing_issue.json.

    uv run python -m bench.billing_issue [--sagas 200] [--rounds 1]

The billing consumer (handlers.build_consumer, as the service builds it) applies each event in a batch of one,
its own transaction with its inbox record, as it does at 50 sagas/s: the fairs first (two centres: one with a
local programme whose budget runs out part way, one with its own invoice settings and no programme), then for
each saga its `registration.approved`, then its `booths.assigned` (issuing the invoice); then the e-invoice
submitter runs its rounds (service/submission.py, the policy's batch of 20) with the LocalFolder provider until
nothing is due. The PDF it renders is drawn in the provider's worker process, whose CPU is not counted (not
this process's: `time.process_time`, every thread of it, aiosqlite's included).

  floor              `Database.transaction()` of one INSERT (text) on the same database
  consumer floor     a one-event batch of the same consumer whose handler does nothing (the kernel's share)
  approved           registration.approved → record_buyer
  assigned           booths.assigned → issue_invoice (numbers, lines, the programme's share, events staged)
  submitted          the submitter per invoice: claim, the HDon XML, the LocalFolder write, record; this
                     process's CPU around the PDF worker's round trip counts, the worker's own CPU does not
  submitted, no PDF  the same invoices made pending again and sent once more, the PDF a placeholder: the
                     submitter's own cost (the worker drawing PDFs on the other core of a two-core machine also
                     slows this process, so the figure above is about twice this one and noisier)

The `digest` covers the invoices (numbers, amounts, notes, lines, statuses), the events staged in the outbox
and the XML written, invoice and programme ids replaced by stable names: two versions of the service that
issue alike print the same digest. Logs are rendered as the service renders them (JSON) and thrown away.
CPU is the median over `--rounds` runs, each on its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import uvloop
from sqlalchemy import text, update
from sqlmodel import col, select

from bench.support import procs
from services.billing.adapters.einvoice.provider import Document, LocalFolder, Receipt
from services.billing.domain.submissions import SubmissionStatus
from services.billing.handlers import build_consumer
from services.billing.models import TABLES, Invoice, InvoiceLineRow, InvoiceSubmission, SubsidyProgramme
from services.billing.schemas.invoice_settings import InvoiceSettingsBody
from services.billing.schemas.programmes import ProgrammeCreate
from services.billing.service import programmes, submission
from services.billing.service.invoice_settings import set_invoice_settings
from shared.auth import Principal, Role
from shared.contracts.base import Event
from shared.contracts.booths import BoothsAssigned
from shared.contracts.registration import ExhibitorInfo, FairPublished, PartyInfo, RegistrationApproved
from shared.db import Database
from shared.envelope import event_headers
from shared.logs import configure_logging
from shared.messaging import KERNEL_TABLES, EventConsumer
from shared.outbox import OutboxMessage

RESULTS = Path(__file__).parent / "results"
NOW = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)  # the clock the invoices are dated by
CENTRES = ("tq", "hn")  # tq: a local programme; hn: its own invoice settings, no programme
FAIRS_PER_CENTRE = 2
PARTS = ("floor", "consumer floor", "approved", "assigned", "submitted", "submitted, no PDF")


class _NoDeadLetters:
    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"nothing is dead-lettered here: {kwargs.get('headers')}")


def _record(event: Event, n: int) -> SimpleNamespace:
    """The event as the broker hands it to the consumer (CloudEvents binary mode)."""
    headers = event_headers(event, source="/bench", correlation_id=f"c-{n}")
    return SimpleNamespace(topic=event.topic, key=event.key().encode(), partition=0, offset=n, timestamp=n,
                           value=event.model_dump_json().encode(),
                           headers=[(k, v.encode()) for k, v in headers.items()])


def _fair(fair_id: str, centre_id: str, n: int) -> FairPublished:
    starts = date(2026, 6, 1) + timedelta(days=7 * n)
    return FairPublished(
        fair_id=fair_id, centre_id=centre_id, name=f"Hội chợ hàng Việt {centre_id.upper()} {n}", kind="provincial",
        province_code="08", venue="Quảng trường Nguyễn Tất Thành", starts_on=starts, ends_on=starts + timedelta(days=6),
        registration_opens_at=datetime(2026, 4, 1, tzinfo=UTC),
        registration_closes_at=datetime(2026, 5, 20, tzinfo=UTC),
        capacity_booths=2000, booth_price_vnd=5_000_000 + 500_000 * n, max_booths_per_exhibitor=4,
        seller=PartyInfo(name=f"Trung tâm Khuyến công và XTTM {centre_id.upper()}", tax_code="0100233488",
                         address="Tuyên Quang", province_code="08"))


def _saga(n: int) -> tuple[RegistrationApproved, BoothsAssigned]:
    """The n-th saga's two events: 1–4 booths, every third exhibitor no rural establishment (no local share)."""
    centre = CENTRES[n % len(CENTRES)]
    fair_id = f"fair-{centre}-{(n // len(CENTRES)) % FAIRS_PER_CENTRE}"
    registration_id, exhibitor_id = f"reg-{n}", f"ex-{n}"
    tax_code = f"{n:012d}" if n % 7 == 0 else f"{100000000 + n:010d}"  # some personal ids (12 digits)
    exhibitor = ExhibitorInfo(exhibitor_id=exhibitor_id, name=f"HTX Chè Shan tuyết số {n}", tax_code=tax_code,
                              address=f"Thôn {n}, xã Đồng Văn", province_code="08", kind="cooperative",
                              is_cscnnt=n % 3 != 2)
    booths = 1 + n % 4
    return (RegistrationApproved(fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                                 exhibitor=exhibitor, booths_requested=booths, approved_at=NOW),
            BoothsAssigned(fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                           booth_codes=[f"A{n:04d}-{b}" for b in range(booths)], assignment_id=f"as-{n}",
                           corner_count=n % 2))


async def _setup(db: Database, consumer: EventConsumer, sagas: int) -> None:
    """The fairs, the tq programme (its budget runs out about half way) and hn's invoice settings."""
    organizer = {c: Principal(role=Role.ORGANIZER, subject="bench", centre_id=c) for c in CENTRES}
    await programmes.create_programme(db=db, principal=organizer["tq"], centre_id="tq", now=NOW, body=ProgrammeCreate(
        name="Khuyến công địa phương tỉnh Tuyên Quang 2026", decision="QĐ 123/QĐ-UBND", level="local",
        funder="Sở Công Thương Tuyên Quang", funding_province_code="08", budget_vnd=sagas * 700_000,
        valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), support_percent=50, cap_per_booth_vnd=2_000_000,
        max_booths_per_exhibitor=2, cscnnt_only=True, eligible_provinces=["08"]))
    await set_invoice_settings(db=db, principal=organizer["hn"], centre_id="hn",
                               body=InvoiceSettingsBody(series="HN", due_in_days=10))
    fairs = [_fair(f"fair-{c}-{i}", c, i) for c in CENTRES for i in range(FAIRS_PER_CENTRE)]
    await consumer.handle_batch([_record(f, -1 - i) for i, f in enumerate(fairs)])


async def _cpu_ms(calls: list[Callable[[], Awaitable[Any]]]) -> float:
    """CPU milliseconds per call."""
    started = time.process_time()
    for call in calls:
        await call()
    return 1000 * (time.process_time() - started) / len(calls)


async def run(directory: Path, sagas: int) -> dict[str, Any]:
    """One round on its own database: CPU ms per part, and the digest of what it issued."""
    db = Database(f"sqlite+aiosqlite:///{directory}/billing.db", source="/services/billing")
    await db.create_tables([*TABLES, *KERNEL_TABLES])
    async with db.transaction() as session:
        await session.exec(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, v TEXT)"))  # type: ignore[call-overload]
    runtime = SimpleNamespace(db=db, broker=_NoDeadLetters(),
                              settings=SimpleNamespace(consumer_max_attempts=1, consumer_retry_backoff_s=0.0))
    consumer = build_consumer(runtime, clock=lambda: NOW, due_in_days=14)  # type: ignore[arg-type]
    nothing = EventConsumer(name="bench-nothing", topics=(FairPublished.topic,),
                            handlers={FairPublished: _do_nothing}, db=db, broker=runtime.broker)
    provider = LocalFolder(directory / "einvoices")
    policy = submission.Policy()
    try:
        await _setup(db, consumer, sagas)
        events = [_saga(n) for n in range(sagas)]
        offset = iter(range(10**9))

        def one(event: Event, via: EventConsumer = consumer) -> Callable[[], Awaitable[None]]:
            record = _record(event, next(offset))
            return lambda: via.handle_batch([record])

        async def floor(i: int) -> None:
            async with db.transaction() as session:
                await session.exec(text("INSERT INTO bench_floor (v) VALUES (:v)"),  # type: ignore[call-overload]
                                   params={"v": f"f{i}"})

        async def submit_all(via: LocalFolder = provider) -> None:
            while await submission.submit_due(db=db, provider=via, now=NOW, policy=policy):
                pass

        async def submit_again_without_pdf() -> float:
            async with db.transaction() as session:  # every invoice pending again, as issued
                await session.exec(update(InvoiceSubmission).values(
                    status=SubmissionStatus.PENDING, attempts=0, next_attempt_at=NOW))
            started = time.process_time()
            await submit_all(_NoPdfFolder(directory / "einvoices-no-pdf"))
            return 1000 * (time.process_time() - started) / (sagas + 1)

        # A warm-up saga of its own (imports, statement caches, the PDF worker started), then the parts.
        warm_up = _saga(sagas)
        for call in (one(warm_up[0]), one(warm_up[1]), submit_all):
            await call()
        figures = {
            "floor": await _cpu_ms([partial(floor, i) for i in range(sagas)]),
            "consumer floor": await _cpu_ms([one(_fair(f"fair-nothing-{i}", "tq", 0), nothing) for i in range(sagas)]),
            "approved": await _cpu_ms([one(approved) for approved, _ in events]),
            "assigned": await _cpu_ms([one(assigned) for _, assigned in events]),
            "submitted": await _cpu_ms([submit_all]) / sagas,
        }
        figures["submitted, no PDF"] = await submit_again_without_pdf()
        digest, counts = await _digest(db, provider.directory)
    finally:
        await db.dispose()
    return {"cpu_ms": figures, "digest": digest, **counts}


class _NoPdfFolder(LocalFolder):
    """LocalFolder with a placeholder for the PDF: the submitter's own cost, without the worker's round trip
    (whose PDF, drawn on the other core, also slows this process down on a machine of two)."""

    async def submit(self, document: Document) -> Receipt:
        folder = self.directory / document.seller_tax_code
        await asyncio.to_thread(self._write, folder, document.file_stem, document.xml, b"%PDF-")
        return Receipt(authority_code=None, reference=str(folder / document.file_stem))


async def _do_nothing(session: Any, event: Any, meta: Any) -> None:
    return None


async def _digest(db: Database, folder: Path) -> tuple[str, dict[str, int]]:
    """A digest of the invoices, the events staged and the XML written, random ids replaced by stable names."""
    async with db.sessions() as session:
        invoices = (await session.exec(select(Invoice).order_by(col(Invoice.symbol), col(Invoice.number)))).all()
        lines = (await session.exec(select(InvoiceLineRow).order_by(col(InvoiceLineRow.invoice_id),
                                                                    col(InvoiceLineRow.position)))).all()
        submissions = {s.invoice_id: s for s in (await session.exec(select(InvoiceSubmission))).all()}
        programme_ids = (await session.exec(select(SubsidyProgramme.id))).all()
        outbox = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    names = {inv.id: f"invoice-of-{inv.registration_id}" for inv in invoices}
    names.update({pid: f"programme-{n}" for n, pid in enumerate(sorted(programme_ids))})

    def stable(value: str) -> str:
        for raw, name in names.items():
            value = value.replace(raw, name)
        return value

    by_invoice: dict[str, list[str]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, []).append(
            f"{line.position}|{line.kind}|{line.description}|{line.unit}|{line.quantity}|{line.unit_price_vnd}|"
            f"{line.net_vnd}|{line.vat_rate}|{line.vat_percent}|{line.vat_vnd}|{line.vat_basis}")
    rows = [f"{names[i.id]}|{i.fair_id}|{i.centre_id}|{i.form}|{i.symbol}|{i.number}|{i.issued_on}|{i.due_on}|"
            f"{i.net_vnd}|{i.vat_vnd}|{i.total_vnd}|{i.subsidy_vnd}|{i.subsidy_requested_vnd}|"
            f"{stable(i.subsidy_programme_id or '')}|{i.payable_vnd}|{i.amount_in_words}|{i.subsidy_note}|"
            f"{i.status}|{i.buyer_address}|{submissions[i.id].status}|{submissions[i.id].attempts}|"
            + ";".join(by_invoice.get(i.id, [])) for i in invoices]
    events = [f"{row.event_type}|{row.key}|{stable(row.payload)}" for row in outbox]
    xml_files = sorted(folder.rglob("*.xml"))
    documents = [f"{path.relative_to(folder)}|{stable(path.read_text(encoding='utf-8'))}" for path in xml_files]
    digest = hashlib.sha256("\n\0".join(rows + events + documents).encode()).hexdigest()[:16]
    parts = {"invoices": hashlib.sha256("\n".join(rows).encode()).hexdigest()[:8],
             "events": hashlib.sha256("\n".join(events).encode()).hexdigest()[:8],
             "xml": hashlib.sha256("\n".join(documents).encode()).hexdigest()[:8]}
    return f"{digest} ({' '.join(f'{k} {v}' for k, v in parts.items())})", {
        "invoices": len(invoices), "events": len(outbox), "xml_files": len(xml_files),
        "subsidised": sum(1 for i in invoices if i.subsidy_vnd > 0)}


def _quiet_logging() -> None:
    """Logs rendered as the service renders them (their cost counts), written nowhere."""
    stderr, sys.stderr = sys.stderr, open(os.devnull, "w")  # kept open for the run
    try:
        configure_logging("billing")
    finally:
        sys.stderr = stderr


def main() -> None:
    """Run the rounds, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sagas", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="runs, each on its own database (median CPU)")
    args = parser.parse_args()
    _quiet_logging()
    load_start = procs.load_average()
    started = time.perf_counter()
    runs = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(uvloop.run(run(Path(tmp), args.sagas)))
    median = {part: round(statistics.median(r["cpu_ms"][part] for r in runs), 3) for part in PARTS}
    digests = sorted({r["digest"] for r in runs})
    out = {"benchmark": "billing_issue", "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "sagas": args.sagas,
           "rounds": args.rounds, "unit": "CPU milliseconds per saga (this process)", "median_cpu_ms": median,
           "per_saga_total_cpu_ms": round(median["approved"] + median["assigned"] + median["submitted"], 3),
           "digest": digests[0] if len(digests) == 1 else digests, "runs": runs,
           "load_average": {"start": load_start, "end": procs.load_average()},
           "wall_s": round(time.perf_counter() - started, 1)}
    width = max(map(len, PARTS))
    print(f"billing, CPU ms per saga ({args.sagas} sagas, median of {args.rounds} run(s))")
    for part in PARTS:
        print(f"  {part:<{width}} {median[part]:>8.3f}")
    print(f"  {'approved + assigned + submitted':<{width}} {out['per_saga_total_cpu_ms']:>8.3f}")
    counts = {k: runs[0][k] for k in ("invoices", "subsidised", "events", "xml_files")}
    print(f"digest {out['digest']}  {counts}")
    print(f"load average {load_start} → {out['load_average']['end']}, {out['wall_s']} s")
    if len(digests) != 1:
        print("the runs' digests differ", file=sys.stderr)
        sys.exit(1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "billing_issue.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS / 'billing_issue.json'}")


if __name__ == "__main__":
    main()
