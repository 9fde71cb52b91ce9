"""What the public API returns, as pydantic models.

Where the API describes the same thing as the import/export formats in `predictions/schemas.py`
(a speaker, a source, a prediction's fields, a history event's fields), the field definitions
are taken from those models, so a type, a constraint or a description has one home.
What differs is what the public sees: an event's `actor` is a role ("Reviewer" or
"Scheduler"), never a reviewer's user name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..export_schema import ExportRow, OutcomeOrBlank, ReasonOrBlank
from ..models import Attribution, EventKind, Horizon, Status
from ..schemas import SourceIn, SpeakerIn, StanceIn, TopicIn


def picked(model: type[BaseModel], *names: str) -> dict[str, Any]:
    """Field definitions copied from `model` (type, constraints, description), for create_model."""
    return {name: (model.model_fields[name].annotation, model.model_fields[name]) for name in names}


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Out):
    detail: str = Field(description="What went wrong, in one sentence.")
    parameter: str | None = Field(
        default=None, description="The query parameter at fault, when a parameter is at fault."
    )


class SpeakerOut(SpeakerIn):
    model_config = ConfigDict(extra="forbid", title="Speaker")

    page: str = Field(description="The speaker's public page (path).")


class SourceOut(SourceIn):
    model_config = ConfigDict(extra="forbid", title="Source")


class TopicOut(TopicIn):
    model_config = ConfigDict(extra="forbid", title="Topic")

    page: str = Field(description="The topic's public page (path), with its own scorecard.")


# A prediction's own fields, as the export carries them (`prediction_id` is `id` here).
PredictionFields: type[BaseModel] = create_model(
    "PredictionFields",
    __base__=Out,
    **picked(
        ExportRow,
        "source",
        "key",
        "claim",
        "speaker",
        "speaker_name",
        "horizon",
        "horizon_as_said",
        "stated_on",
        "due_on",
        "probability",
        "quote",
        "section",
        "source_timestamp",
        "resolution_criteria",
        "attribution_note",
        "excerpt",
    ),
)


class PredictionOut(PredictionFields):  # type: ignore[misc,valid-type]
    model_config = ConfigDict(title="Prediction")

    id: int = Field(description="The prediction's id; its page is /predictions/<id>/.")
    attribution: Attribution = Field(description="How the speaker is known.")
    status: Status
    outcome: OutcomeOrBlank = Field(description="The current outcome; empty until resolved.")
    unresolvable_reason: ReasonOrBlank
    review_after: date | None = Field(description="Deferred: back in the review queue on this date.")
    resolved_at: datetime | None = Field(description="When the current outcome was recorded.")
    known_on: date | None = Field(description="When the current outcome became known; empty until resolved.")
    page: str = Field(description="The prediction's public page (path).")
    topics: list[str] = Field(description="The slugs of its topics (/api/topics), in order.")


# One public history row: the export's event fields, with a role instead of a user name.
EventFields: type[BaseModel] = create_model(
    "EventFields",
    __base__=Out,
    **picked(
        ExportRow,
        "from_status",
        "to_status",
        "from_outcome",
        "to_outcome",
        "unresolvable_reason",
        "review_after",
        "note",
        "evidence",
        "known_on",
    ),
)


class EventOut(EventFields):  # type: ignore[misc,valid-type]
    model_config = ConfigDict(title="Event")

    kind: EventKind
    at: datetime = Field(description="When it happened (UTC, ISO 8601).")
    # As stored: the service lets in only http(s) links, but an answer must hold whatever
    # the database holds (the import format's stricter type is for what comes in).
    evidence: list[str] = Field(description="Links to what shows it, one string each.")
    # The roles of actors.py: every person is "Reviewer"; the job and the importer by name.
    actor: Literal["Reviewer", "Scheduler", "Import"] = Field(
        description="Who, as the public pages show it: a role, never a reviewer's user name."
    )


class StanceOut(StanceIn):
    """The import format's stance, with the speaker's name."""

    model_config = ConfigDict(extra="forbid", title="Stance")

    speaker_name: str


class PredictionDetailOut(PredictionOut):
    model_config = ConfigDict(title="Prediction with history")

    history: list[EventOut] = Field(description="Every flag and decision, oldest first.")
    stances: list[StanceOut] = Field(description="Other speakers agreeing with or disputing it.")
    claim_review: dict[str, Any] | None = Field(
        description="The outcome as schema.org ClaimReview JSON-LD, as the page carries it (null until "
        "resolved). reviewRating: did not hold up 1, partially 2, held up 3; unresolvable has no ratingValue."
    )


class PredictionPage(Out):
    total: int = Field(description="How many predictions match the filters, on every page.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    items: list[PredictionOut]


class AccuracyOut(Out):
    value: float = Field(description="(held up + partial credit × partially) ÷ n")
    low: float = Field(description="95% Wilson interval, lower bound")
    high: float = Field(description="95% Wilson interval, upper bound")
    n: int = Field(description="Scored outcomes: held up + partially + did not hold up")
    credited: float = Field(description="held up + partial credit × partially")


class TallyOut(Out):
    tracked: int
    held_up: int
    partially: int
    did_not_hold_up: int
    unresolvable: int
    open: int
    due: int


class HorizonLine(Out):
    horizon: Horizon
    tally: TallyOut
    accuracy: AccuracyOut | None = Field(description="Null while nothing is scored.")


class SpeakerLine(Out):
    speaker: str | None = Field(description="The speaker's slug; null for unattributed (panel).")
    name: str
    page: str
    tally: TallyOut
    accuracy: AccuracyOut | None
    horizons: list[HorizonLine] = Field(description="Only the horizons this speaker has predictions in.")


class ScorecardOut(Out):
    partial_credit: float
    tally: TallyOut
    accuracy: AccuracyOut | None
    speakers: list[SpeakerLine] = Field(description="In the page's order: best-supported accuracy first.")
    horizons: list[HorizonLine]
