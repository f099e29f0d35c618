"""bench/replicas.py's pure parts: the partition of a fair's key (as the producer computes it), fairs balanced
over the partitions, approvals interleaved across fairs, each replica's share, the two-against-one comparison
and its report, and the command line (the real run needs PostgreSQL and the platform:
`uv run python -m bench.replicas`)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner

from bench.replicas import Options, finish, parse_options, print_report
from bench.support.replicas import (
    PARTITIONS,
    backlog_figures,
    balanced,
    comparison_rows,
    conclusion,
    delivery_text,
    interleave,
    median_run,
    partition_of,
    saturated,
    shares,
    steady_rate,
    wanted,
)
from bench.support.sagas import Approval, phase_figures
from bench.support.stats import MISSING, jsonable, summarize

KEYS = [str(uuid.UUID(int=n)) for n in range(60)]


class TestPartitions:
    def test_a_key_lands_where_the_producers_partitioner_puts_it(self) -> None:
        partitions = list(range(PARTITIONS))
        for key in KEYS:
            assert partition_of(key) == DefaultPartitioner()(key.encode(), partitions, partitions)

    def test_fairs_are_kept_until_each_partition_has_its_share(self) -> None:
        kept: list[str] = []
        for key in KEYS:
            if wanted(kept, key, per_partition=2):
                kept.append(key)
        assert balanced(kept, per_partition=2)
        assert len(kept) == 2 * PARTITIONS
        assert sorted(partition_of(k) for k in kept) == [0, 0, 1, 1, 2, 2]

    def test_a_full_partition_wants_no_more(self) -> None:
        first = KEYS[0]
        same = next(k for k in KEYS[1:] if partition_of(k) == partition_of(first))
        other = next(k for k in KEYS[1:] if partition_of(k) != partition_of(first))
        assert not wanted([first], same, per_partition=1)
        assert wanted([first], other, per_partition=1)

    def test_missing_or_surplus_partitions_are_not_balanced(self) -> None:
        on = {p: [k for k in KEYS if partition_of(k) == p] for p in range(PARTITIONS)}
        assert not balanced([], per_partition=1)
        assert not balanced([on[0][0], on[1][0]], per_partition=1)
        assert balanced([on[0][0], on[1][0], on[2][0]], per_partition=1)
        assert not balanced([on[0][0], on[0][1], on[1][0], on[2][0]], per_partition=1)


class TestInterleaveAndShares:
    def test_round_robin_over_groups_of_unequal_length(self) -> None:
        assert interleave([["a1", "a2", "a3"], ["b1"], [], ["c1", "c2"]]) == ["a1", "b1", "c1", "a2", "c2", "a3"]
        assert interleave([]) == []

    def test_shares_are_the_difference_of_two_readings(self) -> None:
        before = {"booths": {"applied": 10, "parked": 1}, "booths-2": {"applied": 4}}
        after = {"booths": {"applied": 70, "parked": 1}, "booths-2": {"applied": 34, "parked": 2}}
        assert shares(before, after) == {"booths": {"applied": 60, "parked": 0},
                                         "booths-2": {"applied": 30, "parked": 2}}
        assert shares({}, {"billing": {"applied": 5}}) == {"billing": {"applied": 5}}

    def test_delivery_text_gives_the_split_then_what_went_other_than_applied_per_service(self) -> None:
        text = delivery_text({"booths": {"applied": 100, "parked": 0}, "booths-2": {"applied": 200},
                              "billing": {"applied": 291, "parked": 40, "dead_lettered": 5},
                              "billing-2": {"applied": 242, "parked": 27, "unparked": 67, "batches": 9}})
        assert text == ("booths 100, booths-2 200, billing 291, billing-2 242 applied; "
                        "billing: 67 parked, 67 unparked, 5 dead-lettered")
        assert delivery_text({"booths": {"applied": 3}}) == "booths 3 applied"


class TestBacklogFigures:
    def test_rate_from_the_first_assignment_to_the_last_invoice(self) -> None:
        table = {f"r{i}": {"assigned": 110.0 + i, "issued": 110.5 + i} for i in range(10)}

        def step(registration_id: str, name: str) -> Any:
            at = table.get(registration_id, {}).get(name)
            return None if at is None else type("S", (), {"emitted": at, "seen": at, "published": None})()

        figures = backlog_figures([*table, "lost"], step, restarted=100.0, ready=108.0)
        assert figures["completed"] == 10 and figures["not_completed"] == 1
        assert figures["ready_s"] == 8.0 and figures["start_to_last_invoice_s"] == 19.5
        assert figures["invoices_per_s"] == pytest.approx(10 / 9.5)
        assert figures["steady_invoices_per_s"] == pytest.approx(1.0)

    def test_nothing_issued_has_no_rate(self) -> None:
        figures = backlog_figures(["r1"], lambda r, n: None, restarted=1.0, ready=2.0)
        assert figures["invoices_per_s"] is None and figures["start_to_last_invoice_s"] is None


class TestSteadyRate:
    def test_leaves_the_filling_and_the_draining_out(self) -> None:
        # 10 invoices a second for 8 s, with a slow start and a straggler at the end
        emitted = [0.0, 3.0] + [5.0 + i / 10 for i in range(80)] + [30.0, 60.0]
        assert steady_rate(emitted) == pytest.approx(10.0, rel=0.05)

    def test_is_unknown_with_too_few_or_simultaneous_invoices(self) -> None:
        assert steady_rate([1.0, 2.0]) is None
        assert steady_rate([5.0] * 20) is None


def burst(sagas_per_s: float, answered_per_s: float | None = 40.0, total: tuple[float, ...] = (100.0, 200.0),
          not_completed: int = 0) -> dict[str, Any]:
    values = list(total) + [MISSING] * not_completed
    return {"sagas_per_s": sagas_per_s, "steady_sagas_per_s": sagas_per_s * 1.1 if sagas_per_s else None,
            "answered_per_s": answered_per_s, "approvals": len(values),
            "not_completed": not_completed, "hops": {"total": summarize(values)}}


def run(replicas: int, b: dict[str, Any]) -> dict[str, Any]:
    return {"replicas": replicas, "burst": b, "floor": {"two_hop": summarize([5.0, 10.0])}}


class TestComparison:
    def test_saturated_when_approvals_are_answered_well_ahead_of_the_sagas(self) -> None:
        assert saturated({"answered_per_s": 40.0, "sagas_per_s": 12.0}) is True
        assert saturated({"answered_per_s": 13.0, "sagas_per_s": 12.0}) is False
        assert saturated({"answered_per_s": None, "sagas_per_s": 12.0}) is None
        assert saturated({"answered_per_s": 40.0, "sagas_per_s": 0.0}) is None

    def test_two_replicas_faster_meet_the_target_with_the_ratio_two_over_one(self) -> None:
        rows = comparison_rows(run(1, burst(10.0)), run(2, burst(14.0, total=(50.0, 100.0))))
        assert rows[0].met() is True and rows[0].ratios() == [pytest.approx(1.4)]
        assert rows[1].metric.startswith("invoices/s once filled")
        p50 = rows[2]
        assert p50.metric.startswith("approve → invoice p50") and p50.floors[0] == ("one replica", 100.0)
        assert p50.ratios()[0] == pytest.approx(0.5)
        assert p50.floors[1] == ("raw two-hop p50", 5.0)
        assert "faster, 1.40× one replica's sagas/s (1.40× once the pipeline had filled)" in conclusion(
            run(1, burst(10.0)), run(2, burst(14.0)))

    def test_two_replicas_slower_or_level_are_said_so(self) -> None:
        one = run(1, burst(10.0))
        slower = run(2, burst(8.0))
        assert comparison_rows(one, slower)[0].met() is False
        assert "SLOWER" in conclusion(one, slower)
        assert "no faster" in conclusion(one, run(2, burst(10.2)))

    def test_unfinished_sagas_and_an_unsaturated_burst_are_noted(self) -> None:
        one, two = run(1, burst(10.0, answered_per_s=10.5)), run(2, burst(11.0, not_completed=3))
        assert "3 of 5 without an invoice" in comparison_rows(one, two)[0].note
        assert "approve endpoint may have set the pace" in conclusion(one, two)

    def test_no_invoices_at_all_is_no_comparison(self) -> None:
        one = run(1, burst(0.0))
        assert comparison_rows(one, run(2, burst(10.0)))[0].met() is None
        assert conclusion(one, run(2, burst(10.0))).startswith("burst: no comparison")

    def test_the_backlog_is_compared_when_both_ran_it(self) -> None:
        one, two = run(1, burst(10.0)), run(2, burst(10.0))
        assert len(comparison_rows(one, two)) == 5 and "Backlog" not in conclusion(one, two)
        one["backlog"] = {"invoices_per_s": 30.0, "steady_invoices_per_s": 32.0, "not_completed": 0}
        two["backlog"] = {"invoices_per_s": 24.0, "steady_invoices_per_s": 25.0, "not_completed": 2}
        rows = comparison_rows(one, two)
        assert rows[5].metric.startswith("backlog: invoices/s") and rows[5].met() is False
        assert rows[5].ratios() == [pytest.approx(0.8)] and "2 of the backlog without an invoice" in rows[5].note
        assert rows[6].figure == 25.0
        assert "Backlog (booths and billing alone): two replicas were SLOWER than one, 0.80×" in conclusion(one, two)
        one["backlog"]["invoices_per_s"] = None
        assert rows and "Backlog: no comparison" in conclusion(one, two)


class TestMedianRun:
    def test_one_run_keeps_its_figures(self) -> None:
        single = run(1, burst(10.0, total=(100.0, 200.0)))
        merged = median_run([single])
        assert merged["runs"] == 1 and merged["burst"]["sagas_per_s"] == 10.0
        assert merged["burst"]["hops"]["total"]["p50"] == 100.0 and merged["floor"]["two_hop"]["p50"] == 5.0
        assert "backlog" not in merged

    def test_several_runs_give_medians_of_the_figures_and_sums_of_the_counts(self) -> None:
        runs = [run(2, burst(r, not_completed=n)) for r, n in ((10.0, 0), (30.0, 1), (14.0, 2))]
        for index, r in enumerate(runs):
            r["backlog"] = {"invoices_per_s": 20.0 + index, "steady_invoices_per_s": None, "not_completed": 1}
        merged = median_run(runs)
        assert merged["burst"]["sagas_per_s"] == 14.0 and merged["burst"]["not_completed"] == 3
        assert merged["burst"]["approvals"] == sum(r["burst"]["approvals"] for r in runs)
        assert merged["backlog"] == {"invoices_per_s": 21.0, "steady_invoices_per_s": None, "not_completed": 3}
        del runs[0]["backlog"]
        assert "backlog" not in median_run(runs)


class TestReport:
    @staticmethod
    def configuration(replicas: int, issued: int) -> dict[str, Any]:
        approvals = [Approval(f"r{i}", 100.0 + i / 10, 100.5 + i / 10, "200", "approved") for i in range(6)]
        table = {f"r{i}": {"approved": 100.6 + i / 10, "assigned": 101.0 + i / 10, "issued": 101.5 + i / 10}
                 for i in range(issued)}

        def step(registration_id: str, name: str) -> Any:
            at = table.get(registration_id, {}).get(name)
            return None if at is None else type("S", (), {"emitted": at, "seen": at + 0.01, "published": None})()

        b = phase_figures("burst", approvals, step, offered_per_s=None)
        load = {"start": [5.0, 5.0, 5.0], "end": [7.0, 6.0, 6.0]}
        applied = {"booths": 4, "billing": 8} if replicas == 1 else {"booths": 2, "booths-2": 4, "billing": 4,
                                                                      "billing-2": 4}
        by_replica = {name: {"applied": n, "dead_lettered": int(name == "billing-2")} for name, n in applied.items()}
        b.update({"waited_after_sending_s": 1.0, "load_average": load, "delivery_by_replica": by_replica,
                  "saturated": saturated(b)})
        k = {"approvals": 6, "approve_ok": 6, "ready_s": 8.0, "completed": issued, "not_completed": 6 - issued,
             "invoices_per_s": 3.0 * replicas, "steady_invoices_per_s": None, "start_to_last_invoice_s": 12.0,
             "load_average": load, "delivery_by_replica": by_replica}
        return {"replicas": replicas, "start_s": 9.0, "burst": b, "backlog": k, "load_average": load,
                "floor": {"one_hop": summarize([1.0]), "two_hop": summarize([2.0, 4.0]), "load_average": load},
                "fairs": {"published": 3, "created": 5, "partitions": [2, 0, 1]},
                "restarts": {"booths": 0, "booths-2": 1} if replicas == 2 else {"booths": 0},
                "events": {"records_read": 40, "waitlisted": 0, "dead_letters": {}}}

    def test_a_whole_report_prints_and_serialises_with_missing_sagas_in_it(
            self, capsys: pytest.CaptureFixture[str]) -> None:
        report = {"cores": 2, "partitions": 3, "postgres": "127.0.0.1:5432/postgres",
                  "options": {"fairs_per_partition": 1}, "load_average": {"start": [5.0], "end": [7.0]},
                  "runs": [self.configuration(2, 4), self.configuration(1, 6)]}
        judged = finish(report)
        assert report["ratio_two_over_one"]["sagas_per_s"] is not None
        print_report(report, judged)
        out = capsys.readouterr().out
        assert "two replicas against one" in out and "booths-2 4" in out and "never" in out
        assert "billing: 1 dead-lettered" in out
        assert "backlog: invoices/s" in out and report["ratio_two_over_one"]["backlog_invoices_per_s"] == 2.0
        assert "RESTARTED {'booths-2': 1}" in out and report["conclusion"] in out
        json.dumps(jsonable(report), allow_nan=False)

    def test_repeated_configurations_are_compared_on_medians(self, capsys: pytest.CaptureFixture[str]) -> None:
        report = {"cores": 2, "partitions": 3, "postgres": "x", "options": {"fairs_per_partition": 1},
                  "load_average": {"start": [5.0], "end": [7.0]},
                  "runs": [self.configuration(1, 6), self.configuration(2, 6), self.configuration(2, 6),
                           self.configuration(1, 6)]}
        finish(report)
        assert report["compared"]["two"]["runs"] == 2 and report["ratio_two_over_one"]["backlog_invoices_per_s"] == 2
        print_report(report, finish(report))
        assert "medians over 2 and 2 runs" in capsys.readouterr().out


class TestCommandLine:
    def test_defaults_run_one_then_two_replicas(self) -> None:
        assert parse_options([]) == Options()
        assert Options().order == (1, 2)

    def test_the_order_may_be_reversed_or_repeated_but_must_name_one_and_two(self) -> None:
        assert parse_options(["--order", "2,1", "--sagas", "50"]).order == (2, 1)
        assert parse_options(["--order", "1,2,2,1"]).order == (1, 2, 2, 1)
        for bad in ("1", "1,1", "1,2,3", "2,0,1"):
            with pytest.raises(SystemExit):
                parse_options(["--order", bad])
        with pytest.raises(SystemExit):
            parse_options(["--sagas", "0"])
