"""Who an episode summary says is speaking, and which of them a passage names.

The people come from the document itself: the title ("Robots Leave the Lab: Okafor,
Lindqvist", "Yuki Tanaka on Batteries"), the opening paragraph ("with Amara Okafor (robotics
lead at …) and Henrik Lindqvist (author of …)", which gives each a short description) and
the headings and lead-ins that speak for someone ("Amara's view", "Henrik disagrees").
They are then matched with the speakers already stored, on the full name only: two people
who share a first name are never one person.

A mention in a claim's sentence, lead-in or headings credits the claim (`named`) only when it
picks out exactly one person; a first name two people share, or two people in the same place,
credits nobody. A wrong name is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, utils

# A person's name: two or three capitalised words ("Amara Okafor", "Mary-Jane van Dijk").
NAME_WORD = r"[A-Z][a-zà-öø-ÿ'’-]+"
PARTICLE = r"(?:van|von|de|da|del|der|di|le|la|bin|ibn|al)"
FULL_NAME = rf"{NAME_WORD}(?:\s+(?:{PARTICLE}\s+)?{NAME_WORD}){{1,2}}"
# In the opening paragraph: a name followed by its description in brackets.
INTRODUCED = re.compile(rf"(?<!\w)({FULL_NAME})(?:['’]s)?\s*\(([^()]{{1,300}})\)")
# ... or a name right after "with", "and", "guest", "host" (no description).
LISTED = re.compile(rf"\b(?i:with|and|guests?|hosts?|hosted by|featuring|joined by)\s+({FULL_NAME})(?!\w)")
# Headings and lead-ins that speak for someone: "Amara's view", "Henrik disagrees".
SPEAKING = (
    r"(?:['’]s\s+(?:view|take|framing|position|argument|case|bet|"
    r"outlook|prediction|predictions|forecast|usage|pattern|concern|worry|caution|counterpoint|answer)"
    r"|\s+(?:disagrees|agrees|argues|predicts|expects|thinks|says|believes|counters|adds|warns|"
    r"pushes back|objects|doubts|notes|replies|responds|is skeptical|is sceptical|is optimistic))\b"
)
SPEAKS_FOR = re.compile(rf"(?<!\w)({NAME_WORD}(?:\s+{NAME_WORD})?){SPEAKING}")
# Names that are also everyday words ("Will", "May", "Long" in "Long-Term"): alone, they
# mention a person only when speaking ("Will's view", "Long argues"), never as a word.
EVERYDAY = {
    "Will", "May", "June", "April", "August", "Long", "Young", "King", "Hope", "Grace", "Mark", "Bill",
    "Rose", "Summer", "Rich", "Law", "Green", "Brown", "White", "Black", "Bell", "Hall", "Wood", "Stone",
    "Price", "Cash", "Best", "Little", "Short", "Power", "Case", "Lead", "Chase", "Faith", "Joy", "Dawn",
    "Page", "Cook", "Miles", "Ray", "Low", "West", "North", "South", "Frank", "Hunter", "Cole", "Near",
    "Key", "Major", "Gay", "Sage", "Field", "Ford", "Banks", "Church", "Fox", "Wolf", "Gold", "Silver",
}  # fmt: skip
# "X on Y" at the start of a title, "with X" in it.
TITLE_ON = re.compile(rf"^({FULL_NAME})\s+(?:on|talks|about)\b")
TITLE_SEPARATORS = re.compile(r":|\s[—–|-]\s")
# Words that start a capitalised phrase but never a name.
NOT_NAMES = {
    "The", "A", "An", "This", "That", "What", "Why", "How", "When", "Where", "Who", "Our", "Their",
    "His", "Her", "Its", "My", "Your", "In", "On", "At", "Of", "For", "And", "But", "Or", "With",
    "Key", "Timeline", "Predictions", "Sources", "References", "Episode", "Part", "Chapter",
    "Near", "Long", "Medium", "Future", "Outlook", "Summary", "Introduction", "Overview",
}  # fmt: skip
# Transcript labels that say a role or a language, not who: never a person.
GENERIC_LABEL = re.compile(
    r"^(?:speaker|spk|voice|person|participant|unknown|host|guest|interviewer|narrator|moderator|"
    r"audience|caller|english|spanish|french|german|chinese|japanese|music|applause|crosstalk)"
    r"(?:[\s_-]*\d+)?$",
    re.IGNORECASE,
)
# Full names this close (rapidfuzz ratio, 0-100) are the same person: a typo, an accent.
SAME_NAME = 90.0
# A lone surname or first name this close to one person's (and to nobody else's).
SAME_WORD = 88.0
MIN_FUZZY_WORD = 5  # shorter words must match exactly: "Ana" is not "Anna"


@dataclass(frozen=True)
class Person:
    """A stored speaker (pk set) or one the document names (pk None until accepted)."""

    pk: int | None
    name: str
    description: str = ""
    found: str = ""  # where the document names them: "title", "opening", "heading", "transcript"
    line: int = 0

    @property
    def words(self) -> list[str]:
        return self.name.split()

    @property
    def first(self) -> str:
        return self.words[0] if self.words else self.name

    @property
    def last(self) -> str:
        return self.words[-1] if len(self.words) > 1 else ""


def _clean(name: str) -> str:
    return " ".join(name.replace("’", "'").removesuffix("'s").split())


def _is_name(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 4
        and words[0] not in NOT_NAMES
        and all(w[:1].isupper() or re.fullmatch(PARTICLE, w) for w in words)
    )


def from_title(title: str) -> list[str]:
    """Names (full, or surnames only) the title lists: "Robots Leave the Lab: Okafor,
    Lindqvist", "Yuki Tanaka on Batteries", "Fusion Soon? with Ines Duarte"."""
    names: list[str] = []
    if match := TITLE_ON.match(title):
        names.append(match.group(1))
    names += [m.group(1) for m in LISTED.finditer(title)]
    segments = TITLE_SEPARATORS.split(title)
    if len(segments) > 1:
        items = [i.strip(" .") for i in re.split(r",|&|\band\b", segments[-1])]
        if items and all(_is_name(i) and len(i.split()) <= 3 for i in items if i):
            names += [i for i in items if i]
    return list(dict.fromkeys(_clean(n) for n in names))


def from_opening(text: str, line: int) -> list[Person]:
    """Names the opening paragraph introduces, with their bracketed description."""
    found: dict[str, Person] = {}
    for match in INTRODUCED.finditer(text):
        name = _clean(match.group(1))
        if _is_name(name):
            found.setdefault(
                name, Person(None, name, " ".join(match.group(2).split())[:500], "opening", line)
            )
    outside = re.sub(r"\([^()]*\)", " ", text)
    for match in LISTED.finditer(outside):
        name = _clean(match.group(1))
        if _is_name(name):
            found.setdefault(name, Person(None, name, "", "opening", line))
    return list(found.values())


def speaking_for(text: str) -> list[str]:
    """The names a heading or lead-in speaks for ("Amara's view" → Amara)."""
    return [_clean(m.group(1)) for m in SPEAKS_FOR.finditer(text) if _is_name(m.group(1))]


def document_people(
    title: str,
    opening: Sequence[tuple[str, int]],
    headings: Iterable[tuple[str, int]],
    stored: Sequence[Person] = (),
) -> list[Person]:
    """Everyone the document names, each once: the opening paragraph's full names first,
    then the title's, then the names headings speak for. A name from the title or a heading
    that is already someone (in the document, else among the stored speakers it does not
    contradict) is that person, not a new one."""
    people = _introduced(opening)

    def known(name: str) -> bool:
        if resolve(name, people) is not None or _ambiguous(name, people):
            return True
        others = [s for s in stored if not _shadowed(s, people)]
        return any(_matches(name, s) for s in others)

    for name in from_title(title):
        if not known(name):
            people.append(Person(None, name, "", "title", 1))
    for text, line in headings:
        for name in speaking_for(text):
            # A lone word ("Priya's view", "Nvidia expects") is a new person only when the
            # document introduces them elsewhere: a company said to expect something is
            # not a speaker, and a wrong name is worse than none.
            if len(name.split()) > 1 and not known(name):
                people.append(Person(None, name, "", "heading", line))
    return people


def _introduced(opening: Sequence[tuple[str, int]]) -> list[Person]:
    people: list[Person] = []
    for text, line in opening:
        for person in from_opening(text, line):
            if not any(_same_full(person.name, p.name) for p in people):
                people.append(person)
    return people


def with_stored(found: Sequence[Person], stored: Sequence[Person]) -> list[Person]:
    """The document's people, each given the pk of the stored speaker with the same full
    name, and the stored speakers the document does not name (for an older episode's
    summary that still says "Nathan disagrees")."""
    merged: list[Person] = []
    used: set[int] = set()
    for person in found:
        match = next((s for s in stored if s.pk is not None and _same_full(person.name, s.name)), None)
        if match is not None and len(person.words) > 1:
            used.add(match.pk)  # type: ignore[arg-type]
            merged.append(replace(person, pk=match.pk, name=match.name))
        else:
            merged.append(person)
    return merged + [s for s in stored if s.pk not in used and not _shadowed(s, merged)]


def _shadowed(stored: Person, found: Sequence[Person]) -> bool:
    # A stored "Amara Diallo" is left out when this document is about another Amara: in
    # this document "Amara" means its own Amara, and the stored one is not in it.
    return any(stored.first == p.first or (stored.last and stored.last == p.last) for p in found)


def _same_full(a: str, b: str) -> bool:
    return (
        len(a.split()) > 1
        and len(b.split()) > 1
        and fuzz.ratio(a, b, processor=utils.default_process) >= SAME_NAME
    )


def _word_matches(word: str, candidate: str) -> bool:
    if not candidate:
        return False
    if word.casefold() == candidate.casefold():
        return True
    return len(word) >= MIN_FUZZY_WORD and fuzz.ratio(word.casefold(), candidate.casefold()) >= SAME_WORD


def _matches(name: str, person: Person) -> bool:
    words = name.split()
    if len(words) > 1:
        if _same_full(name, person.name):
            return True
        # "Okafor" listed in the title as "A. Okafor" or "Dr Okafor": the surname decides.
        return _word_matches(words[-1], person.last) and words[0].rstrip(".") in (
            person.first,
            person.first[:1],
            "Dr",
            "Prof",
        )
    if len(person.words) == 1:
        return _word_matches(name, person.name)
    return _word_matches(name, person.first) or _word_matches(name, person.last)


def resolve(name: str, people: Sequence[Person]) -> Person | None:
    """The one person `name` (full, first or surname) can be; None when nobody or several."""
    found = [p for p in people if _matches(name, p)]
    return found[0] if len(found) == 1 else None


def _ambiguous(name: str, people: Sequence[Person]) -> bool:
    return sum(1 for p in people if _matches(name, p)) > 1


def _mentions(layer: str, person: Person) -> bool:
    for word in {person.name, person.first, person.last} - {""}:
        # Not inside a compound ("Long-Term"): a name is followed by space, punctuation or 's.
        after = SPEAKING if word in EVERYDAY else r"(?![\w-])"
        if re.search(rf"(?<![\w-]){re.escape(word)}{after}", layer):
            return True
    return False


def named_person(layers: Iterable[str], people: Sequence[Person]) -> Person | None:
    """The one person the nearest layer (the sentence, then its lead-in, then the headings
    from the innermost out) names by full name, first name or surname. A layer naming two
    people, or a name two people share, is no answer: that is for the reviewer."""
    for layer in layers:
        if not layer:
            continue
        full = [p for p in people if re.search(rf"(?<!\w){re.escape(p.name)}(?!\w)", layer)]
        if len(full) == 1 and not any(
            _mentions(layer, p) for p in people if p is not full[0] and not _part_of(p, full[0])
        ):
            return full[0]
        if full:
            return None
        mentioned = [p for p in people if _mentions(layer, p)]
        if len(mentioned) == 1:
            return mentioned[0]
        if mentioned:
            return None
    return None


def _part_of(other: Person, person: Person) -> bool:
    # "Amara Okafor" mentions "Amara": a stored one-word "Amara" is not a second person here.
    return set(other.words) <= set(person.words)


def from_label(label: str, people: Sequence[Person]) -> Person | None:
    """The person a transcript's voice or "Name:" label names: one of `people` when it can
    only be them; a new person (found "transcript") when it is a name nobody has; None for
    a role or language ("Host", "Speaker 2", "English") or a name several people share."""
    label = " ".join(label.split())
    if not label or GENERIC_LABEL.match(label) or not _is_name(label):
        return None
    if (person := resolve(label, people)) is not None:
        return person
    if _ambiguous(label, people) or len(label.split()) < 2:
        return None  # a lone first name nobody in the document has: not enough to go on
    return Person(None, label, "", "transcript", 0)
