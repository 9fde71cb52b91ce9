"""The resolution-history export's format (CSV or JSON Lines), as a pydantic model:
`ExportRow`, one row per history event, and `EXPORT_COLUMNS`, the one ordered map of its
columns to the database that both export paths (`exporting.py`, `export_sql.py`) and the
history import (`importing/history.py`) read. The human-editable prediction file is in
`schemas.py`, whose field rules this one shares.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from .links import is_web_link
from .models import (
    MAX_TIMESTAMP,
    Attribution,
    Event,
    EventKind,
    Horizon,
    Outcome,
    Prediction,
    Source,
    SourceKind,
    Speaker,
    Status,
    Topic,
    UnresolvableReason,
)
from .schemas import HttpUrl, Slug, Strict, fits, settle_attribution
from .transitions import OUTCOME_KINDS, TO_STATUS

EXPORT_SCHEMA_VERSION = 4
TOPICS_SINCE = 4  # the version that added `topics`

EXPORT_DESCRIPTION = """\
One row of the prediction tracker's resolution history (CSV or JSON Lines).

There is one row per history event (flagged, resolved, re_resolved, deferred, reopened),
oldest first by (at, event id), each carrying its prediction's fields so that a row can be
read on its own. A prediction that has no history yet still gets exactly one row, with
`event` empty (null) and every other event field empty; these rows come after the event
rows. The file therefore holds every prediction, and importing it (`manage.py
import_predictions FILE.csv|FILE.jsonl`) restores the predictions, their current status and
outcome (from their latest event) and their whole history.

CSV encoding: the header row names the fields in this order; empty cells mean "" or null;
`evidence` is the links separated by single spaces. A cell starting with =, +, -, @, a
tab, a carriage return or a single quote is prefixed with one single quote (so a
spreadsheet never reads it as a formula); a reader removes that one leading quote.
Public downloads replace reviewers' user names in `actor` with "reviewer" ("scheduler"
stays).

Version 2 added `attribution`, `attribution_note`, `excerpt` (how the speaker is known,
and their own words) and `source_note` (where the write-up and the recording differ), as
the last columns; a version-1 file still imports, its speakers
taken as named in the source's text.

Version 3 added `known_on`, the last column: the day an outcome became known, as the
reviewer said, apart from `at`, when the decision was recorded. It is set exactly on the
rows of an outcome decision (resolved, re_resolved, proposed, disputed), not after the day
of `at` nor before `source_published_on`. A version-1 or 2 file still imports, each
decision's `known_on` taken as the day of its `at` (in the service's time zone).

Version 4 added `topics` and `topic_names`, the last columns: the prediction's topics'
slugs, sorted (by code point) and distinct, and their names in the same order. In CSV
`topics` is one cell, the slugs separated by single spaces, and `topic_names` a JSON list
of strings (a name may hold any character); both empty for none. In JSON Lines both are
lists. Importing gives each prediction these topics, creating a topic the database lacks
under its name and renaming a stored one to it, as it does a speaker's name. A version-1
to 3 file still imports and leaves a prediction's topics as they are.

A panel of reviewers (REVIEW_QUORUM = 2) records `proposed` (one reviewer's outcome) and
`disputed` (a second reviewer's different one) rows, which leave the prediction `proposed`
or `disputed` and carry that outcome in `to_outcome`; the prediction has no outcome until a
`resolved` or `re_resolved` row confirms or settles it."""

NoSpace = Annotated[str, StringConstraints(pattern=r"^\S+$", max_length=2000)]
# Exported text is carried exactly as stored: no stripping, so the round trip is exact; and
# only what the database itself enforces is required (a claim is never empty), so that an
# export is always readable by the import.
Exact = Annotated[str, StringConstraints(min_length=1)]


def _blank_to_none(value: Any) -> Any:
    # CSV has no null: an empty cell is null for the fields that can be null.
    return None if value == "" else value


def _split_links(value: Any) -> Any:
    if isinstance(value, str):
        return value.split()
    return value


def _split_topics(value: Any) -> Any:
    # A CSV cell (one space between slugs, empty for none); a JSON list stays as it is.
    if isinstance(value, str):
        return value.split(" ") if value else []
    return value


def _names_from_text(value: Any) -> Any:
    # A CSV cell holds a JSON list (a name may hold a space or a comma); empty for none.
    if not isinstance(value, str):
        return value
    if not value:
        return []
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise ValueError("not a JSON list of the topics' names") from None


def _version_from_text(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


Blank = BeforeValidator(_blank_to_none)
TopicSlug = Annotated[Slug, fits(Topic, "slug")]
TopicName = Annotated[str, StringConstraints(min_length=1), fits(Topic, "name")]
StatusOrBlank = Status | Literal[""]
OutcomeOrBlank = Outcome | Literal[""]
ReasonOrBlank = UnresolvableReason | Literal[""]


# What every event row carries; a row without an event carries none of it.
EVENT_FIELDS = ("at", "actor", "from_status", "to_status")


def _in_utc_calendar(at: datetime | None) -> datetime | None:
    """A time the database can store: still within years 1 to 9999 once in UTC."""
    if at is None:
        return None
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{at.isoformat()} is outside years 1 to 9999 in UTC") from None


class ExportRow(Strict):
    """See EXPORT_DESCRIPTION; field order here is the CSV column order."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=False,
        title="Resolution history row",
        json_schema_extra={"description": EXPORT_DESCRIPTION},
    )

    schema_version: Annotated[Literal[1, 2, 3, 4], BeforeValidator(_version_from_text)] = Field(
        description="Version of this row format; bumped on any incompatible change."
    )
    prediction_id: Annotated[int | None, Blank] = Field(
        description="The prediction's database id here (informative; an import ignores it)."
    )
    source: Slug = Field(description="The source's slug; with `key`, the prediction's natural key.")
    key: Slug = Field(description="The prediction's key within its source.")
    claim: Annotated[Exact, fits(Prediction, "claim")]
    speaker: Annotated[Slug | None, Blank] = Field(
        description="The speaker's slug; empty/null when unattributed (said on the panel)."
    )
    speaker_name: Annotated[str, fits(Speaker, "name")] = Field(
        description="The speaker's name; empty when unattributed."
    )
    horizon: Horizon
    horizon_as_said: Annotated[str, fits(Prediction, "horizon_as_said")]
    stated_on: date
    due_on: date
    probability: Annotated[Decimal | None, Blank] = Field(ge=0, le=1, max_digits=4, decimal_places=3)
    event: Annotated[EventKind | None, Blank] = Field(
        description="What happened; empty/null on the one row of a prediction with no history yet."
    )
    at: Annotated[AwareDatetime | None, Blank, AfterValidator(_in_utc_calendar)] = Field(
        description="When it happened (UTC, ISO 8601)."
    )
    actor: Annotated[str, fits(Event, "actor_name")] = Field(
        description='Who: a reviewer\'s user name, "scheduler", or "reviewer" in a public download.'
    )
    from_status: StatusOrBlank
    to_status: StatusOrBlank
    from_outcome: OutcomeOrBlank
    to_outcome: OutcomeOrBlank
    unresolvable_reason: ReasonOrBlank
    review_after: Annotated[date | None, Blank] = Field(description="A deferral's review date.")
    note: Annotated[str, fits(Event, "note")]
    evidence: Annotated[list[NoSpace], BeforeValidator(_split_links)] = Field(
        description="Evidence links (in CSV: separated by single spaces)."
    )
    quote: Annotated[str, fits(Prediction, "quote")]
    section: Annotated[str, fits(Prediction, "section")]
    source_timestamp: Annotated[int | None, Blank] = Field(ge=0, le=MAX_TIMESTAMP)
    resolution_criteria: Annotated[str, fits(Prediction, "resolution_criteria")]
    source_title: Annotated[str, fits(Source, "title")]
    source_kind: SourceKind
    source_url: HttpUrl | Literal[""]
    source_published_on: date
    attribution: Annotated[Attribution | None, Blank] = Field(
        default=None, description="How the speaker is known (version 2; a version-1 row: named if a speaker)."
    )
    attribution_note: Annotated[str, fits(Prediction, "attribution_note")] = ""
    excerpt: Annotated[str, fits(Prediction, "excerpt")] = Field(
        default="", description="The speaker's own words, verbatim (version 2)."
    )
    source_note: Annotated[str, fits(Prediction, "source_note")] = Field(
        default="", description="Where the source's write-up and the recording differ (version 2)."
    )
    known_on: Annotated[date | None, Blank] = Field(
        default=None,
        description="When an outcome decision's outcome became known (version 3; before: the day of `at`).",
    )
    topics: Annotated[list[TopicSlug] | None, BeforeValidator(_split_topics)] = Field(
        default=None,
        description="The prediction's topics' slugs, sorted and distinct (in CSV: separated by single"
        " spaces); version 4, before which a row leaves a prediction's topics as they are.",
    )
    topic_names: Annotated[list[TopicName] | None, BeforeValidator(_names_from_text)] = Field(
        default=None,
        description="The same topics' names, in the same order (in CSV: a JSON list); version 4.",
    )

    @model_validator(mode="after")
    def consistent(self) -> ExportRow:
        # Only http(s) evidence is let in (links.is_web_link, the rule the pages show links
        # by). Here rather than on the field's type: the API reuses the field to show what
        # is stored, as data.
        for i, url in enumerate(self.evidence):
            if not is_web_link(url):
                raise ValueError(f"evidence.{i}: evidence must be an http(s) URL, not {url[:80]!r}")
        if self.due_on < self.stated_on:
            raise ValueError(f"due_on {self.due_on} is before stated_on {self.stated_on}")
        if bool(self.speaker) != bool(self.speaker_name):
            raise ValueError("speaker and speaker_name are both set or both empty (unattributed)")
        self.attribution = settle_attribution(self.speaker, self.attribution)
        self._check_topics()
        if self.event is None:
            self._check_no_event()
        else:
            self._check_event(self.event)
        return self

    def _check_topics(self) -> None:
        for name in ("topics", "topic_names"):
            given = getattr(self, name) is not None
            if given and self.schema_version < TOPICS_SINCE:
                raise ValueError(
                    f"{name}: came with version {TOPICS_SINCE}; write that as the schema_version"
                )
            if not given and self.schema_version >= TOPICS_SINCE:
                raise ValueError(f"{name}: a version-{TOPICS_SINCE} row has it (empty for no topics)")
        if self.topics is None or self.topic_names is None:
            return
        if len(self.topic_names) != len(self.topics):
            raise ValueError(
                f"topic_names: {len(self.topic_names)} name(s) for {len(self.topics)} topic(s) in `topics`"
            )
        twice = sorted({slug for slug in self.topics if self.topics.count(slug) > 1})
        if twice:
            raise ValueError(f"topics: {', '.join(twice)} given twice")
        # The order the export writes them in (by slug), whatever a person typed.
        pairs = sorted(zip(self.topics, self.topic_names, strict=True))
        self.topics, self.topic_names = [slug for slug, _ in pairs], [name for _, name in pairs]

    def _check_no_event(self) -> None:
        filled = [
            name
            for name in (*EVENT_FIELDS, "from_outcome", "to_outcome", "unresolvable_reason", "note")
            if getattr(self, name)
        ]
        filled += (["review_after"] if self.review_after else []) + (["evidence"] if self.evidence else [])
        if filled:
            raise ValueError(f"a row without an event has {', '.join(filled)} set")

    def _check_event(self, event: EventKind) -> None:
        missing = [name for name in EVENT_FIELDS if not getattr(self, name)]
        if missing:
            raise ValueError(f"an event row needs {', '.join(missing)}")
        # What the transition table says this kind of event leaves (or the status as it was).
        expected = TO_STATUS.get(event, self.from_status)
        if self.to_status != expected:
            raise ValueError(f"to_status: a {event.value} event leaves a prediction {expected}")
        decides = event in OUTCOME_KINDS
        if bool(self.to_outcome) != (decides or self.to_status == Status.RESOLVED):
            raise ValueError(
                "to_outcome is set exactly when to_status is resolved or the event proposes an outcome"
            )
        if bool(self.unresolvable_reason) != (self.to_outcome == Outcome.UNRESOLVABLE):
            raise ValueError("unresolvable_reason is set exactly when to_outcome is unresolvable")
        self._check_known_on(decides)

    def _check_known_on(self, decides: bool) -> None:
        assert self.at is not None  # _check_event: an event row has its time
        recorded_on = timezone.localdate(self.at)
        if self.schema_version < 3 and decides and self.known_on is None:
            self.known_on = recorded_on  # before version 3 a decision was known when recorded
            return
        if not decides:
            if self.known_on is not None:
                raise ValueError(f"known_on: only an outcome decision has it, not a {self.event} row")
            return
        if self.known_on is None:
            raise ValueError(f"known_on: a {self.event} row says when its outcome became known")
        if self.known_on > recorded_on:
            raise ValueError(f"known_on: {self.known_on} is after the day it was recorded ({recorded_on})")
        if self.known_on < self.source_published_on:
            raise ValueError(
                f"known_on: {self.known_on} is before the source was published ({self.source_published_on})"
            )


EXPORT_FIELDS: tuple[str, ...] = tuple(ExportRow.model_fields)
# One ordered map beside ExportRow: its columns -> where an event row reads each (an ORM path from
# Event); None for schema_version, which is a constant. It drives the query, the CSV header
# the raw-SQL path and the history import's field lists; it is in ExportRow's order.
EXPORT_COLUMNS: dict[str, str | None] = {
    "schema_version": None,
    "prediction_id": "prediction__id",
    "source": "prediction__source__slug",
    "key": "prediction__key",
    "claim": "prediction__claim",
    "speaker": "prediction__speaker__slug",
    "speaker_name": "prediction__speaker__name",
    "horizon": "prediction__horizon",
    "horizon_as_said": "prediction__horizon_as_said",
    "stated_on": "prediction__stated_on",
    "due_on": "prediction__due_on",
    "probability": "prediction__probability",
    "event": "kind",
    "at": "at",
    "actor": "actor_name",
    "from_status": "from_status",
    "to_status": "to_status",
    "from_outcome": "from_outcome",
    "to_outcome": "to_outcome",
    "unresolvable_reason": "unresolvable_reason",
    "review_after": "review_after",
    "note": "note",
    "evidence": "evidence",
    "quote": "prediction__quote",
    "section": "prediction__section",
    "source_timestamp": "prediction__source_timestamp",
    "resolution_criteria": "prediction__resolution_criteria",
    "source_title": "prediction__source__title",
    "source_kind": "prediction__source__kind",
    "source_url": "prediction__source__url",
    "source_published_on": "prediction__source__published_on",
    "attribution": "prediction__attribution",
    "attribution_note": "prediction__attribution_note",
    "excerpt": "prediction__excerpt",
    "source_note": "prediction__source_note",
    "known_on": "known_on",
    # Many per prediction: both paths aggregate it (exporting.TopicSlugs, export_sql).
    "topics": "prediction__topics__slug",
    "topic_names": "prediction__topics__name",
}
TOPICS_PATH = EXPORT_COLUMNS["topics"]
TOPIC_NAMES_PATH = EXPORT_COLUMNS["topic_names"]
assert tuple(EXPORT_COLUMNS) == EXPORT_FIELDS, "EXPORT_COLUMNS follows ExportRow's field order"
# The prediction's and its source's own columns, as an export row names them.
PREDICTION_FIELDS = tuple(
    name for name, path in EXPORT_COLUMNS.items() if path == f"prediction__{name}" and name != "key"
)
SOURCE_FIELDS = {
    name: path.removeprefix("prediction__source__")
    for name, path in EXPORT_COLUMNS.items()
    if path and name.startswith("source_") and path == f"prediction__source__{name.removeprefix('source_')}"
}

# The columns a file must have; the others came later and have defaults (version 1 files).
REQUIRED_FIELDS = frozenset(name for name, f in ExportRow.model_fields.items() if f.is_required())

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection");
# the quote itself is included so that removing one leading quote is always exact.
CSV_RISKY_FIRST = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_uncell(text: str) -> str:
    """Undo the export's neutralising quote (exporting._csv_cells)."""
    return text[1:] if text.startswith("'") else text


def export_json_schema() -> dict[str, Any]:
    schema = ExportRow.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"prediction-tracker/resolutions/v{EXPORT_SCHEMA_VERSION}"
    return schema
