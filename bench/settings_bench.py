"""Product settings plus the benchmark-only URLs (the bare reference view). Never used by
the product: `bench/run.py` points DJANGO_SETTINGS_MODULE here for its servers."""

from peyvand.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"
