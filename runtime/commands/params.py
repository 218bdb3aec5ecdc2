"""``mailwright params``: the global parameters scripts read with ``param(name)``
(``params set NAME VALUE``, ``get NAME``, ``unset NAME``, ``list``)."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from ..context import open_context
from ..settings import SettingsError, get_param, list_params, set_param, unset_param
from ._common import UsageError, add_action

NAME = "params"
HELP = "global parameters: set, get, unset, list"
DESCRIPTION = (
    "Global parameters, read by scripts with param(name) and by mailwright itself, e.g. "
    "`mailwright params set mail.robotAddress robot@example.com`."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="params_command", metavar="ACTION")
    setter = add_action(sub, "set", "set a parameter")
    setter.add_argument("name", metavar="NAME")
    setter.add_argument("value", metavar="VALUE")
    add_action(sub, "get", "print a parameter's value").add_argument("name", metavar="NAME")
    add_action(sub, "unset", "remove a parameter").add_argument("name", metavar="NAME")
    add_action(sub, "list", "list the parameters")


def run(args: argparse.Namespace, console: Console) -> int:
    action = getattr(args, "params_command", None)
    if action is None:
        raise UsageError("say what to do: set, get, unset or list")
    with open_context(args.config) as ctx:
        store = ctx.store
        if action == "set":
            try:
                warnings = set_param(store, args.name, args.value)
            except SettingsError as err:
                raise UsageError(str(err)) from None
            console.print(f"{args.name} = {args.value}", markup=False)
            for warning in warnings:
                console.print(f"warning: {warning}", markup=False, style="yellow")
            return 0
        if action == "list":
            rows = list_params(store)
            if not rows:
                console.print("no parameters (set one with `mailwright params set`)", markup=False)
                return 0
            table = Table("name", "value")
            for name, value in rows:
                table.add_row(name, value if value is not None else "-")
            console.print(table)
            return 0
        try:
            if action == "get":
                value = get_param(store, args.name)
                console.print(value if value is not None else "", markup=False)
            else:
                unset_param(store, args.name)
                console.print(f"removed {args.name}", markup=False)
        except SettingsError as err:
            # an unset parameter is an answer, not bad usage: status 1 lets scripts test it
            console.print(str(err), markup=False)
            return 1
    return 0
