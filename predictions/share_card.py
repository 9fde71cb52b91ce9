"""The picture a shared link shows (OpenGraph `og:image`): a 1200 × 630 PNG with a title, the
numbers the page shows and the site's address, drawn by Pillow with its built-in scalable
font, so the image needs no font installed on the host. Only drawing here: what to write
comes from `share_views.py`, which caches the result under the data version.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
INK, MUTED, PAPER = (24, 24, 27), (82, 82, 91), (250, 250, 249)
# The outcome colours of the page's badges (static/predictions/scorecard.css).
ACCENTS = {
    "held_up": (21, 128, 61),
    "partially": (180, 83, 9),
    "did_not_hold_up": (185, 28, 28),
    "": (37, 99, 235),
}
TITLE_LINES = 4


@dataclass(frozen=True)
class Card:
    kicker: str  # small, above the title: "Scorecard", a speaker's name...
    title: str
    numbers: str  # the page's own share line
    footer: str  # the site's address
    accent: str = ""  # an outcome, for the bar's colour


def wrapped(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int, lines: int
) -> list[str]:
    """`text` in at most `lines` lines of `width` pixels, the last cut with "…" if need be."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and draw.textlength(f"{line} {words[0]}", font=font) <= width:
            line = f"{line} {words.pop(0)}"
        while draw.textlength(line, font=font) > width and len(line) > 1:  # one word too long
            line = line[:-2] + "…"
        out.append(line)
    if words and out:
        last = out[-1]
        while draw.textlength(last + " …", font=font) > width and " " in last:
            last = last.rsplit(" ", 1)[0]
        out[-1] = last + " …"
    return out


def draw(card: Card) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, 16, HEIGHT), fill=ACCENTS.get(card.accent, ACCENTS[""]))
    text_width = WIDTH - 2 * MARGIN
    small, title_font, numbers_font = (ImageFont.load_default(size=s) for s in (30, 56, 36))
    y = MARGIN
    for line in wrapped(pen, card.kicker, small, text_width, 1):
        pen.text((MARGIN, y), line, font=small, fill=MUTED)
    y += 56
    for line in wrapped(pen, card.title, title_font, text_width, TITLE_LINES):
        pen.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 70
    y += 24
    for line in wrapped(pen, card.numbers, numbers_font, text_width, 2):
        pen.text((MARGIN, y), line, font=numbers_font, fill=INK)
        y += 46
    pen.text((MARGIN, HEIGHT - MARGIN - 30), card.footer, font=small, fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
