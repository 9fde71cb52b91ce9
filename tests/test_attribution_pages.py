"""Who said it, as people see it: the prediction page's speaker, moment, own words and how the
attribution was made; the scorecard's marks for inferred attributions and its strict filter."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from predictions.models import Attribution, Prediction, Source, Speaker, Stance, StanceKind

pytestmark = pytest.mark.django_db

YOUTUBE = "https://www.youtube.com/watch?v=EV7WhVT270Q"


def page(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def inside(html: str, element_id: str, end: str = "</p>") -> str:
    """The markup inside the element with `element_id`, up to the first `end`."""
    return html.split(f'id="{element_id}"', 1)[1].split(">", 1)[1].split(end, 1)[0]


@pytest.fixture
def video(db) -> Source:
    return Source.objects.create(
        title="Episode 490", slug="ep-490", url=YOUTUBE, published_on=date(2026, 1, 31)
    )


@pytest.fixture
def nathan(db) -> Speaker:
    return Speaker.objects.create(name="Nathan Lambert", slug="nathan-lambert")


@pytest.fixture
def sebastian(db) -> Speaker:
    return Speaker.objects.create(name="Sebastian Raschka", slug="sebastian-raschka")


# --- the prediction page --------------------------------------------------------------------------


def test_the_page_says_who_said_it_and_opens_the_video_at_that_second(make_prediction, video, nathan) -> None:
    p = make_prediction(source=video, speaker=nathan, attribution=Attribution.NAMED, source_timestamp=3335)
    html = page(p.get_absolute_url())
    said = inside(html, "said")
    assert text(said) == "Said by Nathan Lambert at 55:35"
    assert f'<a href="{YOUTUBE}&amp;t=3335s" rel="nofollow" id="moment-link">55:35</a>' in said
    assert 'href="/speakers/nathan-lambert/">Nathan Lambert</a>' in said


def test_the_speakers_own_words_are_kept_apart_from_the_write_ups_paraphrase(
    make_prediction, video, nathan
) -> None:
    p = make_prediction(
        source=video,
        speaker=nathan,
        attribution=Attribution.NAMED,
        source_timestamp=3335,
        excerpt="we will see a $2,000 subscription this year",
        quote="$2,000 subscription likely",
        source_note="The write-up says likely; he said he expects it.",
    )
    html = page(p.get_absolute_url())
    assert (
        '<blockquote class="excerpt" id="excerpt">we will see a $2,000 subscription this year</blockquote>'
        in html
    )
    assert "Nathan Lambert's own words, from the recording" in html
    assert '<blockquote class="quote">$2,000 subscription likely</blockquote>' in html
    assert "As the source's write-up has it" in html
    note = inside(html, "source-note")
    assert "Where the write-up differs from the recording:" in note
    assert "The write-up says likely; he said he expects it." in note


@pytest.mark.parametrize(
    ("attribution", "label"),
    [
        (Attribution.NAMED, "named in the source&#x27;s text"),
        (Attribution.TRANSCRIPT, "from a labelled transcript"),
        (Attribution.INFERRED, "inferred from an unlabelled transcript"),
    ],
)
def test_the_page_says_how_the_speaker_is_known(
    make_prediction, nathan, attribution: str, label: str
) -> None:
    p = make_prediction(
        speaker=nathan, attribution=attribution, attribution_note="Lex asks him by name at 238."
    )
    how = inside(page(p.get_absolute_url()), "attribution-how")
    assert "How we know:" in how
    assert label in how
    assert "Lex asks him by name at 238." in how
    assert ('class="inferred"' in how) == (attribution == Attribution.INFERRED)


def test_an_unattributed_prediction_says_it_could_not_be_settled_and_why(make_prediction, video) -> None:
    p = make_prediction(
        source=video,
        source_timestamp=15131,
        attribution_note="Both guests finish each other's sentences here.",
        excerpt="deep learning will be remembered",
    )
    html = page(p.get_absolute_url())
    said = text(inside(html, "said"))
    assert said == "Said on the panel; who said it could not be settled (at 4:12:11)."
    how = inside(html, "attribution-how")
    assert "Why nobody is named:" in how
    assert "Both guests finish each other&#x27;s sentences here." in how
    assert "The words as spoken, from the recording" in html
    assert "Said by" not in html


def test_the_page_lists_who_agreed_and_who_disputed_at_which_moment(
    make_prediction, video, nathan, sebastian
) -> None:
    lex = Speaker.objects.create(name="Lex Fridman", slug="lex-fridman")
    p = make_prediction(source=video, speaker=nathan, attribution=Attribution.INFERRED, source_timestamp=9000)
    Stance.objects.create(
        prediction=p,
        speaker=sebastian,
        stance=StanceKind.DISPUTES,
        source_timestamp=12339,
        excerpt="dying is a big statement",
        attribution=Attribution.INFERRED,
        attribution_note="Answers Nathan directly.",
    )
    Stance.objects.create(prediction=p, speaker=lex, stance=StanceKind.AGREES, source_timestamp=9100)
    html = page(p.get_absolute_url())
    stances = inside(html, "stances", "</ol>")
    items = [text(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", stances, re.S)]
    assert items == [
        "Lex Fridman agrees at 2:31:40 Inferred from an unlabelled transcript †",
        "Sebastian Raschka disputes at 3:25:39 dying is a big statement "
        "Inferred from an unlabelled transcript †: Answers Nathan directly.",
    ]
    assert f'<a href="{YOUTUBE}&amp;t=12339s" rel="nofollow">3:25:39</a>' in stances
    assert '<blockquote class="excerpt">dying is a big statement</blockquote>' in stances
    assert 'href="/speakers/sebastian-raschka/">Sebastian Raschka</a>' in stances


def test_a_page_without_stances_has_no_stance_section(make_prediction, nathan) -> None:
    html = page(make_prediction(speaker=nathan).get_absolute_url())
    assert 'id="stances"' not in html


# --- the scorecard ------------------------------------------------------------------------------


@pytest.fixture
def mixed(make_prediction, nathan, sebastian) -> dict[str, Prediction]:
    """Nathan: one named, one inferred; Sebastian: one named; the panel: one."""
    return {
        "nathan-named": make_prediction(speaker=nathan, attribution=Attribution.NAMED),
        "nathan-inferred": make_prediction(speaker=nathan, attribution=Attribution.INFERRED),
        "sebastian-named": make_prediction(speaker=sebastian, attribution=Attribution.TRANSCRIPT),
        "panel": make_prediction(),
    }


def speaker_headers(html: str) -> list[str]:
    table = html.split('id="by-speaker"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">(.*?)</th>', table, re.S)


def test_a_speaker_row_with_inferred_attributions_is_marked_with_a_legend(mixed) -> None:
    html = page("/scorecard/")
    rows = {text(header).rstrip(" †"): header for header in speaker_headers(html)}
    assert 'class="inferred" title="1 of 2 attributed by inference' in rows["Nathan Lambert"]
    assert "inferred" not in rows["Sebastian Raschka"]
    assert "inferred" not in rows["Unattributed (panel)"]
    legend = inside(html, "inferred-legend")
    assert "attributed by inference from an unlabelled transcript" in legend
    assert 'href="/scorecard/?attribution=attested"' in legend


def test_without_inferred_attributions_there_is_no_mark_and_no_legend(mixed) -> None:
    mixed["nathan-inferred"].delete()
    html = page("/scorecard/")
    assert all("inferred" not in header for header in speaker_headers(html))
    assert 'id="inferred-legend"' not in html


def test_the_filter_form_offers_only_attested_speakers(mixed) -> None:
    html = page("/scorecard/")
    form = html.split('<form class="filters"', 1)[1].split("</form>", 1)[0]
    assert '<select name="attribution">' in form
    assert (
        '<option value="attested">Only speakers named in the source or a labelled transcript</option>' in form
    )
    chosen = page("/scorecard/?attribution=attested")
    assert '<option value="attested" selected>' in chosen
    assert "speakers named in the source or a labelled transcript" in text(
        chosen.split('class="active-filter"', 1)[1].split("</p>", 1)[0]
    )


def test_the_strict_filter_counts_named_and_transcript_attributions_and_keeps_the_panel(mixed) -> None:
    response = Client().get("/scorecard/?attribution=attested")
    rows = {row.label: row.tally.tracked for row in response.context["speaker_rows"]}
    assert rows == {"Nathan Lambert": 1, "Sebastian Raschka": 1, "Unattributed (panel)": 1}
    assert 'id="inferred-legend"' not in response.content.decode()


def test_an_unknown_attribution_filter_is_a_clear_400(mixed) -> None:
    response = Client().get("/scorecard/?attribution=guessed")
    assert response.status_code == 400
    assert "attested" in response.content.decode()
