"""Host functions that every handler script sees (the original product's and mailwright's).

ARCHITECTURE.md ("Handler runtime") lists them. ``log`` and ``join`` need nothing; the
store functions (``createNew``, ``findState``, ``persist``, ``remove``, ``changeState``,
``find``, ``findOne``, ``findAll``, ``count``, ``param``, ``sendMail``, ``reply``) work on
the current run's `runtime.session.RunSession` and fail with a plain error when the run
has no store. Each is registered with its argument counts, so ``check`` knows them, and
charges its work to the run's thread. The library functions (dates, JSON, XML) come from
``runtime.functions``.

``handler_engine()`` gives an engine with all of them and every type scripts can meet
registered for ``check`` (the schema's types, the e-mail's faces, dates), with ``entity``
declared a ReceivedEmail.
"""

from __future__ import annotations

import datetime as dt
import difflib
import linecache
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mailstore.outmessage import header_text, new_message_id, parse_addresses
from mailstore.schema import EntitySchema, default_schema
from scriptengine import Engine, Options
from scriptengine.access import script_position
from scriptengine.errors import Diagnostic, EvalError
from scriptengine.host import HostFunction
from scriptengine.resolve import TYPE_FROM_FIRST_ARGUMENT
from scriptengine.thread import Thread
from scriptengine.values import JArray, JSet, java_class_name, to_string

from .email import AttachmentRecord, EmailRecord, FileRecord, face_type_infos
from .records import (
    READABLE_BUILTINS,
    EntityRecord,
    Record,
    StateRecord,
    article,
    builtin_type_info,
    schema_type_infos,
)
from .robot import loop_guard, rate_limit, robot_address
from .session import RunSession, current_session


def _log(thread: Thread, *args: Any) -> None:
    """``log(a, b, ...)``: one log line, the arguments' string forms joined by spaces."""
    text = " ".join("null" if a is None else to_string(a) for a in args)
    thread.charge(len(args))
    thread.log(text)


def _join(thread: Thread, items: Any, separator: Any = ", ") -> str:
    """``join(list, separator)``: the items' string forms joined; null items show as ``null``."""
    if items is None:
        return ""
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise EvalError("join expects a list, an array or a set as its first argument")
    sep = "" if separator is None else to_string(separator)
    parts: list[str] = []
    total = 0
    for item in items:
        text = "null" if item is None else to_string(item)
        total += len(text) + len(sep)
        parts.append(text)
    thread.charge(len(parts) + 1)
    thread.check_string(total)
    return sep.join(parts)


# --- the store ----------------------------------------------------------------------------


def _session(thread: Thread, function: str) -> RunSession:
    session = current_session(function)
    session.thread = thread
    return session


def _create_new(thread: Thread, type_name: Any) -> EntityRecord:
    return _session(thread, "createNew").create(type_name)


def _find_state(thread: Thread, type_name: Any, code: Any) -> StateRecord:
    return _session(thread, "findState").find_state(type_name, code)


def _persist(thread: Thread, record: Any) -> Any:
    return _session(thread, "persist").persist(record)


def _remove(thread: Thread, record: Any) -> None:
    _session(thread, "remove").remove(record)


def _change_state(thread: Thread, record: Any, code: Any) -> Any:
    return _session(thread, "changeState").change_state(record, code)


def _find(thread: Thread, type_name: Any, record_id: Any) -> Any:
    return _session(thread, "find").find(type_name, record_id)


def _find_one(thread: Thread, type_name: Any, filters: Any) -> Any:
    return _session(thread, "findOne").find_one(type_name, filters)


def _find_all(
    thread: Thread, type_name: Any, filters: Any = None, options: Any = None
) -> list[Any]:
    return _session(thread, "findAll").find_all(type_name, filters, options)


def _count(thread: Thread, type_name: Any, filters: Any = None) -> int:
    return _session(thread, "count").count(type_name, filters)


def _param(thread: Thread, name: Any) -> str | None:
    return _session(thread, "param").param(name)


# --- outgoing mail ------------------------------------------------------------------------

_MAIL_OPTIONS = ("cc", "bcc", "html", "attachments", "relatedTo")
_REPLY_OPTIONS = (*_MAIL_OPTIONS, "subject", "to")
#: answer prefixes a reply's subject drops before adding ``Re: ``: Re, RE, Re[2], Re(2),
#: and the German, Czech and Nordic ones (AW, Odp, SV); ``Fwd:`` is kept
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw|odp|sv)\s*(?:\[\d+\]|\(\d+\))?\s*:)+\s*", re.I)


def _no_line_breaks(what: str, text: str) -> str:
    # Header injection: a CR or LF in a header value would start a new header line.
    try:
        return header_text(text, what)
    except ValueError as err:
        raise EvalError(str(err)) from None


def _addresses(what: str, value: Any) -> list[str]:
    """A String or a List of Strings as checked e-mail addresses (``Jana <j@x.cz>`` too; a
    String with several, separated by commas, gives each). A domain in Unicode becomes its
    ASCII form."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | JArray | JSet):
        raise EvalError(
            f"{what} is an address or a List of addresses, not {java_class_name(value)}"
        )
    out = []
    for item in items:
        if not isinstance(item, str):
            raise EvalError(f"{what}: an address is a String, not {java_class_name(item)}")
        try:
            out += [str(a) for a in parse_addresses(str(item), f"an address in {what}")]
        except ValueError as err:
            raise EvalError(str(err)) from None
    return out


def _check_options(function: str, options: Any, allowed: tuple[str, ...]) -> Mapping[Any, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise EvalError(f"{function} expects its options as a Map, not {java_class_name(options)}")
    for key in options:
        if key not in allowed:
            close = difflib.get_close_matches(to_string(key), allowed, n=1)
            raise EvalError(
                f"{function}: unknown option '{to_string(key)}' ({', '.join(allowed)})",
                hint=f"did you mean '{close[0]}'?" if close else None,
            )
    return options


def _attachment_files(function: str, value: Any) -> list[Record]:
    if value is None:
        return []
    items = value if isinstance(value, list | JArray | JSet) else [value]
    files: list[Record] = []
    for item in items:
        if isinstance(item, AttachmentRecord):
            item = item.jexl_get("attachedFile")
        elif isinstance(item, EntityRecord):
            found = [f.name for f in item.spec.fields if f.kind == "file"]
            if len(found) == 1:
                item = item.jexl_get(found[0])
        if not isinstance(item, FileRecord):
            raise EvalError(
                f"{function}: attachments are files (attachedFile), not "
                + article(java_class_name(item))
            )
        files.append(item)
    return files


def _related(function: str, value: Any) -> tuple[str | None, int | None]:
    if value is None:
        return None, None
    if not isinstance(value, Record):
        raise EvalError(f"{function}: relatedTo is a record, not {java_class_name(value)}")
    if value.record_id is None:
        raise EvalError(f"{function}: relatedTo: persist the {value.type_name} first")
    return value.type_name, value.record_id


def _message_id(session: RunSession) -> str:
    robot = robot_address(session.store) or ""
    return new_message_id(robot.rpartition("@")[2])


def _text(function: str, what: str, value: Any, *, header: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EvalError(f"{function}: the {what} is a String, not {java_class_name(value)}")
    text = str(value)
    return _no_line_breaks(f"the {what}", text) if header else text


def reply_subject(original: str | None) -> str:
    """The subject of a reply: ``Re: `` and the original without its answer prefixes
    (``RE: Re[2]: AW: x`` -> ``Re: x``; ``Fwd: x`` -> ``Re: Fwd: x``)."""
    rest = _REPLY_PREFIX.sub("", (original or "").strip(), count=1)
    return f"Re: {rest}".rstrip()


def _reply_references(row: Any) -> list[str]:
    """The original's References and its Message-ID: the thread so far (capped when the
    message is built, `mailstore.outmessage.MAX_REFERENCES`)."""
    refs = [str(r) for r in (row.references or [])]
    if row.messageId and (not refs or refs[-1] != row.messageId):
        refs.append(str(row.messageId))
    return refs


def _queue(
    session: RunSession,
    function: str,
    to: list[str],
    subject: str,
    body: str,
    opts: Mapping[Any, Any],
    extra: dict[str, Any],
) -> str:
    if not to:
        raise EvalError(f"{function}: no addressee")
    html = opts.get("html")
    if html is not None and not isinstance(html, str):
        raise EvalError(f"{function}: html is a String, not {java_class_name(html)}")
    related_type, related_id = _related(function, opts.get("relatedTo"))
    fields = {
        "messageId": _message_id(session),
        "to": to,
        "cc": _addresses("cc", opts.get("cc")),
        "bcc": _addresses("bcc", opts.get("bcc")),
        "subject": subject,
        "body": body,
        "bodyHtml": None if html is None else str(html),
        "relatedType": related_type,
        "relatedId": related_id,
        **extra,
    }
    if session.thread is not None:
        session.thread.check_string(len(body) + len(fields["bodyHtml"] or ""))
    row = session.queue(fields, _attachment_files(function, opts.get("attachments")))
    return str(row.messageId)


def _send_mail(thread: Thread, to: Any, subject: Any, body: Any, options: Any = None) -> str:
    """``sendMail(to, subject, body, {...})``: queue a message; returns its Message-ID."""
    session = _session(thread, "sendMail")
    opts = _check_options("sendMail", options, _MAIL_OPTIONS)
    return _queue(
        session,
        "sendMail",
        _addresses("to", to),
        _text("sendMail", "subject", subject, header=True),
        _text("sendMail", "body", body),
        opts,
        {"autoSubmitted": "auto-generated"},
    )


def _skip_reply(thread: Thread, reason: str) -> None:
    """Record a reply the guards stopped: a log line (kept in the ScriptRun) and a warning
    at the script's position (``run --json`` "warnings"). The same stop at the same place
    is recorded once, its warning counting the repeats (a loop must not fill the log)."""
    message = f"reply not sent: {reason}"
    filename, line, column = script_position()
    for seen in thread.warnings:
        if (
            isinstance(seen, Diagnostic)
            and seen.code == "reply-skipped"
            and (seen.filename, seen.line, seen.column, seen.message)
            == (filename, line, column, message)
        ):
            seen.extra["count"] = seen.extra.get("count", 1) + 1
            return
    thread.log(message)
    source = linecache.getline(f"<jexl:{filename}>", line) if line else None
    thread.warn(
        Diagnostic(
            "warning", message, filename, line, column, source or None, None, "reply-skipped"
        )
    )


def _reply(thread: Thread, received: Any, body: Any, options: Any = None) -> str | None:
    """``reply(email, body, {...})``: queue an answer to a received e-mail (to its
    Reply-To, else its sender; ``Re:`` subject; In-Reply-To and References set); returns
    its Message-ID, or null when the loop guards or the rate limit stopped it."""
    session = _session(thread, "reply")
    if not isinstance(received, EmailRecord):
        raise EvalError(
            "reply expects a received e-mail (entity), not " + article(java_class_name(received))
        )
    opts = _check_options("reply", options, _REPLY_OPTIONS)
    row = received.row
    to = _addresses("to", opts.get("to")) if opts.get("to") is not None else []
    if not to:
        to = _addresses("to", list(row.replyTo or []) or row.mailFrom)
    if not to:
        raise EvalError("reply: the e-mail has no sender or Reply-To address to answer")
    subject = opts.get("subject")
    if subject is None:
        subject = reply_subject(row.subject)
    subject = _text("reply", "subject", subject, header=True)
    body_text = _text("reply", "body", body)
    recipients = [*to, *_addresses("cc", opts.get("cc")), *_addresses("bcc", opts.get("bcc"))]
    config = session.store.config
    per_hour = config.auto_replies_per_hour if config is not None else 10
    reason = loop_guard(session.store, row, recipients) or rate_limit(recipients, per_hour)
    session.charge(2)
    if reason is not None:
        _skip_reply(thread, reason)
        return None
    return _queue(
        session,
        "reply",
        to,
        subject,
        body_text,
        opts,
        {
            "inReplyTo": row.messageId,
            "references": _reply_references(row),
            "autoSubmitted": "auto-replied",
        },
    )


def _fn(name: str, fn: Any, lo: int, hi: int | None, returns: str | None, doc: str) -> HostFunction:
    return HostFunction(name, fn, lo, hi, returns=returns, takes_thread=True, doc=doc)


def standard_functions() -> list[HostFunction]:
    """The host functions registered on every handler engine (without the library
    functions of ``runtime.functions``)."""
    return [
        _fn("log", _log, 0, None, None, "log(a, b, ...): adds a line to the run's log"),
        _fn(
            "join", _join, 1, 2, "String", "join(list, separator): the items joined into one String"
        ),
        _fn(
            "createNew",
            _create_new,
            1,
            1,
            TYPE_FROM_FIRST_ARGUMENT,
            "createNew(type): a new record of a schema type, in its initial state",
        ),
        _fn("findState", _find_state, 2, 2, "State", "findState(type, code): a State"),
        _fn("persist", _persist, 1, 1, None, "persist(record): insert or save, with its lists"),
        _fn("remove", _remove, 1, 1, None, "remove(record): delete a stored record"),
        _fn("changeState", _change_state, 2, 2, None, "changeState(record, code)"),
        _fn("find", _find, 2, 2, TYPE_FROM_FIRST_ARGUMENT, "find(type, id): the record or null"),
        _fn(
            "findOne",
            _find_one,
            2,
            2,
            TYPE_FROM_FIRST_ARGUMENT,
            "findOne(type, {'field': value}): the one match, null, or an error if several",
        ),
        _fn(
            "findAll",
            _find_all,
            1,
            3,
            "List",
            "findAll(type, {'field': value}, {'orderBy': '-field', 'limit': n})",
        ),
        _fn("count", _count, 1, 2, "Integer", "count(type, {'field': value}): how many match"),
        _fn("param", _param, 1, 1, "String", "param(name): a global parameter's value or null"),
        _fn(
            "sendMail",
            _send_mail,
            3,
            4,
            "String",
            "sendMail(to, subject, body, {cc, bcc, html, attachments, relatedTo}): queue mail",
        ),
        _fn(
            "reply",
            _reply,
            2,
            3,
            "String",
            "reply(email, body, {...}): queue an answer; null when the loop guards stop it",
        ),
    ]


def library_functions(zone: dt.tzinfo | None = None) -> list[HostFunction]:
    """``runtime.functions.library_functions`` (dates, JSON, XML), or none when that
    module is absent."""
    try:
        from .functions import library_functions as lib
    except ImportError:  # pragma: no cover - shipped together
        return []
    return lib(zone)


def script_types(schema: EntitySchema | None = None) -> dict[str, Any]:
    """Every TypeInfo a handler script can meet: the schema's types, the State, the
    e-mail's faces, the readable built-ins and the library's (dates, XML elements)."""
    from .records import StateRecord as _State

    infos: dict[str, Any] = {}
    infos.update(schema_type_infos(schema or default_schema()))
    infos["State"] = _State.jexl_type
    infos.update(face_type_infos())
    for name in READABLE_BUILTINS:
        infos[name] = builtin_type_info(name)
    from .functions import library_types

    for info in library_types():  # dates, days, months, XML elements
        infos[info.name] = info
    return infos


def handler_engine(
    schema: EntitySchema | None = None,
    zone: dt.tzinfo | None = None,
    options: Options | None = None,
) -> Engine:
    """An engine with every host function and type handler scripts see, ``entity``
    declared a ReceivedEmail (so ``check`` knows its members)."""
    engine = Engine(options)
    for function in [*standard_functions(), *library_functions(zone)]:
        engine.register_function(
            function.name,
            function.fn,
            function.min_args,
            function.max_args,
            returns=function.returns,
            takes_thread=function.takes_thread,
        )
    for info in script_types(schema).values():
        engine.register_type(info)
    engine.declare_variable("entity", "ReceivedEmail")
    return engine
