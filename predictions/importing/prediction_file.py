"""The human-editable prediction file (schemas.PredictionFile, YAML or JSON) read in.

Every record is validated first and every problem reported with its record and field;
nothing is written unless the whole file is good, and then in one transaction.
Importing the same file twice changes nothing.

An import that changes an existing prediction (someone edited it in the admin since, or the
file changed) writes a history row by "import" saying what changed from what; with
`missing_only` (how the service's start seeds itself) it adds only what is missing and never
changes an existing speaker, source, prediction or stance.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from ..actors import IMPORTER
from ..decisions import record_attribution
from ..export_schema import PREDICTION_FIELDS
from ..models import Prediction, Source, Speaker, Stance, Topic, default_due_on
from ..schemas import PredictionFile, PredictionIn, SourceIn, SpeakerIn, TopicIn
from .base import ImportProblems, ImportResult, edit_row, upsert
from .reading import read_document

# Who said it: an import's change to these is the attribution row's (decisions.py).
WHO_FIELDS = ("speaker", "attribution")


def read_file(path: Path) -> Any:
    return read_document(path)


def _record_name(data: Any, loc: tuple[Any, ...]) -> str:
    """'predictions[3] (key "x")' for a location inside the file."""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        name = f"{loc[0]}[{loc[1]}]"
        try:
            record = data[loc[0]][loc[1]]
            ident = record.get("key") or record.get("slug")
        except (KeyError, IndexError, TypeError, AttributeError):
            ident = None
        return f'{name} ({"key" if loc[0] == "predictions" else "slug"} "{ident}")' if ident else name
    return "file"


def validation_problems(data: Any, error: ValidationError) -> list[str]:
    problems = []
    for err in error.errors():
        loc = tuple(err["loc"])
        record = _record_name(data, loc)
        fields = [str(p) for p in loc[2:]] if record != "file" else [str(p) for p in loc]
        where = ".".join(fields) or ("due_on" if "due_on" in err["msg"] else "record")
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(f"{record}: {where}: {msg}")
    return problems


def parse(data: Any) -> PredictionFile:
    if not isinstance(data, dict):
        raise ImportProblems(
            ["file: the top level must be a mapping with speakers, sources and predictions."]
        )
    try:
        parsed = PredictionFile.model_validate(data)
    except ValidationError as e:
        raise ImportProblems(validation_problems(data, e)) from e
    problems = _cross_check(parsed)
    if problems:
        raise ImportProblems(problems)
    return parsed


def _cross_check(parsed: PredictionFile) -> list[str]:
    """What the records say about each other and about the database, record by record."""
    problems = (
        _twice("speakers", parsed.speakers)
        + _twice("sources", parsed.sources)
        + _twice("topics", parsed.topics)
    )
    problems += _topic_name_problems(parsed.topics)
    topics = {t.slug for t in parsed.topics} | set(
        Topic.objects.filter(
            slug__in={slug for p in parsed.predictions for slug in p.topics or ()}
        ).values_list("slug", flat=True)
    )
    speakers = {s.slug for s in parsed.speakers} | set(
        Speaker.objects.filter(slug__in=_speakers_named(parsed)).values_list("slug", flat=True)
    )
    published = dict(
        Source.objects.filter(slug__in={p.source for p in parsed.predictions}).values_list(
            "slug", "published_on"
        )
    ) | {s.slug: s.published_on for s in parsed.sources}
    seen_keys: set[tuple[str, str]] = set()
    for i, p in enumerate(parsed.predictions):
        name = f'predictions[{i}] (key "{p.key}")'
        if (p.source, p.key) in seen_keys:
            problems.append(f"{name}: key: appears twice for source {p.source!r}")
        seen_keys.add((p.source, p.key))
        problems += [f"{name}: {problem}" for problem in _who_problems(p, speakers)]
        problems += [
            f"{name}: topics.{j}: unknown topic {slug!r} (name it in the file's topics, or in the admin)"
            for j, slug in enumerate(p.topics or ())
            if slug not in topics
        ]
        if p.source not in published:
            problems.append(f"{name}: source: unknown source {p.source!r}")
            continue
        problems += [f"{name}: {problem}" for problem in _date_problems(p, published[p.source])]
    return problems


def _topic_name_problems(items: list[TopicIn]) -> list[str]:
    """A topic's name is unique too: "Open models" twice under two slugs is one topic."""
    problems = []
    names: dict[str, str] = {}
    stored = dict(Topic.objects.filter(name__in=[t.name for t in items]).values_list("name", "slug"))
    for i, item in enumerate(items):
        other = names.get(item.name.lower()) or (
            stored.get(item.name) if stored.get(item.name) != item.slug else None
        )
        if other and other != item.slug:
            problems.append(
                f'topics[{i}] (slug "{item.slug}"): name: {item.name!r} is already the topic {other!r}'
            )
        names.setdefault(item.name.lower(), item.slug)
    return problems


def _twice(kind: str, items: list[SpeakerIn] | list[SourceIn] | list[TopicIn]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for i, item in enumerate(items):
        if item.slug in seen:
            problems.append(f'{kind}[{i}] (slug "{item.slug}"): slug: appears twice in the file')
        seen.add(item.slug)
    return problems


def _who_problems(p: PredictionIn, speakers: set[str]) -> list[str]:
    problems = []
    if p.speaker and p.speaker not in speakers:
        problems.append(f"speaker: unknown speaker {p.speaker!r}")
    for j, stance in enumerate(p.stances):
        if stance.speaker not in speakers:
            problems.append(f"stances.{j}.speaker: unknown speaker {stance.speaker!r}")
        elif stance.speaker == p.speaker:
            problems.append(f"stances.{j}.speaker: the speaker who made the prediction")
    return problems


def _date_problems(p: PredictionIn, source_published: date) -> list[str]:
    stated = p.stated_on or source_published
    try:
        due = p.due_on or default_due_on(p.horizon, stated, p.horizon_as_said)
    except (ValueError, OverflowError):
        return [f"horizon_as_said: {p.horizon_as_said!r} puts the due date past 9999-12-31"]
    if due < stated:
        return [f"due_on: {due} is before stated_on {stated}"]
    return []


def _speakers_named(parsed: PredictionFile) -> set[str]:
    """The speakers the predictions name, as makers or as taking a stance."""
    return {p.speaker for p in parsed.predictions if p.speaker} | {
        s.speaker for p in parsed.predictions for s in p.stances
    }


def _add(model: type, lookup: dict[str, Any], values: dict[str, Any], result: ImportResult, kind: str) -> Any:
    """`missing_only`'s upsert: create what is missing, leave what is there as it is."""
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    (result.created if created else result.present)[kind] += 1
    return obj


def _record_edit(before: Prediction, after: Prediction, attribution_row: bool) -> list[str]:
    """The "edited" history row for what an import changed in a prediction's own fields
    (who said it has its own row; `attribution_note` goes with it when that row is written);
    the names of the fields it changed."""
    names = [n for n in PREDICTION_FIELDS if n not in WHO_FIELDS]
    if attribution_row:
        names.remove("attribution_note")
    changed = [n for n in names if getattr(before, n) != getattr(after, n)]
    if changed:
        edit_row(after, [(n, getattr(before, n), getattr(after, n)) for n in changed]).save()
    return changed


def _set_topics(
    prediction: Prediction,
    slugs: list[str] | None,
    topics: dict[str, Topic],
    *,
    new: bool,
) -> list[str]:
    """A prediction's topics as the file has them (a file that names none leaves them). A
    change to an existing prediction's topics is history like its other fields: an "edited"
    row."""
    if slugs is None:
        return []
    was = sorted(prediction.topics.values_list("slug", flat=True)) if not new else []
    now = sorted(set(slugs))
    if was == now:
        return []
    prediction.topics.set([topics[slug] for slug in now])
    if not new:
        edit_row(prediction, [("topics", ", ".join(was), ", ".join(now))]).save()
        return ["topics"]
    return []


def _follow_file(
    before: Prediction | None,
    prediction: Prediction,
    p: PredictionIn,
    topics: dict[str, Topic],
    result: ImportResult,
) -> None:
    """After a prediction's own fields were written: its topics, and for an existing one the
    history rows of what the import changed (who said it, its fields, its topics)."""
    missing_only = result.missing_only
    if before is None:
        _set_topics(prediction, p.topics, topics, new=True)
        return
    if missing_only:
        # A prediction stored before topics existed is missing them: the seed brings them.
        if not prediction.topics.exists() and _set_topics(prediction, p.topics, topics, new=False):
            result.edited.append(f"{p.source}/{p.key}: topics")
        return
    attribution_row = record_attribution(
        prediction, before=(before.speaker_label, before.attribution), actor=IMPORTER
    )
    changed = _record_edit(before, prediction, attribution_row is not None)
    changed += _set_topics(prediction, p.topics, topics, new=False)
    if attribution_row is not None:
        changed = ["speaker/attribution", *changed]
    if changed:
        result.edited.append(f"{p.source}/{p.key}: {', '.join(changed)}")


def load(parsed: PredictionFile, *, missing_only: bool = False) -> ImportResult:
    """Write a validated file. Descriptive fields follow the file, each change of an existing
    prediction with its history row; with `missing_only`, only what the database lacks is
    added. A prediction's status, outcome and history are never touched by an import."""
    result = ImportResult(missing_only=missing_only)
    write = _add if missing_only else upsert
    with transaction.atomic():
        speakers = {s.slug: s for s in Speaker.objects.filter(slug__in=_speakers_named(parsed))}
        for s in parsed.speakers:
            speakers[s.slug] = write(
                Speaker, {"slug": s.slug}, {"name": s.name, "bio": s.bio, "url": s.url}, result, "speakers"
            )
        sources = {s.slug: s for s in Source.objects.filter(slug__in={p.source for p in parsed.predictions})}
        for s in parsed.sources:
            sources[s.slug] = write(
                Source,
                {"slug": s.slug},
                {"title": s.title, "kind": s.kind, "url": s.url, "published_on": s.published_on},
                result,
                "sources",
            )
        topics = {
            t.slug: t
            for t in Topic.objects.filter(slug__in={s for p in parsed.predictions for s in p.topics or ()})
        }
        for t in parsed.topics:
            topics[t.slug] = write(
                Topic, {"slug": t.slug}, {"name": t.name, "description": t.description}, result, "topics"
            )
        # The file's existing predictions locked first, in id order as every writer locks
        # predictions, before any is changed: no cycle with a decision or the flag job.
        list(
            Prediction.objects.filter(
                source__in=[sources[slug] for slug in {p.source for p in parsed.predictions}],
                key__in={p.key for p in parsed.predictions},
            )
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        for p in parsed.predictions:
            source = sources[p.source]
            stated = p.stated_on or source.published_on
            before = Prediction.objects.filter(source=source, key=p.key).select_related("speaker").first()
            prediction = write(
                Prediction,
                {"source": source, "key": p.key},
                {
                    **{name: getattr(p, name) for name in PREDICTION_FIELDS},
                    "speaker": speakers[p.speaker] if p.speaker else None,
                    "stated_on": stated,
                    "due_on": p.due_on or default_due_on(p.horizon, stated, p.horizon_as_said),
                },
                result,
                "predictions",
            )
            _follow_file(before, prediction, p, topics, result)
            for stance in p.stances:
                values = stance.model_dump(exclude={"speaker"})
                if missing_only:
                    Stance.objects.get_or_create(
                        prediction=prediction, speaker=speakers[stance.speaker], defaults=values
                    )
                else:
                    Stance.objects.update_or_create(
                        prediction=prediction, speaker=speakers[stance.speaker], defaults=values
                    )
    return result
