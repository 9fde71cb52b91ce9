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
from dataclasses import dataclass
from pathlib import Path

import srt
import webvtt
from rapidfuzz import fuzz, utils

# Summaries paraphrase, so a claim is compared with windows of a few consecutive cues.
WINDOW_CUES = 3
# Below this token_set_ratio (0-100) the best window is not taken as the claim's passage.
MATCH_THRESHOLD = 70.0
LABEL = re.compile(r"^([A-Z][\w.'’ -]{0,38}):\s+(.*)$", re.DOTALL)
PLAIN_LINE = re.compile(r"^[*_\s]*\[(\d+(?:\.\d+)?)s?\]\s*(?:([^:\]*]{1,40}):)?[*_\s]*(.*)$")


class TranscriptError(ValueError):
    """The file is not a transcript this module can read; the message says why."""


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    text: str
    label: str = ""  # the speaker label as written, if any


@dataclass(frozen=True)
class Passage:
    start: float
    text: str
    label: str
    score: float


def read_transcript(path: Path) -> list[Cue]:
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"{path}: cannot read as UTF-8 text ({exc})") from exc
    return parse_transcript(raw, path.suffix.lower())


def parse_transcript(raw: str, suffix: str = "") -> list[Cue]:
    if raw.lstrip().startswith("WEBVTT") or suffix == ".vtt":
        cues = _webvtt(raw)
    elif suffix == ".srt" or "-->" in raw:
        cues = _srt(raw)
    else:
        cues = _plain(raw)
    if not cues:
        raise TranscriptError("no timed lines found (expected WebVTT, SRT or '[seconds] text' lines)")
    return cues


def _webvtt(raw: str) -> list[Cue]:
    try:
        captions = webvtt.from_buffer(io.StringIO(raw))
    except Exception as exc:  # webvtt-py raises its own MalformedFileError and others
        raise TranscriptError(f"not valid WebVTT: {exc}") from exc
    cues = []
    for caption in captions:
        text = " ".join(caption.text.split())
        if text:
            cues.append(_labelled(caption.start_in_seconds, text, caption.voice or ""))
    return cues


def _srt(raw: str) -> list[Cue]:
    try:
        subtitles = list(srt.parse(raw))
    except srt.SRTParseError as exc:
        raise TranscriptError(f"not valid SRT: {exc}") from exc
    return [
        _labelled(s.start.total_seconds(), " ".join(s.content.split()))
        for s in subtitles
        if s.content.strip()
    ]


def _plain(raw: str) -> list[Cue]:
    cues = []
    for line in raw.splitlines():
        if (match := PLAIN_LINE.match(line.strip())) and match.group(3).strip():
            cues.append(Cue(float(match.group(1)), match.group(3).strip(), (match.group(2) or "").strip()))
    return cues


def _labelled(start: float, text: str, voice: str = "") -> Cue:
    if voice:
        return Cue(start, text, voice.strip())
    if match := LABEL.match(text):
        return Cue(start, match.group(2).strip(), match.group(1).strip())
    return Cue(start, text)


def best_passage(claim: str, cues: list[Cue], threshold: float = MATCH_THRESHOLD) -> Passage | None:
    """The window of up to WINDOW_CUES cues that best matches the claim, or None when the
    best is below the threshold. Ties go to the narrower window, then the earlier one."""
    best: tuple[float, int, int, int] | None = None  # (score, -width, -start index, width)
    query = utils.default_process(claim)
    if not query:
        return None
    for width in range(1, WINDOW_CUES + 1):
        for i in range(0, max(len(cues) - width + 1, 0)):
            window = " ".join(c.text for c in cues[i : i + width])
            score = fuzz.token_set_ratio(query, utils.default_process(window))
            key = (score, -width, -i, width)
            if best is None or key > best:
                best = key
    if best is None or best[0] < threshold:
        return None
    score, _, neg_start, width = best
    window = cues[-neg_start : -neg_start + width]
    # The speaker is the one whose own cue is closest to the claim.
    label = max(window, key=lambda c: fuzz.token_set_ratio(query, utils.default_process(c.text))).label
    text = " ".join(f"{c.label}: {c.text}" if c.label else c.text for c in window)
    return Passage(window[0].start, text, label, round(score, 1))


def best_score(claim: str, cues: list[Cue]) -> float:
    """The best score whether or not it passes the threshold (shown for a passage not found)."""
    found = best_passage(claim, cues, threshold=0.0)
    return found.score if found else 0.0
