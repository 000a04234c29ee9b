"""Durations and timestamps: as people read them in tables, as ISO 8601 in JSON.

A table says ``24 Nov 2026 10:00:03 UTC (5 min ago)`` and ``3 min 20 s``; the same value in
``--json`` output is ``2026-11-24T10:00:03.000Z`` and a number of seconds, so scripts never parse
prose. Every moment is shown in UTC: the operators of one deployment may sit in several places.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

Moment = datetime | date | int | float | str
"""A datetime, a date, epoch milliseconds (Kafka timestamps) or an ISO 8601 string."""


def to_datetime(moment: Moment) -> datetime:
    """The moment as an aware UTC datetime (naive datetimes are taken as UTC)."""
    if isinstance(moment, datetime):
        found = moment
    elif isinstance(moment, date):
        found = datetime(moment.year, moment.month, moment.day)
    elif isinstance(moment, int | float):
        found = datetime.fromtimestamp(moment / 1000, UTC)
    else:
        found = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def iso(moment: Moment) -> str:
    """``2026-11-24T10:00:03.120Z``: the JSON form of a moment."""
    return to_datetime(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(seconds: float) -> str:
    """``850 ms``, ``4.2 s``, ``3 min 20 s``, ``2 h 05 min``, ``3 days 4 h``."""
    if seconds < 0:
        return "-" + duration(-seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    unit = "day" if days == 1 else "days"
    return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"


def when(moment: Moment | None, now: datetime | None = None) -> str:
    """``24 Nov 2026 10:00:03 UTC (5 min ago)``; ``-`` when there is no moment.

    The age is given for moments of the last week, where "how long ago" is what a person wants.
    """
    if moment is None or moment == 0:
        return "-"
    at = to_datetime(moment)
    text = f"{at.day} {at:%b %Y %H:%M:%S} UTC"
    age = ((now or datetime.now(UTC)) - at).total_seconds()
    if 0 <= age < 7 * 86400:
        text += " (just now)" if age < 1 else f" ({duration(age)} ago)"
    return text
