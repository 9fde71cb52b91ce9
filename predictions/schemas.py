"""Formats that cross the boundary, as pydantic models.

`PredictionFile` is the human-editable import format (YAML or JSON) that the seed data in
fixtures/ is written in. Unknown fields are refused, so a typo never goes unnoticed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .models import Horizon, SourceKind

IMPORT_FORMAT = "prediction-tracker/predictions/v1"

Slug = Annotated[str, StringConstraints(pattern=r"^[-a-z0-9_]+$", min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SpeakerIn(Strict):
    slug: Slug
    name: Text
    bio: str = ""
    url: HttpUrl | Literal[""] = ""


class SourceIn(Strict):
    slug: Slug
    title: Text
    kind: SourceKind = SourceKind.PODCAST
    url: HttpUrl | Literal[""] = ""
    published_on: date


class PredictionIn(Strict):
    key: Slug
    source: Slug
    speaker: Slug | None = Field(
        default=None, description="A speaker's slug; null when the source names nobody."
    )
    claim: Text
    quote: str = ""
    section: str = ""
    source_timestamp: int | None = Field(default=None, ge=0)
    horizon: Horizon
    horizon_as_said: Text = "unstated"
    stated_on: date | None = Field(default=None, description="Defaults to the source's date.")
    due_on: date | None = Field(default=None, description="Defaults from the horizon.")
    resolution_criteria: Text
    probability: Decimal | None = Field(default=None, ge=0, le=1, max_digits=4, decimal_places=3)

    @model_validator(mode="after")
    def due_not_before_stated(self) -> PredictionIn:
        if self.due_on and self.stated_on and self.due_on < self.stated_on:
            raise ValueError(f"due_on {self.due_on} is before stated_on {self.stated_on}")
        return self


class PredictionFile(Strict):
    format: Literal["prediction-tracker/predictions/v1"] = IMPORT_FORMAT
    speakers: list[SpeakerIn] = []
    sources: list[SourceIn] = []
    predictions: list[PredictionIn] = []
