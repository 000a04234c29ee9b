"""Links go only with the entities they name: no partner learns of an entity through a link."""

from __future__ import annotations

import copy
from typing import Any

from policies.engine import PolicyEngine
from policies.results import Delivery
from schemas.samples import sample

ENTITY_LISTS = ("people", "phones", "vehicles", "premises", "organisations", "accounts")


def entity_ids(record: dict[str, Any]) -> set[Any]:
    return {item.get("entity_id") for name in ENTITY_LISTS for item in record.get(name) or []}


def test_every_released_link_names_entities_the_partner_received(engine: PolicyEngine) -> None:
    dropped = kept = 0
    for child in (False, True):
        record = copy.deepcopy(sample("IntelligenceReport"))
        record["links"].append({"from_entity_id": "p2", "to_entity_id": "nobody", "relationship": "USES"})
        if child:
            record["people"][0]["is_child"] = True
        routing = engine.route("IntelligenceReport", record)
        for delivery in routing.deliveries:
            assert isinstance(delivery, Delivery)
            out = delivery.record
            if "links" not in out:
                continue
            held = entity_ids(out)
            for link in out["links"]:
                assert link["from_entity_id"] in held and link["to_entity_id"] in held, (
                    f"{delivery.partner} received a link to an entity it did not receive: {link}"
                )
            kept += len(out["links"])
            if len(out["links"]) < len(record["links"]):
                dropped += 1
                assert ("links[]", "R1-default-deny") in delivery.withheld
    assert kept and dropped  # both sides of the rule were exercised
