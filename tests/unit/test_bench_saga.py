"""bench/saga.py's pure parts: percentiles, the tail-growth check, the ratio/target table, the saga's hop
times and phase figures from events, and the command line (the real run needs the whole platform:
`uv run python -m bench.saga --quick`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bench.saga import QUICK, Options, parse_options
from bench.support.events import EventLog
from bench.support.saga_tables import print_report, rows
from bench.support.sagas import Approval, hop_times, idle_rows, phase_figures, rush_rows, saga_rows
from bench.support.stats import (
    MISSING,
    Row,
    Rule,
    Target,
    jsonable,
    percentile,
    ratio,
    render_table,
    summarize,
    tail_growth,
    targets_summary,
)
from shared.contracts.billing import InvoiceIssued
from shared.contracts.booths import BoothsAssigned, FloorplanPublished
from shared.contracts.registration import RegistrationApproved


class TestPercentile:
    def test_takes_the_nearest_rank(self) -> None:
        values = list(range(1, 101))
        assert percentile(values, 0.5) == 50
        assert percentile(values, 0.99) == 99
        assert percentile(values, 1.0) == 100
        assert percentile(values, 0.0) == 1

    def test_ignores_the_order_given(self) -> None:
        assert percentile([30.0, 10.0, 20.0], 0.5) == 20.0

    def test_is_none_without_values_and_refuses_a_quantile_outside_0_1(self) -> None:
        assert percentile([], 0.5) is None
        with pytest.raises(ValueError):
            percentile([1.0], 1.5)

    def test_reaches_a_missing_value_rather_than_hiding_it(self) -> None:
        values = [10.0] * 98 + [MISSING, MISSING]
        assert percentile(values, 0.5) == 10.0
        assert percentile(values, 0.99) == MISSING

    def test_summary_counts_what_completed(self) -> None:
        summary = summarize([5.0, 1.0, MISSING, 3.0])
        assert (summary["n"], summary["completed"], summary["missing"]) == (4, 3, 1)
        assert summary["p50"] == 3.0 and summary["p99"] == MISSING and summary["max"] == 5.0


class TestTailGrowth:
    def test_a_steady_phase_does_not_grow(self) -> None:
        assert tail_growth([20.0, 25.0, 22.0] * 10)["grows"] is False

    def test_a_queue_building_up_grows(self) -> None:
        result = tail_growth([float(i * 10) for i in range(90)])
        assert result["grows"] is True
        assert result["last_p95"] > result["first_p95"]

    def test_a_small_absolute_rise_within_the_slack_is_not_growth(self) -> None:
        values = [2.0] * 10 + [5.0] * 10 + [8.0] * 10  # 4x, but only 6 ms more
        assert tail_growth(values, factor=1.5, slack=20.0)["grows"] is False

    def test_sagas_never_finished_at_the_end_count_as_growth(self) -> None:
        assert tail_growth([50.0] * 20 + [MISSING] * 10)["grows"] is True
        assert tail_growth([MISSING] * 30)["grows"] is True  # nothing finished: it did not keep up

    def test_too_few_values_cannot_be_judged(self) -> None:
        assert tail_growth([1.0, 2.0])["grows"] is None


class TestTargetsTable:
    def test_ratio_is_none_for_unknown_or_zero_floors(self) -> None:
        assert ratio(10.0, 4.0) == 2.5
        assert ratio(None, 4.0) is None and ratio(1.0, 0.0) is None and ratio(1.0, None) is None

    def test_a_figure_target_and_a_ratio_target_are_judged_together(self) -> None:
        row = Row("p50", 40.0, "ms", [("floor", 5.0)], (Target("<=", 50), Target("<=", 10, on="ratio")))
        assert row.met() is True
        slow_floor_ratio = Row("p50", 40.0, "ms", [("floor", 2.0)], (Target("<=", 50), Target("<=", 10, on="ratio")))
        assert slow_floor_ratio.met() is False  # 20× the floor although under 50 ms

    def test_a_row_without_a_target_or_without_a_figure_is_not_judged(self) -> None:
        assert Row("info", 1.0).met() is None
        assert Row("unknown", None, targets=(Target(">=", 1),)).met() is None

    def test_a_missing_figure_misses_an_upper_bound(self) -> None:
        assert Row("p99", MISSING, "ms", targets=(Target("<=", 250),)).met() is False

    def test_a_rule_carries_its_own_verdict(self) -> None:
        assert Row("tail", 1.0, targets=(Rule("no growth", False),)).met() is False

    def test_the_table_shows_floor_ratio_target_and_verdict(self) -> None:
        rows = [Row("burst: sagas/s", 7.5, "/s", targets=(Target(">=", 200, goal=500),)),
                Row("rush: submits/s", 54.0, "/s", [("/health", 270.0)], (Target(">=", 0.6, on="ratio"),)),
                Row("p99", MISSING, "ms", [("floor", 10.0)])]
        text = render_table("targets", rows)
        assert "≥ 200 (goal 500)" in text and "ratio ≥ 0.60" in text
        assert "0.20" in text and "NO" in text and "never" in text
        assert targets_summary(rows) == {"met": 0, "missed": 2, "unknown": 0}

    def test_the_results_file_has_no_infinity(self) -> None:
        row = Row("p99", MISSING, "ms", [("floor", 10.0)], (Target("<=", 250),))
        data = json.loads(json.dumps(jsonable({"rows": [row.as_json()], "p": MISSING}), allow_nan=False))
        assert data["p"] is None and data["rows"][0]["incomplete"] is True and data["rows"][0]["met"] is False


@dataclass
class At:
    emitted: float
    seen: float
    published: float | None = None


def steps(table: dict[str, dict[str, float]]):  # type: ignore[no-untyped-def]
    return lambda registration_id, name: (At(table[registration_id][name], table[registration_id][name] + 0.01,
                                             table[registration_id][name] + 0.004)
                                          if name in table.get(registration_id, {}) else None)


class TestSagaFigures:
    def test_each_hop_is_timed_from_the_approve_call_and_the_events_ce_time(self) -> None:
        approvals = [Approval("r1", sent=100.0, answered=100.02, status="200", decision="approved")]
        times = hop_times(approvals, steps({"r1": {"approved": 100.01, "assigned": 100.05, "issued": 100.06}}))
        assert times["approve→approved"][0] == pytest.approx(10)
        assert times["approved→assigned"][0] == pytest.approx(40)
        assert times["assigned→invoice"][0] == pytest.approx(10)
        assert times["total"][0] == pytest.approx(60)
        assert times["total (seen on topic)"][0] == pytest.approx(70)
        assert times["approve HTTP"][0] == pytest.approx(20)

    def test_each_hop_splits_at_the_relays_send(self) -> None:
        approvals = [Approval("r1", sent=100.0, answered=100.02, status="200", decision="approved")]
        times = hop_times(approvals, steps({"r1": {"approved": 100.01, "assigned": 100.05, "issued": 100.06}}))
        assert times["approved: commit+relay"][0] == pytest.approx(4)
        assert times["approved→assigned: broker+consumer"][0] == pytest.approx(36)
        assert times["assigned: commit+relay"][0] == pytest.approx(4)
        assert times["assigned→invoice: broker+consumer"][0] == pytest.approx(6)

    def test_a_record_without_its_send_time_leaves_the_split_missing(self) -> None:
        approvals = [Approval("r1", sent=100.0, answered=100.02, status="200", decision="approved")]
        at = At(100.01, 100.02)
        times = hop_times(approvals, lambda registration_id, name: at)
        assert times["approved: commit+relay"][0] == MISSING
        assert times["approved→assigned"][0] == pytest.approx(0)

    def test_a_saga_without_its_invoice_is_missing_not_dropped(self) -> None:
        approvals = [Approval("r1", 100.0, 100.01, "200", "approved"), Approval("r2", 100.1, 100.2, "200", "approved")]
        table = {"r1": {"approved": 100.01, "assigned": 100.02, "issued": 100.03}, "r2": {"approved": 100.15}}
        figures = phase_figures("10/s", approvals, steps(table), offered_per_s=10)
        assert (figures["completed"], figures["not_completed"]) == (1, 1)
        assert figures["hops"]["total"]["p99"] == MISSING
        assert figures["hops"]["approved→assigned"]["missing"] == 1

    def test_sagas_per_second_run_from_the_first_approval_to_the_last_invoice(self) -> None:
        approvals = [Approval(f"r{i}", 100.0 + i * 0.1, None, "200", "approved") for i in range(10)]
        table = {f"r{i}": {"issued": 100.0 + i * 0.1 + 0.5} for i in range(10)}
        figures = phase_figures("burst", approvals, steps(table), offered_per_s=None)
        assert figures["sagas_per_s"] == pytest.approx(10 / 1.4)

    def test_refused_or_waitlisted_approvals_are_errors(self) -> None:
        approvals = [Approval("r1", 1.0, 1.1, "200", "waitlisted"), Approval("r2", 1.0, 1.1, "500"),
                     Approval("r3", 1.0, 1.1, "ConnectError"), Approval("r4", 1.0, 1.1, "200", "approved")]
        figures = phase_figures("x", approvals, steps({}), offered_per_s=1)
        assert figures["approve_ok"] == 1 and figures["approve_errors"] == 3
        assert figures["approve_statuses"] == {"200 waitlisted": 1, "500": 1, "ConnectError": 1}

    def test_the_rows_judge_the_burst_the_50_per_second_latency_and_every_tail(self) -> None:
        def phase(name: str, rate: float | None, p50: float, p99: float, grows: bool) -> dict[str, Any]:
            return {"phase": name, "offered_per_s": rate, "approvals": 100, "completed": 100, "not_completed": 0,
                    "sagas_per_s": 250.0 if rate is None else rate,
                    "hops": {"total": {"p50": p50, "p95": p99, "p99": p99}},
                    "tail": {"first_p95": 10.0, "last_p95": 30.0 if grows else 10.0, "grows": grows}}

        phases = [phase("10/s", 10, 20, 80, False), phase("50/s", 50, 45, 300, True),
                  phase("burst", None, 400, 900, False)]
        rows = {r.metric: r for r in saga_rows(phases, {"p50": 5.0, "p99": 20.0})}
        assert rows["burst: sagas/s (100/100 issued)"].met() is True
        assert rows["50/s: approve → invoice p50"].met() is True  # 45 ms, 9× the floor
        assert rows["50/s: approve → invoice p99"].met() is False  # 300 ms > 250
        assert rows["50/s: p95 of the last third"].met() is False
        assert rows["10/s: p95 of the last third"].met() is True
        assert "10/s: approve → invoice p50" not in rows  # judged at 50/s only
        assert rows["10/s: sagas/s"].met() is True  # the offered rate came out

    def test_a_phase_that_does_not_deliver_its_rate_does_not_keep_up(self) -> None:
        phase = {"phase": "100/s", "offered_per_s": 100, "approvals": 300, "completed": 300, "not_completed": 0,
                 "sagas_per_s": 11.6, "hops": {"total": {"p50": 2e4, "p95": 2.4e4, "p99": 2.5e4}},
                 "tail": {"first_p95": 2.4e4, "last_p95": 2.3e4, "grows": False}}
        rows = {r.metric: r for r in saga_rows([phase], {"p50": 5.0, "p99": 20.0})}
        assert rows["100/s: sagas/s"].met() is False
        assert rows["100/s: p95 of the last third"].met() is True  # the tail alone would not tell

    def test_the_rush_is_judged_against_health_at_the_same_concurrency(self) -> None:
        rush = {"concurrency": 50,
                "health_floor": {"per_s": 100.0, "latency": {"p50": 10.0, "p99": 40.0}},
                "submits": {"per_s": 70.0, "errors": 0, "statuses": {"201": 10},
                            "latency": {"p50": 100.0, "p99": 400.0}},
                "polled": {"read": {"p50": 20.0, "p99": 200.0}, "health": {"p50": 10.0, "p99": 50.0}}}
        verdicts = [r.met() for r in rush_rows(rush)]
        assert verdicts == [True, True, None, None, True, False]

    def test_idle_cost_is_judged_against_five_percent_of_a_core(self) -> None:
        cpu, memory = idle_rows({"seconds": 60.0, "cpu_pct_of_core": 41.0, "rss_mib": 918.0})
        assert cpu.met() is False and memory.met() is None


class TestEventLog:
    def test_keeps_the_first_ce_time_of_each_saga_step_and_the_fair_floor_plans(self) -> None:
        log = EventLog()
        approved = {"ce_type": RegistrationApproved.ce_type(), "ce_time": "2026-12-01T00:00:00.250000+00:00"}
        log.add("registration.events", approved, b'{"registration_id": "r1"}', seen=5.0)
        log.add("registration.events", {**approved, "ce_time": "2026-12-01T00:00:09+00:00"},
                b'{"registration_id": "r1"}', seen=9.0)
        log.add("booths.events", {"ce_type": FloorplanPublished.ce_type()}, b'{"fair_id": "f1"}', seen=1.0)
        log.add("booths.events", {"ce_type": BoothsAssigned.ce_type(), "ce_time": "bad"},
                b'{"registration_id": "r1"}', seen=6.0)
        log.add("billing.events.dlq", {}, b"{not json", seen=7.0)
        step = log.step("r1", "approved")
        assert step is not None and step.seen == 5.0
        assert step.emitted == datetime(2026, 12, 1, 0, 0, 0, 250000, tzinfo=UTC).timestamp()
        assert log.step("r1", "assigned").emitted == 6.0  # type: ignore[union-attr]  # no ce_time: when seen
        assert log.floorplans == {"f1"} and log.dead_letters == {"billing.events.dlq": 1}
        assert log.issued(["r1"]) == 0

    def test_counts_the_invoices_of_the_registrations_asked_about(self) -> None:
        log = EventLog()
        for r in ("r1", "r2"):
            log.add("billing.events", {"ce_type": InvoiceIssued.ce_type(), "ce_time": "2026-12-01T00:00:00+00:00"},
                    json.dumps({"registration_id": r}).encode(), seen=1.0)
        assert log.issued(["r1", "r2", "r3"]) == 2


class TestCommandLine:
    def test_the_defaults_are_the_full_run_of_the_issue(self) -> None:
        opts = parse_options([])
        assert opts.rates == (10, 50, 100) and opts.duration_s >= 30 and opts.burst == 1000
        assert opts.rush == 5000 and opts.concurrency == 50 and opts.idle_s == 60
        assert opts.approvals_needed == 300 + 1500 + 3000 + 1000

    def test_quick_shrinks_every_part_and_flags_still_win(self) -> None:
        opts = parse_options(["--quick", "--duration", "2", "--rates", "5,20"])
        assert opts.rates == (5.0, 20.0) and opts.duration_s == 2
        assert opts.burst == QUICK["burst"] and opts.idle_s == QUICK["idle_s"]
        assert Options().approvals_needed > opts.approvals_needed
        assert not math.isnan(opts.drain_s)


class TestReport:
    def test_a_whole_report_prints_and_serialises_with_missing_sagas_in_it(self, capsys: pytest.CaptureFixture[str]
                                                                         ) -> None:
        approvals = [Approval(f"r{i}", 100.0 + i, 100.1 + i, "200", "approved") for i in range(9)]
        table = {f"r{i}": {"approved": 100.05 + i, "assigned": 100.2 + i, "issued": 100.3 + i} for i in range(6)}
        phase = phase_figures("50/s", approvals, steps(table), offered_per_s=50)
        phase.update({"waited_after_sending_s": 1.0, "load_average": {"start": [1.0], "end": [2.0]}})
        load = {"start": [1.0, 1.0, 1.0], "end": [2.0, 2.0, 2.0]}
        calls = {"n": 2, "per_s": 10.0, "seconds": 0.2, "errors": 0, "statuses": {"201": 2},
                 "latency": summarize([1.0, 2.0])}
        report = {
            "cores": 2, "load_average": load, "cold_start_s": 17.0,
            "setup": {"capacity_booths": 2000, "profiles": calls},
            "floor": {"one_hop": summarize([1.0]), "two_hop": summarize([2.0, MISSING]), "load_average": load},
            "phases": [phase],
            "rush": {"concurrency": 50, "exhibitors": 2, "health_floor": {**calls, "statuses": {"200": 2}},
                     "submits": calls, "polled": {"read": summarize([3.0]), "health": summarize([1.0])},
                     "load_average": load},
            "idle": {"seconds": 60.0, "cpu_pct_of_core": 4.0, "rss_mib": 900.0, "load_average": load,
                     "per_process": {"booths": {"cpu_pct_of_core": 1.0, "rss_mib": 180.0, "processes": 1}}},
            "events": {"records_read": 30, "waitlisted": 0, "dead_letters": {}},
        }
        judged = rows(report)
        report["targets_summary"] = targets_summary(judged)
        print_report(report, judged)
        out = capsys.readouterr().out
        assert "50/s" in out and "never" in out and "targets (issue 12)" in out and "booths" in out
        json.dumps(jsonable(report), allow_nan=False)


class TestCpuPerSaga:
    def test_cpu_ms_per_saga_counts_each_process_and_a_worker_that_appeared(self) -> None:
        from bench.support.procs import cpu_ms_per
        before = {"booths": {10: 1.0}, "billing": {20: 2.0}}
        after = {"booths": {10: 1.5}, "billing": {20: 2.2}, "billing workers": {21: 0.3}}
        per = cpu_ms_per(before, after, 100)
        assert per == {"booths": 5.0, "billing": 2.0, "billing workers": 3.0, "total": 10.0}
        assert cpu_ms_per(before, after, 0)["booths"] is None

    def test_the_snapshot_reads_this_process(self) -> None:
        import os

        from bench.support.procs import cpu_snapshot
        snap = cpu_snapshot({"me": os.getpid()})
        assert snap["me"][os.getpid()] > 0

    def test_the_report_prints_the_cpu_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        import sys

        from bench.support.saga_tables import _cpu_table
        _cpu_table(sys.stdout.write, [("50/s", {"registration": 7.4, "billing workers": 80.0, "total": 87.4}),
                                      ("rush", {})])
        out = capsys.readouterr().out
        assert "CPU ms per saga" in out and "billing wk" in out and "7.4" in out
