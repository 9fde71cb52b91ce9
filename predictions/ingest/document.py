"""An episode summary's structure, read from markdown-it-py's syntax tree.

The summaries share one shape: a `#` title, `##`/`###` sections, paragraphs and bullet lists,
bold lead-ins ("**Model releases** [1]:") that act as small headings for the list after them,
blockquotes of what was said, `[n]` references and a numbered Sources list at the end. This
module turns that into `Block`s (a bullet, a paragraph or a quote with its heading path and
the paragraph that introduces it) and the `Reference`s of the Sources list; deciding what is
a prediction is `forward.py`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

PATH_SEPARATOR = " › "
SOURCES_HEADINGS = {"sources", "references"}

# `[n]` citation markers are not Markdown syntax (CommonMark leaves them as text), so they
# are read from the inline text. No `\s*` in front: on a long run of spaces that is tried
# from every space and is quadratic; the space before a marker is trimmed in Python.
REFERENCE = re.compile(r"\[(\d{1,3})\]")
# A summary is a few tens of kilobytes (the seed: 20 KB); past this it is not one, and the caps keep every
# step (markdown-it, the regexes, transcript matching) within seconds and bounded memory.
MAX_DOCUMENT_BYTES = 512_000  # markdown-it is superlinear on a huge list: ~3 s at this size
# Sentence ends: ., ! or ? (optionally closing a quote or bracket), then space and a capital,
# a digit or an opening quote. Abbreviations that end in a full stop are checked separately.
SENTENCE_END = re.compile(r"[.!?][\"”’)]*\s+(?=[A-Z0-9\"“(])")
ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "Dr.", "Mr.", "Ms.", "Mrs.", "St.", "No.")
# Two claims joined in one sentence are proposed one by one ("X will come eventually, but Y").
CLAUSE_BREAKS = (", but ", "; ")
MIN_CLAUSE_WORDS = 3


class BlockKind(StrEnum):
    BULLET = "bullet"
    PARAGRAPH = "paragraph"
    QUOTE = "quote"


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str  # the inline text, without its bold label and `[n]` markers
    path: tuple[str, ...]  # headings, then the bold label of the block or of its lead-in
    lead_in: str = ""  # the paragraph (or parent bullet) right before a list or quote
    refs: tuple[int, ...] = ()
    line: int = 0  # 1-based line in the file, for reports


@dataclass(frozen=True)
class Reference:
    number: int
    title: str
    url: str


@dataclass
class Document:
    title: str = ""
    headings: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    sources: dict[int, Reference] = field(default_factory=dict)
    has_sources_section: bool = False
    # What comes before the first section: the introduction ("A conversation with Amara
    # Okafor (robotics lead at ...)"). It says who is speaking; it is never a claim.
    opening: list[tuple[str, int]] = field(default_factory=list)
    heading_lines: list[tuple[str, int]] = field(default_factory=list)


def parse(text: str) -> Document:
    root = SyntaxTreeNode(MarkdownIt("commonmark").parse(text))
    return _Walker().walk(root)


def section_path(path: tuple[str, ...]) -> str:
    return PATH_SEPARATOR.join(path)


def split_sentences(text: str) -> list[str]:
    """Sentences, then clauses joined by ", but" or ";" when each side is a clause itself."""
    sentences: list[str] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        before = text[start : match.start() + 1]
        if before.endswith(ABBREVIATIONS):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [clause for sentence in sentences if sentence for clause in _clauses(sentence)]


def split_clauses(text: str) -> list[str]:
    return _clauses(text.strip()) if text.strip() else []


def _clauses(sentence: str) -> list[str]:
    """Iterative, not recursive: 2,000 ", but" clauses in one sentence are 2,000 clauses,
    not a RecursionError."""
    clauses: list[str] = []
    rest = sentence
    while True:
        for marker in CLAUSE_BREAKS:
            head, found, tail = rest.partition(marker)
            if found and _has_words(head, MIN_CLAUSE_WORDS) and _has_words(tail, MIN_CLAUSE_WORDS):
                clauses.append(head.strip())
                rest = tail.strip()
                break
        else:
            clauses.append(rest)
            return clauses


def _has_words(text: str, n: int) -> bool:
    # maxsplit: looks at the first n words only, so a long tail costs nothing more.
    return len(text.split(None, n)) >= n


def strip_references(text: str) -> tuple[str, tuple[int, ...]]:
    refs: list[int] = []
    pieces: list[str] = []
    start = 0
    for match in REFERENCE.finditer(text):
        refs.append(int(match.group(1)))
        pieces.append(text[start : match.start()].rstrip())
        start = match.end()
    pieces.append(text[start:])
    return " ".join("".join(pieces).split()), tuple(refs)


@dataclass
class _Inline:
    label: str  # a leading **bold** run
    rest: str  # what follows it
    all_links: bool  # nothing but links (a table of contents, a "back" line)
    first_link: str = ""


def _inline(node: SyntaxTreeNode) -> _Inline:
    children = [c for c in node.children if not (c.type == "text" and not c.content.strip())]
    label = ""
    if children and children[0].type == "strong":
        label = _plain(children[0]).strip()
        children = children[1:]
    rest = "".join(_plain(c) for c in children)
    links = [c for c in node.children if c.type == "link"]
    outside = "".join(_plain(c) for c in node.children if c.type != "link")
    all_links = bool(links) and not any(ch.isalnum() for ch in outside)
    return _Inline(label, rest, all_links, links[0].attrs.get("href", "") if links else "")


def _plain(node: SyntaxTreeNode) -> str:
    if node.type in ("text", "code_inline", "html_inline"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return " "
    if node.type == "image":
        return node.content
    return "".join(_plain(c) for c in node.children)


def _paragraph_inline(node: SyntaxTreeNode) -> _Inline | None:
    inline = [c for c in node.children if c.type == "inline"]
    return _inline(inline[0]) if inline else None


def _item_text(item: SyntaxTreeNode) -> tuple[str, str, bool]:
    """(label, text, all links) of a list item's own paragraphs, nested lists left out."""
    labels, texts, links = [], [], []
    for child in item.children:
        if child.type == "paragraph" and (inline := _paragraph_inline(child)):
            labels.append(inline.label)
            texts.append(inline.rest if inline.label else inline.rest)
            links.append(inline.all_links)
    label = labels[0] if labels else ""
    return label, " ".join(t.strip(" :") if label else t.strip() for t in texts), bool(links) and all(links)


class _Walker:
    def __init__(self) -> None:
        self.document = Document()
        self.headings: list[tuple[int, str]] = []
        self.in_sources = False
        self.lead_in = ""
        self.lead_label = ""
        self.lead_refs: tuple[int, ...] = ()

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.headings)

    def walk(self, root: SyntaxTreeNode) -> Document:
        for node in root.children:
            if not self.headings and node.type in ("paragraph", "bullet_list", "ordered_list"):
                self._opening(node)
                continue
            handler = {
                "heading": self.heading,
                "paragraph": self.paragraph,
                "bullet_list": self.list,
                "ordered_list": self.list,
                "blockquote": self.quote,
            }.get(node.type)
            if handler is None:  # hr, code, html: a lead-in does not reach past them
                self._forget_lead_in()
                continue
            handler(node)
        return self.document

    def _opening(self, node: SyntaxTreeNode) -> None:
        if node.type == "paragraph":
            inline = _paragraph_inline(node)
            if inline is not None and not inline.all_links:
                text = " ".join(filter(None, [inline.label, strip_references(inline.rest)[0]]))
                self.document.opening.append((text, _line(node)))
            return
        for item in node.children:
            label, text, all_links = _item_text(item)
            if not all_links:
                self.document.opening.append((" ".join(filter(None, [label, text])), _line(item)))

    def heading(self, node: SyntaxTreeNode) -> None:
        self._forget_lead_in()
        inline = _paragraph_inline(node)
        text = " ".join(((inline.label + " " + inline.rest) if inline else "").split())
        level = int(node.tag[1])
        if level == 1 and not self.document.title:
            self.document.title = text
            return
        self.document.headings.append(text)
        self.document.heading_lines.append((text, _line(node)))
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, text))
        self.in_sources = text.strip().lower() in SOURCES_HEADINGS
        self.document.has_sources_section |= self.in_sources

    def paragraph(self, node: SyntaxTreeNode) -> None:
        inline = _paragraph_inline(node)
        if inline is None or inline.all_links or self.in_sources:
            self._forget_lead_in()
            return
        rest, refs = strip_references(inline.rest)
        body = rest.lstrip(":").strip()
        introduces = body.endswith(":") or not body
        if inline.label and (not body or (body.startswith("(") and body.endswith("):"))):
            # "**Model releases** [1]:" and "**RLHF** (Reinforcement ...):" are headings
            # for the list after them.
            self.lead_label = " ".join(filter(None, [inline.label, body.rstrip(":")]))
            self.lead_in, self.lead_refs = self.lead_label, refs
            return
        path = self.path + ((inline.label,) if inline.label else ())
        self.document.blocks.append(Block(BlockKind.PARAGRAPH, body, path, refs=refs, line=_line(node)))
        self.lead_in = ": ".join(filter(None, [inline.label, body]))
        self.lead_label = inline.label if introduces else ""
        self.lead_refs = refs

    def list(
        self, node: SyntaxTreeNode, lead_in: str | None = None, path: tuple[str, ...] | None = None
    ) -> None:
        start = int(node.attrs.get("start", 1)) if node.type == "ordered_list" else 1
        outer = lead_in is None
        if outer:
            lead_in = self.lead_in
            path = self.path + ((self.lead_label,) if self.lead_label else ())
        for number, item in enumerate(node.children, start=start):
            label, raw, all_links = _item_text(item)
            text, refs = strip_references(raw)
            if self.in_sources:
                self._source(number, item, label, text)
                continue
            if all_links or not text:
                continue
            item_path = path + ((label,) if label else ())
            self.document.blocks.append(
                Block(
                    BlockKind.BULLET,
                    text,
                    item_path,
                    lead_in=lead_in,
                    refs=refs or self.lead_refs,
                    line=_line(item),
                )
            )
            for child in item.children:
                if child.type in ("bullet_list", "ordered_list"):
                    self.list(child, lead_in=text, path=item_path)
        if outer:
            self._forget_lead_in()

    def _source(self, number: int, item: SyntaxTreeNode, label: str, text: str) -> None:
        url = ""
        for child in item.children:
            if child.type == "paragraph" and (inline := _paragraph_inline(child)):
                url = url or inline.first_link
        title = " ".join(filter(None, [label, text])).strip()
        self.document.sources[number] = Reference(number, title, url)

    def quote(self, node: SyntaxTreeNode) -> None:
        if self.in_sources:
            return
        parts = []
        for child in node.children:
            if child.type == "paragraph" and (inline := _paragraph_inline(child)):
                parts.append(" ".join(filter(None, [inline.label, inline.rest])))
        text, refs = strip_references(" ".join(parts))
        if text:
            path = self.path + ((self.lead_label,) if self.lead_label else ())
            self.document.blocks.append(
                Block(
                    BlockKind.QUOTE,
                    text,
                    path,
                    lead_in=self.lead_in,
                    refs=refs or self.lead_refs,
                    line=_line(node),
                )
            )
        self._forget_lead_in()

    def _forget_lead_in(self) -> None:
        self.lead_in = self.lead_label = ""
        self.lead_refs = ()


def _line(node: SyntaxTreeNode) -> int:
    return node.map[0] + 1 if node.map else 0
