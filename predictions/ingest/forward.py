"""What in a summary is a prediction, over what horizon, and whose.

Three tables, each read in one place: the wording that makes a sentence forward-looking,
the headings that speak of the future (everything under them is proposed), and the
phrases that say a horizon. Nothing here guesses a speaker: a person is attached only where
the sentence, its lead-in or a heading above it names them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from predictions.models import Horizon, default_due_on

from .people import Person, named_person  # noqa: F401  (their home is people.py)

IGNORE = re.IGNORECASE

# A sentence with any of these looks ahead. "may" only in lower case: "May" is a month.
FORWARD_WORDING = [
    re.compile(pattern, flags)
    for pattern, flags in [
        (r"\bwill\b|\bwon['’]t\b|(?<=\w)['’]ll\b|\bgoing to\b|\bgonna\b", IGNORE),
        (r"\b(?:un)?likely\b|\bexpect|\bpredict(?:s|ed|ing)?\b|\bforecast|\bfuture\b", IGNORE),
        (r"\beventually\b|\bover time\b|\bsoon\b|\bby the end of\b|\b(?:this|next) year\b", IGNORE),
        (
            r"\b(?:by|in|throughout|during|until|before) 2\d{3}\b|\b(?:in|within) \w+ years\b|\b\d+ years out\b"
            r"|\bdecades\b|\bthe 2\d{2}0s\b|\bin a decade\b",
            IGNORE,
        ),
        # Bounded gaps: an unbounded `[^.?!]*` after every "would" is quadratic on a long line.
        (r"\bcould\b|\bmight\b|\bmay\b|\bwould\b[^.?!]{0,200}?\bever\b", 0),
        # Trends said in the present tense: "Frontier pushes toward ...", "all becoming ...".
        (
            r"\b(?:push|pushes|move|moves|shift|shifts|head|heads)\b(?:\s{1,5}\S{1,40}){0,3}?\s{1,5}toward",
            IGNORE,
        ),
        (r"\bbecoming\b|\bincreasingly\b|\bcontinues? (?:to|getting)\b|\bas \w+ improves?\b", IGNORE),
    ]
]

# Wording that is about the future whatever else the sentence says.
STRONG_FORWARD = FORWARD_WORDING[:4]
# A statement of how things are done now ("Today most labs ...", "Teams currently ..."):
# never a prediction unless it also says something strongly forward.
PRESENT_PRACTICE = re.compile(
    r"\b(?:today|todays?['’]s|currently|these days|right now|nowadays|at present|at the moment|"
    r"as of now|in practice)\b",
    IGNORE,
)

# Headings (and bold lead-ins) under which every bullet is proposed.
FUTURE_HEADING = re.compile(
    r"\bpredictions?\b|\bforecasts?\b|\boutlook\b|\bfuture\b|\b(?:near|medium|mid|long)[- ]term\b"
    r"|\byears out\b|\bwon['’]t happen\b|\bwill happen\b|\bwhat['’]s next\b|\blooking ahead\b",
    IGNORE,
)

# A bullet opening with one of these continues the bullet before it ("But ... remain hard").
CONTINUATIONS = ("But ", "Or ", "And ")

UNSTATED = "unstated"
HORIZON_TERM = re.compile(r"\b(near|medium|mid|long)[- ]term\b(?:\s*\(([^)]+)\))?", IGNORE)
TERM_HORIZON = {"near": Horizon.NEAR, "medium": Horizon.MEDIUM, "mid": Horizon.MEDIUM, "long": Horizon.LONG}
# Beyond this many years a claim is long term; the defaults are 3 (medium) and 20 (long).
LONG_AFTER_YEARS = 10
PRECISE_END_OF_YEAR = re.compile(r"\bby the end of (?:this|the) year\b", IGNORE)
PRECISE_THIS_YEAR = re.compile(r"\bthis year\b", IGNORE)
PRECISE_NEXT_YEAR = re.compile(r"\bnext year\b", IGNORE)
PRECISE_YEAR = re.compile(r"\b(?:by|in|throughout|during|until|before) (2\d{3})\b", IGNORE)
PRECISE_YEARS = re.compile(
    r"\b(?:in|within) (\d{1,3}|two|three|four|five|six|seven|eight|nine|ten) years\b|\b(\d{1,3}) years out\b",
    IGNORE,
)
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
# "within a decade": ten years out.
PRECISE_DECADE_AHEAD = re.compile(r"\b(?:with)?in a decade\b", IGNORE)
# "in the 2040s": due by the end of the decade.
PRECISE_DECADE = re.compile(r"\b(?:in|by|during|throughout) the (2\d{2})0s\b", IGNORE)
VAGUE = [
    (re.compile(r"\beventually\b", IGNORE), Horizon.MEDIUM, "eventually"),
    (re.compile(r"\bover time\b", IGNORE), Horizon.MEDIUM, "over time"),
    (re.compile(r"\bin (?:the coming|a few) years\b", IGNORE), Horizon.MEDIUM, "in the coming years"),
    (re.compile(r"\bsoon\b", IGNORE), Horizon.NEAR, "soon"),
    (re.compile(r"\bdecades\b", IGNORE), Horizon.LONG, "decades"),
]


@dataclass(frozen=True)
class HorizonReading:
    horizon: str
    as_said: str
    due_on: date


def is_forward(text: str) -> bool:
    return any(pattern.search(text) for pattern in FORWARD_WORDING)


def is_present_practice(text: str) -> bool:
    return bool(PRESENT_PRACTICE.search(text)) and not any(p.search(text) for p in STRONG_FORWARD)


def speaks_of_future(heading: str) -> bool:
    return bool(FUTURE_HEADING.search(heading))


def is_continuation(text: str) -> bool:
    return text.startswith(CONTINUATIONS)


def read_horizon(text: str, path: Sequence[str], stated_on: date) -> HorizonReading:
    """The horizon from the claim's own precise wording ("by the end of this year", "in
    2028"), else from the nearest heading that states one ("Near-Term (2026)", "100 years
    out"), else from vague wording ("eventually"), else medium term, unstated."""
    found = _precise(text, stated_on)
    for heading in reversed(path):
        found = found or _precise(heading, stated_on) or _term(heading, stated_on)
    if found is None:
        found = next(((h, said, None) for p, h, said in VAGUE if p.search(text)), None)
    horizon, as_said, due_year = found or (Horizon.MEDIUM, UNSTATED, None)
    due_on = default_due_on(horizon, stated_on, as_said)
    if due_year is not None and date(due_year, 12, 31) >= stated_on:
        due_on = date(due_year, 12, 31)
    return HorizonReading(horizon, as_said, due_on)


def _by_distance(years: int) -> str:
    if years <= 0:
        return Horizon.NEAR
    return Horizon.MEDIUM if years <= LONG_AFTER_YEARS else Horizon.LONG


def _precise(text: str, stated_on: date) -> tuple[str, str, int | None] | None:
    if match := PRECISE_END_OF_YEAR.search(text):
        return Horizon.NEAR, match.group(0).lower(), None
    if match := PRECISE_THIS_YEAR.search(text):
        return Horizon.NEAR, "this year", None
    if match := PRECISE_NEXT_YEAR.search(text):
        return Horizon.MEDIUM, "next year", stated_on.year + 1
    if match := PRECISE_YEAR.search(text):
        year = int(match.group(1))
        # "before 2030" is due by the end of 2029; "by 2030", "in 2030" by the end of 2030.
        if match.group(0).lower().startswith("before"):
            year -= 1
        return _by_distance(year - stated_on.year), match.group(0).lower(), year
    if match := PRECISE_DECADE.search(text):
        year = int(match.group(1)) * 10 + 9
        return _by_distance(year - stated_on.year), match.group(0).lower(), year
    if PRECISE_DECADE_AHEAD.search(text):
        return _by_distance(10), "10 years out", None
    if match := PRECISE_YEARS.search(text):
        said = (match.group(1) or match.group(2)).lower()
        years = NUMBER_WORDS.get(said) or int(said)
        # default_due_on reads "N years out".
        return _by_distance(years), f"{years} years out", None
    return None


def _term(heading: str, stated_on: date) -> tuple[str, str, int | None] | None:
    match = HORIZON_TERM.search(heading)
    if match is None:
        return None
    horizon = TERM_HORIZON[match.group(1).lower()]
    said = (match.group(2) or f"{match.group(1)} term").strip().lower()
    return horizon, said, int(said) if said.isdigit() and len(said) == 4 else None
