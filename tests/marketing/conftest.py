from tests.api.conftest import api_client  # noqa: F401  (the bearer-token client fixture)
