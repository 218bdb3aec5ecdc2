"""The interactive shell of ``mailwright repl``: type statements, see values, try handlers.

Like starlark's ``repl.go``: an input is read until it parses as a complete script (an
``unexpected end of script`` means more lines are wanted), then run in one `Session` of the
engine, so variables and functions defined by one input are visible to the next. An
expression's value is printed; errors show the caret display, never a Python traceback.
Ctrl-C drops the input being typed (or stops the one running); Ctrl-D or ``:quit`` leaves.

Commands (a line starting with ``:``)::

    :email FILE     load an .eml as `entity` (stored in the dry-run transaction)
    :load SCRIPT    run a script file in the session (a handler, a library of functions)
    :records        what the session created, changed and queued so far
    :commit         keep what the session wrote (a new transaction starts)
    :rollback       forget what the session wrote (a new transaction starts)
    :help           this list
    :quit           leave (what was not committed is rolled back)

Everything is a dry run until ``:commit``. The store side (``entity``, records, the
transaction) is a `ReplBackend`; without one (`EngineBackend`) the shell is a plain
calculator of the language with the handler functions that need no store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from scriptengine import Engine, ScriptError, Session, Thread
from scriptengine import nodes as n
from scriptengine.host import HostObject, TypeInfo
from scriptengine.values import JSet, java_class_name, to_string

from .lexer import KEYWORDS, WORD_OPERATORS

#: what ``:help`` prints (the module docstring says the same)
HELP = (
    ":email FILE     load an .eml as `entity` (stored in the dry-run transaction)",
    ":load SCRIPT    run a script file in the session (a handler, a library of functions)",
    ":records        what the session created, changed and queued so far",
    ":commit         keep what the session wrote (a new transaction starts)",
    ":rollback       forget what the session wrote (a new transaction starts)",
    ":help           this list",
    ":quit           leave (what was not committed is rolled back)",
)

#: syntax errors that mean "the input goes on": the parser reached the end too early
_INCOMPLETE = ("unexpected end of script", "unterminated comment", "unterminated template")


def is_complete(text: str) -> bool:
    """Whether ``text`` is a whole input: blank, a ``:command``, or source that parses, or
    source whose syntax error is not at its end (so running it shows the error). False only
    when the parser ran out of input: an open bracket, string template or comment."""
    from scriptengine.parser import parse

    stripped = text.strip()
    if not stripped or stripped.startswith(":"):
        return True
    try:
        parse(text, "<repl>")
    except ScriptError as err:
        return not err.message.startswith(_INCOMPLETE)
    return True


def _last_expression(text: str) -> n.Expr | None:
    """The expression of ``text``'s last statement when it is an expression statement."""
    from scriptengine.parser import parse

    try:
        body = parse(text, "<repl>").body
    except ScriptError:
        return None
    if not body or not isinstance(body[-1], n.ExpressionStatement):
        return None
    return body[-1].expr


def shows_value(text: str) -> bool:
    """Whether the value of ``text`` is worth printing: its last statement is an expression
    that is not an assignment (``x = 1`` and ``var x = 1`` print nothing, as in starlark)."""
    expr = _last_expression(text)
    return expr is not None and not isinstance(expr, (n.Assignment, n.IncDec))


def _is_call(text: str) -> bool:
    """Whether the last statement is a call: its null (``log(...)``) is not worth a line."""
    return isinstance(_last_expression(text), (n.FunctionCall, n.MethodCall, n.CallExpr))


def format_value(value: Any, depth: int = 0) -> str:
    """A value as the REPL prints it, in the language's literal syntax where it has one:
    strings quoted (so ``'1'`` and ``1`` differ), lists and arrays ``[1, 2]``, sets
    ``{1, 2}``, maps ``{'a': 1}`` (empty: ``{:}``); the rest by its ``toString``, null as
    ``null``. Java's own ``toString`` of an array is an identity hash, useless here."""
    if value is None:
        return "null"
    if type(value) is str:  # not a Character (a str subclass), shown bare as Java does
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if depth > 20:
        return "..."
    if isinstance(value, (list, JSet)):
        items = ", ".join(format_value(v, depth + 1) for v in value)
        return f"{{{items}}}" if isinstance(value, JSet) else f"[{items}]"
    if isinstance(value, dict):
        if not value:
            return "{:}"
        pairs = (
            f"{format_value(k, depth + 1)}: {format_value(v, depth + 1)}" for k, v in value.items()
        )
        return "{" + ", ".join(pairs) + "}"
    return to_string(value)


# --- the store side -----------------------------------------------------------------------


class ReplBackend(Protocol):
    """What the REPL needs from the store: the engine, the host variables and a dry-run
    transaction. Every method returns the lines to print; errors are ``ReplError``."""

    engine: Engine

    def thread(self, print: Callable[[str], None] | None = None) -> Thread:
        """A new run state for one input (its limits, its ``log`` callback)."""

    def variables(self) -> Mapping[str, Any]:
        """The host variables of every input (``entity``)."""

    def load_email(self, path: Path) -> list[str]:
        """Store the .eml at ``path`` in the transaction and make it ``entity``."""

    def records(self) -> list[str]:
        """What the session created, changed and queued so far."""

    def state_codes(self, type_name: str) -> list[str]:
        """The state codes of a type of the schema (for ``findState('T', '`` completion)."""

    def commit(self) -> list[str]:
        """Keep what was written; a new transaction starts."""

    def rollback(self) -> list[str]:
        """Forget what was written; a new transaction starts."""

    def close(self) -> None:
        """Roll back what is pending and release the store."""


class ReplError(Exception):
    """A command that cannot be done (a missing file, no store): one line for the user."""


class EngineBackend:
    """A backend without a store: the handler engine, ``entity`` null, nothing to commit."""

    def __init__(self, engine: Engine | None = None) -> None:
        if engine is None:
            from .runner import handler_engine

            engine = handler_engine()
        self.engine = engine

    def thread(self, print: Callable[[str], None] | None = None) -> Thread:
        return self.engine.thread(print=print)

    def variables(self) -> Mapping[str, Any]:
        return {"entity": None}

    def load_email(self, path: Path) -> list[str]:
        raise ReplError("e-mails need the store, and this shell has none")

    def records(self) -> list[str]:
        return ["no store in this shell: nothing created, changed or queued"]

    def state_codes(self, type_name: str) -> list[str]:
        return []

    def commit(self) -> list[str]:
        return ["no store in this shell: nothing to commit"]

    def rollback(self) -> list[str]:
        return ["no store in this shell: nothing to roll back"]

    def close(self) -> None:
        pass


class StoreBackend:
    """A backend over a store (``runtime.context.AppContext``): every input runs inside one
    open `RunSession` transaction, so records made by one input are seen by the next;
    ``:commit`` keeps them, ``:rollback`` (and leaving) forgets them. The e-mail of ``:email``
    is stored in the transaction like ``mailwright run --eml`` stores it, and stored again
    after a rollback, so ``entity`` stays usable."""

    def __init__(self, context: Any, purpose: str | None = None) -> None:
        self.context = context
        self.engine: Engine = context.engine
        self.purpose = purpose or "GENERAL"
        self._raw: bytes | None = None
        self._entity: Any = None
        self._email_id: int | None = None
        self._session: Any = None
        self._begin()

    def _begin(self) -> None:
        from .session import RunSession

        self._session = RunSession(
            self.context.store, commit=True, zone=self.context.zone, thread=None
        )
        self._session.begin()

    def thread(self, print: Callable[[str], None] | None = None) -> Thread:
        """A new run state with the configured limits; host work of the input is charged
        to it."""
        thread = self.engine.thread(limits=self.context.limits, print=print)
        self._session.thread = thread
        return thread

    def variables(self) -> Mapping[str, Any]:
        return {"entity": self._entity}

    def load_email(self, path: Path) -> list[str]:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ReplError(f"{path}: cannot read ({exc.strerror})") from None
        self._raw = raw
        self._store_email()
        entity = self._entity
        return [
            f"entity: e-mail {self._email_id} from {entity.jexl_get('mailFrom')}, "
            f"subject {format_value(entity.jexl_get('subject'))}, "
            f"{len(entity.jexl_get('attachments'))} attachment(s), account purpose {self.purpose}"
        ]

    def _store_email(self) -> None:
        """Store ``_raw`` in the open transaction and make it ``entity``."""
        import hashlib

        from mailstore.receive import store_received

        if self._raw is None:
            self._entity = None
            return
        row, _ = store_received(
            self.context.store,
            _repl_account(self.purpose),
            self._raw,
            key=hashlib.sha256(self._raw).hexdigest(),
            trusted_authserv_id=self.context.config.trusted_authserv_id,
        )
        self._email_id = int(row.id)
        self._entity = self._session.wrap(row)

    def records(self) -> list[str]:
        from scriptengine.values import dumps_json

        session = self._session
        self._flush()
        lines = []
        for kind, items in (
            ("created", session.created_json()),
            ("changed", session.changed_json()),
        ):
            for item in items:
                fields = ", ".join(
                    f"{k}={dumps_json(v)}" for k, v in item.get("fields", {}).items()
                )
                lines.append(f"{kind} {item['type']} {item['id']}: {fields}")
        for mail in session.queued_json():
            lines.append(f"queued to {', '.join(mail['to'])}: {format_value(mail['subject'])}")
        return lines or ["nothing created, changed or queued yet"]

    def state_codes(self, type_name: str) -> list[str]:
        spec = self.context.store.schema.types.get(type_name)
        return [] if spec is None else [state.code for state in spec.states]

    def commit(self) -> list[str]:
        try:
            summary = self._counts()
            self._session.end(True)
        except Exception as exc:  # a changed record that cannot be saved: say why
            self._begin()
            self._store_email()
            raise ReplError(f"nothing was committed: {exc}") from None
        self._begin()
        if self._email_id is not None:
            from mailstore import models as m

            self._entity = self._session.wrap(m.ReceivedEmail.get_by_id(self._email_id))
        where = " (to a throwaway store, gone when the shell ends)"
        return [f"committed: {summary}" + (where if self.context.is_throwaway else "")]

    def rollback(self) -> list[str]:
        summary = self._counts()
        self._session.end(False)
        self._begin()
        self._store_email()
        return [f"rolled back: {summary}"]

    def _flush(self) -> None:
        """Save the stored records inputs changed (as a run does at its end), so the report
        shows them; a record that cannot be saved is a ``ReplError``."""
        from scriptengine.errors import EvalError

        try:
            self._session.flush()
        except EvalError as exc:
            raise ReplError(exc.message) from None

    def _counts(self) -> str:
        self._flush()
        s = self._session
        return (
            f"{len(s.created_json())} created, {len(s.changed_json())} changed, "
            f"{len(s.queued_json())} queued"
        )

    def close(self) -> None:
        if self._session is not None and self._session.is_open:
            self._session.end(False)
        self.context.close()


def _repl_account(purpose: str) -> Any:
    """The account the REPL's e-mails arrive at: ``repl-<purpose>`` (made when missing, never
    fetched), as ``mailwright run --purpose`` has its own."""
    from mailstore import models as m

    name = f"repl-{purpose.lower()}"
    found = m.MailAccount.get_or_none(m.MailAccount.name == name)
    if found is not None:
        return found
    return m.MailAccount.create(
        name=name,
        address="handler@mailwright.invalid",
        purpose=purpose,
        sourceKind="emlfolder",
        enabled=False,
    )


# --- the shell's logic (no terminal) ------------------------------------------------------


@dataclass
class Repl:
    """The REPL without its terminal: ``handle(text)`` runs one input (a command or source)
    and returns the lines to print. ``done`` turns true after ``:quit``."""

    backend: ReplBackend
    #: prints a log line of a running input as it happens (else logs come after the value)
    echo: Callable[[str], None] | None = None
    #: show the Python traceback of an internal error (``--debug``)
    debug: bool = False
    done: bool = False
    session: Session = field(init=False)
    counter: int = 0

    def __post_init__(self) -> None:
        self.session = self.backend.engine.session(self.backend.variables())

    # names the completer offers
    def variable_names(self) -> list[str]:
        """Host variables, context variables and top-level declarations of earlier inputs."""
        names = set(self.session.variables) | set(self.session.context.variables)
        return sorted(names)

    def function_names(self) -> list[str]:
        return sorted(self.backend.engine.host.functions)

    def type_names(self) -> list[str]:
        return sorted(self.backend.engine.host.types)

    def lookup(self, name: str) -> tuple[bool, Any]:
        """(found, value) of a variable of the session."""
        for scope in (self.session.context.variables, self.session.variables):
            if name in scope:
                return True, scope[name]
        return False, None

    def handle(self, text: str) -> list[str]:
        """Run one input; returns the lines to print (value, logs, warnings or the error)."""
        stripped = text.strip()
        if not stripped:
            return []
        try:
            if stripped.startswith(":"):
                return self.command(stripped)
            return self.evaluate(text)
        except ReplError as exc:
            return [f"error: {exc}"]
        except Exception as exc:  # a bug below us must not end the session or show a traceback
            lines = [f"error: {exc or type(exc).__name__} (an internal error; please report it)"]
            if self.debug:
                import traceback

                lines.append(traceback.format_exc().rstrip())
            return lines

    def evaluate(self, source: str, filename: str | None = None) -> list[str]:
        """Run ``source`` in the session; the value (for an expression), logs, warnings, or
        the error's caret display."""
        self.counter += 1
        name = filename or f"<repl:{self.counter}>"
        thread = self.backend.thread(self.echo)
        out: list[str] = []
        try:
            value = self.session.eval(source, filename=name, thread=thread)
        except ScriptError as err:
            out += [f"log: {line}" for line in thread.logs if self.echo is None]
            out.append(err.render())
            return out
        except KeyboardInterrupt:
            return ["interrupted"]
        out += [f"log: {line}" for line in thread.logs if self.echo is None]
        out += [_warning(w) for w in thread.warnings]
        if filename is not None or shows_value(source):
            if value is not None or not _is_call(source):
                out.append(format_value(value))
        return out

    def command(self, line: str) -> list[str]:
        """Run a ``:command``; raises ``ReplError`` for a bad one."""
        word, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if word in ("quit", "q", "exit"):
            self.done = True
            return []
        if word in ("help", "h", "?"):
            return list(HELP)
        if word == "email":
            path = _existing(arg, "an .eml file", "email")
            lines = self.backend.load_email(path)
            self.session.variables.update(self.backend.variables())
            return lines
        if word == "load":
            path = _existing(arg, "a script", "load")
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ReplError(f"{path}: cannot read ({exc})") from None
            return self.evaluate(source, filename=str(path))
        if word == "records":
            return self.backend.records()
        if word in ("commit", "rollback"):
            lines = self.backend.commit() if word == "commit" else self.backend.rollback()
            self.session.variables.update(self.backend.variables())  # entity anew
            return lines
        known = ["email", "load", "records", "commit", "rollback", "help", "quit"]
        import difflib

        close = difflib.get_close_matches(word, known, n=1)
        hint = f" (did you mean :{close[0]}?)" if close else " (:help lists them)"
        raise ReplError(f"unknown command :{word}{hint}")


def _existing(arg: str, what: str, command: str) -> Path:
    if not arg:
        raise ReplError(f":{command} needs {what}: :{command} FILE")
    path = Path(os.path.expanduser(arg))
    if not path.is_file():
        raise ReplError(f"{arg}: no such file")
    return path


def _warning(w: Any) -> str:
    """A warning's first line (a Diagnostic renders ``file:line:col: warning: ...``)."""
    render = getattr(w, "render", None)
    if callable(render):
        return str(render()).splitlines()[0]
    return f"warning: {w}"


# --- completion ---------------------------------------------------------------------------

_IDENT = r"[A-Za-z_$][A-Za-z0-9_$]*"
#: ``a.b.c.pre`` before the cursor: the chain and the partial member
_MEMBER = re.compile(rf"((?:{_IDENT})(?:\s*\??\.\s*{_IDENT})*)\s*\??\.\s*([A-Za-z0-9_$]*)$")
#: ``createNew('Sub`` before the cursor: functions whose first argument is a type name
_TYPE_ARG = re.compile(r"\b(createNew|findState|find|findOne|findAll|count)\(\s*(['\"])(\w*)$")
#: ``findState('SubmittedDocument', 'N`` before the cursor: a state code of that type
_STATE_ARG = re.compile(r"\bfindState\(\s*(['\"])(\w+)\1\s*,\s*['\"](\w*)$")
_WORD = re.compile(rf"({_IDENT})$")


class ReplCompleter(Completer):
    """Completes variables, functions, keywords, members after ``.`` (from the host types
    of the values: ``entity.`` lists the e-mail's members) and type names inside
    ``createNew('...')``."""

    def __init__(self, repl: Repl) -> None:
        self.repl = repl

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        for text, prefix, meta in completions(self.repl, before):
            yield Completion(text, start_position=-len(prefix), display_meta=meta)


def completions(repl: Repl, before: str) -> list[tuple[str, str, str]]:
    """(candidate, the prefix it replaces, a short description) for the text before the
    cursor, sorted; empty when nothing fits (inside a plain string, after a number)."""
    m = _STATE_ARG.search(before)
    if m:
        prefix = m.group(3)
        codes = repl.backend.state_codes(m.group(2))
        return [(c, prefix, f"{m.group(2)} state") for c in codes if c.startswith(prefix)]
    m = _TYPE_ARG.search(before)
    if m:
        prefix = m.group(3)
        return [(t, prefix, "type") for t in repl.type_names() if t.startswith(prefix)]
    m = _MEMBER.search(before)
    if m:
        chain = re.split(r"\s*\??\.\s*", m.group(1))
        prefix = m.group(2)
        info = _chain_type(repl, chain)
        if info is None:
            return []
        out = []
        for name in info.member_names():
            if name.startswith(prefix):
                kind = "method" if name in info.methods else "property"
                out.append((name, prefix, f"{info.name} {kind}"))
        return out
    m = _WORD.search(before)
    if not m:
        return []
    prefix = m.group(1)
    candidates: dict[str, str] = {}
    for kw in (*KEYWORDS, *WORD_OPERATORS, "true", "false", "null"):
        candidates[kw] = "keyword"
    for fn in repl.function_names():
        candidates[fn] = "function"
    for var in repl.variable_names():
        candidates[var] = "variable"
    return [(c, prefix, meta) for c, meta in sorted(candidates.items()) if c.startswith(prefix)]


def _chain_type(repl: Repl, chain: list[str]) -> TypeInfo | None:
    """The type of ``a.b.c``: the first name's value (or declared type), then each
    property's declared type. Nothing is evaluated, so completion has no side effects."""
    found, value = repl.lookup(chain[0])
    host = repl.backend.engine.host
    if found and value is not None:
        info = _type_of(value)
    elif chain[0] in host.variable_types:
        info = host.types.get(host.variable_types[chain[0]])
    else:
        return None
    for name in chain[1:]:
        if info is None:
            return None
        prop = info.properties.get(name)
        if prop is None or prop.type is None:
            return None
        info = _named_type(repl, prop.type)
    return info


def _type_of(value: Any) -> TypeInfo | None:
    if isinstance(value, HostObject):
        return value.jexl_type_info()
    from scriptengine.engine import builtin_types

    name = java_class_name(value)
    kind = {"ArrayList": "List", "HashMap": "Map", "HashSet": "Set"}.get(name, name)
    if kind.endswith("[]"):
        kind = "Array"
    return builtin_types().get(kind)


def _named_type(repl: Repl, name: str) -> TypeInfo | None:
    from scriptengine.engine import builtin_types

    return repl.backend.engine.host.types.get(name) or builtin_types().get(name)


# --- the terminal -------------------------------------------------------------------------


def history_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the input history is kept: ``$XDG_DATA_HOME/mailwright/history``, by default
    ``~/.local/share/mailwright/history`` (the folder is created when missing)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "mailwright" / "history"


def read_inputs(lines: Iterable[str]) -> Iterator[str]:
    """Whole inputs from plain lines (stdin not a terminal): lines are joined until the text
    is complete; what is left at the end is yielded as it is (so its error shows)."""
    pending: list[str] = []
    for line in lines:
        pending.append(line.rstrip("\n"))
        text = "\n".join(pending)
        if is_complete(text):
            pending = []
            if text.strip():
                yield text
    if pending and "\n".join(pending).strip():
        yield "\n".join(pending)


def run_terminal(repl: Repl, write: Callable[[str], None], history: Path | None = None) -> None:
    """The interactive loop on a terminal: prompt_toolkit with highlighting, completion,
    history and multi-line input (Enter runs a complete input, else opens a new line;
    Alt-Enter always opens a new line)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
    from prompt_toolkit.lexers import PygmentsLexer

    from .lexer import JexlLexer

    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion:
            buffer.apply_completion(buffer.complete_state.current_completion)
            return
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        # Alt-Enter (Esc Enter): a new line even when the input is complete, so an `if`
        # can get its `else` on the next line
        event.current_buffer.insert_text("\n")

    store: Any = InMemoryHistory()
    if history is not None:
        try:
            history.parent.mkdir(parents=True, exist_ok=True)
            store = FileHistory(str(history))
        except OSError:
            write(f"(history not kept: cannot write {history})")
    session: PromptSession[str] = PromptSession(
        history=store,
        lexer=PygmentsLexer(JexlLexer),
        completer=ReplCompleter(repl),
        multiline=True,
        key_bindings=bindings,
        prompt_continuation=lambda width, line, wrap: "... ".rjust(width),
        complete_while_typing=False,
    )
    while not repl.done:
        try:
            text = session.prompt(">>> ")
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the current input, as starlark's repl.go does
        except EOFError:
            break
        try:
            lines = repl.handle(text)
        except KeyboardInterrupt:  # during a command (evaluation catches its own)
            lines = ["interrupted"]
        for line in lines:
            write(line)
