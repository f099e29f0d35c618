"""Benchmark: the greedy heuristic against OR-Tools CP-SAT on generated fairs of 70, 300 and 2,000 booths,
in the same run. Prints a table and writes bench/results/allocation.json.

    uv run python -m bench.allocation [--time-limit 10] [--big-time-limit 30] [--workers 2] [--seed 7]

Each fair: standard booths in rows with cross aisles and a few reserved cells (the 2,000-booth fair in four
halls), sector zones and two province pavilions over part of the rows; registrations asking for 1–4 booths
(about 115% of the booths in all), policy priorities 0–100, sectors and provinces that match a zone about
half the time, a corner wish one time in four. CP-SAT gets no hint from the heuristic here, so the two are
measured independently.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from services.booths.allocation.exact import solve_exact
from services.booths.allocation.greedy import solve_greedy
from services.booths.allocation.model import Instance, Request, priority_sum, upper_bound
from services.booths.floorplan import Booth, HallGrid, build_halls
from services.booths.zones import Zone, ZoneKind

RESULTS = Path(__file__).parent / "results"
SECTORS = {"TCMN": "thủ công mỹ nghệ", "NLTS": "chế biến nông lâm thủy sản", "CK": "cơ khí"}
PAVILIONS = {"PV08": "08", "PV15": "15"}
SHAPES = {  # booths → halls (rows × booths per row, cross aisle every N), trimmed to the exact count
    70: [(8, 10, 5)],
    300: [(21, 15, 5)],
    2000: [(21, 25, 5)] * 4,
}


def generate_plan(size: int, rng: random.Random) -> list[Booth]:
    """Halls of standard booths with ~2% reserved cells, trimmed to ``size`` booths; zones on some rows."""
    halls = []
    for index, (rows, per_row, aisle) in enumerate(SHAPES[size]):
        code = f"H{index + 1}" if len(SHAPES[size]) > 1 else ""
        cells = [f"{chr(65 + r)}{c + 1:02d}" for r in range(rows) for c in range(per_row)]
        halls.append(HallGrid(code=code, rows=rows, booths_per_row=per_row, aisle_every=aisle,
                              reserved=frozenset(rng.sample(cells, k=len(cells) // 50))))
    booths = build_halls(halls)[:size]
    zone_cycle = ["TCMN", "", "NLTS", "", "CK", "PV08", "", "PV15", "", ""]
    rows = sorted({(b.hall, b.row) for b in booths})
    zone_of = {row: zone_cycle[i % len(zone_cycle)] for i, row in enumerate(rows)}
    return [replace(b, zone=zone_of[(b.hall, b.row)]) for b in booths]


def generate_requests(booths: int, rng: random.Random) -> tuple[Request, ...]:
    """Registrations asking for ~115% of the booths."""
    requests: list[Request] = []
    asked = 0
    while asked < booths * 1.15:
        n = rng.choices([1, 2, 3, 4], weights=[55, 30, 12, 3])[0]
        sector = rng.choice([*SECTORS.values(), "mỹ phẩm", "dệt may", ""]) if rng.random() < 0.9 else ""
        province = rng.choice(list(PAVILIONS.values())) if rng.random() < 0.12 else rng.choice(["01", "24", "31"])
        priority = min(100, int(rng.expovariate(1 / 25)))
        requests.append(Request(registration_id=f"r{len(requests):05d}", booths=n, priority=priority, sector=sector,
                                province_code=province, wants_corner=rng.random() < 0.25, rank=len(requests)))
        asked += n
    return tuple(requests)


def generate(size: int, seed: int) -> Instance:
    """A reproducible fair of ``size`` booths and its registrations."""
    rng = random.Random(seed * 1000 + size)
    zones = tuple([Zone(code, name, ZoneKind.SECTOR, sectors=(name,)) for code, name in SECTORS.items()]
                  + [Zone(code, f"Tỉnh {p}", ZoneKind.PAVILION, province_code=p) for code, p in PAVILIONS.items()])
    return Instance(booths=tuple(generate_plan(size, rng)), zones=zones, requests=generate_requests(size, rng))


def measure(size: int, *, seed: int, time_limit_s: float, workers: int) -> dict[str, Any]:
    """Both solvers on one generated fair."""
    instance = generate(size, seed)
    quick = solve_greedy(instance)
    exact = solve_exact(instance, time_limit_s=time_limit_s, workers=workers, seed=seed)
    best = max(quick.objective, exact.objective)
    bound = exact.bound if exact.bound is not None else upper_bound(instance)
    return {
        "instance": f"fair-{size}", "booths": len(instance.booths), "requests": len(instance.requests),
        "booths_requested": sum(r.booths for r in instance.requests),
        "heuristic": {"objective": quick.objective, "priority": priority_sum(instance, quick.placements),
                      "placed": len(quick.placements), "seconds": round(quick.seconds, 4)},
        "cp_sat": {"objective": exact.objective, "bound": exact.bound, "status": exact.status,
                   "gap_pct": round(100 * (exact.gap or 0.0), 3),
                   "priority": priority_sum(instance, exact.placements), "placed": len(exact.placements),
                   "seconds": round(exact.seconds, 3), "time_limit_s": time_limit_s, "workers": workers},
        "heuristic_gap_to_best_pct": round(100 * (best - quick.objective) / best, 3) if best else 0.0,
        "heuristic_gap_to_bound_pct": round(100 * (bound - quick.objective) / bound, 3) if bound else 0.0,
        "heuristic_time_fraction": round(quick.seconds / exact.seconds, 5) if exact.seconds else None,
    }


def robustness(seeds: int, time_limit_s: float, workers: int) -> dict[int, dict[str, Any]]:
    """The worst heuristic gap over several generated 70- and 300-booth fairs."""
    spread: dict[int, dict[str, Any]] = {}
    for size in (70, 300):
        runs = [measure(size, seed=seed, time_limit_s=time_limit_s, workers=workers) for seed in range(1, seeds + 1)]
        spread[size] = {"seeds": seeds, "worst_gap_pct": max(r["heuristic_gap_to_best_pct"] for r in runs),
                        "optimal": sum(1 for r in runs if r["cp_sat"]["status"] == "optimal"),
                        "gaps_pct": [r["heuristic_gap_to_best_pct"] for r in runs]}
    return spread


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a fixed-width table."""
    head = (f"{'instance':<10} {'booths':>6} {'reqs':>5} | {'heur obj':>10} {'heur s':>8} | {'cp-sat obj':>10} "
            f"{'bound':>10} {'status':>8} {'gap %':>6} {'cp-sat s':>8} | {'heur gap %':>10} {'time frac':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        h, c = r["heuristic"], r["cp_sat"]
        lines.append(f"{r['instance']:<10} {r['booths']:>6} {r['requests']:>5} | {h['objective']:>10} "
                     f"{h['seconds']:>8.3f} | {c['objective']:>10} {c['bound'] or '-':>10} {c['status']:>8} "
                     f"{c['gap_pct']:>6.2f} {c['seconds']:>8.2f} | {r['heuristic_gap_to_best_pct']:>10.3f} "
                     f"{r['heuristic_time_fraction'] or 0:>9.4f}")
    return "\n".join(lines)


def main() -> None:
    """Run the three fairs, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=10.0, help="CP-SAT seconds for 70 and 300 booths")
    parser.add_argument("--big-time-limit", type=float, default=30.0, help="CP-SAT seconds for 2,000 booths")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N of the small fairs for the worst gap")
    args = parser.parse_args()
    rows = [measure(size, seed=args.seed, workers=args.workers,
                    time_limit_s=args.big_time_limit if size >= 2000 else args.time_limit) for size in SHAPES]
    print(table(rows))
    spread = robustness(args.seeds, args.time_limit, args.workers)
    for size, worst in spread.items():
        print(f"fair-{size}: worst heuristic gap to CP-SAT over seeds 1–{args.seeds}: {worst['worst_gap_pct']:.3f} % "
              f"(CP-SAT optimal in {worst['optimal']}/{args.seeds})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"benchmark": "allocation", "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seed": args.seed,
           "machine": {"python": platform.python_version(), "cpu": platform.machine()},
           "objective": "sum over placed registrations of (requests + 1) x (priority_score + 1), plus 1 per "
                        "corner wish granted", "results": rows,
           "robustness": spread}
    (RESULTS / "allocation.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS / 'allocation.json'}")


if __name__ == "__main__":
    main()
