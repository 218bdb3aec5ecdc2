"""The outgoing message of a SentEmail row, read back header by header as a receiver would."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailstore.mime import parse_email
from mailstore.outmessage import (
    MAX_REFERENCES,
    WIRE,
    build_message,
    envelope_recipients,
    header_text,
    new_message_id,
    parse_addresses,
)

NOW = dt.datetime(2026, 11, 27, 9, 15, 1)


def row(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "messageId": "<176423490112.4242.1539@firma.cz>",
        "to": ["Jana Nováková <jana@dodavatel.cz>"],
        "cc": [],
        "bcc": [],
        "subject": "Dotaz k faktuře 2026-17",
        "body": "Dobrý den,\nprosíme o opravu faktury.",
        "bodyHtml": None,
        "inReplyTo": None,
        "references": [],
        "autoSubmitted": "auto-generated",
    }
    base.update(fields)
    return SimpleNamespace(**base)


def wire(msg: Any) -> bytes:
    return bytes(msg)


def test_every_header_a_message_must_carry() -> None:
    msg = build_message(
        row(cc=["sef@firma.cz"], bcc=["archiv@firma.cz"]),
        [],
        from_address="Firma s.r.o. <robot@firma.cz>",
        reply_to="robot@firma.cz",
        now=NOW,
    )
    raw = wire(msg)
    back = message_from_bytes(raw, policy=policy.default)
    assert back["Message-ID"] == "<176423490112.4242.1539@firma.cz>"
    assert parsedate_to_datetime(back["Date"]) == NOW.replace(tzinfo=dt.UTC)
    assert back["From"].addresses[0].addr_spec == "robot@firma.cz"
    assert back["From"].addresses[0].display_name == "Firma s.r.o."
    assert [a.addr_spec for a in back["To"].addresses] == ["jana@dodavatel.cz"]
    assert back["To"].addresses[0].display_name == "Jana Nováková"
    assert [a.addr_spec for a in back["Cc"].addresses] == ["sef@firma.cz"]
    assert back["Reply-To"] == "robot@firma.cz"
    assert back["Auto-Submitted"] == "auto-generated"
    assert back["Subject"] == "Dotaz k faktuře 2026-17"
    # a Bcc recipient is in the envelope only: no header names them
    assert b"archiv@firma.cz" not in raw and "Bcc" not in back
    assert envelope_recipients(row(cc=["sef@firma.cz"], bcc=["archiv@firma.cz"])) == [
        "jana@dodavatel.cz",
        "sef@firma.cz",
        "archiv@firma.cz",
    ]
    plain = back.get_body(("plain",))
    assert plain is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert text == "Dobrý den,\nprosíme o opravu faktury.\n"


def test_utf8_subject_and_file_names_are_encoded_on_the_wire() -> None:
    data = b"%PDF-1.4 faktura"
    msg = build_message(
        row(bodyHtml="<p>Dobrý den</p>"),
        [("faktura č. 17.pdf", "application/pdf", data), ("poznámka.txt", "text/plain", b"ok")],
        from_address="robot@firma.cz",
        reply_to=None,
        now=NOW,
    )
    raw = wire(msg)
    assert raw.isascii()  # RFC 2047 subjects, RFC 2231 names, quoted-printable bodies
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head.split(b"Subject:", 1)[1]
    assert b"filename*=utf-8''faktura%20%C4%8D.%2017.pdf" in raw
    assert b"Reply-To" not in head  # no robot address: no Reply-To
    parsed = parse_email(raw)  # as mailwright itself reads mail
    assert parsed.subject == "Dotaz k faktuře 2026-17"
    assert parsed.body_html == "<p>Dobrý den</p>\n"
    assert [(p.filename, p.content_type, p.content) for p in parsed.attachments] == [
        ("faktura č. 17.pdf", "application/pdf", data),
        ("poznámka.txt", "text/plain", b"ok"),
    ]


def test_an_attached_email_stays_a_message() -> None:
    inner = b"From: a@b.cz\r\nSubject: puvodni\r\n\r\ntext\r\n"
    msg = build_message(row(), [("puvodni.eml", "message/rfc822", inner)], from_address="r@f.cz",
                        reply_to=None)  # fmt: skip
    parsed = parse_email(wire(msg))
    [part] = parsed.attachments
    assert part.content_type == "message/rfc822" and b"Subject: puvodni" in part.content
    assert b"Content-Transfer-Encoding: base64" not in wire(msg).split(b"message/rfc822", 1)[1]


def test_a_reply_carries_in_reply_to_and_capped_references() -> None:
    refs = [f"<r{i}@x.cz>" for i in range(40)]
    msg = build_message(
        row(inReplyTo="<r39@x.cz>", references=refs, autoSubmitted="auto-replied"),
        [],
        from_address="robot@firma.cz",
        reply_to="robot@firma.cz",
    )
    back = message_from_bytes(wire(msg), policy=policy.default)
    assert back["In-Reply-To"] == "<r39@x.cz>"
    kept = str(back["References"]).split()
    # the thread's root and the newest ones: a long thread does not grow the header forever
    assert len(kept) == MAX_REFERENCES and kept[0] == "<r0@x.cz>" and kept[-1] == "<r39@x.cz>"
    assert back["Auto-Submitted"] == "auto-replied"


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "x\r\nBcc: evil@x.cz"},
        {"subject": "x\nX-Evil: 1"},
        {"subject": "x\x00"},
        {"subject": "x\x0bBcc: evil@x.cz"},
        {"subject": "x\x85Bcc: evil@x.cz"},
        {"subject": "x\u2028Bcc: evil@x.cz"},
        {"to": ["Jana\x0cBcc: evil@x.cz <a@b.cz>"]},
        {"to": ["a@b.cz\r\nBcc: evil@x.cz"]},
        {"messageId": "<a@b>\r\nX: y"},
        {"references": ["<a@b>\nX: y"]},
    ],
)
def test_no_header_can_be_injected(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="line break"):
        build_message(row(**fields), [], from_address="robot@firma.cz", reply_to=None)
    with pytest.raises(ValueError, match="line break"):
        build_message(row(), [("a\x0bb.pdf", "application/pdf", b"x")], from_address="r@f.cz",
                      reply_to=None)  # fmt: skip


def test_header_text_names_what_is_wrong() -> None:
    assert header_text("Faktura 17", "the subject") == "Faktura 17"
    with pytest.raises(ValueError, match="^the subject must not contain a line break"):
        header_text("a\rb", "the subject")


def test_addresses_are_parsed_never_pasted() -> None:
    assert [str(a) for a in parse_addresses("Jana <jana@x.cz>, b@y.cz", "to")] == [
        "Jana <jana@x.cz>",
        "b@y.cz",
    ]
    assert str(parse_addresses("info@háčky.cz", "to")[0]) == "info@xn--hky-ela4t.cz"
    for bad in ("nobody", "a@b", "@x.cz", "", "jana@", "žluť@x.cz"):
        with pytest.raises(ValueError):
            parse_addresses(bad, "to")
    with pytest.raises(ValueError, match="no recipient"):
        build_message(row(to=[]), [], from_address="robot@firma.cz", reply_to=None)


def test_message_ids_are_unique_and_in_the_domain() -> None:
    ids = {new_message_id("firma.cz") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("<") and i.endswith("@firma.cz>") for i in ids)
    assert new_message_id("").endswith("@mailwright.invalid>")
    assert new_message_id("x>\r\n").endswith("@mailwright.invalid>")


@settings(max_examples=300)
@given(
    name=st.sampled_from(["Subject", "To", "Message-ID", "X-Long-Header-Name-For-Folding"]),
    value=st.one_of(
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120),
        st.from_regex(r"[ A-Za-z0-9<>@.=?-]{60,90}", fullmatch=True),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x17F), max_size=90),
    ),
)
def test_the_short_header_path_writes_what_header_folding_writes(name: str, value: str) -> None:
    # WIRE writes short ASCII one-line values itself; anything it takes must come out
    # byte for byte as compat32's Header folding writes it
    slow = policy.compat32.clone(linesep="\r\n").fold_binary(name, value)
    assert WIRE.fold_binary(name, value) == slow
