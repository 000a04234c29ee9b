"""Planning: where the visits happen, which networks span which forces, who the victims are,
and how arrests spread over the visits. Nothing is emitted here; the emit steps read the plan.
"""

from __future__ import annotations

from producers.pentameter2.figures import (
    COLOURS,
    LABOUR_PREMISES,
    OTHER_PREMISES,
    PORT_FORCES,
    SUSPECT_NATIONALITIES,
    VEHICLES,
    VICTIM_NATIONALITIES,
    apportion,
)
from producers.pentameter2.model import Context, Network, Victim, Visit


def plan_visits(ctx: Context, total: int, saunas: int, residential: int, *, gloucestershire: bool) -> None:
    per_force = apportion(total, ctx.weights)
    if gloucestershire and per_force.get("GLOUCESTERSHIRE", 0) == 0:
        biggest = max(per_force, key=lambda f: per_force[f])
        per_force[biggest] -= 1
        per_force["GLOUCESTERSHIRE"] = 1
    kinds = ["MASSAGE_PARLOUR_SAUNA"] * saunas + ["RESIDENTIAL"] * residential
    kinds += [ctx.pick(OTHER_PREMISES) for _ in range(total - len(kinds))]
    ctx.rng.shuffle(kinds)
    forces = [f for f in ctx.forces for _ in range(per_force[f])]
    for force, kind in zip(forces, kinds, strict=True):
        when = ctx.moment(hours=(5.5, 8.5) if ctx.rng.random() < 0.7 else (18.0, 23.0))
        ctx.visits.append(Visit(force, when, ctx.place("l1", force, kind), ctx.case_id(force)))
    ctx.visits.sort(key=lambda v: v.when)


def plan_networks(ctx: Context, count: int) -> None:
    for number in range(1, count + 1):
        size = ctx.rng.choice((2, 2, 3, 3, 3, 4, 5))
        forces: list[str] = []
        while len(forces) < size:
            candidate = ctx.force()
            if candidate not in forces:
                forces.append(candidate)
        home = ctx.pick(SUSPECT_NATIONALITIES)
        members = [ctx.suspect(home if i < 2 else None) for i in range(ctx.rng.randint(3, 6))]
        phones = [ctx.fiction.mobile() for _ in range(ctx.rng.randint(2, 4))]
        vehicles = []
        for _ in range(ctx.rng.randint(1, 3)):
            make, model = ctx.rng.choice(VEHICLES)
            vehicles.append((ctx.fiction.vrm(), make, model, ctx.rng.choice(COLOURS)))
        places = []
        for _ in range(ctx.rng.randint(2, 4)):
            force = ctx.rng.choice(forces)
            visits = [v for v in ctx.visits if v.force == force and v.network is None]
            if visits and ctx.rng.random() < 0.6:
                visit = ctx.rng.choice(visits)
                visit.network = f"N{number:02d}"
                places.append(dict(visit.place))
            else:
                kind = "MASSAGE_PARLOUR_SAUNA" if ctx.rng.random() < 0.5 else "RESIDENTIAL"
                places.append(ctx.place("l1", force, kind))
        ctx.networks.append(Network(f"N{number:02d}", forces, members, phones, vehicles, places))


def plan_victims(ctx: Context, total: int, children: int, labour: int, labour_children: int) -> None:
    ages = [14] + [ctx.rng.randint(15, 17) for _ in range(children - 1)] if children else []
    ages += [ctx.rng.randint(18, 44) for _ in range(total - children)]
    glos = [v for v in ctx.visits if v.force == "GLOUCESTERSHIRE"]
    for index, age in enumerate(ages):
        child = age < 18
        if child:
            routes = ("gloucestershire", "border.intel", "gloucestershire", "border.intel")
            found_by = routes[index] if index < len(routes) else "police"
            if found_by == "border.intel" and children < 2:
                found_by = "police"
        else:
            roll = ctx.rng.random()
            found_by = (
                "border.intel"
                if roll < 0.05
                else "ngo.poppy"
                if roll < 0.13
                else "ngo.salvation_army"
                if roll < 0.18
                else "police"
            )
        child_labour = child and index >= children - labour_children
        adult_labour = not child and index >= total - (labour - labour_children)
        is_labour = child_labour or adult_labour
        nationality = (
            ctx.rng.choice(("CHN", "VNM"))
            if child_labour
            else "LTU"
            if adult_labour
            else ctx.pick(VICTIM_NATIONALITIES)
        )
        gender = (
            ("MALE" if ctx.rng.random() < 0.7 else "FEMALE")
            if is_labour
            else ("FEMALE" if ctx.rng.random() < 0.94 else "MALE")
        )
        exploitation = (
            ["LABOUR"]
            if is_labour
            else (["SEXUAL", "DOMESTIC_SERVITUDE"] if ctx.rng.random() < 0.1 else ["SEXUAL"])
        )
        victim = Victim(
            f"UKP2-V{ctx.fiction.serial('victim'):04d}",
            age,
            gender,
            nationality,
            exploitation,
            "police" if found_by == "gloucestershire" else found_by,
        )
        victim.consent = child or ctx.rng.random() < 0.6
        if found_by == "gloucestershire" and glos:
            attach(ctx, victim, ctx.rng.choice(glos))
        elif found_by in ("police", "gloucestershire"):
            attach(ctx, victim, choose_visit(ctx, is_labour))
        else:
            victim.force = (
                ctx.rng.choice(PORT_FORCES)
                if found_by == "border.intel"
                else "METROPOLITAN"
                if found_by == "ngo.poppy" and ctx.rng.random() < 0.7
                else ctx.force()
            )
            victim.when = ctx.moment(hours=(8.0, 20.0))
        ctx.victims.append(victim)


def choose_visit(ctx: Context, labour: bool) -> Visit:
    def weight(visit: Visit) -> float:
        if len(visit.victims) >= 6:
            return 0.0
        kind = visit.place["premises_type"]
        if labour:
            return 6.0 if kind in LABOUR_PREMISES else 0.2
        return 6.0 if kind == "MASSAGE_PARLOUR_SAUNA" else 2.0 if kind == "RESIDENTIAL" else 1.0

    return ctx.rng.choices(ctx.visits, weights=[weight(v) for v in ctx.visits])[0]


def attach(ctx: Context, victim: Victim, visit: Visit) -> None:
    victim.visit = visit
    victim.force = visit.force
    victim.when = ctx.later(visit.when, 0.1, 2.0)
    visit.victims.append(victim)


def plan_arrests_at_visits(ctx: Context, total: int) -> None:
    def weight(visit: Visit) -> float:
        if visit.arrests >= 5:
            return 0.0
        return (
            4.0 if visit.victims else 2.0 if visit.place["premises_type"] == "MASSAGE_PARLOUR_SAUNA" else 1.0
        )

    for _ in range(total):
        ctx.rng.choices(ctx.visits, weights=[weight(v) for v in ctx.visits])[0].arrests += 1
