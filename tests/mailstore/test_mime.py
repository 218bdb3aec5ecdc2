"""Parsing received e-mail: one test per rule of the issue, on the hand-made fixtures."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from mailstore import htmltext, tnef
from mailstore.mime import Headers, ParsedEmail, decode_header_value, decode_text, parse_email

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
CZ_TEXT = (
    "Dobrý den,\n\nposílám fakturu č. 1 za služby v září. Příliš žluťoučký kůň úpěl ďábelské"
    " ódy.\nŠťastný nový rok přeje Žofie.\n\nS pozdravem\nJana Nováková\n"
)


def parse_fixture(name: str, **kwargs: str) -> ParsedEmail:
    return parse_email((FIXTURES / name).read_bytes(), **kwargs)


# -- headers ------------------------------------------------------------------------------


def test_addresses_names_and_lists_are_decoded() -> None:
    mail = parse_fixture("cz_windows1250.eml")
    assert mail.mail_from == "jana@example.cz"
    assert mail.mail_from_name == "Jana Nováková"
    assert mail.mail_to == ["petr@example.cz", "ucetni@example.cz"]
    assert mail.cc == ["jan.novak@example.cz"]
    assert mail.reply_to == ["faktury@example.cz"]
    assert mail.subject == "Faktura č. 1 – září"
    assert mail.message_id == "<cz-1250@example.cz>"
    assert mail.parse_errors == []


def test_english_headers_ids_and_multi_valued_fields() -> None:
    mail = parse_fixture("en_plain_auth.eml")
    assert (mail.mail_from, mail.mail_from_name) == ("john@example.com", "John Smith")
    assert mail.mail_to == ["jane@example.cz", "bob@example.cz"]
    assert mail.in_reply_to == "<question-1@example.cz>"
    assert mail.references == ["<thread-0@example.cz>", "<question-1@example.cz>"]
    assert mail.headers.get("X-CUSTOM") == "first"
    assert mail.headers.get_all("x-custom") == ["first", "second"]
    assert mail.headers.get("x-missing") is None
    assert "Subject" in mail.headers and "subject" in mail.headers


def test_folded_references_header() -> None:
    mail = parse_fixture("cz_iso88592_qp.eml")
    assert mail.references == ["<start@example.cz>", "<cz-1250@example.cz>"]
    assert mail.in_reply_to == "<cz-1250@example.cz>"


def test_dates_are_utc_with_the_original_offset_kept() -> None:
    mail = parse_fixture("cz_iso88592_qp.eml")  # Wed, 16 Sep 2026 08:05:00 -0430
    assert mail.sent_date == datetime(2026, 9, 16, 12, 35, tzinfo=UTC)
    assert mail.sent_date is not None and mail.sent_date.utcoffset() == timedelta(0)
    assert mail.sent_date_offset == -270
    assert parse_fixture("en_plain_auth.eml").sent_date_offset == -420


def test_date_minus_zero_is_utc_with_unknown_offset() -> None:
    mail = parse_email(b"Date: Mon, 21 Sep 2026 10:00:00 -0000\r\n\r\nx")
    assert mail.sent_date == datetime(2026, 9, 21, 10, 0, tzinfo=UTC)
    assert mail.sent_date_offset is None


def test_broken_encoded_words_are_decoded() -> None:
    mail = parse_fixture("broken_encoded_words.eml")
    # Split UTF-8 characters across words, words without spaces around, an unknown charset.
    assert mail.subject == "žluťoučký kun úpělčesky"
    # An encoded-word inside a quoted display name (forbidden by RFC 2047, common).
    assert mail.mail_from_name == "Jana Nováková"
    # Base64 with wrong padding.
    assert mail.headers.get("X-Padding") == "česky"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?Q?faktura_=C4=8D.?= 1", "faktura č. 1"),
        ("=?UTF-8?B?xI1lc2t5?=", "česky"),
        ("=?utf-8?Q?Jana Nov=C3=A1kov=C3=A1?=", "Jana Nováková"),  # spaces inside the word
        ("=?iso-8859-2?Q?=AEofie?= =?iso-8859-2?Q?_Dvo=F8=E1kov=E1?=", "Žofie Dvořáková"),
        ("a =?utf-8?Q?=C5=BE?= b", "a ž b"),
        ("=?utf-8?B?!!!?= rest", "=?utf-8?B?!!!?= rest"),  # not base64: kept as written
        ("=?utf-8*cs?Q?=C5=BEena?=", "žena"),  # RFC 2231 language tag
        ("plain\r\n text", "plain text"),  # unfolding
    ],
)
def test_decode_header_value(raw: str, expected: str) -> None:
    assert decode_header_value(raw) == expected


def test_raw_8bit_headers_are_decoded() -> None:
    mail = parse_fixture("cz_undeclared_charset.eml")
    assert mail.mail_from_name == "Jana Nováková"
    assert mail.subject == "Faktura č. 1 - žaluji"


def test_headers_map_is_case_insensitive_and_ordered() -> None:
    headers = Headers([("To", "a"), ("X-A", "1"), ("x-a", "2")])
    assert headers.get("x-A") == "1"
    assert headers.get_all("X-a") == ["1", "2"]
    assert headers.keys() == ["to", "x-a"]
    assert len(headers) == 3
    assert headers.get("missing", "d") == "d"


# -- bodies and charsets ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["cz_windows1250.eml", "cz_iso88592_qp.eml", "cz_undeclared_charset.eml"]
)
def test_czech_bodies_come_out_right(name: str) -> None:
    assert parse_fixture(name).body == CZ_TEXT


def test_undeclared_charset_is_explained() -> None:
    mail = parse_fixture("cz_undeclared_charset.eml")
    assert any("without a declared charset" in e for e in mail.parse_errors)


def test_mislabelled_charsets() -> None:
    mail = parse_fixture("cz_mislabelled.eml")
    # iso-8859-2 declared, windows-1250 sent (š ž ť in 0x80-0x9F).
    assert mail.body == CZ_TEXT
    # iso-8859-1 declared, UTF-8 sent.
    assert mail.body_html is not None and "Příliš žluťoučký kůň" in mail.body_html


@pytest.mark.parametrize("codec", ["cp1250", "iso-8859-2", "utf-8"])
def test_decode_text_without_declared_charset(codec: str) -> None:
    assert decode_text(CZ_TEXT.encode(codec), None) == CZ_TEXT
    assert decode_text(CZ_TEXT.encode(codec), "us-ascii") == CZ_TEXT
    assert decode_text(CZ_TEXT.encode(codec), "x-no-such-charset") == CZ_TEXT


def test_decode_text_trusts_a_fitting_declaration() -> None:
    assert decode_text("naïve café".encode("latin-1"), "iso-8859-1") == "naïve café"
    assert decode_text("Ещё".encode("koi8-r"), "koi8-r") == "Ещё"
    assert decode_text("žena".encode("utf-16"), "utf-16") == "žena"
    assert decode_text(b"plain", "windows-1250") == "plain"
    # windows-1250 that is also valid UTF-8, but not for European letters.
    assert decode_text("ČŠ ÓŠ".encode("cp1250"), "windows-1250") == "ČŠ ÓŠ"
    # UTF-8 labelled ISO-8859-2, with an emoji.
    assert decode_text("Díky 👍 kůň".encode(), "iso-8859-2") == "Díky 👍 kůň"


def test_short_undeclared_text_falls_back_to_windows_1250() -> None:
    assert decode_text("kůň".encode("cp1250"), None) == "kůň"


def test_html_only_message_gives_text_body_and_keeps_html() -> None:
    mail = parse_fixture("cz_html_only.eml")
    assert mail.body_html is not None and mail.body_html.startswith("<html>")
    assert mail.body == (
        "Objednávka\n\nDobrý den,\npotvrzujeme objednávku č.\xa042.\n\n- stůl\n- židle\n\n"
        "Podrobnosti najdete na webu (https://shop.example.cz/o/42)."
    )
    assert "alert" not in mail.body and "color" not in mail.body


def test_plain_text_wins_over_html_and_line_ends_are_newlines() -> None:
    mail = parse_fixture("en_plain_auth.eml")
    assert mail.body == "Hello Jane,\nthe report is ready."
    assert mail.body_html == "<p>Hello Jane,<br>the report is <b>ready</b>.</p>"


# -- attachments --------------------------------------------------------------------------


def test_rfc2231_and_rfc2047_file_names() -> None:
    mail = parse_fixture("cz_filenames.eml")
    assert [a.filename for a in mail.attachments] == [
        "faktura č. 1.pdf",  # RFC 2231 filename*=UTF-8''...
        "faktura č. 2.pdf",  # RFC 2231 continuations
        "faktura č. 3.pdf",  # RFC 2047 inside a quoted parameter
        "faktura č. 4.pdf",  # raw UTF-8 in the parameter
        "faktura 5.pdf",  # a Windows path: only the last part is a name
    ]
    assert all(a.content_type == "application/pdf" for a in mail.attachments)
    first = mail.attachments[0]
    assert first.content.startswith(b"%PDF-1.4") and first.content.endswith(b"1")
    assert first.size == len(first.content)
    assert first.sha256 == hashlib.sha256(first.content).hexdigest()
    assert first.open().read() == first.content
    assert mail.body == "V příloze faktury.\n"


def test_inline_images_are_separate_from_attachments() -> None:
    mail = parse_fixture("inline_images.eml")
    assert [(p.filename, p.content_id, p.inline) for p in mail.inline_parts] == [
        ("logo.png", "logo@example.cz", True)
    ]
    # Disposition inline but not referenced from the HTML: a photo the sender attached;
    # ``inline`` still tells its Content-Disposition.
    assert [(a.filename, a.inline) for a in mail.attachments] == [("photo.png", True)]
    assert [a.inline for a in parse_fixture("cz_filenames.eml").attachments] == [False] * 5
    assert mail.body == "Hello, see the logo."


def test_smime_signature_is_left_out_and_signed_is_set() -> None:
    mail = parse_fixture("smime_signed.eml")
    assert mail.signed is True
    assert [a.filename for a in mail.attachments] == ["invoice.pdf"]
    assert mail.body == "Signed text."
    assert parse_fixture("cz_filenames.eml").signed is False


def test_attached_email_is_kept_as_one_eml() -> None:
    mail = parse_fixture("attached_message.eml")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("Faktura č. 1.eml", "message/rfc822")
    ]
    inner = BytesParser(policy=policy.default).parsebytes(mail.attachments[0].content)
    assert str(inner["Subject"]) == "Faktura č. 1"
    names = [p.get_filename() for p in inner.iter_attachments()]
    assert names == ["inner.pdf"]
    # The attachment inside the attached e-mail is not an attachment of this one.
    assert mail.body == "See the forwarded message."


def test_missing_names_are_given_from_the_content_type() -> None:
    mail = parse_fixture("missing_names.eml")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("attachment.pdf", "application/pdf"),
        ("attachment-2.pdf", "application/pdf"),
        ("image.png", "image/png"),
        ("attachment.bin", "application/octet-stream"),
        ("attachment.ics", "text/calendar"),
    ]
    calendar = mail.attachments[-1]
    assert calendar.charset == "utf-8"
    assert calendar.text() == "BEGIN:VCALENDAR\r\nEND:VCALENDAR"
    assert mail.attachments[0].text() is None


def _tnef_attribute(level: int, attr_id: int, value: bytes) -> bytes:
    # MS-OXTNEF 2.1.3.1: level, id, length, data, checksum (sum of the data bytes).
    return (
        struct.pack("<BII", level, attr_id, len(value))
        + value
        + struct.pack("<H", sum(value) & 0xFFFF)
    )


def build_tnef(files: list[tuple[str, bytes]], long_name: bool = True) -> bytes:
    """A winmail.dat as Outlook writes it, reduced to what a reader needs."""
    out = struct.pack("<IH", 0x223E9F78, 1)
    out += _tnef_attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += _tnef_attribute(1, 0x00069007, struct.pack("<II", 1250, 0))  # attOemCodepage
    out += _tnef_attribute(1, 0x00018004, b"Faktura\0")  # attSubject (message level)
    for name, data in files:
        out += _tnef_attribute(2, 0x00069002, bytes(14))  # attAttachRenddata
        out += _tnef_attribute(2, 0x00018010, name.encode("cp1250")[:8] + b"\0")  # title
        out += _tnef_attribute(2, 0x0006800F, data)  # attAttachData
        if long_name:
            encoded = name.encode("utf-16-le") + b"\0\0"
            props = struct.pack("<I", 2)
            # PR_ATTACH_SIZE (PT_LONG), then PR_ATTACH_LONG_FILENAME (PT_UNICODE).
            props += struct.pack("<HHI", 0x0003, 0x0E20, len(data))
            props += struct.pack("<HHII", 0x001F, 0x3707, 1, len(encoded))
            props += encoded + bytes(-len(encoded) % 4)
            out += _tnef_attribute(2, 0x00069005, props)  # attAttachment
    return out


def _with_winmail(data: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "outlook@example.cz"
    msg["Subject"] = "Faktura"
    msg.set_content("Viz příloha.")
    msg.add_attachment(data, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return msg.as_bytes()


def test_winmail_dat_is_replaced_by_the_files_inside() -> None:
    pdf = b"%PDF-1.4 faktura"
    raw = _with_winmail(build_tnef([("faktura č. 1.pdf", pdf), ("seznam.xlsx", b"PK\3\4")]))
    mail = parse_email(raw)
    assert [(a.filename, a.content_type, a.content) for a in mail.attachments] == [
        ("faktura č. 1.pdf", "application/pdf", pdf),
        (
            "seznam.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\3\4",
        ),
    ]
    assert mail.body == "Viz příloha.\n"


def test_winmail_dat_without_long_names_uses_the_title() -> None:
    tnef_data = build_tnef([("dopis.txt", b"ahoj")], long_name=False)
    assert [(a.filename, a.data) for a in tnef.read_attachments(tnef_data)] == [
        ("dopis.tx", b"ahoj")  # the title is cut to 8 bytes by the builder above
    ]


def test_unreadable_winmail_dat_is_kept_and_explained() -> None:
    mail = parse_email(_with_winmail(b"\x78\x9f\x3e\x22\x01\x00\x02\xff"))  # cut short
    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert any("winmail.dat cannot be read" in e for e in mail.parse_errors)


def test_tnef_reader_rejects_other_data() -> None:
    with pytest.raises(tnef.TnefError):
        tnef.read_attachments(b"%PDF-1.4")
    assert tnef.read_attachments(build_tnef([])) == []


# -- authentication results ---------------------------------------------------------------


def test_auth_results_from_the_trusted_server_only() -> None:
    mail = parse_fixture("en_plain_auth.eml", trusted_authserv_id="MX.example.cz")
    assert mail.auth_results is not None
    assert (mail.auth_results.spf, mail.auth_results.dkim, mail.auth_results.dmarc) == (
        "pass",
        "pass",  # one of two DKIM signatures passed
        "pass",
    )
    forged = parse_fixture("en_plain_auth.eml", trusted_authserv_id="evil.example.org")
    assert forged.auth_results is not None and forged.auth_results.spf == "fail"
    assert parse_fixture("en_plain_auth.eml").auth_results is None
    assert parse_fixture("en_plain_auth.eml", trusted_authserv_id="other.cz").auth_results is None


def test_auth_results_missing_methods_are_none() -> None:
    raw = b"Authentication-Results: mx.example.cz; spf=softfail (x) smtp.mailfrom=a\r\n\r\nx"
    results = parse_email(raw, trusted_authserv_id="mx.example.cz").auth_results
    assert results is not None
    assert (results.spf, results.dkim, results.dmarc) == ("softfail", None, None)


# -- bad input ----------------------------------------------------------------------------


def test_thoroughly_malformed_message_is_parsed_as_far_as_it_goes() -> None:
    raw = (FIXTURES / "malformed.eml").read_bytes()
    mail = parse_email(raw)
    assert mail.raw_sha256 == hashlib.sha256(raw).hexdigest()
    assert mail.raw_size == len(raw)
    assert mail.message_id == "no-brackets@example.cz"
    assert mail.mail_from is None
    assert mail.sent_date is None
    assert mail.subject == "=?utf-8?B?!!!notbase64?= ok"
    # The parts the wrong boundary hid are not lost: their text is the body.
    assert "this line is not a header" in mail.body
    assert "Content-Type: application/pdf" in mail.body
    explained = "\n".join(mail.parse_errors)
    assert "the Date header cannot be read" in explained
    assert "start boundary was never found" in explained
    assert "not an address" in explained


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02\xff" * 50,
        b"no colon line\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n--x--",
        b'Content-Type: text/plain; charset="\r\nContent-Transfer-Encoding: base64\r\n\r\n!!',
        b"From: =?utf-8?B?====?=\r\nTo: <>\r\nDate: 0\r\n\r\n",
        b"Content-Type: message/rfc822\r\n\r\nnot really a message",
        b"Content-Type: application/ms-tnef\r\n\r\nxx",
    ],
)
def test_never_raises(raw: bytes) -> None:
    mail = parse_email(raw)
    assert mail.raw_size == len(raw)
    assert isinstance(mail.body, str)


def test_empty_message_is_explained() -> None:
    assert parse_email(b"").parse_errors == ["the message is empty"]


def test_file_object_gives_the_same_result_as_bytes() -> None:
    raw = (FIXTURES / "cz_filenames.eml").read_bytes()
    from_file = parse_email(io.BytesIO(raw))
    from_bytes = parse_email(raw)
    assert from_file.raw_sha256 == from_bytes.raw_sha256
    assert [a.sha256 for a in from_file.attachments] == [a.sha256 for a in from_bytes.attachments]
    assert from_file.body == from_bytes.body


def test_unreadable_file_object_is_explained() -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("disk on fire")

    mail = parse_email(cast(BinaryIO, Broken()))
    assert mail.parse_errors == ["the message cannot be read: disk on fire"]


def test_large_base64_attachment_decodes_exactly() -> None:
    data = bytes(range(256)) * 8192  # 2 MiB: the large-part path
    msg = EmailMessage()
    msg.set_content("x")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename="big.bin")
    mail = parse_email(msg.as_bytes())
    assert mail.attachments[0].content == data


def test_lf_only_message_gives_the_same_body() -> None:
    raw = (FIXTURES / "cz_html_only.eml").read_bytes()
    assert b"\r\n" in raw
    assert parse_email(raw.replace(b"\r\n", b"\n")).body == parse_email(raw).body


# -- HTML to text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<ol><li>x</li><li>y</li></ol>", "1. x\n2. y"),
        ('<a href="https://x.cz">https://x.cz</a>', "https://x.cz"),
        ('<a href="mailto:a@b.cz">napište</a>', "napište (a@b.cz)"),
        ('<a href="#top">nahoru</a>', "nahoru"),
        ("<style>x{}</style><script>y()</script>text", "text"),
        ("<pre>  a\n  b</pre>", "  a\n  b"),  # pre keeps its spaces
        ("&lt;tag&gt; &amp; &#269;", "<tag> & č"),
        ("<div>unclosed <b>bold", "unclosed bold"),
        ("<p>  lots   of\n\n   space </p>", "lots of space"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert htmltext.html_to_text(html) == text


def test_a_named_text_part_after_the_body_is_an_attachment() -> None:
    # Apple Mail shows an attached .txt inline: disposition inline with a file name.
    msg = EmailMessage()
    msg.set_content("<p>Dobrý den</p>", subtype="html")
    msg.add_attachment("poznámky", filename="poznámky.txt", disposition="inline")
    mail = parse_email(msg.as_bytes())
    assert mail.body == "Dobrý den"
    assert [(a.filename, a.text()) for a in mail.attachments] == [("poznámky.txt", "poznámky\n")]


def test_a_named_text_part_that_comes_first_is_the_body() -> None:
    # Some mailers (VM, see CPython's msg_04.txt) name the body part itself.
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: inline; filename="msg.txt"\r\n\r\nthe body\r\n--b--\r\n'
    )
    mail = parse_email(raw)
    assert mail.body == "the body"
    assert mail.attachments == []


def test_a_message_nested_too_deeply_for_the_parser_keeps_headers_and_text() -> None:
    nested = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(1200)
    )
    text = "nejhlubší text\r\n".encode()
    raw = b"Subject: hluboko\r\nFrom: jana@example.cz\r\n" + nested + b"\r\n" + text
    for source in (raw, io.BytesIO(raw)):
        mail = parse_email(source)
        assert (mail.subject, mail.mail_from) == ("hluboko", "jana@example.cz")
        assert "nejhlubší text" in mail.body
        assert mail.raw_size == len(raw)
        assert any("nested too deeply" in e for e in mail.parse_errors)


def test_a_base64_encoded_attached_email_is_decoded() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Vnitřní zpráva"
    inner.set_content("vnitřní text")
    encoded = base64.encodebytes(inner.as_bytes())
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        b"outer\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + encoded
        + b"--b--\r\n"
    )
    mail = parse_email(raw)
    assert [(a.filename, a.content) for a in mail.attachments] == [
        ("Vnitřní zpráva.eml", inner.as_bytes())
    ]


def test_old_style_name_in_a_comment() -> None:
    mail = parse_email(b"From: jana@example.cz (Jana =?utf-8?Q?Nov=C3=A1kov=C3=A1?=)\r\n\r\nx")
    assert (mail.mail_from, mail.mail_from_name) == ("jana@example.cz", "Jana Nováková")
    plain = parse_email(b"From: jana@example.cz\r\n\r\nx")
    assert (plain.mail_from, plain.mail_from_name) == ("jana@example.cz", None)


def test_opaque_smime_signed_data_is_signed_and_kept() -> None:
    # application/pkcs7-mime signed-data wraps the content in the signature: it cannot be
    # read without unpacking PKCS #7, so the file is kept and the message marked signed.
    raw = (
        b"From: jana@example.cz\r\nContent-Type: application/pkcs7-mime; "
        b'smime-type=signed-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n'
        b'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\nMIIBAAYJKoZIhvcNAQcC\r\n'
    )
    mail = parse_email(raw)
    assert mail.signed is True
    assert [a.filename for a in mail.attachments] == ["smime.p7m"]
    assert any("S/MIME signed-data" in e for e in mail.parse_errors)
    enveloped = parse_email(raw.replace(b"signed-data", b"enveloped-data"))
    assert enveloped.signed is False


def test_tnef_properties_of_an_unknown_type_do_not_lose_the_file() -> None:
    data = b"%PDF-1.4"
    stream = struct.pack("<IH", 0x223E9F78, 1)
    stream += _tnef_attribute(2, 0x00069002, bytes(14))
    stream += _tnef_attribute(2, 0x00018010, b"FAKTURA.PDF\0")
    stream += _tnef_attribute(2, 0x0006800F, data)
    # One property of type 0x00FB (PtypServerId, not read here), then the long name.
    props = struct.pack("<I", 2) + struct.pack("<HHI", 0x00FB, 0x6700, 4) + b"abcd"
    stream += _tnef_attribute(2, 0x00069005, props)
    assert [(a.filename, a.data) for a in tnef.read_attachments(stream)] == [("FAKTURA.PDF", data)]


# -- each rule in English too (and in Czech where the first fixture was English) -----------


def test_english_broken_encoded_words_are_decoded() -> None:
    mail = parse_fixture("en_broken_encoded_words.eml")
    # Bad base64 padding, words glued to text and to each other, windows-1252 quotes,
    # an unknown charset, and a folded line.
    assert mail.subject == "Re:Invoice for March “final” copy"
    assert (mail.mail_from, mail.mail_from_name) == ("john@example.com", "John O'Brien")
    assert mail.mail_to == ["mary@example.com"]  # an encoded-word with spaces in it
    assert mail.headers.get("X-Padding") == "reports"
    assert mail.sent_date == datetime(2026, 9, 19, 11, 0, tzinfo=UTC)
    assert mail.sent_date_offset == 60


def test_english_html_only_message_gives_text_body_and_keeps_html() -> None:
    mail = parse_fixture("en_html_only.eml")
    assert mail.subject == "Order confirmation"
    assert mail.body == (
        "Dear John,\n\nthank you for your order\xa0№\xa042 & your payment of £10.\n\n"
        "- One book\n- Two pens"
    )
    assert mail.body_html is not None and "<script>" in mail.body_html
    assert "alert" not in mail.body and "color" not in mail.body


def test_english_mislabelled_and_undeclared_charsets() -> None:
    mail = parse_fixture("en_mislabelled.eml")
    text = "the café bill was £12 — “paid” in full; naïve résumé."
    # text/plain labelled ISO-8859-1 but written in UTF-8
    assert mail.body == "Dear Mary,\n" + text
    # text/html without a charset, written in windows-1252: the message's other label
    # (ISO-8859-1) is the hint, and bytes 0x80-0x9F make it windows-1252, never C1 controls
    assert mail.body_html == f"<p>Dear Mary,</p><p>{text}</p>"
    assert len(mail.parse_errors) == 2  # each guess is explained


def test_decode_text_with_a_latin_hint_and_windows_bytes() -> None:
    data = "“quoted” — £5".encode("cp1252")
    assert decode_text(data, None, "iso-8859-1") == "“quoted” — £5"
    assert decode_text("Šťastný – žluťoučký".encode("cp1250"), None, "iso-8859-2") == (
        "Šťastný – žluťoučký"
    )
    assert decode_text("café".encode("latin-1"), None, "iso-8859-1") == "café"


def test_english_rfc2231_and_rfc2047_file_names() -> None:
    mail = parse_fixture("en_filenames.eml")
    assert [a.filename for a in mail.attachments] == [
        "Q3 report – final.pdf",  # RFC 2231 filename*=UTF-8''...
        "Annual report for the financial year 2025 (draft).pdf",  # continuations, language
        "Café receipts.pdf",  # RFC 2047 inside a quoted parameter
        "summary.pdf",  # a Windows path written with single backslashes
    ]
    assert [a.content for a in mail.attachments] == [
        b"%PDF-1.4\n" + n for n in (b"1", b"2", b"3", b"4")
    ]
    assert mail.body == "The reports are attached."


def _with_names(disposition: str, content_type: str = "application/pdf") -> bytes:
    return (
        "From: a@example.com\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain\r\n\r\nx\r\n--b\r\n"
        f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n\r\n"
        "x\r\n--b--\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("disposition", "content_type", "expected"),
    [
        # Internet Explorer and old Outlook: single backslashes, not escapes
        (r'attachment; filename="C:\Users\jana\faktura č. 9.pdf"', "application/pdf", None),
        (r'attachment; filename="C:\\Users\\jana\\faktura č. 9.pdf"', "application/pdf", None),
        (r'attachment; filename="say \"hi\".pdf"', "application/pdf", 'say "hi".pdf'),
        # the disposition's name wins over a path in the type's name
        (
            'attachment; filename="right.pdf"',
            r'application/pdf; name="C:\temp\wrong.pdf"',
            "right.pdf",
        ),
        ("attachment", r'application/pdf; name="C:\temp\report.pdf"', "report.pdf"),
    ],
)
def test_windows_paths_keep_their_last_part(
    disposition: str, content_type: str, expected: str | None
) -> None:
    [attachment] = parse_email(_with_names(disposition, content_type)).attachments
    assert attachment.filename == (expected or "faktura č. 9.pdf")


def test_czech_inline_images_are_separate_from_attachments() -> None:
    mail = parse_fixture("cz_inline_images.eml")
    assert [(p.filename, p.content_id, p.inline) for p in mail.inline_parts] == [
        ("logo firmy.png", "logo.firmy@example.cz", True)
    ]
    # Attached (not referenced from the HTML) though it has a Content-ID.
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("fotka z porády.jpg", "image/jpeg")
    ]
    assert mail.body == "Dobrý den, posílám logo firmy."


def test_czech_smime_signature_is_left_out_and_signed_is_set() -> None:
    mail = parse_fixture("cz_smime_signed.eml")  # the older x-pkcs7-signature type
    assert mail.signed is True
    assert [a.filename for a in mail.attachments] == ["faktura č. 1.pdf"]
    assert mail.body == "Podepsaný text, příloha je faktura."
    assert mail.subject == "Podepsaná faktura"


def test_english_attached_email_is_kept_as_one_eml() -> None:
    mail = parse_fixture("en_attached_message.eml")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("Invoice 7.eml", "message/rfc822")
    ]
    inner = BytesParser(policy=policy.default).parsebytes(mail.attachments[0].content)
    assert str(inner["From"]) == "Supplier <billing@supplier.example.com>"
    assert [p.get_filename() for p in inner.iter_attachments()] == ["invoice-7.pdf"]
    assert mail.body == "Forwarding the supplier's invoice."


def test_czech_missing_names_are_given_from_the_content_type() -> None:
    mail = parse_fixture("cz_missing_names.eml")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("image.jpg", "image/jpeg"),
        ("attachment.xls", "application/vnd.ms-excel"),
        ("attachment.xml", "application/xml"),
    ]
    # XML is text (an ISDOC invoice is XML), a spreadsheet is not
    assert mail.attachments[2].text() == "<faktura>č. 1</faktura>"
    assert mail.attachments[1].text() is None
    assert mail.body == "V příloze jsou naskenované doklady."


def test_english_winmail_dat_is_replaced_by_the_files_inside() -> None:
    files = [("Quarterly report.docx", b"PK\3\4 report"), ("notes.txt", b"Call John")]
    mail = parse_email(_with_winmail(build_tnef(files)))
    assert [(a.filename, a.content_type, a.content) for a in mail.attachments] == [
        (
            "Quarterly report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK\3\4 report",
        ),
        ("notes.txt", "text/plain", b"Call John"),
    ]
    assert mail.attachments[1].text() == "Call John"


def test_czech_malformed_message_gives_what_can_be_read() -> None:
    raw = (FIXTURES / "cz_malformed.eml").read_bytes()
    mail = parse_email(raw)
    # raw 8-bit windows-1250 in From and Date, an unclosed address, an unknown charset
    assert (mail.mail_from, mail.mail_from_name) == ("jana@example.cz", "Jana Nováková")
    assert mail.mail_to == ["petr@example.cz"]
    assert mail.subject == "Faktura č. 1"
    assert mail.sent_date is None
    assert mail.body == "Dobrý den,\nposílám fakturu č. 1 za září."
    # the close boundary never comes and the base64 is cut short (a lone last character):
    # the bytes before the cut are the attachment, not the base64 text
    assert [(a.filename, a.content) for a in mail.attachments] == [
        ("faktura č. 1.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<")
    ]
    explained = "\n".join(mail.parse_errors)
    assert "the Date header cannot be read: 'pondělí 21. září 2026'" in explained
    assert "not the corresponding close boundary" in explained
    assert "base64 encoded sequence had invalid length" in explained


@pytest.mark.parametrize(
    ("encoded", "content"),
    [
        ("JVBERi0xLjQK", b"%PDF-1.4\n"),  # whole
        ("JVBERi0xLjQKM", b"%PDF-1.4\n"),  # a lone last character carries no byte
        ("JVBERi0xLjQKMQ", b"%PDF-1.4\n1"),  # missing padding
    ],
)
def test_a_base64_part_cut_short_keeps_its_bytes(encoded: str, content: bytes) -> None:
    raw = _with_names("attachment; filename=a.pdf").replace(
        b"a.pdf\r\n\r\nx", b"a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encoded.encode()
    )
    [attachment] = parse_email(raw).attachments
    assert attachment.content == content
