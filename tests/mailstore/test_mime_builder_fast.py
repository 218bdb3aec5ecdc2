"""The builder's speed-ups give exactly the ParsedEmail the ``email`` package's answers give.

``mime._FAST_BUILDER`` switches them on: `_Part` memoizes each part's content type,
disposition, parameters and file name and searches the body itself, and
`_simple_addresses` reads plain address lists without the header registry (the
registry's answers for the others are kept in an LRU cache). Switched off, every
answer comes from the ``email`` package on every call, as before. Each test parses
the same bytes both ways and compares every field of the ParsedEmail (attachments
with their content, headers in order, parse errors in order).
"""

from __future__ import annotations

import base64
import contextlib
import importlib
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailstore import mime
from mailstore.mime import parse_email
from tests.mailstore.test_mime_corpus import MESSAGES, corpus_folder
from tests.mailstore.test_mime_fastpath import EML_FILES, REPO, fields_of, messages
from tests.mailstore.test_mime_properties import (
    CHARSETS,
    attachment_part,
    attachments,
    container,
    lines,
    text_part,
)

TRUSTED = "mx.example.cz"
#: email's own base64 decoder of payloads (a private module, not in typeshed)
decode_b = importlib.import_module("email._encoded_words").decode_b


@contextlib.contextmanager
def plain_builder() -> Iterator[None]:
    """The builder as it was: every answer asked of the ``email`` package, no cache."""
    saved = mime._FAST_BUILDER
    mime._FAST_BUILDER = False
    try:
        yield
    finally:
        mime._FAST_BUILDER = saved


def assert_same(raw: bytes) -> mime.ParsedEmail:
    fast = parse_email(raw, trusted_authserv_id=TRUSTED)
    with plain_builder():
        plain = parse_email(raw, trusted_authserv_id=TRUSTED)
    assert fields_of(fast) == fields_of(plain)
    # twice: the second time the address cache answers
    assert fields_of(parse_email(raw, trusted_authserv_id=TRUSTED)) == fields_of(plain)
    return fast


# -- real messages --------------------------------------------------------------------


@pytest.mark.parametrize("name", EML_FILES)
def test_every_eml_file_of_the_repository(name: str) -> None:
    raw = (REPO / name).read_bytes()
    assert_same(raw)
    assert_same(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


@pytest.mark.parametrize("name", MESSAGES)
def test_cpython_corpus(name: str) -> None:
    assert_same((corpus_folder() / name).read_bytes())


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=messages())
def test_generated_mime_structures(raw: bytes) -> None:
    assert_same(raw)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(attachments, max_size=4),
    body=lines,
    charset=st.sampled_from(CHARSETS),
    html_too=st.booleans(),
)
def test_generated_attachments(
    files: list[Any], body: list[str], charset: str, html_too: bool
) -> None:
    text = "\n".join(body) + "\n"
    first: MIMEPart = text_part(text, "plain", charset, "quoted-printable")
    if html_too:
        markup = text_part("<p>" + text + "</p>", "html", charset, "base64")
        first = container([first, markup], "alternative")
    top = container([first] + [attachment_part(item) for item in files])
    top["From"] = "Jana <jana@example.cz>"
    assert_same(top.as_bytes())


# -- header fields --------------------------------------------------------------------

ATOMS = ["Jana", "Nov\u00e1kov\u00e1", "O'Brien", "a+b", "x_y", "J.", "Dr", "=?x", "?="]
display_names = st.one_of(
    st.lists(st.sampled_from(ATOMS), min_size=1, max_size=3).flatmap(
        lambda words: st.sampled_from([" ", "  ", "\t", " \t"]).map(lambda b: b.join(words))
    ),
    st.sampled_from(
        [
            '"Nov\u00e1k, Jan"',
            '"Jana \\"J\\" N"',
            "=?utf-8?q?Jana_Dodavatelov=C3=A1?=",
            "Jana =?utf-8?b?Tm92w6Frb3bDoQ==?=",
            "=?iso-8859-2?q?Nov=E1kov=E1?= =?iso-8859-2?q?_Jana?=",
            "=?windows-1250?q?=8Akoda?=",
            "=?utf-8?q?broken=C3?=",
            "=?unknown-charset?q?x?=",
            "=?utf-8?b?bad base64?=",
            "Jana (comment) Nova",
            "",
        ]
    ),
)
local_parts = st.sampled_from(["jana", "j.nova", "a+b", "x_y", '"a b"', "a..b", "1", "faktury"])
domains = st.sampled_from(["example.cz", "x", "mail.example.com", "[127.0.0.1]", "ex-ample.cz."])


@st.composite
def mailbox(draw: st.DrawFn) -> str:
    address = f"{draw(local_parts)}@{draw(domains)}"
    blank = draw(st.sampled_from(["", " ", "  ", "\t"]))
    shape = draw(st.sampled_from(["bare", "angle", "named", "comment", "group"]))
    if shape == "bare":
        return blank + address + blank
    if shape == "angle":
        return f"{blank}<{address}>{blank}"
    if shape == "comment":
        return f"{address} ({draw(display_names)})"
    if shape == "group":
        return f"{draw(st.sampled_from(['Team', 'undisclosed-recipients']))}: {address};"
    return f"{draw(display_names)}{blank}<{address}>"


address_lists = st.lists(mailbox(), min_size=1, max_size=3).map(", ".join) | st.sampled_from(
    ["", " ", "undisclosed-recipients:;", "jana", "<>", "a@b,,c@d", "a@b,", "Jana <a@b", "@"]
)


@settings(deadline=None)
@given(value=address_lists, name=st.sampled_from(["From", "To", "Cc", "Reply-To", "Sender"]))
def test_plain_addresses_are_read_as_the_registry_reads_them(value: str, name: str) -> None:
    simple = mime._simple_addresses(value)
    if simple is not None:
        assert simple == list(mime._mailboxes(name, value, None))


@pytest.mark.parametrize(
    "value",
    [
        "jana@example.cz",
        " jana@example.cz\t",
        "Jana  Nova <jana@example.cz>",
        "Jana\tNova\t<jana@example.cz>",
        "Jana Nova<jana@example.cz>",
        "  <jana@example.cz>  ",
        "O'Brien a+b {x} <j.nova@mail.example.com>, c@d, <e@f>",
        "J. Nova <a@b>",
        "Jana <a..b@c>",
        "Jana <a@b.>",
        "jana@example.cz (Jana Nova)",
        "a@b,,c@d",
        "a@b,",
        ",a@b",
        "Jana <a@b",
        "<>",
        "Team: a@b;",
    ],
)
def test_address_forms(value: str) -> None:
    simple = mime._simple_addresses(value)
    if simple is not None:
        assert simple == list(mime._mailboxes("To", value, None))
    assert_same(f"From: {value}\r\nTo: {value}\r\n\r\ntext\r\n".encode())


def test_the_plain_forms_skip_the_registry() -> None:
    for value in ["jana@example.cz", "Jana Nova <jana@example.cz>", "<a@b>, c@d, E F <e@f.cz>"]:
        assert mime._simple_addresses(value) is not None
    for value in ['"Nov\u00e1k, Jan" <a@b>', "=?utf-8?q?J?= <a@b>", "a@b (Jana)", "T: a@b;"]:
        assert mime._simple_addresses(value) is None


def _raw_header(name: str, value: str, charset: str) -> bytes:
    return f"{name}: {value}\r\n".encode(charset, errors="replace")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    senders=st.lists(address_lists, min_size=0, max_size=2),
    recipients=st.lists(address_lists, min_size=0, max_size=3),
    charset=st.sampled_from(["utf-8", "latin-1", "cp1250"]),
    fold=st.booleans(),
)
def test_address_headers(
    senders: list[str], recipients: list[str], charset: str, fold: bool
) -> None:
    # Raw 8-bit headers (the display names with Czech letters), duplicate From and To
    # fields, values folded after each comma.
    sep = ",\r\n " if fold else ", "
    raw = b"".join(_raw_header("From", v, charset) for v in senders)
    raw += b"".join(_raw_header("To", v.replace(", ", sep), charset) for v in recipients)
    raw += b"Cc: " + sep.join(recipients).encode(charset, errors="replace") + b"\r\n"
    raw += b"Subject: adresy\r\n\r\ntext\r\n"
    assert_same(raw)


def test_the_address_cache_answers_the_second_time() -> None:
    raw = b"From: =?utf-8?q?Jana_Nov=C3=A1kov=C3=A1?= <jana@example.cz>\r\n\r\ntext\r\n"
    first = assert_same(raw)
    before = mime._cached_mailboxes.cache_info().hits
    again = parse_email(raw)
    assert mime._cached_mailboxes.cache_info().hits > before
    assert (again.mail_from, again.mail_from_name) == ("jana@example.cz", "Jana Nov\u00e1kov\u00e1")
    assert first.mail_from_name == again.mail_from_name


# -- parts: types, dispositions, parameters, file names, bodies -----------------------

CONTENT_TYPES = [
    "application/pdf",
    'application/pdf; name="faktura.pdf"',
    "application/pdf; name=faktura.pdf; NAME=jina.pdf",
    "APPLICATION/PDF; Name*=utf-8''faktura%20%C4%8D.pdf",
    'application/octet-stream; name="=?utf-8?b?ZmFrdHVyYSDEjS5wZGY=?="',
    "text/plain",
    "application/pdf; NAME=jina.pdf",
    "text/plain; CHARSET=utf-8",
    'text/plain; charset="windows-1250"',
    "text/plain; charset=unknown-8bit",
    "text/html; charset=utf-8",
    "text/plain; format=flowed (comment); charset=iso-8859-2",
    "image/png",
    "application/ms-tnef; name=winmail.dat",
    "application/pkcs7-mime; smime-type=signed-data; name=smime.p7m",
    "application/pkcs7-signature",
    "textplain",
    "a/b/c",
    "",
    "multipart/mixed",
]
DISPOSITIONS = [
    None,
    "attachment",
    "inline",
    "ATTACHMENT",
    'attachment; filename="faktura.pdf"',
    "attachment; filename*=utf-8''%C3%BA%C4%8Det.pdf",
    "attachment; filename*0*=utf-8''fak; filename*1=tura.pdf",
    "attachment; filename*=bogus''x%FF.pdf",
    'attachment; filename="C:\\Users\\jana\\faktura.pdf"',
    'attachment; filename="fak\\"tura.pdf"',
    "attachment (comment); filename=a.pdf",
    "inline; filename=logo.png",
    "attachment; filename=",
    'attachment; filename="winmail.dat"',
    'attachment; filename="=?iso-8859-2?q?=FA=E8et.pdf?="',
    "form-data; name=x",
]
BODY_TEXT = ["Dobr\u00fd den", "", "QUJD\nQUJD", "%PDF-1.4 x"]
CTES = [None, "base64", "Base64", "quoted-printable", "7bit", "8bit", "BASE64 ", "x-uuencode"]


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    disposition = draw(st.sampled_from(DISPOSITIONS))
    cte = draw(st.sampled_from(CTES))
    text = draw(st.sampled_from(BODY_TEXT))
    charset = draw(st.sampled_from(["utf-8", "latin-1"]))
    head = f"Content-Type: {content_type}\r\n" if content_type else ""
    if disposition is not None:
        head += f"Content-Disposition: {disposition}\r\n"
    if draw(st.booleans()):
        head += f"Content-ID: <{draw(st.sampled_from(['logo@x', 'a@b', 'root@x']))}>\r\n"
    if cte is not None:
        head += f"Content-Transfer-Encoding: {cte}\r\n"
    body = text.encode(charset, errors="replace")
    if cte and cte.strip().lower() == "base64":
        body = base64.encodebytes(body)
        if draw(st.booleans()):
            body = body.rstrip(b"=\n")[:-1] + b"\n"  # bad padding, a lone last character
    return head.encode(charset, errors="replace") + b"\r\n" + body


@st.composite
def tree(draw: st.DrawFn, depth: int = 0) -> bytes:
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        return draw(leaf())
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "signed"]))
    boundary = f"b{depth}x"
    start = draw(st.sampled_from(["", '; start="<root@x>"', "; start=<none@x>"]))
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{start}\r\n'
    if draw(st.integers(0, 5)) == 0:
        head += "Content-Disposition: attachment\r\n"
    children = draw(st.lists(tree(depth + 1), max_size=3))
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
    if draw(st.integers(0, 6)):
        body += b"--" + boundary.encode() + b"--\r\n"
    return head.encode() + b"\r\n" + body


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=tree(), rfc822=st.booleans())
def test_generated_parts(body: bytes, rfc822: bool) -> None:
    # Every branch of _parts and _bodies: bodies in related parts with and without a
    # start, attachments that are text, TNEF, S/MIME, file names in every spelling.
    if rfc822:
        body = (
            b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'
            b"Content-Type: message/rfc822\r\n\r\nSubject: vnit\xc5\x99n\xc3\xad\r\n"
            + body
            + b"\r\n--outer--\r\n"
        )
    assert_same(b"From: jana@example.cz\r\nSubject: =?utf-8?q?p=C5=99=C3=ADloha?=\r\n" + body)


def _parts_of(raw: bytes) -> list[EmailMessage]:
    msg = mime._new_parser()
    msg.feed(raw)
    return list(msg.close().walk())


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=tree())
def test_a_part_answers_as_the_message_does(body: bytes) -> None:
    assert_parts_answer_the_same(b"Subject: s\r\n" + body)


def outcome(call: Any, *args: Any) -> Any:
    """What a call gives: its value, or the type of what it raises."""
    try:
        return call(*args)
    except Exception as exc:  # noqa: BLE001 - email raises on some broken fields
        return type(exc)


def assert_parts_answer_the_same(raw: bytes) -> None:
    """_Part's answers against the Message methods', on every part, asked twice."""
    for msg in _parts_of(raw):
        part = mime._Part(msg)
        for _ in range(2):
            for method in (
                "get_content_type",
                "get_content_maintype",
                "get_content_subtype",
                "get_content_disposition",
                "is_attachment",
                "get_filename",
            ):
                assert outcome(getattr(part, method)) == outcome(getattr(msg, method)), method
            for param in ("charset", "name", "NAME", "start", "smime-type", "missing"):
                assert outcome(part.get_param, param) == outcome(msg.get_param, param)
            for header in ("content-disposition", "x-missing"):
                for param in ("filename", "name"):
                    args = (param, "-", header)
                    assert outcome(part.get_param, *args) == outcome(msg.get_param, *args)
        cte = str(msg.get("content-transfer-encoding", "")).strip().lower()
        assert part.cte() == cte
        if part.plain_base64():
            assert cte == "base64"


BASE64_PIECES = [
    "QUJD",
    "Zm9v",
    "YQ==",
    "YWI=",
    "Q",
    "=",
    "\r\n",
    "\n",
    "\r",
    " ",
    "!",
    "\udcc4",
    "-_",
]


@settings(deadline=None)
@given(pieces=st.lists(st.sampled_from(BASE64_PIECES), max_size=12))
def test_clean_base64_is_what_email_decodes(pieces: list[str]) -> None:
    payload = "".join(pieces)
    clean = mime._clean_base64(payload)
    encoded = payload.encode("ascii", errors="surrogateescape")
    value, defects = decode_b(b"".join(encoded.splitlines()))
    if clean is not None:
        assert (clean, defects) == (value, [])
    # and through a part: the same bytes and the same defects as with the switch off
    raw = b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded
    fast_part = _parts_of(raw)[0]
    slow_part = _parts_of(raw)[0]
    fast = mime._payload_bytes(mime._Part(fast_part))
    slow = mime._payload_bytes(mime._PlainPart(slow_part))
    assert fast == slow
    assert [repr(d) for d in fast_part.defects] == [repr(d) for d in slow_part.defects]


@pytest.mark.parametrize("cte", CTES)
@pytest.mark.parametrize("payload", [b"QUJD\r\nQUJD\r\n", b"QUJDQQ\r\n", b"QUJ\xc4D\n", b"=QUJD"])
def test_every_transfer_encoding(cte: str | None, payload: bytes) -> None:
    head = b"" if cte is None else f"Content-Transfer-Encoding: {cte}\r\n".encode()
    part = b"Content-Type: application/pdf\r\n" + head + b"\r\n" + payload
    assert_parts_answer_the_same(part)
    assert_same(b"Subject: s\r\n" + part)


DISPOSITION_PIECES = [
    "attachment",
    "Inline",
    "; ",
    ";",
    " ",
    "\t",
    "filename",
    "FileName",
    "name*",
    "=",
    '"',
    "a.pdf",
    "a b",
    "=?utf-8?q?=C3=BA?=",
    "=?x",
    "\\",
    "(c)",
    "%41",
    "utf-8''a",
    ",@/:[]",
    "\u00fa",
]


@settings(deadline=None)
@given(value=st.lists(st.sampled_from(DISPOSITION_PIECES), min_size=1, max_size=10).map("".join))
def test_a_canonical_disposition_is_what_the_registry_writes_back(value: str) -> None:
    if mime._CANONICAL_DISPOSITION.fullmatch(value):
        header = policy.default.header_factory("Content-Disposition", value)
        assert str(header) == value
        assert header.content_disposition == value.partition(";")[0].lower()
    assert_parts_answer_the_same(f"Content-Disposition: {value}\r\n\r\nx".encode())


@pytest.mark.parametrize(
    "value",
    [
        'attachment; filename="faktura-3-0.pdf"',
        'inline; filename="logo.png"; size="12"',
        "attachment",
        "INLINE",
    ],
)
def test_common_dispositions_are_canonical(value: str) -> None:
    assert mime._CANONICAL_DISPOSITION.fullmatch(value)
    header = policy.default.header_factory("Content-Disposition", value)
    assert str(header) == value


def _leaf(content_type: str, disposition: str | None) -> bytes:
    head = f"Content-Type: {content_type}\r\n" if content_type else ""
    if disposition is not None:
        head += f"Content-Disposition: {disposition}\r\n"
    return head.encode() + b"\r\ntext\r\n"


@pytest.mark.parametrize("disposition", DISPOSITIONS)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_every_type_and_disposition(content_type: str, disposition: str | None) -> None:
    leaf = _leaf(content_type, disposition)
    assert_parts_answer_the_same(b"Subject: s\r\n" + leaf)
    assert_same(b"Subject: s\r\n" + leaf)
    # and as the second part of a multipart
    first = _leaf("text/plain", None)
    assert_same(
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        + first
        + b"--b\r\n"
        + leaf
        + b"--b--\r\n"
    )


def test_a_body_search_the_copy_does_not_cover_is_left_to_email() -> None:
    # A multipart/related nested in a multipart whose own boundary is missing: its payload
    # is text, and get_body's own failure (or answer) is what the ParsedEmail shows.
    raw = (
        b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\n'
        b'Content-Type: multipart/related; boundary="missing"\r\n\r\ntext only\r\n--a--\r\n'
    )
    assert_same(raw)


def test_policy_default_parts_give_the_same_with_the_switch_off() -> None:
    # The whole switch, once more on a message email itself wrote (RFC 2231 name).
    msg = EmailMessage(policy=policy.default)
    msg["From"] = "Jana Nova <jana@example.cz>"
    msg["To"] = "a@example.cz, B C <b@example.cz>"
    msg.set_content("text")
    msg.add_attachment(b"%PDF", "application", "pdf", filename="\u00fa\u010det \u010d. 1.pdf")
    mail = assert_same(msg.as_bytes())
    assert mail.mail_to == ["a@example.cz", "b@example.cz"]
    assert [a.filename for a in mail.attachments] == ["\u00fa\u010det \u010d. 1.pdf"]


def test_the_example_files_are_there() -> None:
    assert len(EML_FILES) >= 30 and all(Path(REPO / name).is_file() for name in EML_FILES)
