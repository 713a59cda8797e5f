from tests.api.conftest import api_client  # noqa: F401  (the bearer-token client fixture)
from tests.channels.email.conftest import identity, sink  # noqa: F401  (fixtures)
from tests.channels.email.inbound.conftest import dovecot, imap_account, mailbox  # noqa: F401
from tests.portal.conftest import alice, portal_client  # noqa: F401  (fixtures)
