from tests.api.conftest import api_client  # noqa: F401  (the bearer-token client fixture)
from tests.channels.email.conftest import identity, sink  # noqa: F401  (real SMTP, sender)
