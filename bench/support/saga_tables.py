"""The saga bench's tables: floor, phases, per-hop percentiles, rush, idle cost, and the targets of issue 12
with floor, figure, ratio, target and verdict."""

from __future__ import annotations

import sys
from typing import Any

from bench.support.sagas import idle_rows, rush_rows, saga_rows
from bench.support.stats import Row, render_table


def rows(report: dict[str, Any]) -> list[Row]:
    """Every judged figure of the run."""
    return (saga_rows(report["phases"], report["floor"]["two_hop"]) + rush_rows(report["rush"])
            + idle_rows(report["idle"]))


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return "never" if value == float("inf") else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _load(part: dict[str, Any]) -> str:
    """The 1-minute load average at the start and end of a part."""
    la = part["load_average"]
    return f"{la['start'][0]} → {la['end'][0]}"


def print_report(report: dict[str, Any], judged: list[Row]) -> None:
    """The tables on stdout."""
    w = sys.stdout.write
    la = report["load_average"]
    w(f"\nsaga benchmark — {report['cores']} cores, load average {la['start']} → {la['end']}, "
      f"cold start {report['cold_start_s']} s, fair of {report['setup']['capacity_booths']} booths, "
      f"{report['setup']['profiles']['n']} profiles ({report['setup']['profiles']['per_s'] or 0:.0f}/s)\n\n")
    w(f"floor: raw aiokafka through the platform's broker, one message at a time (ms), "
      f"load {_load(report['floor'])}\n"
      f"{'path':<34}{'p50':>8}{'p95':>8}{'p99':>8}\n")
    for name in ("one_hop", "two_hop"):
        s = report["floor"][name]
        w(f"{name.replace('_', ' '):<34}{_ms(s['p50']):>8}{_ms(s['p95']):>8}{_ms(s['p99']):>8}\n")
    w(f"\nphases\n{'phase':<8}{'sent':>6}{'ok':>6}{'sent/s':>8}{'answered/s':>11}{'issued':>8}{'missing':>8}"
      f"{'sagas/s':>9}{'backlog@start':>14}{'waited s':>9}{'settled s':>10}  load start → end\n")
    for p in report["phases"]:
        w(f"{p['phase']:<8}{p['approvals']:>6}{p['approve_ok']:>6}{p['sent_per_s'] or 0:>8.1f}"
          f"{p['answered_per_s'] or 0:>11.1f}{p['completed']:>8}{p['not_completed']:>8}{p['sagas_per_s']:>9.1f}"
          f"{p['backlog_at_start']:>14}{p['waited_after_sending_s']:>9}{_settled(p.get('settled_before')):>10}  "
          f"{p['load_average']['start'][0]} → {p['load_average']['end'][0]}\n")
    for p in report["phases"]:
        if p["approve_statuses"]:
            w(f"  {p['phase']}: approvals not answered 'approved': {p['approve_statuses']}\n")
    w(f"\nper hop (ms, from ce_time; 'never' = not within the wait)\n"
      f"{'phase':<8}{'hop':<36}{'p50':>8}{'p95':>8}{'p99':>8}   tail p95 first → last third\n")
    for p in report["phases"]:
        for index, (hop, s) in enumerate(p["hops"].items()):
            tail = (f"   {_ms(p['tail']['first_p95'])} → {_ms(p['tail']['last_p95'])}"
                    f"{' GROWS' if p['tail']['grows'] else ''}" if index == 0 else "")
            w(f"{p['phase'] if index == 0 else '':<8}{hop:<36}{_ms(s['p50']):>8}{_ms(s['p95']):>8}"
              f"{_ms(s['p99']):>8}{tail}\n")
    _cpu_table(w, [(p["phase"], p.get("cpu_ms_per_saga") or {}) for p in report["phases"]]
               + [("rush", report["rush"].get("cpu_ms_per_submit") or {})])
    r = report["rush"]
    w(f"\nrush: {r['submits']['n']} submits in {r['submits']['seconds']:.1f} s, statuses {r['submits']['statuses']}; "
      f"/health floor {r['health_floor']['n']} calls, statuses {r['health_floor']['statuses']}; load {_load(r)}\n")
    idle = report["idle"]
    settled = idle.get("settled_before") or {}
    after = f", after settling {settled['waited_s']} s" if settled else ""
    w(f"\nidle over {idle['seconds']} s, load {_load(idle)}{after}\n"
      f"{'process':<18}{'CPU % of a core':>16}{'RSS MiB':>10}\n")
    for name, p in idle["per_process"].items():
        w(f"{name:<18}{p['cpu_pct_of_core']:>16.1f}{p['rss_mib']:>10.0f}\n")
    w(f"{'total':<18}{idle['cpu_pct_of_core']:>16.1f}{idle['rss_mib']:>10.0f}\n\n")
    w(render_table("targets (issue 12), against the floor measured in this run", judged) + "\n")
    t = report["targets_summary"]
    w(f"\ntargets: {t['met']} met, {t['missed']} missed, {t['unknown']} not judged; "
      f"events read {report['events']['records_read']}, waitlisted {report['events']['waitlisted']}, "
      f"dead letters {report['events']['dead_letters'] or 0}\n")


def _cpu_table(w: Any, parts: list[tuple[str, dict[str, float | None]]]) -> None:
    """CPU ms per saga (per submit for the rush) of each process over each phase — utime + stime from the
    kernel, worker processes apart ("wk"), so it holds on a loaded machine where the latencies do not."""
    names = list(dict.fromkeys(name for _, cpu in parts for name in cpu))
    if not names:
        return
    short = {name: name.replace(" (tansu)", "").replace(" workers", " wk")[:11] for name in names}
    w("\nCPU ms per saga (utime+stime over the phase ÷ sagas completed in it; rush: per submit)\n"
      f"{'phase':<8}" + "".join(f"{short[n]:>12}" for n in names) + "\n")
    for phase, cpu in parts:
        w(f"{phase:<8}" + "".join(f"{_ms(cpu.get(n)):>12}" for n in names) + "\n")


def _settled(settled: dict[str, Any] | None) -> str:
    """How long the stack took to go quiet before the phase ('>' when it never did within the wait)."""
    if not settled:
        return "—"
    return f"{'' if settled.get('settled') else '>'}{settled.get('waited_s')}"
