"""Geometry for the scorecard's server-rendered SVG charts.

Every size and position is computed here, in Python; the templates
(`templates/predictions/*.svg`) only place what they are given. Each chart also carries
its own text alternative (`title`, `desc`) built from the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .scoring import Accuracy, Tally, percent

WIDTH = 960  # the page's content column; narrower screens scale the whole drawing down

# Accuracy chart layout: label column | plot (0-100%) | figures column.
LABEL_W = 200
PLOT_X = LABEL_W + 10
PLOT_W = 480
FIGURES_X = PLOT_X + PLOT_W + 30
ROW_H = 34
TOP = 30  # room for the axis labels
BAR_H = 14
CAP_H = 12
LABEL_CHARS = 26


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class AccuracyBar:
    label: str  # as drawn (shortened when long)
    full_label: str
    y: float  # the row's centre line
    bar_y: float
    bar_w: float  # 0 when nothing was scored
    low_x: float
    high_x: float
    value_x: float
    cap_top: float  # the whisker's end caps
    cap_bottom: float
    value_text: str  # "80%"; empty when nothing was scored
    figures: str  # "67–89%  ·  n = 50", or why there is none
    scored: bool
    panel: bool  # the unattributed (panel) row is drawn apart from people's rows


@dataclass(frozen=True)
class AccuracyChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    plot_bottom: float
    figures_x: int
    bar_h: int
    ticks: list[Tick]
    bars: list[AccuracyBar]


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe_accuracy(acc: Accuracy | None) -> str:
    if acc is None:
        return "no scored outcomes yet"
    return f"{percent(acc.value)}, 95% interval {percent(acc.low)}–{percent(acc.high)}, n = {acc.n}"


def accuracy_chart(
    chart_id: str, title: str, rows: Sequence[tuple[str, Accuracy | None, bool]]
) -> AccuracyChart:
    """Horizontal accuracy bars with their 95% Wilson intervals as whiskers.

    `rows` holds (label, accuracy, is_panel). The whisker is what keeps "2 of 2" from
    looking better than "40 of 50": its bar is full, its whisker reaches down to 34%.
    """
    bars = []
    for i, (label, acc, panel) in enumerate(rows):
        y = TOP + i * ROW_H + ROW_H / 2
        # Nothing scored: an empty track at 0, and words instead of figures.
        value, low, high = (acc.value, acc.low, acc.high) if acc else (0.0, 0.0, 0.0)
        bars.append(
            AccuracyBar(
                label=shorten(label),
                full_label=label,
                y=y,
                bar_y=y - BAR_H / 2,
                bar_w=round(value * PLOT_W, 1),
                low_x=round(PLOT_X + low * PLOT_W, 1),
                high_x=round(PLOT_X + high * PLOT_W, 1),
                value_x=round(PLOT_X + value * PLOT_W, 1),
                cap_top=y - CAP_H / 2,
                cap_bottom=y + CAP_H / 2,
                value_text=percent(value) if acc else "",
                figures=f"{percent(low)}–{percent(high)}  ·  n = {acc.n}"
                if acc
                else "no scored outcomes yet",
                scored=acc is not None,
                panel=panel,
            )
        )
    plot_bottom = TOP + len(rows) * ROW_H
    desc = "; ".join(f"{label}: {describe_accuracy(acc)}" for label, acc, _ in rows) or "No rows."
    return AccuracyChart(
        id=chart_id,
        title=title,
        desc=desc + ".",
        width=WIDTH,
        height=plot_bottom + 8,
        label_x=PLOT_X - 12,
        plot_x=PLOT_X,
        plot_w=PLOT_W,
        plot_bottom=plot_bottom,
        figures_x=FIGURES_X,
        bar_h=BAR_H,
        ticks=[Tick(x=PLOT_X + PLOT_W * q / 4, label=f"{25 * q}%") for q in range(5)],
        bars=bars,
    )


def due_bucket(year: int, this_year: int) -> tuple[int, str]:
    """The timeline bucket of a due year: (sort key, label).

    Single years until the end of the next decade (2026 and 2030 -> up to 2039 and 2049),
    then whole decades: the seed's long-term dates reach 2126, and a linear time axis
    would crush every near-term column into one pixel.
    """
    yearly_until = (this_year // 10 + 2) * 10
    if year < yearly_until:
        return year, str(year)
    decade = year // 10 * 10
    return decade, f"{decade}s"


def bucket_years(year_tallies: Sequence[tuple[int, Tally]], this_year: int) -> list[tuple[str, Tally]]:
    """Merge per-year counts into timeline buckets, in time order; empty periods are left out."""
    merged: dict[int, tuple[str, Tally]] = {}
    for year, tally in year_tallies:
        key, label = due_bucket(year, this_year)
        _, so_far = merged.get(key, (label, Tally()))
        merged[key] = (label, so_far + tally)
    return [merged[key] for key in sorted(merged)]


@dataclass(frozen=True)
class Segment:
    y: float
    h: float
    kind: str  # resolved | due | open: the CSS class and legend entry
    count: int


@dataclass(frozen=True)
class Column:
    label: str
    x: float  # left edge of the bar
    centre: float
    w: float
    top: float
    count_y: float  # the total, printed above the column
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class TimelineChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    baseline: float
    label_y: float
    plot_left: int
    plot_right: int
    columns: list[Column]


TL_TOP = 34  # room for the count above the tallest bar
TL_PLOT_H = 170
TL_LEFT = 16
TL_RIGHT = WIDTH - 16
TL_MAX_BAR_W = 56


def timeline_chart(chart_id: str, buckets: Sequence[tuple[str, Tally]]) -> TimelineChart:
    """Stacked columns of predictions per due period: resolved, waiting for review, open."""
    baseline = TL_TOP + TL_PLOT_H
    tallest = max((tally.tracked for _, tally in buckets), default=0)
    slot = (TL_RIGHT - TL_LEFT) / max(len(buckets), 1)
    bar_w = round(min(TL_MAX_BAR_W, slot * 0.62), 1)
    columns = []
    for i, (label, tally) in enumerate(buckets):
        centre = round(TL_LEFT + slot * (i + 0.5), 1)
        y = baseline
        segments = []
        for kind, count in (("resolved", tally.resolved), ("due", tally.due), ("open", tally.open)):
            if not count:
                continue
            h = round(TL_PLOT_H * count / tallest, 1)
            y = round(y - h, 1)
            segments.append(Segment(y=y, h=h, kind=kind, count=count))
        columns.append(
            Column(
                label=label,
                x=round(centre - bar_w / 2, 1),
                centre=centre,
                w=bar_w,
                top=y,
                count_y=y - 7,
                total=tally.tracked,
                segments=segments,
            )
        )
    parts = [
        f"{label}: {tally.tracked} due ({tally.resolved} resolved, {tally.due} waiting for review, "
        f"{tally.open} open)"
        for label, tally in buckets
    ]
    return TimelineChart(
        id=chart_id,
        title="When predictions come due",
        desc=("; ".join(parts) + ".") if parts else "No predictions.",
        width=WIDTH,
        height=baseline + 30,
        baseline=baseline,
        label_y=baseline + 20,
        plot_left=TL_LEFT,
        plot_right=TL_RIGHT,
        columns=columns,
    )
