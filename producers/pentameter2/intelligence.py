"""Intelligence reports: background reports from every force and partner, and the network
reports that mention planted phones, vehicles and premises from several forces."""

from __future__ import annotations

from collections.abc import Sequence

from producers import events as ev
from producers.agencies import police_agency
from producers.exceptions import ScenarioError
from producers.pentameter2.figures import (
    ADJECTIVE,
    COLOURS,
    PORT_FORCES,
    VEHICLES,
    VICTIM_NATIONALITIES,
    apportion,
    scaled,
)
from producers.pentameter2.model import Context, Network, Record, town_of


def emit_reports(ctx: Context, total: int) -> None:
    partners = {
        "nca.ukhtc": scaled(120, ctx.scale),
        "border.intel": scaled(160, ctx.scale),
        "hmrc": scaled(80, ctx.scale),
    }
    network_reports = network_report_plan(ctx)
    planned = sum(len(slots) for slots in network_reports.values())
    police = total - sum(partners.values()) - planned
    if police < 0:
        raise ScenarioError(f"scale {ctx.scale} leaves no room for {planned} network reports")
    for (network, force), slots in network_reports.items():
        for mentions in slots:
            emit_network_report(ctx, network, force, mentions)
    for force, count in apportion(police, ctx.weights).items():
        for _ in range(count):
            emit_report(ctx, police_agency(force), force)
    for agency, count in partners.items():
        for _ in range(count):
            force = ctx.rng.choice(PORT_FORCES) if agency == "border.intel" else ctx.force()
            emit_report(ctx, agency, force)


def network_report_plan(ctx: Context) -> dict[tuple[Network, str], list[list[tuple[str, int]]]]:
    """For each network and force, the reports it makes and which planted entities each
    mentions: every entity is mentioned by at least two of the network's forces."""
    plan: dict[tuple[Network, str], list[list[tuple[str, int]]]] = {}
    for network in ctx.networks:
        for force in network.forces:
            plan[(network, force)] = [[] for _ in range(max(1, int(ctx.rng.randint(3, 7) * ctx.scale + 0.5)))]
        entities = (
            [("phone", i) for i in range(len(network.phones))]
            + [("vehicle", i) for i in range(len(network.vehicles))]
            + [("premises", i) for i in range(len(network.premises))]
        )
        for entity in entities:
            count = ctx.rng.randint(2, len(network.forces))
            for force in ctx.rng.sample(network.forces, count):
                ctx.rng.choice(plan[(network, force)]).append(entity)
    return plan


def grading(
    ctx: Context, agency: str, force: str
) -> tuple[tuple[str, str, str, str], Record | None, str | None]:
    rng = ctx.rng
    siena = None
    if agency in ("border.intel", "nca.ukhtc") and rng.random() < 0.3:
        siena = rng.choices(("H0", "H1", "H2", "H3"), weights=(40, 25, 20, 15))[0]
    if rng.random() < 0.85:
        grade = (
            "G5X5X5",
            rng.choices("ABCDE", (10, 45, 35, 8, 2))[0],
            rng.choices("12345", (15, 35, 30, 15, 5))[0],
            rng.choices("12345", (55, 20, 5, 12, 8))[0],
        )
        needed, allowed = False, grade[3] in ("4", "5")
    else:
        grade = (
            "G3X5X2",
            rng.choices("123", (40, 50, 10))[0],
            rng.choices("ABCDE", (20, 35, 30, 12, 3))[0],
            "C" if rng.random() < 0.2 else "P",
        )
        needed = allowed = grade[3] == "C"
    needed = needed or siena == "H3"
    allowed = allowed or siena in ("H2", "H3")
    conditions = None
    if needed or (allowed and rng.random() < 0.5):
        recipients = ["nca.ukhtc"] if agency != "nca.ukhtc" else []
        neighbour = police_agency(ctx.force())
        if neighbour != agency:
            recipients.append(neighbour)
        recipients = recipients or [police_agency(force)]
        purposes = rng.sample(
            ("PREVENTION_AND_DETECTION_OF_CRIME", "INTELLIGENCE_DEVELOPMENT", "SAFEGUARDING"),
            rng.randint(1, 2),
        )
        text = ["Not to be used as evidence without reference to the originator."]
        if siena == "H3" or rng.random() < 0.4:
            text.append(
                rng.choice(
                    (
                        "Do not disclose to the subject.",
                        "Refer to the originator before any action.",
                        "Not for onward transmission to third countries.",
                    )
                )
            )
        conditions = {
            "recipients": recipients,
            "purposes": purposes,
            "conditions": text if (siena == "H3" or rng.random() < 0.7) else [],
        }
    return grade, conditions, siena


def report_source(ctx: Context, agency: str, force: str) -> Record:
    rng = ctx.rng
    if agency in ("border.intel", "nca.ukhtc", "hmrc"):
        kind = rng.choice(("PARTNER_AGENCY", "OFFICER_OBSERVATION", "TECHNICAL"))
    else:
        kind = rng.choices(
            (
                "MEMBER_OF_PUBLIC",
                "ANONYMOUS_REPORT",
                "OFFICER_OBSERVATION",
                "COVERT_HUMAN_INTELLIGENCE_SOURCE",
                "PARTNER_AGENCY",
                "OPEN_SOURCE",
                "VICTIM",
                "TECHNICAL",
            ),
            weights=(25, 20, 20, 12, 10, 8, 3, 2),
        )[0]
    prefix = "CHIS" if kind == "COVERT_HUMAN_INTELLIGENCE_SOURCE" else "SRC"
    reference = f"{agency.upper()}/{prefix}/{ctx.fiction.serial(prefix + agency):05d}"
    notes = "Contact only through the dedicated source unit." if prefix == "CHIS" else None
    return {"reference": reference, "source_type": kind, "handling_notes": notes}


def report_envelope(ctx: Context, agency: str, force: str, case: str | None, *, secret: bool) -> Record:
    when = ctx.moment()
    classification = (
        "SECRET"
        if secret and ctx.rng.random() < 0.5
        else ("OFFICIAL" if ctx.rng.random() < 0.1 else "OFFICIAL_SENSITIVE")
    )
    return ev.envelope(
        ctx.event_id(),
        "IntelligenceReport",
        agency,
        when,
        ctx.later(when, 1, 120),
        force,
        case,
        classification,
    )


def emit_network_report(ctx: Context, network: Network, force: str, mentions: list[tuple[str, int]]) -> None:
    rng = ctx.rng
    agency = police_agency(force)
    grade, conditions, siena = grading(ctx, agency, force)
    source = report_source(ctx, agency, force)
    head = report_envelope(
        ctx,
        agency,
        force,
        f"UKP2/{force}/{network.id}",
        secret=source["source_type"] == "COVERT_HUMAN_INTELLIGENCE_SOURCE",
    )
    members = rng.sample(network.members, min(len(network.members), rng.randint(1, 2)))
    people = [ctx.person(f"p{i + 1}", m, "SUSPECT" if i == 0 else "ASSOCIATE") for i, m in enumerate(members)]
    phones: list[Record] = []
    vehicles: list[Record] = []
    places: list[Record] = []
    links: list[Record] = []
    for kind, index in mentions:
        if kind == "phone":
            entity_id = f"t{len(phones) + 1}"
            phones.append(
                {"entity_id": entity_id, "role": "SUSPECT", "number": network.phones[index], "imei": None}
            )
            links.append({"from_entity_id": "p1", "to_entity_id": entity_id, "relationship": "USES"})
        elif kind == "vehicle":
            vrm, make, model, colour = network.vehicles[index]
            entity_id = f"v{len(vehicles) + 1}"
            vehicles.append(
                {
                    "entity_id": entity_id,
                    "role": "SUSPECT",
                    "vrm": vrm,
                    "make": make,
                    "model": model,
                    "colour": colour,
                }
            )
            links.append({"from_entity_id": "p1", "to_entity_id": entity_id, "relationship": "USES"})
        else:
            entity_id = f"l{len(places) + 1}"
            places.append({**network.premises[index], "entity_id": entity_id})
            links.append({"from_entity_id": "p1", "to_entity_id": entity_id, "relationship": "CONTROLS"})
    towns = sorted({str(p["address"]["town"]) for p in places if p.get("address")})
    where = f" and {' and '.join(towns)}" if towns else ""
    narrative = (
        f"Intelligence indicates that an organised group of {ADJECTIVE[members[0].nationality]} "
        f"nationals moves women between addresses in {town_of(force)}{where}. "
        + rng.choice(
            (
                "Women are said to owe a debt for their travel that grows each week. ",
                "The women are driven to work and collected by the same vehicles. ",
                "Adverts for the premises appear in local newspapers. ",
            )
        )
    )
    ctx.emit(
        agency,
        ev.intelligence_report(
            head,
            grading=grade,
            narrative=narrative.strip(),
            source=source,
            exploitation=["SEXUAL"],
            conditions=conditions,
            siena=siena,
            tlp=tlp(ctx),
            people=people,
            phones=phones,
            vehicles=vehicles,
            places=places,
            links=links,
        ),
    )


def tlp(ctx: Context) -> str | None:
    return (
        ctx.rng.choice(("GREEN", "AMBER", "AMBER", "AMBER_STRICT", "RED")) if ctx.rng.random() < 0.2 else None
    )


def emit_report(ctx: Context, agency: str, force: str) -> None:
    rng, fiction = ctx.rng, ctx.fiction
    grade, conditions, siena = grading(ctx, agency, force)
    source = report_source(ctx, agency, force)
    same_force = [v for v in ctx.visits if v.force == force]
    visit = rng.choice(same_force) if same_force and rng.random() < 0.3 else None
    head = report_envelope(
        ctx,
        agency,
        force,
        visit.case_id if visit else None,
        secret=source["source_type"] == "COVERT_HUMAN_INTELLIGENCE_SOURCE",
    )
    labour = rng.random() < 0.04
    exploitation = (
        ["LABOUR"] if labour else ["SEXUAL"] if rng.random() < 0.93 else ["SEXUAL", "DOMESTIC_SERVITUDE"]
    )
    region = ev.region_of(force)
    people: list[Record] = []
    phones: list[Record] = []
    vehicles: list[Record] = []
    places: list[Record] = []
    organisations: list[Record] = []
    accounts: list[Record] = []
    links: list[Record] = []
    suspect = ctx.suspect() if rng.random() < 0.7 else None
    if suspect:
        people.append(ctx.person("p1", suspect))
    if suspect and rng.random() < 0.2:
        people.append(ctx.person("p2", ctx.suspect(), "ASSOCIATE", detail=False))
        links.append({"from_entity_id": "p1", "to_entity_id": "p2", "relationship": "ASSOCIATES_WITH"})
    victim_nationality = ctx.pick(VICTIM_NATIONALITIES)
    if rng.random() < 0.4:
        age = rng.randint(15, 17) if rng.random() < 0.03 else rng.randint(18, 35)
        people.append(
            ev.person(
                f"p{len(people) + 1}",
                "POTENTIAL_VICTIM",
                fiction.given_name(victim_nationality, "FEMALE"),
                age=age,
                gender="FEMALE",
                nationality=victim_nationality,
            )
        )
    if rng.random() < 0.4:
        number = fiction.phone(region)
        phones.append(
            {
                "entity_id": "t1",
                "role": "SUSPECT" if suspect else "UNKNOWN",
                "number": number,
                "imei": fiction.imei() if rng.random() < 0.1 else None,
            }
        )
        if suspect:
            links.append({"from_entity_id": "p1", "to_entity_id": "t1", "relationship": "USES"})
    if rng.random() < 0.25:
        make, model = rng.choice(VEHICLES)
        vehicles.append(
            {
                "entity_id": "v1",
                "role": "SUSPECT" if suspect else "UNKNOWN",
                "vrm": fiction.vrm(),
                "make": make,
                "model": model,
                "colour": rng.choice(COLOURS),
            }
        )
        if suspect:
            links.append({"from_entity_id": "p1", "to_entity_id": "v1", "relationship": "USES"})
    if visit is not None:
        places.append(dict(visit.place))
    elif rng.random() < 0.5:
        kind = ctx.pick(
            {
                "RESIDENTIAL": 55,
                "MASSAGE_PARLOUR_SAUNA": 30,
                "HOTEL": 5,
                "SHORT_TERM_LET": 5,
                "NAIL_BAR": 3,
                "CAR_WASH": 2,
            }
        )
        places.append(ctx.place("l1", force, kind, "SUSPECT" if suspect else "UNKNOWN"))
    if places and rng.random() < 0.01:
        safe = fiction.address(force, flat=True)
        places.append(ev.premises("l2", "POTENTIAL_VICTIM", "RESIDENTIAL", safe, force, safe_house=True))
    if suspect and places and places[0]["role"] == "SUSPECT":
        links.append({"from_entity_id": "p1", "to_entity_id": "l1", "relationship": "CONTROLS"})
    if places and places[0]["premises_type"] == "MASSAGE_PARLOUR_SAUNA" and rng.random() < 0.3:
        name = (
            f"{rng.choice(('Lotus', 'Orchid', 'Jasmine', 'Bamboo', 'Pearl', 'Silk', 'Jade', 'Velvet'))} "
            f"{rng.choice(('Health Spa', 'Relaxation', 'Sauna', 'Therapies'))} Ltd"
        )
        organisations.append(
            {
                "entity_id": "o1",
                "role": "SUSPECT",
                "name": name,
                "organisation_type": "COMPANY",
                "registration_number": fiction.company_number(),
            }
        )
        links.append({"from_entity_id": "o1", "to_entity_id": "l1", "relationship": "OCCUPIES"})
    if suspect and (agency == "hmrc" or rng.random() < 0.05):
        accounts.append(
            {
                "entity_id": "a1",
                "role": "SUSPECT",
                "account_type": "BANK",
                "institution": "Example Bank plc",
                "sort_code": fiction.sort_code(),
                "account_number": fiction.account_number(),
            }
        )
        links.append({"from_entity_id": "p1", "to_entity_id": "a1", "relationship": "OWNS"})
    narrative = report_narrative(ctx, force, victim_nationality, places, phones, vehicles, labour)
    ctx.emit(
        agency,
        ev.intelligence_report(
            head,
            grading=grade,
            narrative=narrative,
            source=source,
            exploitation=exploitation,
            conditions=conditions,
            siena=siena,
            tlp=tlp(ctx),
            people=people,
            phones=phones,
            vehicles=vehicles,
            places=places,
            organisations=organisations,
            accounts=accounts,
            links=links,
        ),
    )


def report_narrative(
    ctx: Context,
    force: str,
    nationality: str,
    places: Sequence[Record],
    phones: Sequence[Record],
    vehicles: Sequence[Record],
    labour: bool,
) -> str:
    rng = ctx.rng
    kind = {
        "MASSAGE_PARLOUR_SAUNA": "a sauna",
        "RESIDENTIAL": "a residential address",
        "HOTEL": "a hotel",
        "SHORT_TERM_LET": "a short-term let",
    }.get(str(places[0]["premises_type"]) if places else "", "premises")
    if labour:
        first = (
            f"{ADJECTIVE[nationality]} workers at {kind} in {town_of(force)} are said to work long hours "
            "for no pay and to sleep on site."
        )
    else:
        who, town = ADJECTIVE[nationality], town_of(force)
        first = rng.choice(
            (
                f"Information indicates that {who} women are being moved between {kind} and "
                f"other addresses in {town} and are not free to leave.",
                f"Males are seen entering and leaving {kind} in {town} at all hours; the windows are "
                "kept covered.",
                f"Young {who} women are dropped off at {kind} late at night and collected in "
                "the early hours.",
                f"Adverts in the local press offer massage at {kind} in {town}; callers are directed "
                "elsewhere.",
            )
        )
    second = rng.choice(
        (
            "The women do not appear to hold their own passports.",
            "A woman at the address said she owed money for her journey to the UK.",
            "Neighbours report shouting and a woman crying at night.",
            "",
        )
    )
    text = f"{first} {second}".strip()
    if rng.random() < 0.08 and (phones or vehicles):  # free text repeating a structured value
        text += (
            f" Callers use {phones[0]['number']}."
            if phones
            else f" The {vehicles[0]['make']} {vehicles[0]['vrm']} is used to move the women."
        )
    return text
