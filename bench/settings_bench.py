"""Product settings plus the benchmark-only URLs (the bare reference view). Never used by
the product: `bench/run.py` points DJANGO_SETTINGS_MODULE here for its servers."""

from peyvand.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"

# Under ASGI every request runs in its own thread, so persistent connections
# (CONN_MAX_AGE) pile up one per thread until PostgreSQL refuses clients. Django's
# connection pool (psycopg-pool, bench/requirements.txt) is the supported way; without it
# each request opens its own connection.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    try:
        import psycopg_pool  # noqa: F401
    except ImportError:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 8}  # noqa: F405
