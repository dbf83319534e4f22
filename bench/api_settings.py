"""Settings of bench/api.py's server: the tracker's, with the baseline listing's URLs added."""

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
