"""Police operations: premises visits, arrests and Proceeds of Crime Act asset actions."""

from __future__ import annotations

from datetime import datetime

from producers import events as ev
from producers.agencies import police_agency
from producers.pentameter2.figures import FIGURES, scaled, split_amount
from producers.pentameter2.model import Context, Record, Suspect, town_of


def emit_visits(ctx: Context) -> None:
    for visit in ctx.visits:
        victims, arrests = len(visit.victims), visit.arrests
        if victims and arrests:
            outcome = "POTENTIAL_VICTIMS_AND_ARRESTS"
        elif victims:
            outcome = "POTENTIAL_VICTIMS_IDENTIFIED"
        elif arrests:
            outcome = "ARRESTS_MADE"
        else:
            outcome = ctx.rng.choice(
                ("NO_FURTHER_ACTION", "INTELLIGENCE_GATHERED", "INTELLIGENCE_GATHERED", "NO_ACCESS")
            )
        agency = police_agency(visit.force)
        head = ev.envelope(
            ctx.event_id(),
            "PremisesVisit",
            agency,
            visit.when,
            ctx.later(visit.when, 2, 30),
            visit.force,
            visit.case_id,
        )
        ctx.emit(
            agency,
            ev.premises_visit(head, visit.place, outcome=outcome, victims=victims, arrests=arrests),
        )


def offences(ctx: Context, labour: bool) -> list[Record]:
    rng = ctx.rng
    if labour:
        main = [
            ev.offence(
                "OTHER",
                "4",
                "Trafficking people for exploitation (Asylum and Immigration "
                "(Treatment of Claimants, etc.) Act 2004)",
            )
        ]
    else:
        main = [
            rng.choice(
                (
                    ev.offence(
                        "SEXUAL_OFFENCES_ACT_2003",
                        "57",
                        "Trafficking into the UK for sexual exploitation",
                    ),
                    ev.offence(
                        "SEXUAL_OFFENCES_ACT_2003",
                        "58",
                        "Trafficking within the UK for sexual exploitation",
                    ),
                    ev.offence("SEXUAL_OFFENCES_ACT_2003", "53", "Controlling prostitution for gain"),
                    ev.offence(
                        "OTHER",
                        "33A",
                        "Keeping a brothel used for prostitution (Sexual Offences Act 1956)",
                    ),
                )
            )
        ]
    extra = rng.random()
    if extra < 0.25:
        main.append(ev.offence("IMMIGRATION_ACT_1971", "25", "Assisting unlawful immigration"))
    elif extra < 0.4:
        main.append(
            ev.offence(
                "PROCEEDS_OF_CRIME_ACT_2002",
                "328",
                "Entering into an arrangement concerning criminal property",
            )
        )
    return main


def emit_arrest(ctx: Context, force: str, when: datetime, case: str, who: Suspect, labour: bool) -> None:
    agency = police_agency(force)
    suspect = ctx.person("p1", who)
    head = ev.envelope(ctx.event_id(), "Arrest", agency, when, ctx.later(when, 0.5, 8), force, case)
    custody = f"{force}/CUS/{ctx.fiction.serial('custody:' + force):05d}"
    ctx.emit(agency, ev.arrest(head, suspect, offences(ctx, labour), force, custody))
    ctx.arrest_log.append((force, when, suspect, case))


def emit_arrests(ctx: Context, at_visits: int, elsewhere: int) -> None:
    for visit in ctx.visits:
        labour = any("LABOUR" in v.exploitation for v in visit.victims)
        for _ in range(visit.arrests):
            emit_arrest(
                ctx, visit.force, ctx.later(visit.when, 0.05, 1.5), visit.case_id, ctx.suspect(), labour
            )
    for _ in range(elsewhere):
        if ctx.networks and ctx.rng.random() < 0.6:
            network = ctx.rng.choice(ctx.networks)
            force, who = ctx.rng.choice(network.forces), ctx.rng.choice(network.members)
            case = f"UKP2/{force}/{network.id}"
        else:
            force, who = ctx.force(), ctx.suspect()
            case = ctx.case_id(force)
        emit_arrest(ctx, force, ctx.moment(hours=(6.0, 22.0)), case, who, False)


def emit_assets(ctx: Context) -> dict[str, int]:
    rng, s = ctx.rng, ctx.scale
    n_cash = scaled(96, s, 1)
    n_restraint = scaled(24, s, 1)
    cash_total = int(
        ((FIGURES.cash_recovered_pounds_over + rng.randint(1_500, 9_500)) * 100 + rng.randint(0, 99)) * s
    )
    restraint_total = int(rng.randint(3_500_000, 6_500_000) * 100 * s)
    if not ctx.arrest_log:
        force = ctx.force()
        ctx.arrest_log.append((force, ctx.moment(), ctx.person("p1", ctx.suspect()), ctx.case_id(force)))
    for amount in split_amount(cash_total, n_cash, rng, step=1000):
        force, when, suspect, case = rng.choice(ctx.arrest_log)
        agency = "hmrc" if rng.random() < 0.1 else police_agency(force)
        seized = ctx.later(when, 0.1, 4)
        head = ev.envelope(
            ctx.event_id(), "AssetSeizure", agency, seized, ctx.later(seized, 1, 48), force, case
        )
        ctx.emit(
            agency,
            ev.asset_seizure(head, kind="CASH_SEIZURE", amount_pence=amount, subject=dict(suspect)),
        )
    for amount in split_amount(restraint_total, n_restraint, rng, step=100_000):
        force, when, suspect, case = rng.choice(ctx.arrest_log)
        roll = rng.random()
        agency = "hmrc" if roll < 0.1 else "nca.ukhtc" if roll < 0.2 else police_agency(force)
        ordered = ctx.later(when, 24 * 10, 24 * 80)
        account = None
        if rng.random() < 0.5:
            account = {
                "entity_id": "a1",
                "role": "SUSPECT",
                "account_type": "BANK",
                "institution": "Example Bank plc",
                "sort_code": ctx.fiction.sort_code(),
                "account_number": ctx.fiction.account_number(),
            }
        head = ev.envelope(
            ctx.event_id(), "AssetSeizure", agency, ordered, ctx.later(ordered, 1, 72), force, case
        )
        ctx.emit(
            agency,
            ev.asset_seizure(
                head,
                kind="RESTRAINT_ORDER",
                amount_pence=amount,
                subject=dict(suspect),
                account=account,
                court=f"Crown Court at {town_of(force)}",
            ),
        )
    return {
        "cash_seizures": n_cash,
        "cash_pence": cash_total,
        "restraint_orders": n_restraint,
        "restraint_pence": restraint_total,
    }
