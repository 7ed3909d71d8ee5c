"""Gunicorn's configuration, from the environment (see README, "Production").

gunicorn fieldwork.wsgi --config python:fieldwork.gunicorn_config
"""

import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
# Synchronous workers: each request holds one process, and the database is the shared
# state, so more throughput is more workers (here or on more machines).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# Gunicorn's control socket is one path per user: two servers on a machine (the stack
# and a benchmark) would fight over it, and nothing here uses it.
control_socket_disable = True
# A worker that served this many requests is replaced: bounds any slow leak.
max_requests = 2000
max_requests_jitter = 200
# Addresses whose X-Forwarded-* headers gunicorn believes (the proxy's).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Requests are logged by the proxy in front; gunicorn's own log (starts, stops, worker
# timeouts) is written as JSON lines like the application's, unless LOG_FORMAT=text.
accesslog = None
if os.environ.get("LOG_FORMAT", "json").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}
        },
    }
