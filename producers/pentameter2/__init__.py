"""The Pentameter 2 scenario: a wholly fictional operation with the published results' shape.

Operation Pentameter 2 was launched on 3 October 2007 and ran for about six months across all UK
police forces with the UK Human Trafficking Centre, SOCA, HMRC, border intelligence teams and NGOs
such as the POPPY project. The Home Office (press release 124/2008, 2 July 2008) reported: 167
victims (13 children, youngest 14; five trafficked for forced labour, three of them children), 528
arrests, 822 premises visited (157 massage parlours and saunas, 582 residential), 6,400
intelligence reports, more than 500,000 pounds cash recovered and restraint orders running into
several millions of pounds. Intelligence was collated onto one national database that surfaced
organised-crime links across forces.

At scale 1 this package reproduces those figures exactly (the 46 ForceArea symbols of the schema
stand in for the 55 forces); at other scales every figure is scaled and rounded. Around them it
invents everything else: who, where, when, how graded. Organised-crime networks spanning two to
five forces share phones, vehicles and premises, mentioned in intelligence reports from different
forces, and those are the only values shared across forces: each is returned as a planted link.

The operation is dated to have ended two weeks before the day it is generated (``recent_launch``),
unless a launch day is given: its records are then current, as rule 12 requires of anything
shared (a record past its review date goes to no partner). Dated on the real launch (``LAUNCH``),
every record would long have passed its six-year review.

Period-accurate where it costs nothing (5x5x5 grading for most reports, Sexual Offences Act 2003
trafficking offences, a 45-day recovery period), anachronistic where the system needs it (NRM
referrals, Duty to Notify and Single Competent Authority decisions postdate 2007).

Modules, in the order :func:`build` uses them: ``figures`` (the published numbers and code lists),
``model`` (planned objects and the shared context), ``plan`` (visits, networks, victims, arrests),
``operations`` (visits, arrests, assets), ``victims`` (encounters, referrals, Duty to Notify,
decisions) and ``intelligence`` (reports).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from producers.pentameter2 import intelligence, operations, plan, victims
from producers.pentameter2.figures import DAYS, FIGURES, LAUNCH, Figures, scaled
from producers.pentameter2.model import Context, Network, Scenario

__all__ = ["DAYS", "FIGURES", "LAUNCH", "Figures", "Network", "Scenario", "build", "recent_launch"]


def recent_launch(today: datetime | None = None) -> datetime:
    """The launch of an operation that ended two weeks before ``today`` (now by default)."""
    day = (today or datetime.now(UTC)).date() - timedelta(days=DAYS + 14)
    return datetime.combine(day, time(0), tzinfo=UTC)


def build(seed: int, scale: float = 1.0, launch: datetime | None = None) -> Scenario:
    """Build the scenario for ``seed`` at ``scale`` (1.0 = the published figures), launched on
    ``launch`` (by default :func:`recent_launch`)."""
    ctx = Context(seed, scale, launch or recent_launch())
    n_visits = scaled(FIGURES.premises_visits, scale, 1)
    n_saunas = min(n_visits, scaled(FIGURES.massage_parlours_saunas, scale))
    n_residential = min(n_visits - n_saunas, scaled(FIGURES.residential, scale))
    n_victims = scaled(FIGURES.victims, scale, 1)
    n_children = min(n_victims, scaled(FIGURES.child_victims, scale, 1))
    n_labour = min(n_victims, scaled(FIGURES.forced_labour_victims, scale))
    n_labour_children = min(n_labour, n_children, scaled(FIGURES.forced_labour_children, scale))
    n_arrests = scaled(FIGURES.arrests, scale)
    n_reports = scaled(FIGURES.intelligence_reports, scale, 1)
    n_networks = scaled(12, scale, 2)
    planned: dict[str, Any] = {
        "premises_visits": n_visits,
        "massage_parlours_saunas": n_saunas,
        "residential": n_residential,
        "victims": n_victims,
        "children": n_children,
        "forced_labour": n_labour,
        "forced_labour_children": n_labour_children,
        "arrests": n_arrests,
        "intelligence_reports": n_reports,
        "networks": n_networks,
    }
    plan.plan_visits(ctx, n_visits, n_saunas, n_residential, gloucestershire=n_children > 0)
    plan.plan_networks(ctx, n_networks)
    plan.plan_victims(ctx, n_victims, n_children, n_labour, n_labour_children)
    at_visits = int(n_arrests * 0.75 + 0.5)
    plan.plan_arrests_at_visits(ctx, at_visits)
    operations.emit_visits(ctx)
    victims.emit_victims(ctx)
    operations.emit_arrests(ctx, at_visits, n_arrests - at_visits)
    intelligence.emit_reports(ctx, n_reports)
    planned.update(operations.emit_assets(ctx))
    for records in ctx.records.values():
        records.sort(key=lambda r: (r["envelope"]["recorded_at"], r["envelope"]["event_id"]))
    return Scenario(ctx.records, ctx.networks, planned)
