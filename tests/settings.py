"""Test settings: the real settings, with a fast password hasher and django-q2 in sync
mode (tasks run in-process, through the same task functions the cluster runs)."""

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The API's throttle counts in the per-process cache across tests; the throttle's own test
# sets a small rate.
API_ANON_RATE = "10000/min"
# The scorecard renders a page out of date before it answers, not in a thread after: a
# thread's own connection could not see the test's transaction (test_scorecard_under_writes.py
# runs the thread's job itself).
SCORECARD_RENDER_BEHIND = False
