"""Ingest's figures (issue 19): precision and recall of the proposals over the test episodes
in tests/data/ingest (other shapes, invented people and years), and time and peak memory on
the inputs that used to be quadratic, recursive or unbounded.

    .venv/bin/python -m bench.ingest          # also run at the end of `make bench`

No database: the pure steps (parse, propose, align) are what is measured. It prints figures
and asserts none; tests/test_ingest_episodes.py holds the episodes to their expectations.
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

EPISODES = ROOT / "tests" / "data" / "ingest"
SAME_CLAIM = 90  # token_set_ratio: a proposal is the expected claim
MOMENT_SECONDS = 20


@dataclass
class Episode:
    name: str
    expected: int = 0
    proposed: int = 0
    found: int = 0  # expected claims proposed
    wrong: list[str] = field(default_factory=list)  # a found claim with a wrong field
    extra: list[str] = field(default_factory=list)  # proposed, not expected
    missed: list[str] = field(default_factory=list)


def proposals_for(name: str, spec: dict, published: date) -> tuple[list, list]:
    from predictions.ingest.document import parse
    from predictions.ingest.propose import match_transcript, people_of, propose
    from predictions.ingest.transcript import read_transcript

    document = parse((EPISODES / name).read_text())
    proposals = propose(document, published, [])
    everyone = people_of(document, [])
    if spec.get("transcript"):
        proposals = match_transcript(proposals, read_transcript(EPISODES / spec["transcript"]), everyone)
    return proposals, everyone


def evaluate() -> list[Episode]:
    import yaml
    from rapidfuzz import fuzz, utils

    data = yaml.safe_load((EPISODES / "expected.yaml").read_text())
    results = []
    for name, spec in data["documents"].items():
        proposals, everyone = proposals_for(name, spec, data["published"])
        episode = Episode(name, expected=len(spec["claims"]), proposed=len(proposals))
        used: set[int] = set()
        for claim in spec["claims"]:
            scores = [
                (fuzz.token_set_ratio(claim["text"], p.text, processor=utils.default_process), i)
                for i, p in enumerate(proposals)
                if i not in used
            ]
            score, i = max(scores, default=(0, -1))
            if score < SAME_CLAIM:
                episode.missed.append(claim["text"])
                continue
            used.add(i)
            episode.found += 1
            episode.wrong += [f"{claim['text'][:40]}…: {w}" for w in _wrong(claim, proposals[i], spec)]
        episode.extra = [p.text for i, p in enumerate(proposals) if i not in used]
        found_people = sorted(p.name for p in everyone if p.found and p.found != "transcript")
        if found_people != sorted(spec.get("people", [])):
            episode.wrong.append(f"people {found_people} != {sorted(spec.get('people', []))}")
        results.append(episode)
    return results


def _wrong(claim: dict, proposal: object, spec: dict) -> list[str]:
    p = proposal
    wrong = []
    if p.reading.horizon != claim["horizon"]:  # type: ignore[attr-defined]
        wrong.append(f"horizon {p.reading.horizon} != {claim['horizon']}")  # type: ignore[attr-defined]
    if p.reading.due_on != claim["due_on"]:  # type: ignore[attr-defined]
        wrong.append(f"due {p.reading.due_on} != {claim['due_on']}")  # type: ignore[attr-defined]
    person = p.person.name if p.person else None  # type: ignore[attr-defined]
    if person != claim.get("speaker"):
        wrong.append(f"speaker {person} != {claim.get('speaker')}")
    elif person and p.attribution != claim.get("how"):  # type: ignore[attr-defined]
        wrong.append(f"attribution {p.attribution} != {claim.get('how')}")  # type: ignore[attr-defined]
    if spec.get("transcript") and "at" in claim:
        at = p.source_timestamp  # type: ignore[attr-defined]
        if at is None or abs(at - claim["at"]) > MOMENT_SECONDS:
            wrong.append(f"moment {at} != {claim['at']} ± {MOMENT_SECONDS}")
    return wrong


def measured(work: Callable[[], object]) -> tuple[float, float]:
    """(seconds of one run, peak MB of Python allocations of another): tracing slows a run
    down several times, so the time is taken untraced."""
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


def bad_inputs() -> list[tuple[str, Callable[[], object]]]:
    from predictions.ingest.document import MAX_DOCUMENT_BYTES, parse, split_sentences
    from predictions.ingest.propose import propose
    from predictions.ingest.transcript import align, parse_transcript

    def whole(text: str) -> Callable[[], object]:
        return lambda: propose(parse(text), date(2027, 3, 1), [])

    spaces = "# T\n\n## S\n\n- a" + " " * 192_000 + "b will [1]\n"
    woulds = "# T\n\n## S\n\n- " + "would " * 32_000 + "\n"
    buts = ", but ".join(f"robots will do task number {n}" for n in range(2_000))
    bullets = "# T\n\n## Predictions\n\n" + "".join(
        f"- Robots will do task {n} by 2030\n" for n in range(60_000)
    )
    bullets = bullets[:MAX_DOCUMENT_BYTES]
    cues = "WEBVTT\n\n" + "".join(
        f"{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000 --> {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.900\n"
        f"speaker talks about robot number {n} and warehouses\n\n"
        for n in range(30_000)
    )
    claims = [f"robot number {n * 29} will work in warehouses" for n in range(1_000)]
    parsed = parse_transcript(cues, ".vtt")
    return [
        ("a 192 KB line of spaces before a [n] marker", whole(spaces)),
        ("'would ' x 32,000 on one line", whole(woulds)),
        ("2,000 ', but' clauses in one sentence", lambda: split_sentences(buts)),
        (f"a {len(bullets) / 1e6:.1f} MB summary (the size cap) of bullets", whole(bullets)),
        ("parse a 30,000-cue WebVTT", lambda: parse_transcript(cues, ".vtt")),
        ("align 1,000 claims to 30,000 cues", lambda: align(claims, parsed)),
    ]


def main() -> int:
    django.setup()
    episodes = evaluate()
    proposed = sum(e.proposed for e in episodes)
    expected = sum(e.expected for e in episodes)
    found = sum(e.found for e in episodes)
    print(
        "ingest over tests/data/ingest (precision: proposals that are expected claims; recall: claims proposed)"
    )
    for e in episodes:
        print(
            f"  {e.name:28} expected {e.expected:2}  proposed {e.proposed:2}  found {e.found:2}  wrong fields {len(e.wrong)}"
        )
        for line in [*(f"missed: {m}" for m in e.missed), *(f"extra: {x}" for x in e.extra), *e.wrong]:
            print(f"      {line}")
    precision = found / proposed if proposed else 1.0
    recall = found / expected if expected else 1.0
    print(f"  precision {precision:.2f} ({found}/{proposed}), recall {recall:.2f} ({found}/{expected})")
    print("ingest on bad input (one run each; seconds, peak MB of Python allocations)")
    for label, work in bad_inputs():
        seconds, peak = measured(work)
        print(f"  {label:48} {seconds:7.2f} s  {peak:8.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
