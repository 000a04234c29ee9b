"""The operation picture's comparison with the ground truth, without a worker or Kafka."""

from __future__ import annotations

import copy
import socket
from typing import Any

from consumers.analytics import figures, links
from consumers.analytics.live import CellView, Check, compare, free_port
from producers.generator import generate
from producers.truth import tally
from schemas.validation import validate


def _operation() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    generated = generate("pentameter2", seed=9, scale=0.03)
    records = [raw for f in generated.lines if not f.endswith(".json") for raw in generated.good_records(f)]
    return generated.ground_truth, records


def test_figures_counted_from_the_records_agree_with_the_generators_counts() -> None:
    truth, records = _operation()
    counts: dict[str, int] = {}
    for record in records:
        figures.add(counts, validate(copy.deepcopy(record)))
    view = CellView.of(records, tally)
    assert len(view.forces) == len(records)
    # the raw values stand in for tokens here: link on them as the truth does
    found = [{"kind": link["kind"], "sightings": [{"event_id": e, "event_type": "IntelligenceReport"}
              for e in link["event_ids"]]} for link in truth["cross_force_links"]]  # fmt: skip
    rows = compare(figures.summarise(counts.items()), found, truth, view)
    assert all(row.ok for row in rows), [row for row in rows if not row.ok]
    assert rows[-1] == Check("planted cross-force links found", len(found), len(found))
    names = {row.name for row in rows}
    assert names >= {"Events received", "Cash seized (pence)", "forces whose events match"}

    wrong = compare(figures.summarise(counts.items()), found[1:], truth, view)
    assert not wrong[-1].ok  # a missing planted link shows as a failed row
    fewer = compare(figures.summarise(list(counts.items())[1:]), found, truth, view)
    assert not all(row.ok for row in fewer)


def test_a_link_whose_reports_the_cell_does_not_see_is_not_expected() -> None:
    truth, records = _operation()
    link = truth["cross_force_links"][0]
    hidden = set(link["event_ids"][1:])
    view = CellView.of([r for r in records if r["envelope"]["event_id"] not in hidden], tally)
    rows = compare({}, [], truth, view)
    assert 0 < rows[-1].expected < len(truth["cross_force_links"]) and rows[-1].found == 0
    assert not links.is_link(None)


def test_the_dashboard_port_is_6066_when_free_and_another_when_not() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        assert free_port(busy) != busy
    port = free_port(0)
    assert free_port(port) == port
