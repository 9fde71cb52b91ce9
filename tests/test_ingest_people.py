"""Who is speaking, from the document: the title, the opening paragraph and lead-ins name the
people; a claim is credited (`named`) only where the text ties it to exactly one of them, and
two people who share a first name are never one person."""

from __future__ import annotations

from datetime import date

from predictions.ingest.document import parse
from predictions.ingest.people import Person, from_label, from_title, resolve
from predictions.ingest.propose import people_of, propose
from predictions.models import Attribution

SUMMARY = """\
# Robots Leave the Lab: Okafor, Lindqvist

A conversation with Amara Okafor (robotics lead at Fieldworks) and Henrik Lindqvist (author of
*Machines That Fetch*). They will argue about grippers by 2030.

## Amara's View

- Humanoid robots will pick mixed orders before 2030

**Henrik disagrees**:

- Fixed arms will still do most picking in 2032

## Open Questions

- Soft grippers will be cheap by 2031

## Sources

1. [Episode 31](https://example.org/31)
"""
STATED = date(2027, 3, 1)


def by_start(text: str, stored: list[Person] | None = None) -> dict[str, object]:
    return {p.text.split()[0]: p for p in propose(parse(text), STATED, stored or [])}


def test_the_opening_paragraph_names_the_people_with_their_descriptions() -> None:
    people = people_of(parse(SUMMARY), [])
    assert [(p.name, p.description, p.found) for p in people] == [
        ("Amara Okafor", "robotics lead at Fieldworks", "opening"),
        ("Henrik Lindqvist", "author of Machines That Fetch", "opening"),
    ]


def test_the_opening_paragraph_is_never_a_claim() -> None:
    assert "They" not in by_start(SUMMARY)


def test_a_heading_or_lead_in_credits_the_claims_under_it() -> None:
    claims = by_start(SUMMARY)
    assert (claims["Humanoid"].person.name, claims["Humanoid"].attribution) == (
        "Amara Okafor",
        Attribution.NAMED,
    )
    assert claims["Fixed"].person.name == "Henrik Lindqvist"
    assert claims["Soft"].person is None  # nothing ties it to anyone


def test_a_stored_speaker_with_the_same_full_name_is_the_same_person() -> None:
    stored = [Person(7, "Amara Okafor"), Person(8, "Nathan Lambert")]
    claims = by_start(SUMMARY, stored)
    assert claims["Humanoid"].person.pk == 7
    assert claims["Fixed"].person.pk is None  # Henrik is new: created when accepted


def test_a_stored_speaker_sharing_only_a_first_name_is_never_merged() -> None:
    stored = [Person(9, "Amara Diallo")]
    claims = by_start(SUMMARY, stored)
    assert claims["Humanoid"].person.name == "Amara Okafor"
    assert claims["Humanoid"].person.pk is None


def test_a_first_name_two_people_share_credits_nobody() -> None:
    text = SUMMARY.replace("Henrik Lindqvist (author of", "Amara Diallo (author of").replace(
        "Okafor, Lindqvist", "Okafor, Diallo"
    )
    assert by_start(text)["Humanoid"].person is None


def test_a_surname_in_a_sentence_credits_its_person() -> None:
    text = SUMMARY.replace("- Soft grippers", "- Lindqvist predicts soft grippers")
    assert by_start(text)["Lindqvist"].person.name == "Henrik Lindqvist"


def test_the_title_names_people_in_its_shapes() -> None:
    assert from_title("Robots Leave the Lab: Okafor, Lindqvist") == ["Okafor", "Lindqvist"]
    assert from_title("Ines Duarte on Fusion Power") == ["Ines Duarte"]
    assert from_title("Fusion Soon? A Talk with Ines Duarte") == ["Ines Duarte"]
    assert from_title("State of Robotics 2027") == []


def test_a_name_only_in_the_title_is_a_person_but_credits_no_claim() -> None:
    text = "# Ines Duarte on Fusion Power\n\n## Key claims\n\n- Fusion will reach a grid by 2035\n"
    people = people_of(parse(text), [])
    assert [(p.name, p.found) for p in people] == [("Ines Duarte", "title")]
    assert by_start(text)["Fusion"].person is None


def test_a_transcript_label_is_a_person_only_when_it_can_only_be_one() -> None:
    people = [Person(None, "Amara Okafor"), Person(None, "Amara Diallo")]
    assert from_label("Amara Okafor", people).name == "Amara Okafor"
    assert from_label("Okafor", people).name == "Amara Okafor"
    assert from_label("Amara", people) is None
    assert from_label("Speaker 2", people) is None and from_label("Host", people) is None
    assert from_label("English", people) is None
    newcomer = from_label("Tomas Reyes", people)
    assert (newcomer.name, newcomer.found, newcomer.pk) == ("Tomas Reyes", "transcript", None)


def test_a_typo_in_a_surname_still_resolves_to_the_one_person() -> None:
    assert resolve("Lindquist", [Person(None, "Henrik Lindqvist"), Person(None, "Amara Okafor")]).name == (
        "Henrik Lindqvist"
    )


def test_a_lone_word_speaking_in_a_heading_is_no_new_person() -> None:
    text = "# Chips\n\n## Nvidia expects\n\n- Chips will be cheaper by 2030\n\n## Priya Raman's view\n\n- Fabs will move by 2031\n"
    claims = by_start(text)
    assert claims["Chips"].person is None
    assert claims["Fabs"].person.name == "Priya Raman"


def test_a_name_that_is_an_everyday_word_mentions_its_person_only_when_speaking() -> None:
    stored = [Person(1, "Mei Long"), Person(2, "Will Chen")]
    text = (
        "# Ep\n\n## Long-Term (Decades)\n\n- Fusion will power cities\n\n"
        "## Will's view\n\n- Chips will be cheaper by 2030\n\n## More\n\n- Will robots drive trucks by 2031?\n"
    )
    claims = by_start(text, stored)
    assert claims["Fusion"].person is None
    assert claims["Chips"].person.name == "Will Chen"
    assert claims["Will"].person is None
