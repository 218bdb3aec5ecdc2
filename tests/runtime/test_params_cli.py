"""``mailwright params``: set, get, unset, list; the robot address warning."""

# ruff: noqa: F811 - pytest fixtures imported from test_settings are named as parameters
from __future__ import annotations

from pathlib import Path

import pytest

from mailstore import models as m
from runtime.cli import main
from tests.runtime.test_settings import configured, db_url, make_maildir, open_store  # noqa: F401


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_set_get_list_unset(configured: Path, capsys) -> None:
    assert cli(capsys, "params", "list") == (
        0,
        "no parameters (set one with `mailwright params set`)\n",
    )
    assert cli(capsys, "params", "set", "invoice.prefix", "FA-2024") == (
        0,
        "invoice.prefix = FA-2024\n",
    )
    cli(capsys, "params", "set", "invoice.prefix", "Faktura č.")
    assert cli(capsys, "params", "get", "invoice.prefix") == (0, "Faktura č.\n")
    status, out = cli(capsys, "params", "list")
    assert status == 0 and "invoice.prefix" in out and "Faktura č." in out
    with open_store(configured):
        assert [(p.name, p.value) for p in m.GlobalParameter.select()] == [
            ("invoice.prefix", "Faktura č.")
        ]
    assert cli(capsys, "params", "unset", "invoice.prefix") == (0, "removed invoice.prefix\n")
    # an unset parameter is an answer (status 1), not bad usage
    assert cli(capsys, "params", "get", "invoice.prefix") == (
        1,
        "no parameter named 'invoice.prefix'\n",
    )
    assert cli(capsys, "params", "unset", "invoice.prefix")[0] == 1


def test_markup_like_values_are_printed_as_given(configured: Path, capsys) -> None:
    cli(capsys, "params", "set", "x", "[bold]not bold[/bold]")
    assert cli(capsys, "params", "get", "x") == (0, "[bold]not bold[/bold]\n")


def test_robot_address_warns_until_a_robot_account_has_it(
    configured: Path, tmp_path: Path, capsys
) -> None:
    status, out = cli(capsys, "params", "set", "mail.robotAddress", "robot@example.com")
    assert status == 0
    assert "warning: mail.robotAddress is robot@example.com, but no enabled mail account of" in out
    maildir = make_maildir(tmp_path / "robot", 0)
    cli(capsys, "accounts", "add", "robot", "--purpose", "ROBOT", "--maildir", str(maildir),
        "--address", "robot@example.com")  # fmt: skip
    status, out = cli(capsys, "params", "set", "mail.robotAddress", "robot@example.com")
    assert (status, out) == (0, "mail.robotAddress = robot@example.com\n")
    cli(capsys, "accounts", "disable", "robot")
    assert "warning" in cli(capsys, "params", "set", "mail.robotAddress", "robot@example.com")[1]


def test_usage(configured: Path, capsys) -> None:
    status, out = cli(capsys, "params")
    assert status == 2 and "say what to do: set, get, unset or list" in out
    status, out = cli(capsys, "params", "set", "only.name")
    assert status == 2 and "VALUE" in out
