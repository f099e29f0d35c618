"""Fair spread of a year's sessions over the eligible communes, pure: what each session is worth, the cap
per commune, and why each commune got what it got.

The objective values a site's j-th session of the year (confirmed ones counted first) by *level*: every
eligible commune takes its first session before any takes a second, its second before any takes a
third, and so on (max-min fairness, "water-filling"); within a level the priority decides, and a
commune's first session also earns the coverage bonus, 1000·priority, as before. Without this, a year
of more sessions than communes sent every repeat to the two or three highest-priority communes (6 and 5
sessions in two border communes, 1 in each of nine others). The levels make the objective a sum of
per-site concave terms, so the counts master and the full model stay linear: one boolean per (site,
level) with n_site = Σ_j y_site,j and the values decreasing in j.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from services.markets.domain.planning import PlanningProblem, Rules, SiteSpec

COVER_WEIGHT = 1000
# A level is worth more than any priority difference (priorities are 1–100): the j-th session anywhere
# beats the (j+1)-th anywhere.
LEVEL_WEIGHT = 100


def cap_of(site: SiteSpec, rules: Rules) -> int | None:
    """The most sessions a site may have in the year: its own `max_sessions` and the programme's cap."""
    caps = [c for c in (site.max_sessions, rules.max_per_commune) if c is not None]
    return min(caps) if caps else None


def levels(problem: PlanningProblem, most: dict[str, int]) -> int:
    """One more than the highest level any site can reach (confirmed sessions included)."""
    booked = Counter(b.site for b in problem.booked)
    return 1 + max((booked[s.key] + most.get(s.key, 0) for s in problem.sites), default=0)


def session_values(problem: PlanningProblem, site: SiteSpec, most: int, top: int) -> list[int]:
    """The objective's value of each of the site's next `most` new sessions, decreasing (`top` from levels())."""
    done = sum(1 for b in problem.booked if b.site == site.key)
    values = []
    for j in range(done + 1, done + most + 1):
        cover = COVER_WEIGHT * site.priority if j == 1 else 0
        values.append(LEVEL_WEIGHT * (top - j) + site.priority + cover)
    return values


@dataclass(frozen=True, slots=True)
class CommuneShare:
    """How many sessions a commune got and why, for the plan's explanation."""

    site: str
    name: str
    priority: int
    confirmed: int
    new: int
    why: str


def explain_shares(problem: PlanningProblem, most: dict[str, int], counts: dict[str, int],
                   no_dates: dict[str, str]) -> list[CommuneShare]:
    """Why each site got its new sessions: its cap, its calendar, or the level the spread reached.

    `most`: what each site's calendar allows alone (market days, blackouts, the gap, its caps);
    `no_dates`: the reason in words for the sites with no possible date at all.
    """
    rules = problem.rules
    booked = Counter(b.site for b in problem.booked)
    totals = {s.key: booked[s.key] + counts.get(s.key, 0) for s in problem.sites}
    reached = max(totals.values(), default=0)
    out = []
    for site in sorted(problem.sites, key=lambda s: (-totals[s.key], -s.priority, s.key)):
        out.append(CommuneShare(site.key, site.name, site.priority, booked[site.key], counts.get(site.key, 0),
                                _why(site, rules, totals[site.key], most.get(site.key, 0) + booked[site.key],
                                     reached, no_dates.get(site.key))))
    return out


def _why(site: SiteSpec, rules: Rules, total: int, allowed: int, reached: int, no_dates: str | None) -> str:
    cap = cap_of(site, rules)
    if no_dates is not None:
        return f"không có ngày nào / no possible date — {no_dates}"
    if cap is not None and total >= cap:
        whose = ("chương trình / the programme's" if cap == rules.max_per_commune else "của điểm / the site's own")
        return f"đã đủ mức trần {cap} phiên/năm ({whose} cap of {cap} a year)"
    if total >= allowed:
        return (f"lịch của xã chỉ cho phép {allowed} phiên (ngày chợ, thời gian cấm, cách nhau {rules.min_gap_days} "
                f"ngày) / its calendar allows {allowed} (market days, blackouts, a {rules.min_gap_days}-day gap)")
    if total == 0:
        return (f"chưa được chọn: các phiên đã chia cho xã có ưu tiên cao hơn {site.priority} hoặc đi lại dễ hơn / "
                f"not chosen: the sessions went to communes of higher priority than {site.priority} or cheaper to "
                f"reach")
    if total < reached:
        return (f"{total} phiên: mỗi xã nhận phiên thứ {total} trước khi xã nào nhận phiên thứ {total + 1}; các "
                f"phiên thêm đã chia cho xã ưu tiên cao hơn hoặc đi lại dễ hơn / {total}: every commune takes its "
                f"session no. {total} before any takes no. {total + 1}; the extra ones went to communes of higher "
                f"priority or cheaper to reach")
    return (f"{total} phiên, mức cao nhất của kế hoạch (ưu tiên {site.priority}) / {total}, the most any commune "
            f"got, spread level by level (priority {site.priority})")
