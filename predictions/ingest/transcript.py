"""A recording's transcript as timed cues, and the passage that best matches a claim.

WebVTT is read with webvtt-py (its `<v Name>` voice spans label the speaker), SRT with the
`srt` package; anything else is taken as plain lines of `[seconds] text`, the shape some
transcription tools write (`**[3335.94s] English:** text`). A "Name:" before the text is
kept as a label; whether it names a speaker is decided later against the Speaker table (so
"English:" labels nobody).
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import srt
import webvtt
from rapidfuzz import fuzz, utils

from predictions.models.prediction import MAX_TIMESTAMP

# Summaries paraphrase, so a claim is compared with windows of a few consecutive cues.
WINDOW_CUES = 3
# Below this token_set_ratio (0-100) the best window is not taken as the claim's passage.
MATCH_THRESHOLD = 70.0
# A three-hour episode is a few hundred kilobytes of WebVTT and a few thousand cues; past
# these it is not a transcript, and the caps keep reading and matching within seconds.
MAX_TRANSCRIPT_BYTES = 5_000_000
MAX_CUES = 50_000
LABEL = re.compile(r"^([A-Z][\w.'’ -]{0,38}):\s+(.*)$", re.DOTALL)
# Speaker lines some SRT files carry: "[Amara Okafor] text", ">> AMARA: text", "- Henrik: text".
BRACKET_LABEL = re.compile(r"^(?:>>\s*|-\s+)?\[([A-Z][\w.'’ -]{0,38})\]\s*(.*)$", re.DOTALL)
ARROW_LABEL = re.compile(r"^(?:>>|-)\s*([A-Z][\w.'’ -]{0,38}):\s+(.*)$", re.DOTALL)
PLAIN_LINE = re.compile(r"^[*_\s]*\[(\d{1,12}(?:\.\d{1,6})?)s?\]\s*(?:([^:\]*]{1,40}):)?[*_\s]*(.*)$")


class TranscriptError(ValueError):
    """The file is not a transcript this module can read; the message says why."""


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    text: str
    label: str = ""  # the speaker label as written, if any
    line: int = 0  # 1-based line in the file, where known


@dataclass(frozen=True)
class Passage:
    start: float
    text: str
    label: str
    score: float
    runner_up: float | None = None  # the best score elsewhere (over 30 s away), if any
    runner_up_start: float | None = None


def read_transcript(path: Path) -> list[Cue]:
    try:
        size = path.stat().st_size
        if size > MAX_TRANSCRIPT_BYTES:
            raise TranscriptError(
                f"{path}: {size:,} bytes, over the {MAX_TRANSCRIPT_BYTES:,} a transcript may be"
            )
        raw = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"{path}: cannot read as UTF-8 text ({exc})") from exc
    try:
        return parse_transcript(raw, path.suffix.lower())
    except TranscriptError as exc:
        raise TranscriptError(f"{path}: {exc}") from exc


def parse_transcript(raw: str, suffix: str = "") -> list[Cue]:
    if len(raw) > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(
            f"{len(raw):,} characters, over the {MAX_TRANSCRIPT_BYTES:,} a transcript may be"
        )
    if (nul := raw.find("\x00")) >= 0:
        raise TranscriptError(
            f"line {raw.count(chr(10), 0, nul) + 1}: a NUL character, so this is not a text transcript"
        )
    if raw.lstrip().startswith("WEBVTT") or suffix == ".vtt":
        cues = _webvtt(raw)
    elif suffix == ".srt" or "-->" in raw:
        cues = _srt(raw)
    else:
        cues = _plain(raw)
    if not cues:
        raise TranscriptError("no timed lines found (expected WebVTT, SRT or '[seconds] text' lines)")
    if len(cues) > MAX_CUES:
        raise TranscriptError(f"{len(cues):,} cues, over the {MAX_CUES:,} a transcript may have")
    for cue in cues:
        if not 0 <= cue.start <= MAX_TIMESTAMP:
            where = f"line {cue.line}" if cue.line else "a cue"
            raise TranscriptError(
                f"{where}: a time of {cue.start:.0f} s is past the {MAX_TIMESTAMP:,} s a recording may last"
            )
    return cues


class _Lines:
    """Line numbers of successive finds in the file, counting each newline once (counting
    from the start every time is quadratic on a long transcript)."""

    def __init__(self, raw: str) -> None:
        self.raw, self.offset, self.line = raw, 0, 1

    def find(self, needle: str) -> int:
        at = self.raw.find(needle, self.offset)
        if at < 0:
            return 0
        self.line += self.raw.count("\n", self.offset, at)
        self.offset = at + len(needle)
        self.line += needle.count("\n")
        return self.line - needle.count("\n")


def _webvtt(raw: str) -> list[Cue]:
    try:
        captions = webvtt.from_buffer(io.StringIO(raw))
    except Exception as exc:  # webvtt-py raises its own MalformedFileError and others
        raise TranscriptError(f"not valid WebVTT: {_one_line(exc)}") from exc
    cues = []
    where = _Lines(raw)
    for caption in captions:
        line = where.find(caption.start)
        text = " ".join(caption.text.split())
        if text:
            cue = _labelled(caption.start_in_seconds, text, caption.voice or "")
            cues.append(replace(cue, line=line))
    return cues


def _srt(raw: str) -> list[Cue]:
    try:
        subtitles = list(srt.parse(raw))
    except (srt.SRTParseError, OverflowError, ValueError) as exc:
        raise TranscriptError(f"not valid SRT: {_one_line(exc)}") from exc
    cues = []
    where = _Lines(raw)
    for s in subtitles:
        line = where.find("-->")
        if not s.content.strip():
            continue
        lines = [ln.strip() for ln in s.content.splitlines() if ln.strip()]
        label = ""
        # A first line that is only a bracketed name or "NAME:" is the speaker line.
        if (
            len(lines) > 1
            and (m := re.fullmatch(r"\[?([A-Z][\w.'’ -]{0,38}?)\]?:?", lines[0]))
            and (lines[0].endswith((":", "]")))
        ):
            label, lines = m.group(1), lines[1:]
        cue = _labelled(s.start.total_seconds(), " ".join(" ".join(lines).split()), label)
        cues.append(replace(cue, line=line))
    return cues


def _plain(raw: str) -> list[Cue]:
    cues = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if (match := PLAIN_LINE.match(line.strip())) and match.group(3).strip():
            cues.append(
                Cue(float(match.group(1)), match.group(3).strip(), (match.group(2) or "").strip(), number)
            )
    return cues


def _labelled(start: float, text: str, voice: str = "") -> Cue:
    if voice:
        return Cue(start, text, voice.strip())
    for pattern in (BRACKET_LABEL, ARROW_LABEL, LABEL):
        if match := pattern.match(text):
            return Cue(start, match.group(2).strip(), match.group(1).strip())
    return Cue(start, text)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


# Two windows whose starts are this far apart are two different moments (the runner-up).
RUNNER_UP_SECONDS = 30.0
# A claim leaves the document's order only when its best window elsewhere beats the one in
# order by this much: summaries follow the conversation, roughly.
OUT_OF_ORDER_MARGIN = 15.0
# Each claim is scored exactly against the windows around the cues that share its rarest
# words, not against all of them: matching stays linear in the transcript's length.
SHORTLIST = 40
WIDTH_COST = 3.0


class _Index:
    """The transcript's windows, processed once, and which cues hold which word."""

    def __init__(self, cues: Sequence[Cue]) -> None:
        self.cues = cues
        self.processed = [utils.default_process(c.text) for c in cues]
        self.windows: list[list[str]] = [
            [" ".join(self.processed[i : i + w]) for w in range(1, WINDOW_CUES + 1) if i + w <= len(cues)]
            for i in range(len(cues))
        ]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(self.processed):
            for word in set(text.split()):
                self.postings[word].append(i)
        self.common = max(20, len(cues) // 20)  # a word in more cues than this says little

    def shortlist(self, query: str) -> list[int]:
        weight: Counter[int] = Counter()
        for word in set(query.split()):
            where = self.postings.get(word, ())
            if where and len(where) <= self.common:
                for i in where:
                    # The cue itself and the windows that start up to two cues before it.
                    for start in range(max(0, i - WINDOW_CUES + 1), i + 1):
                        weight[start] += 1.0 / len(where)
        return [i for i, _ in weight.most_common(SHORTLIST)]

    def scores(self, query: str) -> dict[int, tuple[float, int, int]]:
        """Cue -> (score, window start, width) of the best window around it, by the cue
        (its anchor) in the window closest to the claim. The score is less WIDTH_COST per cue
        past the first: token_set_ratio gives a window holding the claim's words as much as
        the claim's own cue, so without the cost a window starting at the neighbouring
        claim's cue would tie with the right one; and keyed by anchor, a wide window cannot
        place a claim at the neighbour's moment."""
        single: dict[int, float] = {}

        def cue_score(i: int) -> float:
            if i not in single:
                single[i] = fuzz.token_set_ratio(query, self.processed[i])
            return single[i]

        found: dict[int, tuple[float, int, int]] = {}
        for start in self.shortlist(query):
            for width, window in enumerate(self.windows[start], start=1):
                score = fuzz.token_set_ratio(query, window) - WIDTH_COST * (width - 1)
                anchor = max(range(start, start + width), key=lambda i: (cue_score(i), -i))
                if anchor not in found or score > found[anchor][0]:
                    found[anchor] = (score, start, width)
        return found


def align(
    claims: Sequence[str], cues: Sequence[Cue], threshold: float = MATCH_THRESHOLD
) -> list[Passage | float]:
    """Each claim's passage (or, when none reaches the threshold, its best score), the
    claims taken in the document's order as a prior: the chosen windows are the increasing
    sequence with the highest total score, and a claim leaves it only for a window elsewhere
    that is clearly better. Each passage says the best score elsewhere (the runner-up), so a
    reviewer sees when the match is unsure."""
    index = _Index(cues)
    queries = [utils.default_process(c) for c in claims]
    scored = [index.scores(q) if q else {} for q in queries]
    in_order = _monotone(scored, len(cues), threshold)
    results: list[Passage | float] = []
    for scores, ordered in zip(scored, in_order, strict=True):
        if not scores:
            results.append(0.0)
            continue
        best = max(scores, key=lambda i: (scores[i][0], -i))
        chosen = best
        if ordered is not None and scores[best][0] - scores[ordered][0] < OUT_OF_ORDER_MARGIN:
            chosen = ordered
        score, start, width = scores[chosen]
        score += WIDTH_COST * (width - 1)  # the window's own score, as shown to the reviewer
        if score < threshold:
            results.append(round(score, 1))
            continue
        window = cues[start : start + width]
        text = " ".join(f"{c.label}: {c.text}" if c.label else c.text for c in window)
        elsewhere = [i for i in scores if abs(cues[i].start - cues[chosen].start) > RUNNER_UP_SECONDS]
        runner = max(elsewhere, key=lambda i: scores[i][0], default=None)
        results.append(
            Passage(
                cues[chosen].start,  # the claim's own cue: when it is said
                text,
                cues[chosen].label,  # the speaker is the one whose own cue is closest to the claim
                round(score, 1),
                None
                if runner is None
                else round(scores[runner][0] + WIDTH_COST * (scores[runner][2] - 1), 1),
                None if runner is None else cues[runner].start,
            )
        )
    return results


class _PrefixMax:
    """A Fenwick tree over cue positions: the best (total, claim, position) at or before a
    position, in O(log cues)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.tree: list[tuple[float, int, int]] = [(0.0, -1, -1)] * (size + 1)

    def best_up_to(self, i: int) -> tuple[float, int, int]:
        found = (0.0, -1, -1)
        i += 1
        while i > 0:
            found = max(found, self.tree[i])
            i -= i & -i
        return found

    def put(self, i: int, value: tuple[float, int, int]) -> None:
        i += 1
        while i <= self.size:
            if value > self.tree[i]:
                self.tree[i] = value
            i += i & -i


def _monotone(
    scored: Sequence[dict[int, tuple[float, int, int]]], size: int, threshold: float
) -> list[int | None]:
    """The cue of each claim in the heaviest non-decreasing chain of matches over the
    threshold (None for a claim left out of it): O(claims x shortlist x log cues)."""
    tree = _PrefixMax(size)
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for c, scores in enumerate(scored):
        updates = []
        for at, (score, _, _) in scores.items():
            if score >= threshold:
                total, pc, pa = tree.best_up_to(at)
                back[(c, at)] = (pc, pa)
                updates.append((at, (total + score, c, at)))
        for at, value in updates:  # after the queries: one claim, one cue
            tree.put(at, value)
    chosen: list[int | None] = [None] * len(scored)
    _, c, at = tree.best_up_to(size - 1) if size else (0.0, -1, -1)
    while c >= 0:
        chosen[c] = at
        c, at = back[(c, at)]
    return chosen


def best_passage(claim: str, cues: Sequence[Cue], threshold: float = MATCH_THRESHOLD) -> Passage | None:
    """The best window for one claim alone, or None when it is below the threshold."""
    found = align([claim], cues, threshold)[0]
    return found if isinstance(found, Passage) else None


def best_score(claim: str, cues: Sequence[Cue]) -> float:
    """The best score whether or not it passes the threshold (shown for a passage not found)."""
    found = align([claim], cues, threshold=0.0)[0]
    return found.score if isinstance(found, Passage) else found
