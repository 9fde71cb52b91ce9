"""The reviewers' e-mails: a digest of the newly flagged predictions, marked sent only once
sent, and a weekly reminder of what has waited in the queue for more than 7 days."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from predictions.decisions import Actor, reopen, resolve
from predictions.models import JOB_NAME, JobRun, Outcome, Prediction, Status
from predictions.notifications import reviewer_emails, send_digest, send_reminder
from predictions.tasks import flag_due, run_scheduled_review

pytestmark = pytest.mark.django_db

MakePrediction = Callable[..., Prediction]
SITE = "https://predictions.example.org"


@pytest.fixture(autouse=True)
def site_root(settings) -> None:
    settings.SITE_ROOT = SITE


@pytest.fixture
def team(reviewer: User, staff: User) -> None:
    """Alice reviews; Bob is staff who may not resolve; Carol is a superuser; Dave reviewed
    once but is deactivated; Erin reviews but has no e-mail address."""
    User.objects.create_superuser("carol", "carol@example.org", "password")
    reviewers = Group.objects.get(name="Reviewers")
    dave = User.objects.create_user("dave", "dave@example.org", "password", is_staff=True, is_active=False)
    erin = User.objects.create_user("erin", "", "password", is_staff=True)
    reviewers.user_set.add(dave, erin)


def link(p: Prediction) -> str:
    return f"{SITE}/admin/predictions/prediction/{p.pk}/change/"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_digest_goes_to_every_active_reviewer_with_an_address(team) -> None:
    assert reviewer_emails() == ["alice@example.org", "carol@example.org"]


def test_the_digest_lists_exactly_the_newly_flagged_predictions_with_links(
    make_prediction: MakePrediction, team
) -> None:
    first = make_prediction(claim="Open weights models match GPT-5.", due_on=date(2026, 6, 30))
    second = make_prediction(claim="Agents book travel unaided.", due_on=date(2026, 12, 31))
    later = make_prediction(claim="A not yet due claim.", due_on=date(2027, 6, 30))
    announced = make_prediction(claim="An already announced claim.", due_on=date(2026, 3, 31))
    assert flag_due(date(2026, 4, 1)) == 1
    assert send_digest() == 1
    mail.outbox.clear()

    assert flag_due(date(2027, 1, 1)) == 2
    assert send_digest() == 2

    [message] = mail.outbox
    assert message.to == ["alice@example.org", "carol@example.org"]
    assert message.subject == "2 predictions are due for review"
    text = message.body
    assert text.index(first.claim) < text.index(second.claim)  # oldest due first
    for p in (first, second):
        assert link(p) in text
    assert f"{SITE}/admin/predictions/prediction/?status=due" in text
    assert "Unattributed (panel), Test podcast; due on 2026-06-30" in text
    for p in (later, announced):
        assert p.claim not in text
        assert link(p) not in text
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert f'<a href="{link(first)}">Open weights models match GPT-5.</a>' in html
    assert announced.claim not in html


def test_the_digest_escapes_claims_in_html_and_keeps_them_verbatim_in_text(
    make_prediction: MakePrediction, reviewer
) -> None:
    make_prediction(claim='Scores <b>90%</b> & more on "ARC".')
    flag_due(date(2027, 1, 1))
    send_digest()
    [message] = mail.outbox
    assert 'Scores <b>90%</b> & more on "ARC".' in message.body
    assert "Scores &lt;b&gt;90%&lt;/b&gt; &amp; more on &quot;ARC&quot;." in message.alternatives[0][0]


def test_the_digest_is_marked_sent_and_not_sent_again(
    make_prediction: MakePrediction, reviewer, time_machine
) -> None:
    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    p = make_prediction()
    flag_due(date(2027, 1, 1))
    assert send_digest() == 1
    p.refresh_from_db()
    assert p.notified_at == timezone.now()

    assert send_digest() == 0
    run_scheduled_review()
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_on_the_next_run_and_does_not_block_flagging(
    make_prediction: MakePrediction, reviewer, settings, time_machine
) -> None:
    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    p = make_prediction(due_on=date(2026, 12, 31))
    # A real SMTP connection to a port nobody listens on.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", closed_port, False
    settings.EMAIL_TIMEOUT = 5

    with pytest.raises(RuntimeError, match="digest e-mail: ConnectionRefusedError"):
        run_scheduled_review()

    p.refresh_from_db()
    assert p.status == Status.DUE  # flagged all the same
    assert p.notified_at is None
    run = JobRun.objects.get(name=JOB_NAME)
    assert run.last_success_at is None
    assert run.last_error_at == timezone.now()
    assert run.last_error.startswith("digest e-mail: ConnectionRefusedError")

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(at(2027, 1, 2, 0, 5), tick=False)
    assert run_scheduled_review() == (
        "Flagged 0 predictions as due for review (as of 2027-01-02). Digest listed 1, reminder listed 0."
    )
    [message] = mail.outbox
    assert p.claim in message.body
    p.refresh_from_db()
    assert p.notified_at == timezone.now()
    assert JobRun.objects.get(name=JOB_NAME).last_success_at == timezone.now()


def test_without_any_reviewer_the_digest_waits_for_one(make_prediction: MakePrediction, staff) -> None:
    p = make_prediction()
    flag_due(date(2027, 1, 1))
    assert send_digest() == 0
    assert mail.outbox == []
    p.refresh_from_db()
    assert p.notified_at is None

    staff.groups.add(Group.objects.get(name="Reviewers"))
    assert send_digest() == 1
    assert mail.outbox[0].to == ["bob@example.org"]


def test_a_prediction_back_from_deferral_is_announced_again(
    make_prediction: MakePrediction, reviewer, time_machine
) -> None:
    from predictions.decisions import defer

    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    p = make_prediction()
    flag_due(date(2027, 1, 1))
    send_digest()
    p.refresh_from_db()
    defer(p, until=date(2027, 2, 1), note="Results come out in January.", actor=Actor.of(reviewer))
    time_machine.move_to(at(2027, 2, 1, 0, 5), tick=False)
    flag_due(date(2027, 2, 1))

    assert send_digest() == 1
    assert len(mail.outbox) == 2
    assert p.claim in mail.outbox[1].body


def test_the_weekly_reminder_lists_predictions_waiting_more_than_7_days_once_a_week(
    make_prediction: MakePrediction, reviewer, time_machine
) -> None:
    waiting = make_prediction(claim="Waiting since New Year.", due_on=date(2026, 12, 31))
    decided = make_prediction(claim="Decided quickly.", due_on=date(2026, 12, 31))
    newer = make_prediction(claim="Due a few days later.", due_on=date(2027, 1, 4))
    sent: dict[str, list[str]] = {}

    for day in range(1, 18):
        time_machine.move_to(at(2027, 1, day, 0, 5), tick=False)
        mail.outbox.clear()
        run_scheduled_review()
        if day == 2:
            decided.refresh_from_db()
            resolve(decided, outcome=Outcome.HELD_UP, note="It shipped.", actor=Actor.of(reviewer))
        reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
        if reminders:
            [reminder] = reminders
            sent[f"01-{day:02}"] = [
                line.strip() for line in reminder.body.splitlines() if ", waiting " in line
            ]

    # Flagged on 01-01 00:05: 7 days later is 01-08 (not more than 7), 01-09 is 8 days;
    # then again 7 days after the last reminder, on 01-16. "Due a few days later" was flagged
    # on 01-04, so it has waited more than 7 days from 01-12 and is reminded of then.
    assert sent == {
        "01-09": ["Unattributed (panel), Test podcast; due on 2026-12-31, waiting 8 days"],
        "01-12": ["Unattributed (panel), Test podcast; due on 2027-01-04, waiting 8 days"],
        "01-16": ["Unattributed (panel), Test podcast; due on 2026-12-31, waiting 15 days"],
    }
    waiting.refresh_from_db()
    newer.refresh_from_db()
    assert waiting.reminded_at == at(2027, 1, 16, 0, 5)
    assert newer.reminded_at == at(2027, 1, 12, 0, 5)


def test_the_reminder_subject_counts_the_predictions(
    make_prediction: MakePrediction, reviewer, time_machine
) -> None:
    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    for _ in range(2):
        make_prediction()
    flag_due(date(2027, 1, 1))
    send_digest()
    time_machine.move_to(at(2027, 1, 9, 0, 5), tick=False)
    assert send_reminder(date(2027, 1, 9)) == 2
    assert mail.outbox[-1].subject == "Reminder: 2 predictions have waited more than 7 days for review"
    time_machine.move_to(at(2027, 1, 10, 0, 5), tick=False)
    assert send_reminder(date(2027, 1, 10)) == 0


def test_a_prediction_whose_digest_is_still_to_be_sent_is_not_also_in_the_reminder(
    make_prediction: MakePrediction, reviewer, time_machine
) -> None:
    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    p = make_prediction()
    flag_due(date(2027, 1, 1))  # its digest never went out (say the mail server was down)

    time_machine.move_to(at(2027, 1, 9, 0, 5), tick=False)
    assert send_reminder(date(2027, 1, 9)) == 0  # the digest is retried instead
    assert send_digest() == 1
    assert send_reminder(date(2027, 1, 9)) == 1
    assert [m.subject for m in mail.outbox] == [
        "1 prediction is due for review",
        "Reminder: 1 prediction has waited more than 7 days for review",
    ]
    assert all(p.claim in m.body for m in mail.outbox)


def test_a_reopened_prediction_is_reminded_of_from_when_it_was_reopened(
    make_prediction: MakePrediction, reviewer, time_machine
) -> None:
    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    p = make_prediction()
    flag_due(date(2027, 1, 1))
    send_digest()
    p.refresh_from_db()
    resolve(p, outcome=Outcome.HELD_UP, note="It shipped.", actor=Actor.of(reviewer))
    time_machine.move_to(at(2027, 3, 1, 12), tick=False)
    reopen(p, note="The launch was withdrawn.", actor=Actor.of(reviewer))

    # Flagged two months ago, but back in the queue only since 1 March.
    assert send_reminder(date(2027, 3, 8)) == 0
    assert send_reminder(date(2027, 3, 9)) == 1
    # Reopened, never flagged again: not "newly due" for the digest.
    assert send_digest() == 0


def test_the_command_sends_the_digest_now_when_asked(
    make_prediction: MakePrediction, reviewer, capsys
) -> None:
    p = make_prediction(due_on=date(2026, 12, 31))
    call_command("flag_due_predictions", "--as-of", "2027-01-01", "--notify")
    assert capsys.readouterr().out.splitlines() == [
        "Flagged 1 prediction as due for review (as of 2027-01-01).",
        "Sent the reviewers a digest listing 1.",
    ]
    [message] = mail.outbox
    assert link(p) in message.body
    call_command("flag_due_predictions", "--as-of", "2027-01-01", "--notify")
    assert capsys.readouterr().out.splitlines()[-1] == "No digest to send."


def test_the_reminder_stamps_only_predictions_still_due_when_it_went_out(
    make_prediction: MakePrediction, reviewer, time_machine, monkeypatch
) -> None:
    """A reviewer may decide one of the listed predictions while the mail goes out: the
    decided prediction must not be stamped as reminded (a later reopening would skip it)."""
    waiting = make_prediction(claim="Still waiting.", due_on=date(2026, 12, 31))
    decided = make_prediction(claim="Decided meanwhile.", due_on=date(2026, 12, 31))
    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    flag_due(date(2027, 1, 1))
    send_digest()
    time_machine.move_to(at(2027, 1, 10, 0, 5), tick=False)
    import predictions.notifications as notifications

    real_send = notifications._send

    def send_while_deciding(**kwargs: object) -> None:
        decided.refresh_from_db()
        resolve(decided, outcome=Outcome.HELD_UP, note="It shipped.", actor=Actor.of(reviewer))
        real_send(**kwargs)

    monkeypatch.setattr(notifications, "_send", send_while_deciding)
    assert send_reminder(date(2027, 1, 10)) == 2
    waiting.refresh_from_db()
    decided.refresh_from_db()
    assert waiting.reminded_at == at(2027, 1, 10, 0, 5)
    assert decided.reminded_at is None
