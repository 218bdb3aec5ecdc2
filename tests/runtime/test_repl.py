"""The REPL: through a pseudo-terminal (pexpect) as a user types, and its parts (input
completeness, value display, completion, the dry-run store session, commands)."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailstore.api import Store
from mailstore.config import Config
from runtime.context import context_for
from runtime.repl import (
    EngineBackend,
    Repl,
    StoreBackend,
    completions,
    format_value,
    history_path,
    is_complete,
    read_inputs,
    shows_value,
)
from scriptengine.values import JArray, JSet, Long
from tests.mailstore.conftest import db_url  # noqa: F401  (the SQLite/PostgreSQL fixture)

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "tests" / "fixtures" / "mail" / "cz_filenames.eml"
HANDLER = """var sd = createNew('SubmittedDocument');
sd.note = `od ${entity.mailFrom}`;
persist(sd);
sd.note
"""

# --- through a terminal -------------------------------------------------------------------

_ANSI = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


class Terminal:
    """``mailwright repl`` on a pseudo-terminal; ``expect`` searches the text shown since
    the last match with the terminal's escape sequences removed."""

    def __init__(self, args: list[str], home: Path, cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")}
        env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / "data"),
            TERM="xterm",
            PROMPT_TOOLKIT_NO_CPR="1",  # pexpect does not answer cursor position requests
        )
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "runtime.cli", "repl", *args],
            env=env,
            cwd=str(cwd),
            encoding="utf-8",
            timeout=30,
            dimensions=(40, 160),
        )
        self.raw = ""
        self.seen = 0

    def text(self) -> str:
        return _ANSI.sub("", self.raw).replace("\r", "")

    def expect(self, pattern: str) -> str:
        """Wait until ``pattern`` (a regex) shows after the last match; returns the match."""
        while True:
            text = self.text()
            m = re.compile(pattern).search(text, self.seen)
            if m:
                self.seen = m.end()
                return m.group(0)
            try:
                self.raw += self.child.read_nonblocking(4096, timeout=30)
            except pexpect.EOF:
                raise AssertionError(f"the shell ended before {pattern!r}:\n{text}") from None
            except pexpect.TIMEOUT:
                raise AssertionError(f"{pattern!r} never showed:\n{text}") from None

    def prompt(self) -> None:
        """Wait until the shell waits for a new input: ``>>>`` is the last thing shown and
        nothing more comes (keys typed earlier could reach the terminal before the prompt
        reads them, and be lost or echoed twice)."""
        self.idle(">>>")

    def continuation(self) -> None:
        """Wait until the shell waits for the next line of an open input (``...``)."""
        self.idle("...")

    def idle(self, marker: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                self.raw += self.child.read_nonblocking(4096, timeout=0.3)
                continue
            except pexpect.TIMEOUT:
                pass  # quiet: look at what is shown
            except pexpect.EOF:
                raise AssertionError(f"the shell ended before {marker}:\n{self.text()}") from None
            text = self.text()
            if text.rstrip().endswith(marker) and text.rfind(marker) >= self.seen:
                self.seen = len(text)
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the shell never waited at {marker}:\n{text}")

    def line(self, text: str) -> None:
        self.child.send(text + "\r")

    def finish(self) -> int:
        """Wait for the end; the exit status."""
        try:
            while True:
                self.raw += self.child.read_nonblocking(4096, timeout=30)
        except pexpect.EOF:
            pass
        except pexpect.TIMEOUT:
            raise AssertionError(f"the shell did not end:\n{self.text()}") from None
        self.child.close()
        return int(self.child.exitstatus or 0)


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    terminal = Terminal([], tmp_path / "home", tmp_path)
    yield terminal
    if terminal.child.isalive():
        terminal.child.terminate(force=True)


def test_multi_line_input_and_values_that_persist(term: Terminal) -> None:
    term.prompt()
    term.line("var x = [1, 2,")
    term.continuation()  # the list is still open
    term.line("3]")
    term.prompt()
    term.line("function twice(a) {")
    term.continuation()
    term.line("  a * 2")
    term.continuation()
    term.line("}")
    term.prompt()
    term.line("twice(x.size())")
    assert term.expect(r"\n6\n") == "\n6\n"
    term.prompt()
    term.line("y = x[0] + 41")
    term.prompt()
    term.line("`y is ${y}`")
    term.expect("'y is 42'")
    term.line(":quit")
    assert term.finish() == 0


def test_input_is_highlighted_with_the_language_s_lexer(term: Terminal) -> None:
    term.prompt()
    term.line("var abc = 'str'")
    term.prompt()
    term.line(":quit")
    assert term.finish() == 0
    # the keyword and the string are drawn in colours (an SGR sequence that sets one right
    # before them), the plain name is not
    assert re.search(r"\x1b\[0;[0-9;]+mvar\x1b\[0m abc ", term.raw)
    assert re.search(r"\x1b\[0;[0-9;]+m'str'", term.raw)


def test_alt_enter_continues_a_complete_input(term: Terminal) -> None:
    term.prompt()
    term.child.send("if (1 > 2) { log('yes') }\x1b\r")  # Alt-Enter: the `else` comes next
    term.continuation()
    term.line("else { log('n' + 'o') }")
    term.expect("log: no")
    term.prompt()
    term.line(":quit")
    assert term.finish() == 0


def test_errors_show_the_caret_display_never_a_traceback(term: Terminal) -> None:
    term.prompt()
    term.line("1 +* 2")
    term.expect(r"<repl:1>:1:4: expected an expression, found '\*'")
    term.expect(r"1 \+\* 2\n {7}\^")
    term.line("var s = 'abc'; s.nope()")
    term.expect("nope")
    term.prompt()
    term.line("1 + 1")  # the session goes on
    term.expect(r"\n2\n")
    term.line(":quit")
    assert term.finish() == 0
    assert "Traceback" not in term.text()


def test_ctrl_c_drops_the_current_input(term: Terminal) -> None:
    term.prompt()
    term.line("var dropped = (1 +")
    term.continuation()
    term.child.send("\x03")
    term.prompt()
    term.line("dropped")
    term.expect("variable 'dropped' is undefined")
    term.prompt()
    term.child.sendeof()
    assert term.finish() == 0


def test_ctrl_c_stops_a_running_input_and_the_session_goes_on(tmp_path: Path) -> None:
    (tmp_path / "mailwright.toml").write_text(
        '[database]\nurl = "sqlite:///m.db"\n[limits]\nsteps = 1000000000000\nseconds = 3600\n',
        encoding="utf-8",
    )
    from mailstore.config import load_config

    Store.open(load_config(tmp_path / "mailwright.toml"), migrate=True).close()
    term = Terminal([], tmp_path / "home", tmp_path)
    try:
        term.prompt()
        # the logged text is built at run time, so the echo of the typed line cannot match it
        term.line("var n = 0; log('loop ' + 'started'); while (true) { n = n + 1 }")
        term.expect("loop started")  # the loop runs: the terminal is back in its normal mode
        term.child.send("\x03")
        term.expect("interrupted")
        term.prompt()
        term.line("n > 0")
        term.expect("true")
        term.line(":quit")
        assert term.finish() == 0
        assert "Traceback" not in term.text()
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)


def test_tab_completes_functions_and_variables(term: Terminal) -> None:
    term.prompt()
    term.line("var invoiceTotal = 12")
    term.prompt()
    term.child.send("invoiceT\t")
    term.expect("invoiceTotal")
    term.child.send("\r")
    term.expect(r"\n12\n")
    term.prompt()
    term.child.send("jo\t")
    term.expect("join")
    term.child.send("([1, 2], '-')\r")
    term.expect("'1-2'")
    term.line(":quit")
    assert term.finish() == 0


def test_entity_dot_tab_lists_the_email_s_members(tmp_path: Path) -> None:
    term = Terminal(["--eml", str(MAIL), "--purpose", "INVOICES"], tmp_path / "home", tmp_path)
    try:
        term.expect("entity: e-mail .* from jana@example.cz")
        term.prompt()
        term.child.send("entity.\t")
        term.expect("attachments")  # the completion menu lists the members
        term.expect("bodyHtml")
        term.child.send("\x03")
        term.prompt()
        term.child.send("entity.mailF\t")
        term.expect("entity.mailFrom")
        term.child.send("\r")
        term.expect("'jana@example.cz'")
        term.prompt()
        term.line("entity.mailAccount.purpose")
        term.expect("INVOICES")
        term.line(":quit")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)


def test_records_are_a_dry_run_until_commit(tmp_path: Path) -> None:
    handler = tmp_path / "handler.jexl"
    handler.write_text(HANDLER, encoding="utf-8")
    term = Terminal(["--eml", str(MAIL)], tmp_path / "home", tmp_path)
    try:
        term.prompt()
        term.line(f":load {handler}")
        term.expect("'od jana@example.cz'")
        term.line(":records")
        term.expect('created SubmittedDocument 1: .*note="od jana@example.cz"')
        term.line(":rollback")
        term.expect("rolled back: 1 created")
        term.line(":records")
        term.expect("nothing created, changed or queued yet")
        term.line(":help")
        term.expect(":commit +keep what the session wrote")
        term.line(":quit")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)


def test_history_is_kept_in_a_file_across_sessions(tmp_path: Path) -> None:
    first = Terminal([], tmp_path / "home", tmp_path)
    first.prompt()
    first.line("6 * 7")
    first.expect(r"\n42\n")
    first.line(":quit")
    assert first.finish() == 0
    history = tmp_path / "home" / "data" / "mailwright" / "history"
    assert "6 * 7" in history.read_text(encoding="utf-8")
    second = Terminal([], tmp_path / "home", tmp_path)
    second.prompt()
    second.child.send("\x1b[A")  # arrow up: the previous session's input
    second.child.send("\x1b[A")
    second.expect("6 \\* 7")
    second.child.send("\r")
    second.expect(r"\n42\n")
    second.line(":quit")
    assert second.finish() == 0


def test_piped_input_runs_without_a_terminal(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "repl"],
        input="var a = [1,\n2]\na.size()\n:quit\n99\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")},
    )
    assert done.returncode == 0
    assert done.stdout == "2\n"


# --- the parts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "   ", "1 + 2", "var x = 1;", ":email a.eml", "if (x) { y }", "1 +* 2", "foo)"],
)
def test_complete_inputs(text: str) -> None:
    assert is_complete(text)


@pytest.mark.parametrize(
    "text",
    ["var x = [1,", "if (x) {", "f(1, ", "1 +", "/* a comment", "`a ${b", "function f() {\n"],
)
def test_incomplete_inputs(text: str) -> None:
    assert not is_complete(text)


@given(st.lists(st.sampled_from(["1", "x", "'s'", "[1, 2]", "{'a': 1}"]), min_size=1, max_size=4))
def test_an_open_bracket_waits_for_its_close(items: list[str]) -> None:
    body = ", ".join(items)
    assert not is_complete(f"var v = [{body}")
    assert is_complete(f"var v = [{body}]")


def test_read_inputs_joins_lines_until_complete() -> None:
    lines = ["var x = [1,\n", "2]\n", "\n", "x\n", "if (x) {\n", "  1\n"]
    assert list(read_inputs(lines)) == ["var x = [1,\n2]", "x", "if (x) {\n  1"]


def test_which_values_are_shown() -> None:
    assert shows_value("1 + 2")
    assert shows_value("var x = 1; x")
    assert not shows_value("var x = 1")
    assert not shows_value("x = 1")
    assert not shows_value("x++")
    assert not shows_value("function f() { 1 }")


def test_values_print_in_literal_syntax() -> None:
    assert format_value(None) == "null"
    assert format_value("it's") == "'it\\'s'"
    assert format_value(JArray([1, 2], "int")) == "[1, 2]"
    assert format_value([1, "a", None]) == "[1, 'a', null]"
    assert format_value({"a": [1]}) == "{'a': [1]}"
    assert format_value({}) == "{:}"
    assert format_value(JSet([1])) == "{1}"
    assert format_value(Long(3)) == "3"
    assert format_value(True) == "true"
    cyclic: list[object] = []
    cyclic.append(cyclic)
    assert format_value(cyclic).startswith("[[[")


def test_logs_come_with_the_value_and_calls_returning_null_print_nothing() -> None:
    repl = Repl(EngineBackend())
    assert repl.handle("log('hi', 1 + 1)") == ["log: hi 2"]
    assert repl.handle("null") == ["null"]
    assert repl.handle("") == []


def test_commands_and_their_mistakes(tmp_path: Path) -> None:
    repl = Repl(EngineBackend())
    assert repl.handle(":emial x") == ["error: unknown command :emial (did you mean :email?)"]
    assert repl.handle(":load") == ["error: :load needs a script: :load FILE"]
    assert repl.handle(":load nope.jexl") == ["error: nope.jexl: no such file"]
    assert repl.handle(f":email {MAIL}") == [
        "error: e-mails need the store, and this shell has none"
    ]
    lib = tmp_path / "lib.jexl"
    lib.write_text("function double(a) { a * 2 }\n21", encoding="utf-8")
    assert repl.handle(f":load {lib}") == ["21"]
    assert repl.handle("double(4)") == ["8"]
    assert repl.handle(":help")[0].startswith(":email FILE")
    assert not repl.done
    assert repl.handle(":quit") == [] and repl.done


def test_an_internal_error_is_one_line_and_the_session_goes_on(tmp_path: Path) -> None:
    backend = EngineBackend()

    def broken(*args: object) -> list[str]:
        raise RuntimeError("disk on fire")

    backend.records = broken  # type: ignore[method-assign]
    repl = Repl(backend)
    assert repl.handle(":records") == ["error: disk on fire (an internal error; please report it)"]
    assert repl.handle("1 + 1") == ["2"]
    repl.debug = True
    first, trace = repl.handle(":records")
    assert trace.startswith("Traceback") and "disk on fire" in trace


def test_completion_of_names_and_members() -> None:
    repl = Repl(EngineBackend())
    repl.handle("var letters = ['a', 'b', ...]")  # an ArrayList
    names = [c for c, _, _ in completions(repl, "x = le")]
    assert "letters" in names and "le" in names  # the variable and the word operator
    assert [c for c, _, _ in completions(repl, "lo")] == ["log"]
    members = [c for c, _, _ in completions(repl, "letters.")]
    assert "size" in members and "add" in members
    assert [c for c, p, _ in completions(repl, "letters.si")] == ["size"]
    assert completions(repl, "unknown.") == []
    assert completions(repl, "1 + ") == []


def test_history_path_follows_xdg() -> None:
    assert history_path({"XDG_DATA_HOME": "/x"}) == Path("/x/mailwright/history")
    assert history_path({}).parts[-4:] == (".local", "share", "mailwright", "history")


# --- the store session ---------------------------------------------------------------------


@pytest.fixture
def store_repl(db_url: str, tmp_path: Path) -> Iterator[Repl]:  # noqa: F811
    config = dataclasses.replace(Config.defaults(tmp_path), database_url=db_url)
    store = Store.open(config, migrate=True)
    backend = StoreBackend(context_for(config, store), purpose="INVOICES")
    try:
        yield Repl(backend)
    finally:
        backend.close()


def count_documents(repl: Repl) -> int:
    return int(repl.handle("count('SubmittedDocument', {:})")[0])


def test_store_session_loads_an_email_and_completes_its_members(store_repl: Repl) -> None:
    [line] = store_repl.handle(f":email {MAIL}")
    assert "from jana@example.cz" in line and "account purpose INVOICES" in line
    assert store_repl.handle("entity.mailAccount.purpose == 'INVOICES'") == ["true"]
    members = [c for c, _, _ in completions(store_repl, "entity.")]
    assert {"attachments", "mailFrom", "subject", "headers", "note"} <= set(members)
    assert [c for c, _, _ in completions(store_repl, "entity.mailAccount.pu")] == ["purpose"]
    types = [c for c, _, _ in completions(store_repl, "createNew('Sub")]
    assert types == ["SubmittedDocument", "SubmittedDocumentAttachment"]
    codes = [c for c, _, _ in completions(store_repl, "findState('SubmittedDocument', '")]
    assert "NEW" in codes
    assert [c for c, _, _ in completions(store_repl, 'findState("SubmittedDocument", "NE')] == [
        "NEW"
    ]
    assert completions(store_repl, "findState('Nope', '") == []


def test_store_session_rolls_back_and_commits(store_repl: Repl, tmp_path: Path) -> None:
    store_repl.handle(f":email {MAIL}")
    handler = tmp_path / "h.jexl"
    handler.write_text(HANDLER, encoding="utf-8")
    assert store_repl.handle(f":load {handler}") == ["'od jana@example.cz'"]
    assert count_documents(store_repl) == 1  # later inputs see what earlier ones wrote
    [line, *_] = store_repl.handle(":records")
    assert line.startswith("created SubmittedDocument")
    assert store_repl.handle(":rollback") == ["rolled back: 1 created, 0 changed, 0 queued"]
    assert count_documents(store_repl) == 0
    assert store_repl.handle("entity.mailFrom") == ["'jana@example.cz'"]  # stored anew
    store_repl.handle(f":load {handler}")
    assert store_repl.handle(":commit") == ["committed: 1 created, 0 changed, 0 queued"]
    assert store_repl.handle(":rollback")[0].startswith("rolled back: 0 created")
    assert count_documents(store_repl) == 1  # the committed document stays


def test_store_session_error_keeps_the_session(store_repl: Repl) -> None:
    store_repl.handle("var d = createNew('SubmittedDocument')")
    [error] = store_repl.handle("d.nte = 'x'")
    assert "unknown field 'nte' of SubmittedDocument (did you mean 'note'?)" in error
    assert error.splitlines()[-1].strip() == "^"
    assert store_repl.handle("d.note = 'x'; d.note") == ["'x'"]


def test_store_session_reports_changed_and_queued(store_repl: Repl) -> None:
    store_repl.handle(f":email {MAIL}")
    store_repl.handle("entity.note = 'seen'")
    store_repl.handle("sendMail('jana@example.cz', 'Re: Faktury', 'Děkujeme')")
    changed, queued = store_repl.handle(":records")
    assert re.fullmatch(r'changed ReceivedEmail \d+: note="seen"', changed)
    assert queued == "queued to jana@example.cz: 'Re: Faktury'"
    assert store_repl.handle(":commit") == ["committed: 0 created, 1 changed, 1 queued"]
    assert store_repl.handle("entity.note") == ["'seen'"]


def test_bad_options_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runtime.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    assert main(["repl", "--eml", "nope.eml"]) == 2
    assert "nope.eml: no such file" in capsys.readouterr().err
    assert main(["repl", "--purpose", "invoices"]) == 2
    assert "upper-case name" in capsys.readouterr().err
