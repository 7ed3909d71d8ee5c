"""Settings of the load benchmark's server: the product's, plus a bench-only URL."""

from fieldwork.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
