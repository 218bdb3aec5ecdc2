"""Random MIME trees built with the ``email`` package come back with the same text and files.

The number of examples comes from the hypothesis profile (tests/conftest.py). Hypothesis
draws the body (plain, HTML or both), its charset (UTF-8, windows-1250,
ISO-8859-2) and transfer encoding, attachments nested in multiparts up to three deep,
binary and text attachments in those charsets, file names in Czech and English
written the standard way (RFC 2231 by ``email``) or as RFC 2047 encoded-words
(as Outlook and many webmailers do), and attached e-mails. Smaller properties: text
in a declared charset decodes exactly (the wrong-label heuristics never misfire),
encoded-words written by ``email.header`` decode exactly, and inline images referenced
from the HTML are told apart from attached images.
"""

from __future__ import annotations

import base64
import email.charset
import html
import re
import uuid
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailstore.mime import decode_header_value, decode_text, parse_email

CZECH = "ěščřžýáíéůúťďňóĚŠČŘŽÝÁÍÉŮÚŤĎŇÓ"
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + CZECH
CHARSETS = ["utf-8", "windows-1250", "iso-8859-2"]

words = st.text(alphabet=LETTERS, min_size=1, max_size=12)
lines = st.lists(st.lists(words, min_size=0, max_size=8).map(" ".join), min_size=1, max_size=6)
names = st.builds(
    lambda stem, ext: stem + ext,
    st.lists(
        st.text(alphabet=LETTERS + "-_(),", min_size=1, max_size=10), min_size=1, max_size=3
    ).map(" ".join),
    st.sampled_from([".pdf", ".xlsx", ".txt", ".isdoc", ".png", ".zip"]),
)


@dataclass
class Attachment:
    name: str
    data: bytes | list[str]  # bytes, or the lines of a text attachment
    charset: str
    style: str  # "rfc2231" (email's own) or "rfc2047" (an encoded-word in quotes)
    depth: int

    @property
    def text(self) -> str:
        assert isinstance(self.data, list)
        return "\n".join(self.data) + "\n"


attachments = st.builds(
    Attachment,
    name=names,
    data=st.one_of(st.binary(min_size=0, max_size=300), lines),
    charset=st.sampled_from(CHARSETS),
    style=st.sampled_from(["rfc2231", "rfc2047"]),
    depth=st.integers(0, 3),
)


def container(children: list[MIMEPart], subtype: str = "mixed") -> MIMEPart:
    part = MIMEPart(policy=policy.default)
    part["Content-Type"] = f'multipart/{subtype}; boundary="{uuid.uuid4().hex}"'
    for child in children:
        part.attach(child)
    return part


def attachment_part(item: Attachment) -> MIMEPart:
    part = MIMEPart(policy=policy.default)
    if isinstance(item.data, bytes):
        part.set_content(
            item.data, "application", "octet-stream", disposition="attachment", filename=item.name
        )
    else:
        part.set_content(
            item.text,
            subtype="csv",
            charset=item.charset,
            cte="quoted-printable",
            disposition="attachment",
            filename=item.name,
        )
    if item.style == "rfc2047":
        encoded = base64.b64encode(item.name.encode("utf-8")).decode("ascii")
        part.replace_header("Content-Disposition", f'attachment; filename="=?utf-8?B?{encoded}?="')
    wrapped = part
    for _ in range(item.depth):
        wrapped = container([wrapped])
    return wrapped


def text_part(text: str, subtype: str, charset: str, cte: str) -> MIMEPart:
    part = MIMEPart(policy=policy.default)
    part.set_content(text, subtype=subtype, charset=charset, cte=cte)
    return part


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body_lines=lines,
    kind=st.sampled_from(["plain", "html", "alternative"]),
    charset=st.sampled_from(CHARSETS),
    cte=st.sampled_from(["8bit", "quoted-printable", "base64"]),
    files=st.lists(attachments, max_size=4),
    subject=st.lists(words, min_size=1, max_size=12).map(" ".join),
    sender=words,
    forwarded=st.booleans(),
)
def test_random_mime_trees_round_trip(
    body_lines: list[str],
    kind: str,
    charset: str,
    cte: str,
    files: list[Attachment],
    subject: str,
    sender: str,
    forwarded: bool,
) -> None:
    text = "\n".join(body_lines) + "\n"
    markup = "<p>" + "<br>".join(html.escape(line) for line in body_lines) + "</p>"
    body: MIMEPart
    if kind == "plain":
        body = text_part(text, "plain", charset, cte)
    elif kind == "html":
        body = text_part(markup, "html", charset, cte)
    else:
        body = container(
            [text_part(text, "plain", charset, cte), text_part(markup, "html", charset, cte)],
            "alternative",
        )
    parts = [body] + [attachment_part(item) for item in files]
    if forwarded:
        inner = EmailMessage()
        inner["Subject"] = "Přeposlaná " + subject
        inner.set_content("vnitřní text")
        inner.add_attachment(b"inner", "application", "pdf", filename="vnitřní.pdf")
        rfc822 = MIMEPart(policy=policy.default)
        rfc822.set_content(inner)
        parts.append(rfc822)
    top = container(parts) if len(parts) > 1 else parts[0]
    top["From"] = Address(display_name=f"{sender} Nováková", addr_spec="jana@example.cz")
    top["Subject"] = subject
    raw = top.as_bytes()

    mail = parse_email(raw)

    # email's folder can drop a space where it folds between two encoded-words (a
    # CPython bug, not a parsing one): the subject is what email itself reads back.
    assert mail.subject == str(BytesParser(policy=policy.default).parsebytes(raw)["Subject"])
    assert mail.subject.replace(" ", "") == subject.replace(" ", "")
    assert (mail.mail_from, mail.mail_from_name) == ("jana@example.cz", f"{sender} Nováková")
    if kind == "html":
        assert mail.body_html == markup + "\n"
        # <br> per line; html_to_text keeps at most one empty line in a row.
        expected_text = "\n".join(line.strip() for line in body_lines).strip("\n")
        assert mail.body == re.sub(r"\n{3,}", "\n\n", expected_text)
    else:
        assert mail.body == text
    got = [(a.filename, a.content) for a in mail.attachments]
    expected: list[tuple[str, bytes]] = []
    for item in files:
        if isinstance(item.data, bytes):
            expected.append((item.name, item.data))
        else:
            expected.append((item.name, item.text.encode(item.charset)))
    assert got[: len(files)] == expected
    for item, found in zip(files, mail.attachments, strict=False):
        if not isinstance(item.data, bytes):
            assert found.text() == item.text
    if forwarded:
        assert len(mail.attachments) == len(files) + 1
        eml = mail.attachments[-1]
        assert eml.content_type == "message/rfc822"
        inner_back = BytesParser(policy=policy.default).parsebytes(eml.content)
        inner_subject = str(inner_back["Subject"])
        assert inner_subject.replace(" ", "") == ("Přeposlaná " + subject).replace(" ", "")
        # Named after its subject, cut to 100 characters.
        assert eml.filename == inner_subject[:100].strip() + ".eml"
    else:
        assert len(mail.attachments) == len(files)
    assert mail.inline_parts == []


czech_text = st.text(alphabet=LETTERS + " .,-", min_size=1, max_size=120)


@settings(deadline=None)
@given(text=czech_text, charset=st.sampled_from(CHARSETS))
def test_declared_charsets_decode_exactly(text: str, charset: str) -> None:
    # The heuristics for wrong labels (UTF-8 sent as windows-1250, windows-1250 sent as
    # ISO-8859-2) never misfire on text that is what its label says.
    assert decode_text(text.encode(charset), charset) == text


@settings(deadline=None)
@given(
    text=czech_text.map(str.strip).filter(bool),
    charset=st.sampled_from(CHARSETS),
    encoding=st.sampled_from(["b", "q"]),
)
def test_encoded_words_decode_exactly(text: str, charset: str, encoding: str) -> None:
    # email.header.Header splits long text into several encoded-words and folds them.
    codec = email.charset.Charset(charset)
    codec.header_encoding = email.charset.BASE64 if encoding == "b" else email.charset.QP
    encoded = Header(text, codec, maxlinelen=76).encode()
    assert decode_header_value(encoded) == text


@settings(deadline=None)
@given(
    inline=st.lists(st.binary(min_size=1, max_size=64), max_size=3),
    attached=st.lists(st.binary(min_size=1, max_size=64), max_size=3),
    text_too=st.booleans(),
)
def test_inline_images_and_attached_images(
    inline: list[bytes], attached: list[bytes], text_too: bool
) -> None:
    # The shape Thunderbird and Outlook send: mixed[related[alternative|html, images], files].
    cids = [f"img{i}@example.cz" for i in range(len(inline))]
    markup = "<p>" + "".join(f'<img src="cid:{cid}">' for cid in cids) + "obrázky</p>"
    html_part = text_part(markup, "html", "utf-8", "quoted-printable")
    body = (
        container([text_part("obrázky\n", "plain", "utf-8", "8bit"), html_part], "alternative")
        if text_too
        else html_part
    )
    images = []
    for cid, data in zip(cids, inline, strict=True):
        image = MIMEPart(policy=policy.default)
        image.set_content(data, "image", "png", disposition="inline", cid=f"<{cid}>")
        images.append(image)
    top = container([body, *images], "related") if images else body
    files = []
    for i, data in enumerate(attached):
        image = MIMEPart(policy=policy.default)
        image.set_content(data, "image", "png", disposition="attachment", filename=f"foto{i}.png")
        files.append(image)
    if files:
        top = container([top, *files])
    mail = parse_email(top.as_bytes())
    assert [(p.content_id, p.content, p.inline) for p in mail.inline_parts] == [
        (cid, data, True) for cid, data in zip(cids, inline, strict=True)
    ]
    assert [(a.filename, a.content) for a in mail.attachments] == [
        (f"foto{i}.png", data) for i, data in enumerate(attached)
    ]
    assert mail.body == "obrázky" + ("\n" if text_too else "")
