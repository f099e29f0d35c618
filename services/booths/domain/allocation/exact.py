"""The exact solver: the allocation model as a CP-SAT program (OR-Tools), time-limited. Pure (no I/O).

Requests that want the same thing (same area, same size, same corner wish) are interchangeable but for
their priority, so the program chooses blocks per *class* of requests and how many of the class get one;
the optimum then gives them to the class's highest priorities. This keeps the program at one variable per
(class, block) instead of one per (request, block) — 2,000 booths stay tractable — and removes the
symmetry between equal requests that would otherwise slow the proof of optimality.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from time import perf_counter
from typing import TYPE_CHECKING

from services.booths.domain.allocation.model import Block, Instance, Request, Solution, objective, upper_bound

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


@dataclass
class _Class:
    requests: list[Request]  # highest value first
    blocks: list[Block]
    wants_corner: bool


def _classes(instance: Instance) -> list[_Class]:
    grouped: dict[tuple[str, int, bool], list[Request]] = defaultdict(list)
    for request in instance.requests:
        grouped[(instance.area(request).key, request.booths, request.wants_corner)].append(request)
    classes = []
    for (_, _, corner), members in sorted(grouped.items()):
        members.sort(key=lambda r: (-r.value, r.rank))
        classes.append(_Class(members, instance.candidates(members[0]), corner))
    return classes


def solve_exact(instance: Instance, *, time_limit_s: float = 10.0, workers: int = 2,
                hint: dict[str, tuple[str, ...]] | None = None, seed: int = 0) -> Solution:
    """The best placements CP-SAT finds within ``time_limit_s``, with its proven bound."""
    started = perf_counter()
    classes = _classes(instance)
    # Imported here: OR-Tools brings pandas and numpy (~0.4 s and ~60 MiB), which an approval never needs.
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    uses: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    chosen: list[list[cp_model.IntVar]] = []
    placed: list[list[cp_model.IntVar]] = []
    terms: list[tuple[cp_model.IntVar, int]] = []
    for k, cls in enumerate(classes):
        ys = [model.new_bool_var(f"y{k}_{j}") for j in range(len(cls.blocks))]
        zs = [model.new_bool_var(f"z{k}_{i}") for i in range(len(cls.requests))]
        for y, block in zip(ys, cls.blocks, strict=True):
            for booth in block:
                uses[booth.code].append(y)
            if cls.wants_corner and any(booth.corner for booth in block):
                terms.append((y, 1))
        model.add(sum(zs) == sum(ys))
        for better, worse in pairwise(zs):
            model.add_implication(worse, better)  # the class's places go to its best requests
        terms.extend((z, instance.scale * r.value) for z, r in zip(zs, cls.requests, strict=True))
        chosen.append(ys)
        placed.append(zs)
    for variables in uses.values():
        if len(variables) > 1:
            model.add_at_most_one(variables)
    model.maximize(sum(coef * var for var, coef in terms))
    if hint:
        _add_hint(model, classes, chosen, placed, hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution(solver="cp-sat", placements={}, objective=0, status="unknown",
                        seconds=perf_counter() - started, bound=upper_bound(instance))
    placements = _read(solver, classes, chosen, placed)
    value = objective(instance, placements)
    bound = value if status == cp_model.OPTIMAL else min(upper_bound(instance),
                                                           math.floor(solver.best_objective_bound + 1e-6))
    return Solution(solver="cp-sat", placements=placements, objective=value,
                    status="optimal" if status == cp_model.OPTIMAL else "feasible",
                    seconds=perf_counter() - started, bound=max(bound, value))


def _add_hint(model: cp_model.CpModel, classes: list[_Class], chosen: list[list[cp_model.IntVar]],
              placed: list[list[cp_model.IntVar]], hint: dict[str, tuple[str, ...]]) -> None:
    for cls, ys, zs in zip(classes, chosen, placed, strict=True):
        ids = {r.registration_id for r in cls.requests}
        used = {codes for reg, codes in hint.items() if reg in ids}
        for y, block in zip(ys, cls.blocks, strict=True):
            model.add_hint(y, tuple(b.code for b in block) in used)
        count = len(used)
        for i, z in enumerate(zs):
            model.add_hint(z, i < count)


def _read(solver: cp_model.CpSolver, classes: list[_Class], chosen: list[list[cp_model.IntVar]],
          placed: list[list[cp_model.IntVar]]) -> dict[str, tuple[str, ...]]:
    placements: dict[str, tuple[str, ...]] = {}
    for cls, ys, zs in zip(classes, chosen, placed, strict=True):
        blocks = [block for y, block in zip(ys, cls.blocks, strict=True) if solver.boolean_value(y)]
        winners = [r for z, r in zip(zs, cls.requests, strict=True) if solver.boolean_value(z)]
        # Corner blocks first, so that within a class the corner goes to the higher priority.
        blocks.sort(key=lambda block: not any(b.corner for b in block))
        for request, block in zip(winners, blocks, strict=True):
            placements[request.registration_id] = tuple(booth.code for booth in block)
    return placements
