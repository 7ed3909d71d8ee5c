"""Settings of the load benchmark's server: the product's, plus a bench-only URL."""

from fieldwork.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"

# Every simulated respondent comes from 127.0.0.1, where real ones come from thousands of
# addresses: the per-address limit would measure the limiter, not the survey. The
# per-link limit stays, so its cost is still in the measured path.
RATE_LIMITS = {**RATE_LIMITS, "respondent_ip": "1000000/m"}  # noqa: F405
