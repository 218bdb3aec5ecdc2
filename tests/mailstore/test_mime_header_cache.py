"""The per-message header cache of mailstore.mime gives what parsing every access again gives.

``parse_email`` hands ``email`` a policy whose header factory parses each distinct header
once per message (`mailstore.mime._HeaderCache`); these tests parse the same messages with
plain ``policy.default`` (every access parsed again, the way it was before) and compare
every field of the results.
"""

from __future__ import annotations

import dataclasses
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from mailstore import mime
from mailstore.mime import ParsedEmail, parse_email

from .test_mime_corpus import corpus_folder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"


def _fields(parsed: ParsedEmail) -> dict[str, Any]:
    """Every field of a ParsedEmail as plain values (headers as their pairs)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(parsed):
        value = getattr(parsed, f.name)
        if f.name == "headers":
            value = value.items()
        elif f.name in ("attachments", "inline_parts"):
            value = [dataclasses.asdict(part) for part in value]
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        out[f.name] = value
    return out


def _invoice() -> bytes:
    msg = EmailMessage()
    msg["From"] = "=?utf-8?q?Jana_Dodavatelov=C3=A1?= <jana@dodavatel.cz>"
    msg["To"] = "faktury@example.com, =?utf-8?q?U=C4=8Dtárna?= <ucetni@example.com>"
    msg["Subject"] = "Faktura 2026001"
    msg["Authentication-Results"] = "mx.example.com; spf=pass; dkim=pass; dmarc=pass"
    msg.set_content("Dobrý den,\nv příloze posíláme fakturu.\n")
    msg.add_alternative("<p>Dobrý den, <img src='cid:logo@x'></p>", subtype="html")
    for n in range(3):
        msg.add_attachment(
            b"%PDF-1.4\n" + bytes(range(256)) * 20,
            maintype="application",
            subtype="pdf",
            filename=f"faktura č. {n}.pdf",
        )
    msg.add_attachment(b"\x89PNG", maintype="image", subtype="png", cid="<logo@x>")
    return msg.as_bytes()


MESSAGES = sorted(corpus_folder().glob("msg_*.txt")) + sorted(FIXTURES.glob("*.eml"))


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_cached_headers_give_the_same_result(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = path.read_bytes()
    cached = _fields(parse_email(raw, trusted_authserv_id="mx.example.com"))
    monkeypatch.setattr(mime, "_parsing_policy", lambda: policy.default)
    plain = _fields(parse_email(raw, trusted_authserv_id="mx.example.com"))
    assert cached == plain


def test_an_invoice_with_attachments_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _invoice()
    cached = parse_email(raw, trusted_authserv_id="mx.example.com")
    assert [p.filename for p in cached.attachments] == [f"faktura č. {n}.pdf" for n in range(3)]
    assert cached.auth_results is not None and cached.auth_results.dkim == "pass"
    monkeypatch.setattr(mime, "_parsing_policy", lambda: policy.default)
    assert _fields(cached) == _fields(parse_email(raw, trusted_authserv_id="mx.example.com"))


def test_each_distinct_header_is_parsed_once_per_message() -> None:
    calls: list[tuple[str, str]] = []

    def registry(name: str, value: str) -> Any:
        calls.append((name, value))
        return policy.default.header_factory(name, value)

    cache = mime._HeaderCache(registry)
    first = cache("Content-Type", "application/pdf; name=a.pdf")
    assert cache("Content-Type", "application/pdf; name=a.pdf") is first
    assert cache("Content-Type", "application/pdf; name=b.pdf") is not first
    assert len(calls) == 2
    # a fresh cache for each message: one message's headers never answer for another's
    assert mime._parsing_policy().header_factory is not mime._parsing_policy().header_factory
