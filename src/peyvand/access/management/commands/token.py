"""`peyvand token create|list|revoke`: API tokens from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from peyvand.access import services
from peyvand.access.choices import ApiScope
from peyvand.access.models import ApiToken, User


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it (shown only once).")
        create.add_argument("username")
        create.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            default=[],
            metavar="SCOPE",
            help=f"Repeatable; one of: {', '.join(ApiScope.values)}. Default: *",
        )
        create.add_argument("--name", default="", help="What the token is for.")
        listing = sub.add_parser("list", help="List a user's tokens (prefixes, never the tokens).")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"no user named {username!r}") from exc

    def _create(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        try:
            _token, raw = services.issue_token(
                user,
                name=options["name"],
                scopes=options["scopes"] or [ApiScope.ALL.value],
                actor=None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(raw)

    def _list(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        for token in ApiToken.objects.filter(user=user).order_by("created_at"):
            if token.revoked_at:
                status = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
            elif not token.is_usable:
                status = "expired"
            else:
                status = "active"
            last_used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                "\t".join(
                    [token.key_prefix, token.name or "-", ",".join(token.scopes), last_used, status]
                )
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = options["prefix"].rstrip("…")
        matches = list(ApiToken.objects.filter(key_prefix=prefix))
        if not matches:
            raise CommandError(f"no token with prefix {prefix!r}")
        if len(matches) > 1:
            raise CommandError(
                f"{len(matches)} tokens share prefix {prefix!r}; revoke them in the UI"
            )
        services.revoke_token(matches[0].pk, actor=None)
        self.stdout.write(f"revoked {prefix}")
