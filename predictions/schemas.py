"""Formats that cross the boundary, as pydantic models.

`PredictionFile` is the human-editable import format (YAML or JSON) that the seed data in
fixtures/ is written in. Unknown fields are refused, so a typo never goes unnoticed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from .models import (
    MAX_TIMESTAMP,
    Attribution,
    Horizon,
    Prediction,
    Source,
    SourceKind,
    Speaker,
    Stance,
    StanceKind,
    Topic,
    speaker_agrees,
)

IMPORT_FORMAT = "prediction-tracker/predictions/v3"
# Version 1 files (before attribution was data) still import: a speaker they name was
# named in the source's text, which was the only way a speaker was recorded then. Version
# 2 files (before topics) still import, and leave a prediction's topics as they are.
IMPORT_FORMATS = Literal[
    "prediction-tracker/predictions/v1",
    "prediction-tracker/predictions/v2",
    "prediction-tracker/predictions/v3",
]
TOPICS_SINCE = "prediction-tracker/predictions/v3"

Slug = Annotated[str, StringConstraints(pattern=r"^[-a-z0-9_]+$", min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=200)]


def fits(model: type, name: str) -> Any:
    """The column's length limit, so an overlong value is a validation error naming its
    record and field, not a DataError traceback (PostgreSQL) or stored past it (SQLite)."""
    return Field(max_length=model._meta.get_field(name).max_length)


def _no_nul(value: Any) -> Any:
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        # PostgreSQL refuses it at write time and SQLite stores it: refused on both alike.
        raise ValueError("contains a NUL character (\\x00), which the database cannot store")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def no_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class SpeakerIn(Strict):
    slug: Slug
    name: Annotated[Text, fits(Speaker, "name")]
    bio: Annotated[str, fits(Speaker, "bio")] = ""
    url: HttpUrl | Literal[""] = ""


class SourceIn(Strict):
    slug: Slug
    title: Annotated[Text, fits(Source, "title")]
    kind: SourceKind = SourceKind.PODCAST
    url: HttpUrl | Literal[""] = ""
    published_on: date


class TopicIn(Strict):
    """A topic of the reviewed vocabulary (models/topic.py): its slug, name and what belongs."""

    slug: Annotated[Slug, fits(Topic, "slug")]
    name: Annotated[Text, fits(Topic, "name")]
    description: Annotated[str, fits(Topic, "description")] = ""


def settle_attribution(speaker: str | None, attribution: Attribution | None) -> Attribution:
    """The attribution a record means: given, or (older files) named exactly when a speaker
    is; a speaker exactly when it is not unattributed, as the database requires."""
    if attribution is None:
        return Attribution.NAMED if speaker else Attribution.UNATTRIBUTED
    if not speaker_agrees(bool(speaker), attribution):
        raise ValueError(
            f"attribution: {attribution.value!r} with "
            + ("a speaker; an unattributed prediction names nobody" if speaker else "no speaker")
        )
    return attribution


class StanceIn(Strict):
    """A second speaker agreeing with or disputing the prediction."""

    speaker: Slug
    stance: StanceKind
    source_timestamp: int | None = Field(default=None, ge=0, le=MAX_TIMESTAMP)
    excerpt: Annotated[str, fits(Stance, "excerpt")] = ""
    attribution: Literal[Attribution.NAMED, Attribution.TRANSCRIPT, Attribution.INFERRED] = (
        Attribution.INFERRED
    )
    attribution_note: Annotated[str, fits(Stance, "attribution_note")] = ""


class PredictionIn(Strict):
    key: Slug
    source: Slug
    speaker: Slug | None = Field(
        default=None, description="A speaker's slug; null when the source names nobody."
    )
    attribution: Attribution | None = Field(
        default=None, description="How the speaker is known; by default named when a speaker is given."
    )
    attribution_note: Annotated[str, fits(Prediction, "attribution_note")] = ""
    excerpt: Annotated[str, fits(Prediction, "excerpt")] = ""
    source_note: Annotated[str, fits(Prediction, "source_note")] = ""
    stances: list[StanceIn] = []
    claim: Annotated[Text, fits(Prediction, "claim")]
    quote: Annotated[str, fits(Prediction, "quote")] = ""
    section: Annotated[str, fits(Prediction, "section")] = ""
    source_timestamp: int | None = Field(default=None, ge=0, le=MAX_TIMESTAMP)
    horizon: Horizon
    horizon_as_said: Annotated[Text, fits(Prediction, "horizon_as_said")] = "unstated"
    stated_on: date | None = Field(default=None, description="Defaults to the source's date.")
    due_on: date | None = Field(default=None, description="Defaults from the horizon.")
    resolution_criteria: Annotated[Text, fits(Prediction, "resolution_criteria")]
    probability: Decimal | None = Field(default=None, ge=0, le=1, max_digits=4, decimal_places=3)
    topics: list[Slug] | None = Field(
        default=None,
        description="Topics' slugs (the file's topics or ones already stored); left out, an"
        " existing prediction keeps its topics.",
    )

    @model_validator(mode="after")
    def consistent(self) -> PredictionIn:
        if self.due_on and self.stated_on and self.due_on < self.stated_on:
            raise ValueError(f"due_on {self.due_on} is before stated_on {self.stated_on}")
        self.attribution = settle_attribution(self.speaker, self.attribution)
        return self


class PredictionFile(Strict):
    format: IMPORT_FORMATS = IMPORT_FORMAT
    speakers: list[SpeakerIn] = []
    sources: list[SourceIn] = []
    topics: list[TopicIn] = []
    predictions: list[PredictionIn] = []

    @model_validator(mode="after")
    def topics_in_version_3(self) -> PredictionFile:
        if self.format < TOPICS_SINCE and (
            self.topics or any(p.topics is not None for p in self.predictions)
        ):
            raise ValueError(f"format: topics came with {TOPICS_SINCE}; write that as the format")
        return self
