"""Candidates from a parsed summary, and storing them so that a re-ingest proposes nothing new.

`propose()` is pure (a document in, proposals out) so the rules can be tested without a
database; `match_transcript()` adds each proposal's passage; `store()` writes them, keyed by
(source, fingerprint): the same bullet in the same section is the same candidate however
often the file is ingested, and an edited bullet is a new one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import date

from django.db import transaction
from django.utils.text import slugify

from predictions.models import MAX_TIMESTAMP, QUOTE_MAX, Attribution, Source, Speaker

from ..models import Candidate, CandidateStatus
from ..models.candidate import PersonCandidate
from .document import Block, BlockKind, Document, section_path, split_clauses, split_sentences
from .forward import (
    HorizonReading,
    is_continuation,
    is_forward,
    is_present_practice,
    read_horizon,
    speaks_of_future,
)
from .people import Person, document_people, from_label, named_person, with_stored
from .transcript import Cue, Passage, align

SECTION_MAX = 300  # Candidate.section / Prediction.section
# An episode summary proposes tens of claims; thousands means it is not one, and matching
# them all against a transcript would take minutes.
MAX_PROPOSALS = 1_000


@dataclass(frozen=True)
class Proposal:
    text: str
    path: tuple[str, ...]
    line: int
    reading: HorizonReading
    person: Person | None = None
    attribution: str = Attribution.UNATTRIBUTED
    source_timestamp: int | None = None
    passage: str = ""
    match_score: float | None = None
    runner_up_score: float | None = None
    runner_up_timestamp: int | None = None

    @property
    def section(self) -> str:
        return section_path(self.path)[:SECTION_MAX]

    @property
    def fingerprint(self) -> str:
        normal = " ".join(self.text.casefold().split()) + "\x1f" + " ".join(self.section.casefold().split())
        return hashlib.sha256(normal.encode()).hexdigest()


def people_of(document: Document, stored: Sequence[Person]) -> list[Person]:
    """The people the document names (matched with the stored speakers by full name), and
    the stored speakers it does not name."""
    leads = {(h, b.line) for b in document.blocks for h in (*b.path, b.lead_in) if h}
    leads |= {(b.text[:80], b.line) for b in document.blocks}
    found = document_people(
        document.title, document.opening, [*document.heading_lines, *sorted(leads)], stored
    )
    return with_stored(found, stored)


def propose(document: Document, stated_on: date, people: Sequence[Person]) -> list[Proposal]:
    """The document's claims, each with its horizon and, where the text ties it to one
    person (among `people` and those the document names), that person."""
    people = people_of(document, people)
    proposals: list[Proposal] = []
    seen: set[str] = set()
    previous: tuple[Block, Proposal] | None = None
    for block in document.blocks:
        under_future = any(speaks_of_future(h) for h in block.path)
        lead_forward = bool(block.lead_in) and (is_forward(block.lead_in) or speaks_of_future(block.lead_in))
        # A paragraph is its sentences; a bullet or quote is one claim unless ", but" joins two.
        texts = (
            split_sentences(block.text) if block.kind == BlockKind.PARAGRAPH else split_clauses(block.text)
        )
        for text in (t.rstrip(":").strip() for t in texts):
            continued = _continues(block, text, previous)
            if not (under_future or is_forward(text) or (block.kind != BlockKind.PARAGRAPH and lead_forward)):
                if continued is None:
                    continue
            if continued is None and is_present_practice(text):
                continue
            layers = [text, block.lead_in, *reversed(block.path)]
            person = named_person(layers, people)
            reading = continued.reading if continued else read_horizon(text, block.path, stated_on)
            proposal = Proposal(
                text=text,
                path=block.path,
                line=block.line,
                reading=reading,
                person=person,
                attribution=Attribution.NAMED if person else Attribution.UNATTRIBUTED,
            )
            if proposal.fingerprint not in seen:
                seen.add(proposal.fingerprint)
                proposals.append(proposal)
            previous = (block, proposal)
    return proposals


def _continues(block: Block, text: str, previous: tuple[Block, Proposal] | None) -> Proposal | None:
    """The proposal a "But ..." bullet continues: the bullet just before it in the same list."""
    if previous is None or block.kind != BlockKind.BULLET or not is_continuation(text):
        return None
    before, proposal = previous
    same_list = before.kind == BlockKind.BULLET and (before.path, before.lead_in) == (
        block.path,
        block.lead_in,
    )
    return proposal if same_list and before.line == block.line - 1 else None


def match_transcript(proposals: list[Proposal], cues: list[Cue], people: Sequence[Person]) -> list[Proposal]:
    """Each proposal with its passage, the document aligned to the transcript in order; a
    labelled passage names the speaker when the document did not (the document's own
    naming wins), matched to `people` (the document's and the stored ones)."""
    matched = []
    for proposal, found in zip(proposals, align([p.text for p in proposals], cues), strict=True):
        if not isinstance(found, Passage):
            matched.append(replace(proposal, match_score=found))
            continue
        proposal = replace(
            proposal,
            source_timestamp=min(int(found.start), MAX_TIMESTAMP),
            passage=found.text,
            match_score=found.score,
            runner_up_score=found.runner_up,
            runner_up_timestamp=None if found.runner_up_start is None else int(found.runner_up_start),
        )
        if proposal.person is None and found.label:
            if (person := from_label(found.label, people)) is not None:
                proposal = replace(proposal, person=person, attribution=Attribution.TRANSCRIPT)
        matched.append(proposal)
    return matched


def people() -> list[Person]:
    return [Person(pk, name) for pk, name in Speaker.objects.values_list("pk", "name")]


def main_reference(document: Document) -> int | None:
    """The Sources entry the claims are from: the one the `[n]` markers cite most (ties: the
    lowest number), or the first entry when nothing cites one."""
    cited = Counter(n for block in document.blocks for n in block.refs if n in document.sources)
    if cited:
        top = max(cited.values())
        return min(n for n, count in cited.items() if count == top)
    return min(document.sources) if document.sources else None


def new_source(title: str, url: str, published_on: date) -> Source:
    base = slugify(title)[:190] or "source"
    slug, n = base, 1
    while Source.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Source(title=title[:300], slug=slug, url=url, published_on=published_on)


@dataclass
class StoreResult:
    created: int = 0
    unchanged: int = 0
    updated: int = 0  # still proposed, given a transcript passage this time
    decided: int = 0  # already accepted, merged or rejected: left alone
    # Lines of bullets longer than a prediction's quote may be (QUOTE_MAX): a candidate that
    # could never be accepted is not proposed; the command names the lines.
    too_long: list[int] = dataclass_field(default_factory=list)


TRANSCRIPT_FIELDS = ("source_timestamp", "passage", "match_score", "runner_up_score", "runner_up_timestamp")


def store(source: Source, proposals: Sequence[Proposal], with_transcript: bool) -> StoreResult:
    """Write the proposals as candidates of `source` (saved first if new), in one transaction."""
    result = StoreResult()
    with transaction.atomic():
        if source.pk is None:
            source.save()
        persons = _people(source, proposals)
        existing = {
            c.fingerprint: c
            for c in Candidate.objects.select_for_update().filter(
                source=source, fingerprint__in=[p.fingerprint for p in proposals]
            )
        }
        new = []
        for proposal in proposals:
            if len(proposal.text) > QUOTE_MAX:
                result.too_long.append(proposal.line)
                continue
            candidate = existing.get(proposal.fingerprint)
            if candidate is None:
                new.append(_candidate(source, proposal, persons))
            elif candidate.status != CandidateStatus.PROPOSED:
                result.decided += 1
            elif with_transcript and _refresh(candidate, proposal, persons):
                result.updated += 1
            else:
                result.unchanged += 1
        Candidate.objects.bulk_create(new)
        result.created = len(new)
    return result


def _people(source: Source, proposals: Sequence[Proposal]) -> dict[str, PersonCandidate]:
    """The proposed people the claims credit, one row per name and source (kept on a
    re-ingest, so accepting one claim's person serves the next claim too)."""
    wanted = {p.person.name: p.person for p in proposals if p.person is not None and p.person.pk is None}
    rows = {r.name: r for r in PersonCandidate.objects.filter(source=source, name__in=list(wanted))}
    for name, person in wanted.items():
        if name not in rows:
            rows[name] = PersonCandidate.objects.create(
                source=source,
                name=name[:200],
                description=person.description[:500],
                found=person.found or PersonCandidate.Found.HEADING,
                line=person.line,
            )
    return rows


def _candidate(source: Source, proposal: Proposal, persons: dict[str, PersonCandidate]) -> Candidate:
    person = proposal.person
    row = persons.get(person.name) if person is not None and person.pk is None else None
    return Candidate(
        source=source,
        fingerprint=proposal.fingerprint,
        section=proposal.section,
        line=proposal.line,
        text=proposal.text,
        claim=proposal.text,
        horizon=proposal.reading.horizon,
        horizon_as_said=proposal.reading.as_said[:100],
        due_on=proposal.reading.due_on,
        speaker_id=(row.speaker_id if row else person.pk) if person else None,
        person=row,
        attribution=proposal.attribution,
        source_timestamp=proposal.source_timestamp,
        passage=proposal.passage,
        match_score=proposal.match_score,
        runner_up_score=proposal.runner_up_score,
        runner_up_timestamp=proposal.runner_up_timestamp,
    )


def _refresh(candidate: Candidate, proposal: Proposal, persons: dict[str, PersonCandidate]) -> bool:
    """Give a still-proposed candidate this run's transcript passage; True if it changed."""
    fresh = _candidate(candidate.source, proposal, persons)
    fields = [f for f in TRANSCRIPT_FIELDS if getattr(candidate, f) != getattr(fresh, f)]
    if candidate.attribution == Attribution.UNATTRIBUTED and fresh.attribution == Attribution.TRANSCRIPT:
        fields += ["speaker", "person", "attribution"]
    for field in fields:
        setattr(candidate, field, getattr(fresh, field))
    if fields:
        candidate.save(update_fields=fields)
    return bool(fields)
