"""Handler tests: the TOML format, the comparison of expected and actual, and the runner.

A handler test is a TOML file named ``*.test.toml`` next to the handler it tests.
``mailwright test [PATH]`` finds them (PATH a test file or a folder searched recursively;
default the current folder), runs every test as a dry run (one transaction, rolled back)
and prints a pass/fail table with, for each failure, what was expected and what happened.

Format::

    # invoices.test.toml
    script = "invoices.jexl"     # the handler, relative to this file
                                 # (default: this file's name with .test.toml -> .jexl,
                                 # else the only .jexl file of the folder)
    purpose = "INVOICES"         # purpose of the throwaway account (default GENERAL)
    # account = "faktury"        # or: run as this account of the configured store

    [[test]]                     # one table per test; the keys above are their defaults
    name = "invoice with two attachments"
    eml = "samples/invoice.eml"  # the e-mail fed as `entity`, relative to this file

    [test.expect]
    result = "..."               # the result's JSON value (see "values" below)
    created_count = 3            # how many records the run created in all
    queued_count = 0

    [[test.expect.created]]      # a record of this type was created ...
    type = "SubmittedDocument"
    count = 1                    # ... exactly this many such records (default: at least one)
    [test.expect.created.fields] # ... with these field values (other fields are not checked)
    state = "NEW"                # a reference given as a string matches a state's code
    attachmentNames = "faktura č. 1.pdf, dodací list.pdf"
    note = { matches = "^email přijatý od jana@example\\.cz" }
    attachments = { length = 2 }

    [[test]]
    name = "another purpose does nothing"
    purpose = "GENERAL"
    eml = "samples/invoice.eml"
    expect = { nothing = true }  # nothing created, changed or queued, and no error

    [[test]]
    name = "inline message"
    [test.message]               # instead of `eml`: a message built from these keys
    from = "Jana Nováková <jana@example.cz>"
    to = ["faktury@firma.cz"]    # a string or a list; also cc, reply_to
    subject = "Faktura 2024/17"
    body = "Dobrý den, ..."      # the text/plain part; `html` adds a text/html part
    date = "2024-05-02T10:00:00+02:00"
    headers = { "X-Priority" = "1" }
    attachments = [
        { name = "faktura.pdf", content_type = "application/pdf", file = "samples/f.pdf" },
        { name = "poznámka.txt", text = "zaplaceno" },   # or base64 = "..."
    ]
    # raw = '''From: ...'''      # or: the whole RFC 5322 message as text

    [[test]]
    name = "a bad attachment fails on line 12"
    eml = "samples/broken.eml"
    expect.error = { line = 12, message = "closest match" }

A file may also hold a single test without ``[[test]]``: ``name``, ``eml`` / ``message``
and ``expect`` at the top level (the name defaults to the file's).

``expect`` keys (all optional; an expectation that is not given is not checked):

- ``result``: the script's value as JSON (``run --json``'s ``result``); ``result_text``:
  its string form as ``mailwright run`` prints it, ``"null"`` for null (TOML has no null).
- ``error``: the run must fail: a table of ``message`` (a substring), ``line``, ``column``,
  ``type`` (``compile``, ``runtime`` or ``limit``). Without ``error`` the run must succeed:
  an unexpected error fails the test and shows the caret display.
- ``created``, ``changed``: lists of ``{type, count, fields}``; ``changed`` fields are the
  changed ones only, and ``removed = true`` expects a record the run removed.
  ``not_created``: a list of ``{type, fields}``: no created record of that type has those
  field values (without ``fields``: none of that type at all).
- ``queued``: a list of tables matched against each queued mail (``to``, ``cc``,
  ``subject``, ...), plus ``count``: ``{ to = "jana@example.cz", subject = { matches =
  "^Re:" } }``. ``to`` given as a string matches when it is one of the recipients.
- ``created_count``, ``changed_count``, ``queued_count``: exact totals.
  ``nothing = true``: nothing created, changed or queued.
- ``logs``: the exact list of log lines; ``log_contains``: a string or list of strings,
  each a substring of some log line. ``warnings_count``: exact number of warnings.

Values: a TOML string, number or boolean equals the actual JSON value (numbers by value:
``1 == 1.0``); a reference (``{"type", "id"}``) given a string matches a state's ``code``
or a file's ``name``; a TOML array matches a list element by element; a table matches the
keys it names and ignores the others. A table made only of these operators tests instead:
``{ matches = "regex" }`` (Python regex, searched in the string form; anchor with ``^``
and ``$``), ``{ contains = x }`` (substring, or an element of a list), ``{ length = n }``
(of a string or list), ``{ null = true }`` (the value is null or absent), ``{ not = v }``
(anything that does not match ``v``).

Mistyped keys are format errors naming the closest key, never silently weaker tests. The
power user's guide is ``docs/handler-tests.md``.
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any

from scriptengine.values import dumps_json

#: log lines shown under a failed test
MAX_LOG_LINES = 10
#: the suffix that marks a handler test file
SUFFIX = ".test.toml"
#: keys a test file may hold at its top level (besides those of a single test)
_FILE_KEYS = frozenset({"script", "purpose", "account", "test"})
#: keys of one test
_TEST_KEYS = frozenset({"name", "script", "purpose", "account", "eml", "message", "expect"})
_EXPECT_KEYS = frozenset(
    {
        "result", "result_text", "error", "created", "changed", "not_created", "queued",
        "created_count", "changed_count", "queued_count", "nothing", "logs", "log_contains",
        "warnings_count",
    }
)  # fmt: skip
_MESSAGE_KEYS = frozenset(
    {"from", "to", "cc", "reply_to", "subject", "body", "html", "date", "headers",
     "attachments", "raw", "message_id"}
)  # fmt: skip
#: keys of the entries of expect.created, .changed, .not_created and .queued
_ENTRY_KEYS = {
    "created": frozenset({"type", "count", "fields"}),
    "changed": frozenset({"type", "count", "fields", "removed"}),
    "not_created": frozenset({"type", "fields"}),
    "queued": frozenset({"to", "cc", "subject", "messageId", "count"}),
}
_ERROR_KEYS = frozenset({"message", "line", "column", "type", "file"})
#: operators of a matcher table (a table made only of these tests instead of matching keys)
_OPERATORS = frozenset({"matches", "contains", "length", "null", "not"})


class TestFormatError(ValueError):
    """A handler test file that cannot be read or does not follow the format; the message
    names the file and the key."""

    __test__ = False  # not a pytest test class, whatever its name


# --- the tests ----------------------------------------------------------------------------


@dataclass
class HandlerTest:
    """One test: the handler to run, the e-mail to feed it and what must follow."""

    name: str
    file: Path
    script: Path
    purpose: str | None = None
    account: str | None = None
    eml: Path | None = None
    message: bytes | None = None
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``folder/file.test.toml: name`` for reports (the path relative to the current
        folder when the file is under it)."""
        return f"{display_path(self.file)}: {self.name}"


def discover(path: Path) -> list[Path]:
    """The handler test files at ``path``: the file itself, or every ``*.test.toml`` under the
    folder (hidden folders skipped), sorted. Raises ``TestFormatError`` when ``path`` does not
    exist."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise TestFormatError(f"{path}: no such file or folder")
    found = []
    for candidate in sorted(path.rglob("*" + SUFFIX)):
        parts = candidate.relative_to(path).parts
        if any(p.startswith(".") for p in parts[:-1]):
            continue
        found.append(candidate)
    return found


def load_file(path: Path) -> list[HandlerTest]:
    """Every test of one ``*.test.toml`` file, in file order.

    Raises ``TestFormatError`` for unreadable TOML, unknown keys (naming the closest one),
    a missing handler or e-mail file, or a test with neither ``eml`` nor ``message``.
    Inline messages are built into RFC 5322 bytes here, so format errors surface before
    anything runs."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TestFormatError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise TestFormatError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise TestFormatError(f"{path}: not valid TOML ({exc})") from None
    base = path.parent
    if "test" in data:
        tables = data["test"]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise TestFormatError(f"{path}: 'test' must be an array of tables ([[test]])")
        _check_keys(path, "", data, _FILE_KEYS)
        defaults = {k: v for k, v in data.items() if k != "test"}
    else:
        _check_keys(path, "", data, _TEST_KEYS)
        tables = [{"name": path.name.removesuffix(SUFFIX), **data}]
        defaults = {}
    tests = []
    for index, table in enumerate(tables, 1):
        where = f"test #{index}"
        _check_keys(path, where, table, _TEST_KEYS)
        spec = {**defaults, **table}
        tests.append(_make_test(path, base, where, spec))
    return tests


def _make_test(path: Path, base: Path, where: str, spec: Mapping[str, Any]) -> HandlerTest:
    name = str(spec.get("name") or where)
    where = f"test '{name}'"
    script = _script_path(path, base, spec.get("script"))
    eml = message = None
    if "eml" in spec and "message" in spec:
        raise TestFormatError(f"{path}: {where}: give 'eml' or 'message', not both")
    if "eml" in spec:
        eml = base / str(spec["eml"])
        if not eml.is_file():
            raise TestFormatError(f"{path}: {where}: e-mail file {spec['eml']} not found")
    elif "message" in spec:
        if not isinstance(spec["message"], dict):
            raise TestFormatError(f"{path}: {where}: 'message' must be a table")
        message = build_message(spec["message"], base, f"{path}: {where}")
    expect = spec.get("expect", {})
    if not isinstance(expect, dict):
        raise TestFormatError(f"{path}: {where}: 'expect' must be a table")
    _check_keys(path, f"{where}: expect", expect, _EXPECT_KEYS)
    for key in ("created", "changed", "not_created", "queued"):
        items = expect.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise TestFormatError(f"{path}: {where}: expect.{key} must be a list of tables")
        if key != "queued" and any("type" not in i for i in items):
            raise TestFormatError(f"{path}: {where}: every expect.{key} entry needs a 'type'")
        for item in items:  # a mistyped key would make the expectation silently weaker
            _check_keys(path, f"{where}: expect.{key}", item, _ENTRY_KEYS[key])
    if "error" in expect:
        if not isinstance(expect["error"], dict):
            raise TestFormatError(f"{path}: {where}: expect.error must be a table")
        _check_keys(path, f"{where}: expect.error", expect["error"], _ERROR_KEYS)
    purpose = spec.get("purpose")
    account = spec.get("account")
    return HandlerTest(
        name=name,
        file=path,
        script=script,
        purpose=None if purpose is None else str(purpose),
        account=None if account is None else str(account),
        eml=eml,
        message=message,
        expect=expect,
    )


def _script_path(path: Path, base: Path, given: Any) -> Path:
    """The handler: ``script`` when given, else ``<stem>.jexl``, else the folder's only one."""
    if given is not None:
        script = base / str(given)
        if not script.is_file():
            raise TestFormatError(f"{path}: handler {given} not found")
        return script
    script = base / (path.name.removesuffix(SUFFIX) + ".jexl")
    if script.is_file():
        return script
    candidates = sorted(base.glob("*.jexl"))
    if len(candidates) == 1:
        return candidates[0]
    raise TestFormatError(
        f'{path}: which handler does it test? set script = "..." '
        f"({script.name} not found, {len(candidates)} .jexl files in the folder)"
    )


def _check_keys(path: Path, where: str, table: Mapping[str, Any], allowed: Iterable[str]) -> None:
    import difflib

    allowed = sorted(allowed)
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            prefix = f"{where}: " if where else ""
            raise TestFormatError(f"{path}: {prefix}unknown key '{key}'{hint}")


# --- inline messages ----------------------------------------------------------------------


def build_message(spec: Mapping[str, Any], base: Path, where: str = "message") -> bytes:
    """The RFC 5322 bytes of an inline ``message`` table (see the module docstring).

    ``raw`` wins over every other key (its line ends become CRLF-free ``\\n``, which the
    parser accepts). Defaults: from ``sender@example.com``, to ``handler@example.com``, an
    empty subject and body. Raises ``TestFormatError`` for unknown keys or a missing
    attachment file."""
    for key in spec:
        if key not in _MESSAGE_KEYS:
            raise TestFormatError(f"{where}: message: unknown key '{key}'")
    if "raw" in spec:
        return str(spec["raw"]).encode("utf-8")
    msg = EmailMessage()
    msg["From"] = str(spec.get("from", "sender@example.com"))
    msg["To"] = ", ".join(_strings(spec.get("to", "handler@example.com")))
    if "cc" in spec:
        msg["Cc"] = ", ".join(_strings(spec["cc"]))
    if "reply_to" in spec:
        msg["Reply-To"] = ", ".join(_strings(spec["reply_to"]))
    msg["Subject"] = str(spec.get("subject", ""))
    date = spec.get("date")
    if date is not None:
        msg["Date"] = _date_header(date)
    msg["Message-ID"] = str(spec.get("message_id", "<handler-test@mailwright.invalid>"))
    headers = spec.get("headers", {})
    if not isinstance(headers, dict):
        raise TestFormatError(f"{where}: message.headers must be a table")
    for name, value in headers.items():
        for one in _strings(value):
            msg[name] = one
    msg.set_content(str(spec.get("body", "")))
    if "html" in spec:
        msg.add_alternative(str(spec["html"]), subtype="html")
    for index, att in enumerate(spec.get("attachments", []), 1):
        if not isinstance(att, dict):
            raise TestFormatError(f"{where}: message.attachments[{index}] must be a table")
        data, ctype = _attachment(att, base, f"{where}: message.attachments[{index}]")
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=att["name"]
        )
    return bytes(msg)


def _date_header(value: Any) -> str:
    """A Date header from a TOML date-time or an ISO 8601 string (without a zone: UTC);
    any other string is used as the header's text."""
    if isinstance(value, str):
        text: str = value
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return format_datetime(value)
    return str(value)


def _attachment(att: Mapping[str, Any], base: Path, where: str) -> tuple[bytes, str]:
    """The bytes and content type of one inline attachment table."""
    if "name" not in att:
        raise TestFormatError(f"{where}: an attachment needs a 'name'")
    given = [k for k in ("file", "text", "base64") if k in att]
    if len(given) != 1:
        raise TestFormatError(f"{where}: give exactly one of 'file', 'text' or 'base64'")
    if "file" in att:
        try:
            data = (base / str(att["file"])).read_bytes()
        except OSError:
            raise TestFormatError(f"{where}: file {att['file']} not found") from None
    elif "text" in att:
        data = str(att["text"]).encode("utf-8")
    else:
        try:
            data = base64.b64decode(str(att["base64"]), validate=True)
        except ValueError:
            raise TestFormatError(f"{where}: 'base64' is not valid base64") from None
    default = "text/plain" if "text" in att else "application/octet-stream"
    ctype = str(att.get("content_type", default))
    return data, ctype


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# --- comparing expected and actual -------------------------------------------------------


class Said(str):
    """A description standing in for a value in a mismatch (``at least 1 record(s)``): shown
    without JSON quotes."""

    __slots__ = ()


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold: where (``created[SubmittedDocument].note``), what
    was expected and what the run gave (JSON-ready values; ``note`` explains when needed)."""

    where: str
    expected: Any
    actual: Any
    note: str = ""


def normalize(report: Mapping[str, Any]) -> dict[str, Any]:
    """A RunReport JSON object (``to_json_obj()``) as plain JSON values: BigDecimal and Float
    numbers (``JsonNumber``) become ``Decimal``, everything else as ``json.loads`` gives it."""
    result: dict[str, Any] = json.loads(dumps_json(dict(report)), parse_float=Decimal)
    return result


def matches(expected: Any, actual: Any) -> bool:
    """Whether the JSON value ``actual`` satisfies the TOML value ``expected`` (the rules of
    the module docstring: numbers by value, references by code or name, tables partially,
    operator tables as tests)."""
    return _why_not(expected, actual) is None


def _why_not(expected: Any, actual: Any) -> str | None:
    """None when ``actual`` satisfies ``expected``, else a short reason (may be empty)."""
    if isinstance(expected, dict) and expected and set(expected) <= _OPERATORS:
        return _operators(expected, actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return None if type(expected) is type(actual) and expected == actual else ""
    if isinstance(expected, (int, float, Decimal)):
        number = _number(actual)
        return None if number is not None and number == _number(expected) else ""
    if isinstance(expected, str):
        if isinstance(actual, dict):
            # a reference: a state by its code, a file by its name
            for key in ("code", "name"):
                if key in actual:
                    return None if actual[key] == expected else ""
            return ""
        return None if actual == expected else ""
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return ""
        for index, (e, a) in enumerate(zip(expected, actual)):
            if _why_not(e, a) is not None:
                return f"element {index + 1} differs"
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ""
        for key, e in expected.items():
            if key not in actual:
                return f"no key '{key}'"
            if _why_not(e, actual[key]) is not None:
                return f"'{key}' differs"
        return None
    # TOML dates and times: compare with the ISO text
    return None if str(getattr(expected, "isoformat", lambda: expected)()) == actual else ""


def _operators(ops: Mapping[str, Any], actual: Any) -> str | None:
    for op, arg in ops.items():
        if op == "null":
            if (actual is None) != bool(arg):
                return "is null" if actual is None else "is not null"
        elif op == "not":
            if _why_not(arg, actual) is None:
                return "matches what it must not"
        elif op == "length":
            if not isinstance(actual, (str, list)) or len(actual) != arg:
                size = len(actual) if isinstance(actual, (str, list)) else None
                return f"length {size}" if size is not None else "has no length"
        elif op == "contains":
            if isinstance(actual, str):
                if str(arg) not in actual:
                    return "does not contain it"
            elif isinstance(actual, list):
                if not any(_why_not(arg, a) is None for a in actual):
                    return "has no such element"
            else:
                return "is neither a string nor a list"
        elif op == "matches":
            text = _text(actual)
            if text is None or re.search(str(arg), text) is None:
                return "does not match"
    return None


def _text(value: Any) -> str | None:
    """The string a ``matches`` test searches: strings, numbers, a reference's code/name."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("code", "name"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def compare(expect: Mapping[str, Any], report: Mapping[str, Any]) -> list[Mismatch]:
    """Every expectation of ``expect`` that the normalized report does not meet, in the order
    of the module docstring (error first: a failed run makes most other checks moot)."""
    out: list[Mismatch] = []
    error = report.get("error")
    if "error" in expect:
        out += _compare_error(expect["error"], error)
        if error is not None:
            return out + _compare_logs(expect, report)
    elif error is not None:
        out.append(Mismatch("error", None, error, "the run failed"))
        return out
    if "result" in expect and not matches(expect["result"], report.get("result")):
        out.append(Mismatch("result", expect["result"], report.get("result")))
    if "result_text" in expect:
        actual = _result_text(report.get("result"))
        if actual != expect["result_text"]:
            out.append(Mismatch("result_text", expect["result_text"], actual))
    created = list(report.get("created", []))
    changed = list(report.get("changed", []))
    queued = list(report.get("queued", []))
    out += _compare_records("created", expect.get("created", []), created)
    out += _compare_records("changed", expect.get("changed", []), changed)
    for spec in expect.get("not_created", []):
        hits = _records_matching(spec, created)
        if hits:
            out.append(
                Mismatch(f"not_created[{spec['type']}]", Said("no such record"), hits, "created")
            )
    out += _compare_queued(expect.get("queued", []), queued)
    for key, items in (("created", created), ("changed", changed), ("queued", queued)):
        want = expect.get(f"{key}_count")
        if want is not None and len(items) != want:
            out.append(Mismatch(f"{key}_count", want, len(items), _summary(items)))
    if expect.get("nothing"):
        for key, items in (("created", created), ("changed", changed), ("queued", queued)):
            if items:
                out.append(Mismatch(f"nothing ({key})", [], items))
    out += _compare_logs(expect, report)
    want_warnings = expect.get("warnings_count")
    warnings = report.get("warnings", [])
    if want_warnings is not None and len(warnings) != want_warnings:
        out.append(Mismatch("warnings_count", want_warnings, len(warnings), "; ".join(warnings)))
    return out


def _result_text(value: Any) -> str:
    """The result as ``mailwright run`` shows it (JSON values; null as ``null``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _compare_error(spec: Mapping[str, Any], error: Any) -> list[Mismatch]:
    if error is None:
        return [Mismatch("error", dict(spec), None, "the run succeeded")]
    out = []
    for key, want in spec.items():
        got = error.get(key)
        ok = (want in str(got)) if key == "message" else matches(want, got)
        if not ok:
            out.append(Mismatch(f"error.{key}", want, got, error.get("message", "")))
    return out


def _compare_logs(expect: Mapping[str, Any], report: Mapping[str, Any]) -> list[Mismatch]:
    logs = list(report.get("logs", []))
    out = []
    if "logs" in expect and list(expect["logs"]) != logs:
        out.append(Mismatch("logs", list(expect["logs"]), logs))
    for piece in _strings(expect.get("log_contains", [])):
        if not any(piece in line for line in logs):
            out.append(Mismatch("log_contains", piece, logs, "no log line contains it"))
    return out


def _records_matching(spec: Mapping[str, Any], records: Sequence[Any]) -> list[Any]:
    fields = spec.get("fields", {})
    removed = spec.get("removed")
    return [
        r
        for r in records
        if isinstance(r, dict)
        and r.get("type") == spec["type"]
        and matches(fields, r.get("fields", {}))
        and (removed is None or bool(r.get("removed", False)) == removed)
    ]


def _compare_records(
    kind: str, specs: Sequence[Mapping[str, Any]], records: Sequence[Any]
) -> list[Mismatch]:
    out = []
    for spec in specs:
        where = f"{kind}[{spec['type']}]"
        hits = _records_matching(spec, records)
        count = spec.get("count")
        if count is not None and len(hits) == count:
            continue
        if count is None and hits:
            continue
        same_type = [r for r in records if isinstance(r, dict) and r.get("type") == spec["type"]]
        fields = spec.get("fields", {})
        if not hits and same_type:
            # the closest record of that type: report its fields that differ
            closest = min(same_type, key=lambda r: len(_field_mismatches(fields, r)))
            differ = _field_mismatches(fields, closest)
            for name, want, got in differ:
                note = f"closest: id {closest.get('id')}"
                out.append(Mismatch(f"{where}.{name}", want, got, note))
            if differ:
                continue
        want = f"{count if count is not None else 'at least 1'}" + (
            " removed" if spec.get("removed") else ""
        )
        out.append(
            Mismatch(
                where, Said(f"{want} record(s)"), Said(f"{len(hits)} record(s)"), _summary(records)
            )
        )
    return out


def _field_mismatches(fields: Mapping[str, Any], record: Mapping[str, Any]) -> list[Any]:
    actual = record.get("fields", {})
    missing = object()
    out: list[Any] = []
    for name, want in fields.items():
        got = actual.get(name, missing) if isinstance(actual, dict) else missing
        if got is missing:
            if not (isinstance(want, dict) and want.get("null") is True):
                out.append((name, want, Said("(no such field reported)")))
        elif not matches(want, got):
            out.append((name, want, got))
    return out


def _compare_queued(specs: Sequence[Mapping[str, Any]], queued: Sequence[Any]) -> list[Mismatch]:
    out = []
    for index, spec in enumerate(specs, 1):
        count = spec.get("count")
        wanted = {k: v for k, v in spec.items() if k != "count"}
        hits = [q for q in queued if isinstance(q, dict) and _queued_matches(wanted, q)]
        if (count is None and hits) or (count is not None and len(hits) == count):
            continue
        want = f"{count if count is not None else 'at least 1'} mail(s) like {wanted}"
        out.append(Mismatch(f"queued #{index}", Said(want), queued, f"{len(hits)} matched"))
    return out


def _queued_matches(wanted: Mapping[str, Any], mail: Mapping[str, Any]) -> bool:
    for key, want in wanted.items():
        got = mail.get(key)
        if key in ("to", "cc", "bcc") and isinstance(want, str) and isinstance(got, list):
            # one recipient named: it must be among them (by address, display names aside)
            addresses = [a.lower() for _, a in getaddresses([str(g) for g in got])]
            if want.lower() not in addresses and want not in got:
                return False
        elif not matches(want, got):
            return False
    return True


def _summary(items: Sequence[Any]) -> str:
    """``2 SubmittedDocument, 1 SubmittedDocumentAttachment`` for a report line."""
    counts: dict[str, int] = {}
    for item in items:
        key = str(item.get("type", "mail")) if isinstance(item, dict) else "?"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {t}" for t, n in counts.items()) or "none"


# --- running ------------------------------------------------------------------------------

#: runs one test's handler on its e-mail and returns the RunReport JSON object
Executor = Callable[[HandlerTest], Mapping[str, Any]]


@dataclass
class TestOutcome:
    """What became of one test: its mismatches, the run's report (normalized JSON), or the
    reason it could not run at all (``crash``)."""

    __test__ = False  # not a pytest test class, whatever its name

    test: HandlerTest
    mismatches: list[Mismatch] = field(default_factory=list)
    report: dict[str, Any] | None = None
    crash: str | None = None

    @property
    def passed(self) -> bool:
        return self.crash is None and not self.mismatches

    @property
    def status(self) -> str:
        """``PASS``, ``FAIL`` (an expectation did not hold) or ``ERROR`` (could not run)."""
        if self.crash is not None:
            return "ERROR"
        return "FAIL" if self.mismatches else "PASS"


def run_test(test: HandlerTest, executor: Executor) -> TestOutcome:
    """Run one test through ``executor`` and compare; never raises for a test's failure
    (an exception of the executor becomes ``crash``)."""
    try:
        report = normalize(executor(test))
    except Exception as exc:  # one broken test must not stop the others
        return TestOutcome(test, crash=str(exc) or type(exc).__name__)
    return TestOutcome(test, compare(test.expect, report), report)


def run_tests(tests: Iterable[HandlerTest], executor: Executor) -> list[TestOutcome]:
    """Every test's outcome, in order."""
    return [run_test(test, executor) for test in tests]


def runner_executor(context: Any = None, config: Path | None = None) -> Executor:
    """An executor over ``runtime.runner.run_file``: a dry run (never committed) of the test's
    handler on its e-mail, with the test's purpose or account, against ``context`` (an open
    ``runtime.context.AppContext``, shared by every test: each run rolls back), else the
    store of ``config``, else a throwaway store per test.

    The runner's keyword arguments are looked up on its signature, so a runner without
    e-mail support reports that plainly instead of failing with a TypeError."""

    def execute(test: HandlerTest) -> Mapping[str, Any]:
        from .runner import run_file

        accepted = inspect.signature(run_file).parameters
        source = test.script.read_text(encoding="utf-8")
        kwargs: dict[str, Any] = {}
        if test.purpose is not None:
            kwargs["purpose"] = test.purpose
        if test.account is not None:
            if "account" not in accepted:
                raise RuntimeError("this runner cannot run as a configured account")
            kwargs["account"] = test.account
        if context is not None and "context" in accepted:
            kwargs["context"] = context
        elif config is not None and "config" in accepted:
            kwargs["config"] = config
        if "commit" in accepted:
            kwargs["commit"] = False
        if "eml" not in accepted:
            raise RuntimeError("this runner cannot feed an e-mail to the handler yet")
        if test.eml is not None:
            kwargs["eml"] = str(test.eml)
        else:
            kwargs["eml"] = test.message or b""
        # the report names the handler as the user wrote its path (relative when it can)
        report = run_file(display_path(test.script), source, **kwargs)
        result: Mapping[str, Any] = report.to_json_obj()
        return result

    return execute


def display_path(path: Path) -> str:
    """``path`` relative to the current folder when it is under it, else as it is."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- the report ---------------------------------------------------------------------------


def _show(value: Any) -> str:
    """A value in a failure's diff: JSON (non-ASCII kept); a ``Said`` description as is."""
    if isinstance(value, Said):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def error_display(error: Mapping[str, Any], script: Path | None) -> list[str]:
    """The caret display of a run's error object: ``file:line:col: message``, the source line
    and a caret under the column (the line is read from ``script`` when it can be)."""
    line = int(error.get("line") or 0)
    column = int(error.get("column") or 0)
    lines = [f"{error.get('file')}:{line}:{column}: {error.get('message')}"]
    text = None
    if script is not None and line > 0:
        try:
            source_lines = script.read_text(encoding="utf-8").splitlines()
            text = source_lines[line - 1] if line <= len(source_lines) else None
        except OSError:
            text = None
    if text is not None:
        lines.append("    " + text)
        lines.append("    " + " " * max(column - 1, 0) + "^")
    return lines


def failure_lines(outcome: TestOutcome) -> list[str]:
    """The details of a failed test: for each mismatch, where, ``- expected`` and ``+ actual``;
    an unexpected error with its caret display; then the handler's first log lines. A crash
    is one line."""
    if outcome.crash is not None:
        return [f"could not run: {outcome.crash}"]
    lines: list[str] = []
    for m in outcome.mismatches:
        if m.where == "error" and m.expected is None and isinstance(m.actual, dict):
            lines.append("unexpected error:")
            lines += ["  " + x for x in error_display(m.actual, outcome.test.script)]
            continue
        lines.append(m.where + (f"  ({m.note})" if m.note else ""))
        lines.append(f"  - expected: {_show(m.expected)}")
        lines.append(f"  + actual:   {_show(m.actual)}")
    logs = (outcome.report or {}).get("logs") or []
    if logs:  # what the handler said often explains what it did
        lines.append("the handler logged:")
        lines += [f"  {line}" for line in logs[:MAX_LOG_LINES]]
        if len(logs) > MAX_LOG_LINES:
            lines.append(f"  ... and {len(logs) - MAX_LOG_LINES} more")
    return lines


def outcomes_json(outcomes: Sequence[TestOutcome]) -> dict[str, Any]:
    """The outcomes as one JSON-ready object (``mailwright test --json``): counts, then per
    test its file, name, status, mismatches (where, expected, actual, note) and crash."""
    tests = []
    for o in outcomes:
        tests.append(
            {
                "file": display_path(o.test.file),
                "name": o.test.name,
                "status": o.status,
                "mismatches": [
                    {"where": m.where, "expected": m.expected, "actual": m.actual, "note": m.note}
                    for m in o.mismatches
                ],
                "crash": o.crash,
            }
        )
    return {
        "passed": sum(o.status == "PASS" for o in outcomes),
        "failed": sum(o.status == "FAIL" for o in outcomes),
        "errors": sum(o.status == "ERROR" for o in outcomes),
        "tests": tests,
    }


def summary(outcomes: Sequence[TestOutcome]) -> str:
    """``3 passed, 1 failed, 1 could not run`` (``no handler tests found`` when empty)."""
    if not outcomes:
        return "no handler tests found"
    passed = sum(o.status == "PASS" for o in outcomes)
    failed = sum(o.status == "FAIL" for o in outcomes)
    errors = sum(o.status == "ERROR" for o in outcomes)
    parts = [f"{passed} passed", f"{failed} failed"]
    if errors:
        parts.append(f"{errors} could not run")
    return ", ".join(parts)
