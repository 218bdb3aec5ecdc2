"""``mailwright smtp``: the SMTP accounts and the central server (add, list, show, remove,
default, test). The checks and the writing are in ``runtime.smtpaccounts``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from mailstore import models as m
from mailstore.smtp import ProbeStep, SmtpSettings

from ..context import open_context
from ..settings import SettingsError
from ..smtpaccounts import (
    SmtpAccountSpec,
    account_settings,
    add_smtp_account,
    central_server,
    get_smtp_account,
    list_smtp_accounts,
    remove_smtp_account,
    send_test_message,
    set_default_smtp_account,
    smtp_ca_file,
)
from ._common import UsageError, add_action

NAME = "smtp"
HELP = "SMTP accounts: add, list, show, remove, default, test"
DESCRIPTION = (
    "The SMTP servers outgoing mail leaves through. The default account is the central "
    "server (it wins over the legacy .properties file named by [mail] smtpProperties): "
    "`smtp add NAME --host HOST --from ADDRESS --credential CRED --default`; "
    "`smtp test [NAME] --to ADDRESS` sends a test message and reports each step."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="smtp_command", metavar="ACTION")
    add = add_action(sub, "add", "add an SMTP account")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--host", required=True, help="the SMTP server")
    add.add_argument("--port", type=int, help="default: 587 for starttls, 465 for ssl, 25")
    add.add_argument("--security", default="starttls", choices=["starttls", "ssl", "none"])
    add.add_argument("--allow-insecure", action="store_true", help="permit --security none")
    add.add_argument("--from", dest="from_address", required=True, metavar="ADDRESS",
                     help="the From address of messages sent through it")  # fmt: skip
    add.add_argument(
        "--credential", metavar="CRED", help="the login (`credentials add`); none: a relay"
    )
    add.add_argument("--user", help="the login name, when not the credential's or --from")
    add.add_argument("--ca-file", metavar="FILE", help="the CA of the server's certificate")
    add.add_argument("--default", action="store_true", help="make it the central server")
    listing = add_action(sub, "list", "list the SMTP accounts")
    listing.add_argument("--json", action="store_true", help="print JSON")
    for action, text in (
        ("show", "show an SMTP account's settings"),
        ("remove", "remove an SMTP account"),
        ("default", "make an SMTP account the central server"),
    ):
        add_action(sub, action, text).add_argument("name", metavar="NAME")
    test = add_action(sub, "test", "send a test message and report each step")
    test.add_argument("name", metavar="NAME", nargs="?", help="default: the central server")
    test.add_argument("--to", required=True, metavar="ADDRESS", help="the test's recipient")
    test.add_argument("--timeout", type=float, default=30.0, help="seconds per step")


def run(args: argparse.Namespace, console: Console) -> int:
    action = getattr(args, "smtp_command", None)
    if action is None:
        raise UsageError("say what to do: add, list, show, remove, default or test")
    with open_context(args.config) as ctx:
        try:
            return _run(action, args, ctx, console)
        except SettingsError as err:
            raise UsageError(str(err)) from None


def _run(action: str, args: argparse.Namespace, ctx: Any, console: Console) -> int:
    store = ctx.store
    if action == "add":
        account, warnings = add_smtp_account(
            store,
            SmtpAccountSpec(
                name=args.name,
                host=args.host,
                port=args.port,
                security=args.security,
                allow_insecure=args.allow_insecure,
                from_address=args.from_address,
                credential=args.credential,
                ca_file=args.ca_file,
                default=args.default,
                username=args.user,
            ),
        )
        role = " (the central server)" if account.isDefault else ""
        console.print(f"added SMTP account {account.name}: {_server(account)}{role}", markup=False)
        for warning in warnings:
            console.print(f"warning: {warning}", markup=False, style="yellow")
        return 0
    if action == "list":
        accounts = list_smtp_accounts(store)
        if args.json:
            console.print_json(data=[_as_json(a) for a in accounts])
            return 0
        _print_table(accounts, console)
        return 0
    if action == "show":
        account = get_smtp_account(store, args.name)
        for label, value in _details(account):
            console.print(f"{label + ':':<14}{value}", markup=False)
        return 0
    if action == "remove":
        remove_smtp_account(store, args.name)
        console.print(f"removed SMTP account {args.name}", markup=False)
        return 0
    if action == "default":
        account = set_default_smtp_account(store, args.name)
        console.print(f"{account.name} is now the central SMTP server", markup=False)
        return 0
    settings: SmtpSettings
    if args.name:
        settings = account_settings(store, get_smtp_account(store, args.name))
    else:
        central = central_server(store, ctx.config)
        settings = central.settings
        for warning in central.warnings:
            console.print(f"warning: {warning}", markup=False, style="yellow")
    console.print(f"{settings.source}: {settings.address}", markup=False)
    steps, message_id = send_test_message(settings, args.to, timeout=args.timeout)
    _print_steps(steps, console)
    if message_id is None:
        return 1
    console.print(f"sent {message_id} to {args.to}", markup=False)
    return 0


def _server(a: m.SmtpAccount) -> str:
    return f"{a.host}:{a.port} ({a.security})"


def _login(a: m.SmtpAccount) -> str:
    if a.credential is None:
        return "none (relay)"
    kind = str(a.credential.kind).replace("_", "-")
    return f"{a.credential.name} ({kind}, as {a.username or '-'})"


def _as_json(a: m.SmtpAccount) -> dict[str, Any]:
    return {
        "name": a.name,
        "host": a.host,
        "port": a.port,
        "security": a.security,
        "from": a.fromAddress,
        "credential": a.credential.name if a.credential is not None else None,
        "username": a.username,
        "caFile": smtp_ca_file(a),
        "default": bool(a.isDefault),
        "enabled": bool(a.enabled),
    }


def _print_table(accounts: list[m.SmtpAccount], console: Console) -> None:
    if not accounts:
        console.print("no SMTP accounts (add one with `mailwright smtp add`)", markup=False)
        return
    table = Table("name", "server", "from", "login", "default", "enabled")
    for a in accounts:
        table.add_row(
            a.name,
            _server(a),
            a.fromAddress or "-",
            _login(a),
            "yes" if a.isDefault else "",
            "yes" if a.enabled else "no",
        )
    console.print(table)


def _details(a: m.SmtpAccount) -> list[tuple[str, str]]:
    """The account's settings as (label, text); the credential by name, never its secret."""
    sent = m.SentEmail.select().where(m.SentEmail.smtpAccount == a).count()
    return [
        ("name", a.name),
        ("server", _server(a)),
        ("from", a.fromAddress or "-"),
        ("login", _login(a)),
        ("ca file", smtp_ca_file(a) or "- (the system's trust store)"),
        ("default", "yes (the central server)" if a.isDefault else "no"),
        ("enabled", "yes" if a.enabled else "no"),
        ("sent", str(sent)),
    ]


def _print_steps(steps: list[ProbeStep], console: Console) -> None:
    for step in steps:
        mark = "ok  " if step.ok else "FAIL"
        console.print(
            f"{mark} {step.name:<12}{step.detail}",
            markup=False,
            style=None if step.ok else "red",
        )
