from django.core.checks import Error, Warning

from predictions.checks import check_settings


def test_the_default_settings_pass_the_checks():
    assert check_settings() == []


def test_partial_credit_outside_0_to_1_is_an_error(settings):
    settings.PARTIAL_CREDIT = 1.5
    assert [(type(p), p.id) for p in check_settings()] == [(Error, "predictions.E001")]


def test_a_timeout_not_below_retry_is_a_warning(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 400, "retry": 360}
    assert [(type(p), p.id) for p in check_settings()] == [(Warning, "predictions.W001")]


def test_unbounded_retries_are_a_warning(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "max_attempts": 0}
    assert [(type(p), p.id) for p in check_settings()] == [(Warning, "predictions.W002")]
