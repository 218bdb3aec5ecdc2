"""The folded parse (mailstore.mimefast) gives exactly what the line-by-line parse gives.

`parse_email` folds runs of base64 lines before the feedparser sees them and puts them
back afterwards. Each test compares it with ``mime._parse_email(..., fast=False)`` (the
parse as it was, which never folds), field by field, and also compares the two
``email`` trees themselves (every part's header fields, payload, preamble, epilogue,
defects), which are finer than a ParsedEmail. The counters of mimefast show that the
folded parse really ran and that its safety net never had to throw a result away.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import random
import string
from email import errors as email_errors
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailstore import mime, mimefast
from mailstore.mime import ParsedEmail, parse_email
from tests.mailstore.test_mime_corpus import MESSAGES, corpus_folder

REPO = Path(__file__).resolve().parents[2]
EML_FILES = sorted(
    str(p.relative_to(REPO))
    for folder in ("tests", "examples")
    for p in (REPO / folder).rglob("*.eml")
)
TRUSTED = "mx.example.cz"


# -- comparing ------------------------------------------------------------------------


def fields_of(mail: ParsedEmail) -> dict[str, Any]:
    """Every field of a ParsedEmail (attachments with content, size and SHA-256)."""
    found = {f.name: getattr(mail, f.name) for f in dataclasses.fields(mail)}
    found["headers"] = mail.headers.items()
    return found


def tree_of(msg: Message) -> list[tuple[Any, ...]]:
    """What the feedparser made of each part, in walk order."""
    return [
        (
            list(part.raw_items()),
            part.get_unixfrom(),
            part._payload if not part.is_multipart() else len(part.get_payload()),  # type: ignore[attr-defined]
            part.preamble,
            part.epilogue,
            [(type(d).__name__, str(d)) for d in part.defects],
        )
        for part in msg.walk()
    ]


def slow_tree(raw: bytes) -> Message:
    parser = mime._new_parser()
    parser.feed(raw)
    return parser.close()


def assert_same(raw: bytes, *, folds: bool | None = None) -> None:
    """parse_email(raw) equals the unfolded parse, and the folded parse ran when it could.

    ``folds`` says whether ``raw`` has a run to fold; None: whatever `fold` finds.
    """
    can_fold = mimefast.fold(raw) is not None
    if folds is not None:
        assert can_fold == folds
    before = dataclasses.replace(mimefast.counts)
    fast = parse_email(raw, trusted_authserv_id=TRUSTED)
    after = dataclasses.replace(mimefast.counts)
    slow = mime._parse_email(raw, TRUSTED, fast=False)
    assert fields_of(fast) == fields_of(slow)
    assert (fast.raw_size, fast.raw_sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    reference = slow_tree(raw)
    if can_fold and drops_lines(reference):
        # The one place the feedparser throws lines away: runs that vanish with them make
        # the count of runs put back differ, and the safety net parses the normal way.
        assert after.folded + after.fallbacks == before.folded + before.fallbacks + 1
        return
    # Otherwise the safety net is for what the analysis in mimefast missed: never here.
    assert after.fallbacks == before.fallbacks
    assert after.folded == before.folded + (1 if can_fold else 0)
    if can_fold:
        tree = mimefast.parse_folded(raw, mime._new_parser)
        assert tree is not None
        assert tree_of(tree) == tree_of(reference)


def drops_lines(tree: Message) -> bool:
    """True when the feedparser dropped lines: a multipart whose first boundary is missing.

    It then reads to the end of the multipart and keeps nothing after a closing boundary.
    """
    return any(
        isinstance(defect, email_errors.StartBoundaryNotFoundDefect)
        for part in tree.walk()
        for defect in part.defects
    )


# -- real messages --------------------------------------------------------------------


def test_there_are_messages_to_compare() -> None:
    assert len(EML_FILES) >= 30
    assert any(mimefast.fold((REPO / name).read_bytes()) for name in EML_FILES)


@pytest.mark.parametrize("name", EML_FILES)
def test_every_eml_file_of_the_repository(name: str) -> None:
    raw = (REPO / name).read_bytes()
    assert_same(raw)
    # the same message with the other line ending
    crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert_same(crlf if crlf != raw else raw.replace(b"\r\n", b"\n"))


@pytest.mark.parametrize("name", MESSAGES)
def test_cpython_corpus(name: str) -> None:
    raw = (corpus_folder() / name).read_bytes()
    assert_same(raw)
    assert_same(raw.replace(b"\n", b"\r\n"))


def invoice(attachments: int = 2, kb: int = 40) -> bytes:
    """An invoice as bench/bench_ingest.py sends them: PDF-like base64 attachments."""
    rng = random.Random(kb)
    msg = EmailMessage()
    msg["From"] = "Jana Dodavatelová <jana@dodavatel.cz>"
    msg["To"] = "faktury@example.com"
    msg["Subject"] = "Faktura 2026001"
    msg.set_content("Dobrý den,\n\nv příloze posíláme fakturu.\n\nJana\n")
    for n in range(attachments):
        msg.add_attachment(
            b"%PDF-1.4\n" + rng.randbytes(kb * 1024),
            maintype="application",
            subtype="pdf",
            filename=f"faktura-{n}.pdf",
        )
    return msg.as_bytes()


def test_an_invoice_is_parsed_folded_and_the_same() -> None:
    raw = invoice()
    folded = mimefast.fold(raw)
    assert folded is not None and len(folded.runs) == 2
    # What the feedparser reads: a few dozen lines instead of more than a thousand.
    assert raw.count(b"\n") > 1000
    assert folded.data.count(b"\n") < 60
    assert_same(raw, folds=True)
    assert_same(raw.replace(b"\n", b"\r\n"), folds=True)
    mail = parse_email(raw)
    assert [a.content[:8] for a in mail.attachments] == [b"%PDF-1.4"] * 2


def test_bytearray_is_folded_and_a_memoryview_or_file_is_not() -> None:
    raw = invoice(1, 8)
    expected = fields_of(mime._parse_email(raw, None, fast=False))
    before = dataclasses.replace(mimefast.counts)
    assert fields_of(parse_email(bytearray(raw))) == expected  # type: ignore[arg-type]
    assert mimefast.counts.folded == before.folded + 1
    assert fields_of(parse_email(memoryview(raw))) == expected  # type: ignore[arg-type]
    assert fields_of(parse_email(io.BytesIO(raw))) == expected
    assert mimefast.counts.folded == before.folded + 1


def test_tokens_never_collide_with_the_message() -> None:
    raw = invoice(1, 4)
    folded = mimefast.fold(raw)
    assert folded is not None
    assert folded.nonce.isalpha() and folded.nonce.encode() not in raw
    assert folded.token(0).startswith(folded.nonce) and folded.token(0)[-1].isdigit()
    # the token line is itself a line of base64 characters
    assert set(folded.token(0)) <= set(string.ascii_letters + string.digits + "+/=")


def test_a_message_nested_too_deeply_falls_back_and_says_so() -> None:
    nested = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(1200)
    )
    run = b"".join(base64.encodebytes(bytes(range(256)) * 4).splitlines(keepends=True))
    raw = b"Subject: hluboko\r\nFrom: jana@example.cz\r\n" + nested + b"\r\n" + run
    before = dataclasses.replace(mimefast.counts)
    fast = parse_email(raw)
    assert mimefast.counts.fallbacks == before.fallbacks + 1
    assert fields_of(fast) == fields_of(mime._parse_email(raw, None, fast=False))
    assert any("nested too deeply" in e for e in fast.parse_errors)


# -- the safety net -------------------------------------------------------------------

RAW_WITH_RUN = (
    b"Subject: s\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
    b"Content-Transfer-Encoding: base64\n\n" + b"QUJD\n" * 10 + b"--b--\n"
)


def _folded_tree() -> tuple[Message, mimefast.Folded]:
    folded = mimefast.fold(RAW_WITH_RUN)
    assert folded is not None
    return slow_tree(folded.data), folded


def test_the_safety_net_accepts_the_untouched_tree() -> None:
    msg, folded = _folded_tree()
    assert mimefast._restore(msg, RAW_WITH_RUN, folded)
    assert tree_of(msg) == tree_of(slow_tree(RAW_WITH_RUN))


def test_the_safety_net_refuses_a_token_in_a_header() -> None:
    msg, folded = _folded_tree()
    msg["X-Copy"] = folded.token(0)
    assert not mimefast._restore(msg, RAW_WITH_RUN, folded)


def test_the_safety_net_refuses_a_token_in_a_defect() -> None:
    msg, folded = _folded_tree()
    msg.defects.append(email_errors.InvalidHeaderDefect(folded.token(0)))
    assert not mimefast._restore(msg, RAW_WITH_RUN, folded)


def _first_part(msg: Message) -> Message:
    part = msg.get_payload(0)
    assert isinstance(part, Message)
    return part


def test_the_safety_net_refuses_a_token_twice_or_missing() -> None:
    msg, folded = _folded_tree()
    part = _first_part(msg)
    part.set_payload(f"{part.get_payload()}\n{folded.token(0)}")
    assert not mimefast._restore(msg, RAW_WITH_RUN, folded)
    msg, folded = _folded_tree()
    _first_part(msg).set_payload("nothing")
    assert not mimefast._restore(msg, RAW_WITH_RUN, folded)
    msg, folded = _folded_tree()
    _first_part(msg).set_payload(folded.nonce + "7")  # an index that is no run
    assert not mimefast._restore(msg, RAW_WITH_RUN, folded)


def test_the_safety_net_refuses_a_payload_of_another_type() -> None:
    msg, folded = _folded_tree()
    _first_part(msg)._payload = b"bytes"  # type: ignore[attr-defined]
    assert not mimefast._restore(msg, RAW_WITH_RUN, folded)


# -- generated MIME -------------------------------------------------------------------

B64 = string.ascii_letters + string.digits + "+/="
b64_lines = st.lists(st.text(alphabet=B64, min_size=1, max_size=76), min_size=1, max_size=14)
text_lines = st.lists(
    st.sampled_from(
        [
            "",
            "Dobrý den, posílám fakturu.",
            "--",
            "--b0",
            "From here on",
            "From: not a header",
            "x: y",
            " continued",
            "\tcontinued",
            "=",
            "AAAA BBBB",
            "Q==",
            "a\rb",
            "ABCD\r",
        ]
    ),
    min_size=0,
    max_size=4,
)
long_runs = st.lists(st.text(alphabet=B64, min_size=1, max_size=76), min_size=7, max_size=12)
content = st.lists(st.one_of(b64_lines, long_runs, text_lines), min_size=0, max_size=4).map(
    lambda chunks: [line for chunk in chunks for line in chunk]
)
header_lines = st.lists(
    st.sampled_from(
        [
            "From: Jana <jana@example.cz>",
            "To: faktury@example.cz",
            "Subject: =?utf-8?B?RmFrdHVyYQ==?=",
            "X-Folded: a",
            " folded continuation",
            "Authentication-Results: mx.example.cz; spf=pass; dkim=pass",
            "Message-ID: <a@b>",
        ]
    ),
    max_size=4,
)
LEAF_TYPES = [
    ("application/pdf; name=faktura.pdf", "base64"),
    ("text/plain; charset=utf-8", "7bit"),
    ("text/plain", "base64"),
    ("text/plain", None),
    ("image/png", "base64"),
    ("message/delivery-status", None),
    ("text/html; charset=utf-8", "quoted-printable"),
]


@st.composite
def entity(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """The lines of a random MIME entity: headers, then a leaf, a multipart or a message."""
    lines = draw(header_lines)
    kinds = ["leaf", "multipart", "message"] if depth < 3 else ["leaf"]
    kind = draw(st.sampled_from(kinds))
    # No blank line after the headers sometimes: the body's first line ends them.
    separator = [""] if draw(st.integers(0, 4)) else []
    if kind == "leaf":
        content_type, cte = draw(st.sampled_from(LEAF_TYPES))
        lines.append(f"Content-Type: {content_type}")
        if cte:
            lines.append(f"Content-Transfer-Encoding: {cte}")
        return lines + separator + draw(content)
    if kind == "message":
        subtype = draw(st.sampled_from(["rfc822", "rfc822", "global"]))
        return lines + [f"Content-Type: message/{subtype}"] + separator + draw(entity(depth + 1))
    boundary = f"b{depth}"
    subtype = draw(st.sampled_from(["mixed", "alternative", "digest", "related"]))
    lines += [f'Content-Type: multipart/{subtype}; boundary="{boundary}"'] + separator
    lines += draw(content)  # the preamble
    for part in draw(st.lists(entity(depth + 1), max_size=3)):
        lines += [f"--{boundary}"] + part
    if draw(st.integers(0, 4)):
        lines += [f"--{boundary}--"] + draw(content)  # the epilogue
    return lines


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    lines = draw(entity())
    if draw(st.integers(0, 9)) == 0:
        lines.insert(0, "From jana@example.cz Mon Nov  2 10:00:00 2026")
    style = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    if style == "mixed":
        endings = draw(
            st.lists(
                st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)
            )
        )
    else:
        endings = [style] * len(lines)
    text = "".join(line + end for line, end in zip(lines, endings, strict=True))
    if draw(st.booleans()):
        # no line ending after the last line
        text = text[: -len(endings[-1])] if lines else text
    return text.encode("utf-8")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=messages())
def test_generated_mime_parses_the_same(raw: bytes) -> None:
    assert_same(raw)


@settings(deadline=None)
@given(
    before=text_lines,
    run=st.lists(st.text(alphabet=B64, min_size=1, max_size=76), min_size=8, max_size=12),
    after=st.sampled_from(["--b\n", "--b--\n", "--b--", "", "x\n", "\n--b\n"]),
    eol=st.sampled_from(["\n", "\r\n"]),
    where=st.sampled_from(["part", "preamble", "epilogue", "headers", "rfc822"]),
)
def test_a_run_in_every_place(
    before: list[str], run: list[str], after: str, eol: str, where: str
) -> None:
    # A run right before a boundary, at the very end with and without a last line
    # ending, in the preamble and the epilogue, in the header block, in an attached e-mail.
    block = "".join(line + eol for line in before + run) + after
    head = f'Subject: s{eol}Content-Type: multipart/mixed; boundary="b"{eol}{eol}'
    part = f"--b{eol}Content-Type: application/pdf{eol}Content-Transfer-Encoding: base64{eol}"
    if where == "part":
        text = head + part + eol + block
    elif where == "preamble":
        text = head + block + eol + part + eol + "QUJD" + eol + "--b--" + eol
    elif where == "epilogue":
        text = head + part + eol + "QUJD" + eol + "--b--" + eol + block
    elif where == "headers":
        text = f"Subject: s{eol}From: jana@example.cz{eol}" + block
    else:
        text = head + f"--b{eol}Content-Type: message/rfc822{eol}{eol}Subject: in{eol}" + block
    assert_same(text.encode(), folds=True)


#: Pieces of lines that change how the feedparser reads a line, and base64 lines.
SOUP = [
    b"A",
    b"=",
    b"\n",
    b"\r\n",
    b"\r",
    b"--b",
    b"--b--",
    b":",
    b" ",
    b"From ",
    b"\t",
    "č".encode(),
    b"Content-Type: multipart/mixed; boundary=b\n",
    b"Content-Type: multipart/digest; boundary=b\n",
    b"Content-Type: message/rfc822\n",
    b"Content-Type: message/delivery-status\n",
    b"\n--b\n",
] + [b"QUJD\n", b"QUJD\n", b"Zm9v\r\n"] * 4


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.sampled_from(SOUP), min_size=1, max_size=150))
def test_byte_soup_parses_the_same(pieces: list[bytes]) -> None:
    # Not MIME as anyone writes it: boundaries, header-like lines, lone CRs and base64
    # lines in any order, to find a line the feedparser reads differently once folded.
    assert_same(b"".join(pieces))


@pytest.mark.parametrize(
    ("raw", "folds"),
    [
        (b"QUJD\n" * 9, True),  # no header at all
        (b"QUJD\r\n" * 9 + b"QUJD", True),  # the last line without a line ending
        (b"\n" + b"QUJD\n" * 9, True),
        (b"Subject: s\n" + b"QUJD\n" * 9, True),  # the run ends the header block
        (b"Subject: s\n\nx\rQUJD\n" + b"QUJD\n" * 8, True),  # after a lone CR: 8 lines fold
        (b"Subject: s\n\nx\rQUJD\n" + b"QUJD\n" * 7, False),
        # a line ending in a lone CR, then an empty line: two runs of four
        (b"Subject: s\n\n" + b"QUJD\n" * 4 + b"QUJD\r\r\n" + b"QUJD\n" * 4, False),
    ],
)
def test_runs_at_the_edges(raw: bytes, folds: bool) -> None:
    assert_same(raw, folds=folds)
