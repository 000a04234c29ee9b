"""The victim pathway: encounter, then an NRM referral (children always, adults with consent)
or an anonymous Duty to Notify (adults without consent), then the SCA's decisions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from producers import events as ev
from producers.agencies import police_agency
from producers.fiction import ORIGINS
from producers.pentameter2.figures import INDICATORS
from producers.pentameter2.model import Context, Record, Victim


def emit_victims(ctx: Context) -> None:
    for victim in ctx.victims:
        emit_victim(ctx, victim)


def responder_of(ctx: Context, victim: Victim, *, referring: bool) -> tuple[str, str]:
    """(agency id, FirstResponderType) of who met, or who refers, the victim."""
    if victim.found_by == "police":
        if referring and victim.child and victim.force == "GLOUCESTERSHIRE":
            return "la.gloucestershire_childrens", "LOCAL_AUTHORITY"
        return police_agency(victim.force), "POLICE"
    return victim.found_by, "BORDER_FORCE" if victim.found_by == "border.intel" else "NGO"


@dataclass(frozen=True)
class Met:
    """What the first responder learnt at the encounter; the referral repeats it."""

    by: str
    by_type: str
    case: str
    identity: Record
    indicators: list[str]
    home: str
    """Force area of the safe house (empty when the person was not accommodated)."""
    safe_house: Record | None
    health: str | None


def emit_victim(ctx: Context, victim: Victim) -> None:
    """The encounter, then a referral (with consent, or any child) or a Duty to Notify."""
    met = emit_encounter(ctx, victim)
    if victim.consent:
        emit_referral(ctx, victim, met)
    else:
        emit_duty_to_notify(ctx, victim, met)


def emit_encounter(ctx: Context, victim: Victim) -> Met:
    rng, origin = ctx.rng, ORIGINS[victim.nationality]
    met_by, met_type = responder_of(ctx, victim, referring=False)
    case = victim.visit.case_id if victim.visit else ctx.case_id(victim.force)
    known_name = rng.random() < 0.85
    born = _born(victim.when, victim.age, rng) if known_name and rng.random() < 0.5 else None
    identity = ev.victim_identity(
        name=ctx.fiction.name(victim.nationality, victim.gender) if known_name else None,
        age=victim.age,
        gender=victim.gender,
        nationality=victim.nationality,
        language=origin.language,
        born=born,
        other_names=[ctx.fiction.given_name(victim.nationality, victim.gender)] if rng.random() < 0.3 else [],
        ethnicity=origin.ethnicity if rng.random() < 0.4 else None,
        phone=ctx.fiction.mobile() if rng.random() < 0.15 else None,
    )
    indicators = sorted(rng.sample(INDICATORS, rng.randint(1, 4)), key=INDICATORS.index)
    if victim.consent:
        home = victim.force if victim.child or rng.random() < 0.5 else ctx.force()
        safe_house: Record | None = ctx.fiction.address(home, flat=True)
    else:
        home, safe_house = "", None
    health = rng.choice(
        (
            None,
            None,
            None,
            "Needs a GP appointment.",
            "Requires sexual health screening.",
            "Injury to the left arm, treated at hospital.",
            "Pregnant; needs antenatal care.",
        )
    )
    notes = rng.choice(
        (
            "Spoke through an interpreter.",
            "Found in an upstairs room; frightened to speak.",
            "Has no passport; says the 'boss' keeps it.",
            "Says she owes a debt for her travel.",
            None,
        )
    )
    head = ev.envelope(
        ctx.event_id(),
        "PotentialVictimEncounter",
        met_by,
        victim.when,
        ctx.later(victim.when, 1, 12),
        victim.force,
        case,
    )
    place = dict(victim.visit.place) if victim.visit else None
    ctx.emit(
        met_by,
        ev.encounter(
            head,
            victim_ref=victim.ref,
            victim=identity,
            child=victim.child,
            responder=ev.first_responder(met_by, met_type),
            consent="NOT_REQUIRED_CHILD" if victim.child else "GIVEN" if victim.consent else "REFUSED",
            exploitation=victim.exploitation,
            indicators=indicators,
            place=place,
            accommodated=safe_house is not None,
            current_address=safe_house,
            health_needs=health,
            notes=notes,
        ),
    )
    return Met(met_by, met_type, case, identity, indicators, home, safe_house, health)


def emit_duty_to_notify(ctx: Context, victim: Victim, met: Met) -> None:
    """An adult who refused referral: an anonymous notification by whoever met them."""
    notified = ctx.later(victim.when, 4, 72)
    head = ev.envelope(
        ctx.event_id(),
        "DutyToNotify",
        met.by,
        ev.month_start(victim.when),
        notified,
        victim.force,
        None,
        "OFFICIAL",
    )
    ctx.emit(
        met.by,
        ev.duty_to_notify(
            head,
            responder_type=met.by_type,
            encountered=victim.when,
            age_band=ev.age_band(victim.age),
            gender=victim.gender,
            nationality_region=ORIGINS[victim.nationality].region,
            exploitation=victim.exploitation,
            exploited_in_uk=True if ctx.rng.random() < 0.9 else None,
        ),
    )


def emit_referral(ctx: Context, victim: Victim, met: Met) -> None:
    """A referral by the first responder (children's services for a child in Gloucestershire),
    then the SCA's decisions on it."""
    referrer, referrer_type = responder_of(ctx, victim, referring=True)
    consented = ctx.later(victim.when, 0.5, 12)
    referred = ctx.later(consented, 1, 36)
    if victim.child:
        provider = "la.gloucestershire_childrens" if victim.force == "GLOUCESTERSHIRE" else None
    else:
        provider = (
            "ngo.poppy"
            if victim.gender == "FEMALE" and "SEXUAL" in victim.exploitation
            else "ngo.salvation_army"
        )
    head = ev.envelope(
        ctx.event_id(),
        "NRMReferral",
        referrer,
        referred,
        ctx.later(referred, 0.2, 3),
        victim.force,
        met.case,
    )
    responder = ev.first_responder(referrer, referrer_type)
    referral = ctx.emit(
        referrer,
        ev.nrm_referral(
            head,
            victim_ref=victim.ref,
            victim=met.identity,
            child=victim.child,
            consent_at=None if victim.child else consented,
            responder=responder,
            exploitation=victim.exploitation,
            indicators=met.indicators,
            support_provider=provider,
            accommodation_force_area=met.home,
            current_address=met.safe_house,
            health_needs=met.health,
            account=ctx.rng.choice(
                (
                    "Brought to the UK by lorry and kept in a flat above the premises.",
                    "Promised work in a restaurant; made to work in a sauna to repay a debt.",
                    "Moved between several towns every few weeks.",
                    None,
                )
            ),
        ),
    )
    emit_decisions(ctx, victim, referral, referred, responder, provider)


def emit_decisions(
    ctx: Context,
    victim: Victim,
    referral: Record,
    referred: datetime,
    responder: Record,
    provider: str | None,
) -> None:
    rng = ctx.rng
    rg_day = referred.date() + timedelta(days=rng.randint(2, 7))
    positive = rng.random() < 0.92
    decisions = [("REASONABLE_GROUNDS", "POSITIVE" if positive else "NEGATIVE", rg_day)]
    if positive and rng.random() < 0.8:
        cg_day = rg_day + timedelta(days=rng.randint(45, 110))
        decisions.append(("CONCLUSIVE_GROUNDS", "POSITIVE" if rng.random() < 0.85 else "NEGATIVE", cg_day))
    for stage, outcome, day in decisions:
        decided = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=rng.uniform(9, 17))
        head = ev.envelope(
            ctx.event_id(),
            "NRMDecision",
            "sca",
            decided,
            ctx.later(decided, 0.1, 4),
            victim.force,
            f"SCA/{victim.ref}",
            "OFFICIAL",
        )
        ctx.emit(
            "sca",
            ev.nrm_decision(
                head,
                victim_ref=victim.ref,
                referral_event_id=referral["envelope"]["event_id"],
                child=victim.child,
                stage=stage,
                outcome=outcome,
                decided=day,
                exploitation=victim.exploitation,
                responder=responder,
                support_provider=provider,
            ),
        )


def _born(moment: datetime, age: int, rng: random.Random) -> date:
    """A date of birth giving ``age`` at ``moment`` and for at least the next two months, so the
    later referral and decisions agree with the encounter about the person's age."""
    birthday = moment.date() - timedelta(days=rng.randint(10, 300))
    if birthday.month == 2 and birthday.day == 29:
        birthday = birthday.replace(day=28)
    return birthday.replace(year=birthday.year - age)
