"""CPython's own e-mail test corpus, parsed by mailstore.mime and compared with ``email``.

A message counts as parsed only if its text body and its attachments (name, size,
SHA-256) equal what the standard library's ``email`` with ``policy.default`` gives
through ``get_body`` and ``iter_attachments``, apart from the differences the issue
asks for, each listed below with its reason.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections import Counter
from collections.abc import Iterator
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from mailstore.htmltext import html_to_text
from mailstore.mime import MailPart, parse_email


def corpus_folder() -> Path:
    """The data folder of CPython's test.test_email; its absence is a failure, not a skip."""
    import test.test_email  # the stdlib test package (libpython3.11-testsuite on Debian)

    folder = Path(os.path.dirname(test.test_email.__file__)) / "data"
    assert folder.is_dir(), f"{folder} is missing: install the Python test package"
    return folder


MESSAGES = sorted(p.name for p in corpus_folder().glob("msg_*.txt"))

TEXT = (
    "an unnamed text part that is not the body is not an attachment (ARCHITECTURE.md: "
    "attachments are parts sent as attachments or with a file name)"
)
SIGNATURE = "signatures are left out of the attachments; signed is true instead"
WHOLE_EML = (
    "the whole message is one attached e-mail, kept as one .eml (iter_attachments gives "
    "nothing for a message that is not a multipart)"
)
IN_ALTERNATIVE = (
    "a part that is not text inside a multipart/alternative is kept as an attachment "
    "(iter_attachments never looks inside an alternative)"
)
EMPTY_MULTIPART = "a nested multipart whose boundary is missing and that holds nothing is dropped"
REPORT = (
    "a delivery report is kept whole (email's get_content gives only its first block of "
    "fields): same type, different size"
)
NO_BOUNDARY = (
    "a multipart whose boundary never appears: its text is the body, where email gives none"
)

#: Content types email gives as attachments and mailstore does not, with the reason.
ONLY_IN_EMAIL: dict[str, list[tuple[str, str]]] = {
    "msg_02.txt": [("text/plain", TEXT), ("text/plain", TEXT)],
    "msg_05.txt": [("text/plain", TEXT)],
    "msg_08.txt": [("text/plain", TEXT), ("text/plain", TEXT)],
    "msg_09.txt": [("text/plain", TEXT), ("text/plain", TEXT)],
    "msg_10.txt": [("text/plain", TEXT)] * 3,
    "msg_12.txt": [("text/plain", TEXT)] * 4,
    "msg_12a.txt": [("text/plain", TEXT)] * 4,
    "msg_13.txt": [("text/plain", TEXT)],
    "msg_16.txt": [("message/delivery-status", REPORT)],
    "msg_21.txt": [("text/plain", TEXT)],
    "msg_22.txt": [("text/plain", TEXT)],
    "msg_33.txt": [("text/plain", TEXT)],
    "msg_38.txt": [("text/plain", TEXT)] * 3,
    "msg_39.txt": [("multipart/alternative", EMPTY_MULTIPART)],
    "msg_43.txt": [("message/delivery-status", REPORT)],
    "msg_45.txt": [("application/pgp-signature", SIGNATURE)],
}
#: Content types mailstore gives as attachments and email does not, with the reason.
ONLY_IN_MAILSTORE: dict[str, list[tuple[str, str]]] = {
    "msg_06.txt": [("message/rfc822", WHOLE_EML)],
    "msg_11.txt": [("message/rfc822", WHOLE_EML)],
    "msg_46.txt": [("message/rfc822", WHOLE_EML)],
    "msg_16.txt": [("message/delivery-status", REPORT)],
    "msg_43.txt": [("message/delivery-status", REPORT)],
    "msg_36.txt": [("message/external-body", IN_ALTERNATIVE)] * 2,
}
#: Messages whose body differs from email's get_body, with the reason.
BODY_DIFFERS = {
    name: NO_BOUNDARY for name in ("msg_17.txt", "msg_25.txt", "msg_31.txt", "msg_41.txt")
}


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def reference_body(msg: EmailMessage) -> str:
    """The body as email gives it: text/plain via get_body, else the HTML as text."""
    plain = msg.get_body(("plain",))
    if plain is not None:
        return _newlines(plain.get_content())
    html = msg.get_body(("html",))
    return html_to_text(_newlines(html.get_content())) if html is not None else ""


def _leaves(part: EmailMessage) -> Iterator[EmailMessage]:
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.iter_parts():
            yield from _leaves(sub)  # type: ignore[arg-type]
    else:
        yield part


def _reference_bytes(part: EmailMessage) -> bytes:
    try:
        content = part.get_content()
    except KeyError:  # multipart/* without parts: email has no content manager for it
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    if isinstance(content, str):
        return content.encode(part.get_content_charset() or "ascii", "surrogateescape")
    if isinstance(content, bytes):
        return content
    # An attached e-mail: its own bytes, header fields as they came, CRLF line ends.
    out = io.BytesIO()
    keep = policy.default.clone(refold_source="none", linesep="\r\n")
    BytesGenerator(out, mangle_from_=False, policy=keep).flatten(content)
    return out.getvalue()


def reference_attachments(msg: EmailMessage) -> list[tuple[str | None, str, int, str]]:
    """(name, type, size, sha256) of iter_attachments, nested multiparts opened up."""
    found = []
    for item in msg.iter_attachments():
        for part in _leaves(item):
            data = _reference_bytes(part)
            found.append(
                (
                    part.get_filename(),
                    part.get_content_type(),
                    len(data),
                    hashlib.sha256(data).hexdigest(),
                )
            )
    return found


def _key(item: tuple[str | None, str, int, str]) -> tuple[str, int, str]:
    return item[1], item[2], item[3]


def _ours(parts: list[MailPart]) -> list[tuple[str | None, str, int, str]]:
    return [(p.filename, p.content_type, p.size, p.sha256) for p in parts]


def test_the_corpus_is_there() -> None:
    assert len(MESSAGES) >= 40


@pytest.mark.parametrize("name", MESSAGES)
def test_corpus_message(name: str) -> None:
    raw = (corpus_folder() / name).read_bytes()
    reference = BytesParser(policy=policy.default).parsebytes(raw)
    mail = parse_email(raw)

    if name in BODY_DIFFERS:
        assert mail.body != reference_body(reference)  # the listed difference still exists
        assert mail.body.strip(), BODY_DIFFERS[name]
    else:
        assert mail.body == reference_body(reference)

    theirs = reference_attachments(reference)
    ours = _ours(mail.attachments + mail.inline_parts)
    their_keys = Counter(_key(i) for i in theirs)
    our_keys = Counter(_key(i) for i in ours)
    only_theirs = sorted(t for t, _, _ in (their_keys - our_keys).elements())
    only_ours = sorted(t for t, _, _ in (our_keys - their_keys).elements())
    assert only_theirs == sorted(t for t, _ in ONLY_IN_EMAIL.get(name, []))
    assert only_ours == sorted(t for t, _ in ONLY_IN_MAILSTORE.get(name, []))

    # Names: email's where it has one, else a name from the content type.
    their_names = {_key(i): i[0] for i in theirs}
    for filename, content_type, size, sha in ours:
        expected = their_names.get((content_type, size, sha))
        if expected:
            assert filename == expected
        else:
            assert filename and "." in filename and "/" not in filename

    if name in ONLY_IN_EMAIL and any(r == SIGNATURE for _, r in ONLY_IN_EMAIL[name]):
        assert mail.signed
