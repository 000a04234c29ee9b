"""The closed list of sensitivity marks a schema field may carry.

A field declares its marks as the custom attribute ``"sensitivity": [...]``. The policy engine
decides what to share from these marks, so the list is closed: a schema using any other word is
refused when the catalogue loads (a typo must never silently mean "not sensitive").

Marks are inherited: a leaf field carries its own marks plus those of every enclosing field
(``source`` on ``source`` makes ``source.reference`` a source field too).

Some marks depend on values: a record may declare ``"conditional_sensitivity"``, a list of
``{"when": {"field": F, "in": [values]}, "marks": [...], "fields": [...]?}``. When the sibling
field F of the same record instance has one of the values, the marks apply to the listed fields of
that instance (all of its fields when ``fields`` is absent). This is how a POLE entity whose role
is SUSPECT becomes suspect data, and how a safe house's address becomes a sensitive location.

A string field may also say what *kind* of value it holds, ``"value_kind": "phone"``, from the
closed list :class:`ValueKind`. Marks say how sensitive a value is; the kind says how people write
it, which is what rule 11 needs to find it again in free text in another spelling (a postcode
without its space, a phone with +44, a name's parts). Dates and timestamps take their kind from
their logical type; a field marked ``free_text`` is ``text``; any other string without a kind is a
``label``. Like marks, the attribute is not part of the Avro canonical form, so it never changes a
fingerprint.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class Mark(StrEnum):
    """A sensitivity mark; the value is the word written in the schema."""

    IDENTITY = "identity"
    QUASI_IDENTIFIER = "quasi_identifier"
    SPECIAL_CATEGORY = "special_category"
    SENSITIVE_LOCATION = "sensitive_location"
    SOURCE = "source"
    FREE_TEXT = "free_text"
    GRADING = "grading"
    SUSPECT = "suspect"
    FINANCIAL = "financial"


MARK_DOCS = MappingProxyType(
    {
        Mark.IDENTITY: "Directly identifies a person (name, phone number, VRM, account number, "
        "pseudonymous victim reference).",
        Mark.QUASI_IDENTIFIER: "Identifies a person in combination with other values: exact date "
        "of birth, address, full postcode or other small-area location, exact dates.",
        Mark.SPECIAL_CATEGORY: "Special category / sensitive processing data: ethnicity, "
        "religion, health, sex life, biometrics. Needs a recorded condition to be shared.",
        Mark.SENSITIVE_LOCATION: "A safe-house address or a victim's current address. Never disseminated.",
        Mark.SOURCE: "Identity or handling details of an intelligence source. Never leaves the "
        "originating agency.",
        Mark.FREE_TEXT: "Narrative or other free text: may hide any value, so removed values are "
        "checked against it before sharing.",
        Mark.GRADING: "Intelligence grading codes and scheme.",
        Mark.SUSPECT: "Data about suspects or their associates.",
        Mark.FINANCIAL: "Financial details: accounts, amounts, currencies.",
    }
)

ALL_MARKS: frozenset[str] = frozenset(m.value for m in Mark)


class ValueKind(StrEnum):
    """What a string (or date) field holds, for finding its value again in free text."""

    NAME = "name"
    ORGANISATION = "organisation"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    POSTCODE = "postcode"
    VEHICLE = "vehicle"
    ACCOUNT = "account"
    SORT_CODE = "sort_code"
    DOCUMENT = "document"
    REFERENCE = "reference"
    DATE = "date"
    CODE = "code"
    ENTITY_ID = "entity_id"
    ENTITY_REF = "entity_ref"
    TEXT = "text"
    LABEL = "label"


ALL_VALUE_KINDS: frozenset[str] = frozenset(k.value for k in ValueKind)
VALUE_KIND_ATTRIBUTE = "value_kind"
"""The custom field attribute naming a field's kind."""


def unknown_marks(marks: object) -> list[str]:
    """Return the entries of a ``sensitivity`` attribute value that are not closed-list marks.

    Anything that is not a list of strings is reported whole, so the caller can name it.
    """
    if not isinstance(marks, list):
        return [repr(marks)]
    return [repr(m) for m in marks if not isinstance(m, str) or m not in ALL_MARKS]
