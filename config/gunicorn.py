"""gunicorn's settings, from the environment: `gunicorn -c config/gunicorn.py config.wsgi`.

gthread workers: each worker process serves WEB_THREADS requests at once, so a CSV export
streaming for seconds holds one thread, not a whole worker, and the public pages keep being
served beside it. Several processes (WEB_WORKERS) so one busy interpreter (the GIL) does not
hold everything up: on a 2-core server 4 x 2 kept the scorecard at 2.5x its idle median
while 4 exports streamed, where 2 x 4 let it reach 4x (bench/export_load.py). 8 requests at once, 8 database
connections at most (plus the cluster's), far below PostgreSQL's default of 100.
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "4"))
threads = int(os.environ.get("WEB_THREADS", "2"))
# A request still running after this long has its worker restarted; exports stream, and
# gthread workers keep their heartbeat while a thread streams, so only a stuck worker hits it.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# On SIGTERM (docker stop, systemd) requests in flight get this long to finish.
graceful_timeout = 25
accesslog = "-"
# Behind a reverse proxy on the same host or network: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
