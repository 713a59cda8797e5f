"""Addresses given by users (webhook targets, redirect pages) must never reach loopback,
private, link-local or other non-public networks, where they could reach our own services
(server-side request forgery) or the visitor's.

Two checks: `validate_public_url` looks at the URL alone (for forms, before saving), and
`resolve_public` resolves the host and checks every address it resolves to, just before a
connection is made; callers then connect to the address that was checked, so a DNS answer
that changes in between (rebinding) cannot send them elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
PRIVATE_NAMES = ("localhost", ".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def _private() -> ValidationError:
    return ValidationError(_("This address points to a private network."), code="private")


def _allowed(address: Address) -> bool:
    # Test suites and closed networks list the non-public networks they may reach.
    return any(
        address in ipaddress.ip_network(net) for net in settings.PEYVAND_ALLOWED_PRIVATE_NETWORKS
    )


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if _allowed(address):
        return True
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> Address | None:
    """The IP address a host literally is, also in the legacy IPv4 spellings that resolvers
    accept (0177.0.0.1, 0x7f.1, 2130706433); None when it is a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def validate_public_url(value: str) -> None:
    """http(s) on a host that is, as far as the URL alone tells, public."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter an http:// or https:// address."), code="scheme")
    host = parts.hostname.rstrip(".").lower()
    if host == PRIVATE_NAMES[0] or host.endswith(PRIVATE_NAMES[1:]):
        raise _private()
    address = literal_address(host)
    if address is None:
        if "." not in host:  # a bare intranet name
            raise _private()
        return
    if not is_public(address):
        raise _private()


def resolve_public(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be public
    (one private answer among public ones is still an attack), else ValidationError."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValidationError(
            _("The host name could not be resolved: %(error)s") % {"error": exc}, code="dns"
        ) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in answers]
    if not addresses or not all(is_public(a) for a in addresses):
        raise _private()
    return str(addresses[0])
