"""``mailwright send``: queue one message (a QUEUED outbox row); ``deliver`` sends it."""

from __future__ import annotations

import argparse
import mimetypes
from email.utils import parseaddr
from pathlib import Path

from rich.console import Console

from mailstore import models as m
from mailstore.outmessage import header_text, new_message_id, parse_addresses
from mailstore.secrets import SecretKeyError

from ..context import AppContext, open_context
from ..robot import robot_address
from ..settings import SettingsError
from ..smtpaccounts import central_settings
from ._common import UsageError, read_text

NAME = "send"
HELP = "queue a message for `mailwright deliver`"
DESCRIPTION = (
    "Queue one message: `mailwright send --to ADDRESS --subject TEXT --body TEXT` (or "
    "--body-file FILE, UTF-8), with --cc, --bcc and --attach FILE as often as needed. It "
    "only writes the outbox row and prints its Message-ID; `mailwright deliver` (or "
    "`ingest`) sends it, From the central SMTP server's address, Reply-To the robot address."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", action="append", required=True, metavar="ADDRESS")
    parser.add_argument("--cc", action="append", default=[], metavar="ADDRESS")
    parser.add_argument("--bcc", action="append", default=[], metavar="ADDRESS")
    parser.add_argument("--subject", required=True)
    body = parser.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", metavar="TEXT")
    body.add_argument("--body-file", metavar="FILE", help="the body, a UTF-8 text file")
    parser.add_argument("--attach", action="append", default=[], metavar="FILE")


def _addresses(values: list[str], what: str) -> list[str]:
    out: list[str] = []
    for value in values:
        try:
            out.extend(str(a) for a in parse_addresses(value, f"--{what}"))
        except ValueError as err:
            raise UsageError(str(err)) from None
    return out


def _domain(ctx: AppContext) -> str:
    """The Message-ID's domain: the robot address's, else the central server's From."""
    address = robot_address(ctx.store)
    if address is None:
        try:
            address = central_settings(ctx.store, ctx.config).from_address
        except (SettingsError, SecretKeyError):
            address = None  # deliver will say what is missing; the ID needs no server
    return parseaddr(address or "")[1].rpartition("@")[2]


def run(args: argparse.Namespace, console: Console) -> int:
    to = _addresses(args.to, "to")
    cc = _addresses(args.cc, "cc")
    bcc = _addresses(args.bcc, "bcc")
    try:
        subject = header_text(args.subject, "--subject")
    except ValueError as err:
        raise UsageError(str(err)) from None
    body = args.body if args.body is not None else read_text(args.body_file)
    files: list[tuple[str, str, bytes]] = []
    for name in args.attach:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise UsageError(f"--attach {name}: cannot read ({err.strerror or err})") from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files.append((path.name, content_type, data))
    with open_context(args.config) as ctx:
        message_id = new_message_id(_domain(ctx))
        with ctx.store.atomic():
            row = m.SentEmail.create(
                state="QUEUED",
                messageId=message_id,
                to=to,
                cc=cc,
                bcc=bcc,
                subject=subject,
                body=body,
            )
            for position, (file_name, content_type, data) in enumerate(files):
                attached = ctx.store.add_file(file_name, data, content_type)
                m.SentEmailAttachment.create(
                    sentEmail=row, attachedFile=attached, position=position
                )
    console.print(message_id, markup=False)
    return 0
