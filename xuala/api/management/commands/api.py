"""`xuala api token create --user EMAIL [--name N]`, `xuala api token revoke PREFIX`,
`xuala api token list [--user EMAIL]`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from xuala.api.errors import TokenRefused
from xuala.api.models import ApiToken
from xuala.api.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Manage REST API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="topic", required=True)
        token = sub.add_parser("token", help="API tokens")
        actions = token.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a token and print it once")
        create.add_argument("--user", required=True, help="the e-mail address of its user")
        create.add_argument("--name", default="", help="what the token is for")
        revoke = actions.add_parser("revoke", help="revoke a token by its visible prefix")
        revoke.add_argument("prefix")
        listing = actions.add_parser("list", help="list tokens (prefixes only, never secrets)")
        listing.add_argument("--user", help="only this user's tokens")

    def handle(self, *args, topic: str, action: str, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, *, user: str, name: str, **_options):
        try:
            owner = get_user_model().objects.get(email__iexact=user.strip())
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user with the e-mail address {user}") from None
        try:
            issued = api_token_create(user=owner, name=name)
        except TokenRefused as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Token {issued.token.prefix} for {owner.email}. "
                          "It is shown only now; store it safely:")
        self.stdout.write(issued.secret)

    def handle_revoke(self, *, prefix: str, **_options):
        try:
            token = api_token_revoke(prefix=prefix)
        except ApiToken.DoesNotExist:
            raise CommandError(f"no token with the prefix {prefix}") from None
        self.stdout.write(f"Revoked {token.prefix} ({token.user.email}) "
                          f"at {token.revoked_at.isoformat()}")

    def handle_list(self, *, user: str | None = None, **_options):
        tokens = ApiToken.objects.select_related("user")
        if user:
            tokens = tokens.filter(user__email__iexact=user.strip())
        for token in tokens:
            state = (f"revoked {token.revoked_at.isoformat()}" if token.revoked_at
                     else "active")
            used = token.last_used_at.isoformat() if token.last_used_at else "never"
            self.stdout.write(f"{token.prefix}  {token.user.email}  {token.name or '-'}  "
                              f"{state}  last used {used}")
