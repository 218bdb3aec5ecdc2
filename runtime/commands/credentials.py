"""``mailwright credentials``: logins for IMAP and SMTP (add, update, list, remove, login).

A secret is never an argument (it would be in the shell history and in ``ps``): it is
read from an environment variable named by ``--password-env``/``--secret-env`` or from
standard input (``--password-stdin``/``--secret-stdin``), encrypted at once, and never
printed. The checks and the writing are in ``runtime.settings``.
"""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console
from rich.table import Table

from mailstore import models as m
from mailstore.oauth import OAuthError

from ..context import open_context
from ..settings import (
    CredentialSpec,
    SettingsError,
    add_credential,
    list_credentials,
    login_delegated,
    remove_credential,
    update_credential,
)
from ._common import UsageError, add_action

NAME = "credentials"
HELP = "logins for mail accounts: add, update, list, remove, login"
DESCRIPTION = (
    "Logins the mail accounts use: a password (`--type password --user U --password-env "
    "VAR`), Microsoft 365 app-only OAuth2 (`--type oauth2-client --tenant T --client-id C "
    "--secret-env VAR`) or a person's OAuth2 login (`--type oauth2-delegated`, then "
    "`credentials login NAME`). Secrets are read from the environment or standard input, "
    "stored encrypted and never shown."
)

#: the command line's --type values and the stored kinds
KINDS = {
    "password": "password",
    "oauth2-client": "oauth2_client",
    "oauth2-delegated": "oauth2_delegated",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="credentials_command", metavar="ACTION")
    add = add_action(sub, "add", "add a credential")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--type", required=True, choices=list(KINDS), dest="kind")
    add.add_argument("--user", help="the login name (password credentials)")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
    secret.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    secret.add_argument("--secret-env", metavar="VAR", help="read the client secret from $VAR")
    secret.add_argument("--secret-stdin", action="store_true", help="read it from stdin")
    add.add_argument("--tenant", help="the Microsoft 365 tenant (OAuth2)")
    add.add_argument("--client-id", help="the application's client id (OAuth2)")
    add.add_argument("--authority", metavar="URL", help="default: Microsoft's")
    add.add_argument("--ca-file", metavar="FILE", help="the CA of the authority's certificate")
    update = add_action(sub, "update", "change a password, client secret or user in place")
    update.add_argument("name", metavar="NAME")
    update.add_argument("--user", help="the new login name (password credentials)")
    new_secret = update.add_mutually_exclusive_group()
    new_secret.add_argument("--password-env", metavar="VAR", help="the new password from $VAR")
    new_secret.add_argument("--password-stdin", action="store_true", help="from stdin")
    new_secret.add_argument("--secret-env", metavar="VAR", help="the new client secret from $VAR")
    new_secret.add_argument("--secret-stdin", action="store_true", help="from stdin")
    update.add_argument(
        "--ca-file", metavar="FILE", help="the CA of the authority's certificate ('' for none)"
    )
    add_action(sub, "list", "list the credentials (never their secrets)")
    add_action(sub, "remove", "remove a credential no account uses").add_argument("name")
    add_action(sub, "login", "log in an oauth2-delegated credential").add_argument("name")


def run(args: argparse.Namespace, console: Console) -> int:
    action = getattr(args, "credentials_command", None)
    if action is None:
        raise UsageError("say what to do: add, update, list, remove or login")
    secret = _read_secret(args) if action in ("add", "update") else None
    with open_context(args.config) as ctx:
        try:
            if action == "add":
                credential = add_credential(ctx.store, _spec(args, secret))
                console.print(f"added credential {credential.name}", markup=False)
            elif action == "update":
                changed = update_credential(
                    ctx.store, args.name, user=args.user, secret=secret, ca_file=args.ca_file
                )
                console.print(f"credential {args.name}: {', '.join(changed)} changed", markup=False)
            elif action == "list":
                _print_table(list_credentials(ctx.store), console)
            elif action == "remove":
                remove_credential(ctx.store, args.name)
                console.print(f"removed credential {args.name}", markup=False)
            else:
                try:
                    login_delegated(
                        ctx.store, args.name, lambda text: console.print(text, markup=False)
                    )
                except OAuthError as err:
                    console.print(str(err), markup=False)
                    return 1
                console.print(f"signed in: credential {args.name} is ready", markup=False)
        except SettingsError as err:
            raise UsageError(str(err)) from None
    return 0


def _read_secret(args: argparse.Namespace) -> str | None:
    """The password or client secret from $VAR or stdin; None when neither was named."""
    var = args.password_env or args.secret_env
    if var:
        value = os.environ.get(var)
        if not value:
            raise UsageError(f"the environment variable {var} is not set or empty")
        return value
    if args.password_stdin or args.secret_stdin:
        # one line (a password manager's pipe ends it with a newline); the rest is ignored
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise UsageError("standard input gave an empty secret")
        return value
    return None


def _spec(args: argparse.Namespace, secret: str | None) -> CredentialSpec:
    kind = KINDS[args.kind]
    password_option = args.password_env or args.password_stdin
    secret_option = args.secret_env or args.secret_stdin
    if kind == "password" and secret_option:
        raise UsageError("a password credential takes --password-env or --password-stdin")
    if kind != "password" and password_option:
        raise UsageError("an OAuth2 credential takes --secret-env or --secret-stdin")
    if kind == "password" and secret is None:
        raise UsageError("give --password-env VAR or --password-stdin (never the password itself)")
    if kind == "oauth2_client" and secret is None:
        raise UsageError("give --secret-env VAR or --secret-stdin (never the secret itself)")
    return CredentialSpec(
        name=args.name,
        kind=kind,
        user=args.user,
        secret=secret,
        tenant=args.tenant,
        client_id=args.client_id,
        authority=args.authority,
        ca_file=args.ca_file,
    )


def _print_table(credentials: list[m.Credential], console: Console) -> None:
    if not credentials:
        console.print("no credentials (add one with `mailwright credentials add`)", markup=False)
        return
    table = Table("name", "type", "user / client", "secret", "used by")
    for c in credentials:
        users = [a.name for a in m.MailAccount.select().where(m.MailAccount.credential == c)]
        who = c.username if c.kind == "password" else f"{c.tenant} / {c.clientId}"
        stored = c.secret if c.kind != "oauth2_delegated" else c.tokenCache
        # only whether a secret is stored: never the secret, nor its encrypted form
        table.add_row(
            c.name,
            c.kind.replace("_", "-"),
            who or "-",
            "stored" if stored else "none",
            ", ".join(users) or "-",
        )
    console.print(table)
