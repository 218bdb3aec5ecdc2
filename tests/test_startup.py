"""What a new ``mailwright`` process pays before its first message.

Imports: a cron run of ``mailwright ingest`` does not import the libraries of the paths it
does not take. Those tests run the command in a new Python process (``sys.modules`` of this
one holds what every other test imported) and report which unneeded libraries got in. msal
and requests (~75 ms) serve only OAuth2 credentials, prompt_toolkit and pygments only the
REPL; a module that imports one of them at module level on the ingest path costs every cron
run that time. psycopg2 is not checked: peewee itself imports it when installed.

The parser: the scanner's tables come from a file (``scriptengine.scannercache``) instead of
Lark's parser (~0.1 s); a scanner built from them parses and fails exactly as one built from
Lark, and a file that is damaged or not ours is ignored.
"""

from __future__ import annotations

import json
import marshal
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from lark import Lark

from grammar import GRAMMAR_PATH
from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from runtime.cli import main
from scriptengine import parser, scannercache
from scriptengine.errors import ScriptSyntaxError
from scriptengine.scanner import Scanner, scanner_tables
from tests.runtime.test_settings import make_maildir, message
from tests.scriptengine.test_lexer import BROKEN, SNIPPETS, _outcome, _scripts
from tests.servers import TestCA
from tests.servers.dovecot import DovecotServer, DovecotUser

REPO = Path(__file__).resolve().parents[1]

#: top-level packages no cron run with password and local accounts needs
NOT_NEEDED = ("msal", "requests", "urllib3", "prompt_toolkit", "pygments")

#: runs the command in a fresh process, then prints its exit status, the top-level packages
#: it imported and the e-mails stored (so a run that did nothing cannot pass)
_PROBE = """
import json, sys
from runtime.cli import main
status = main(sys.argv[1:])
from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
with Store.open(load_config(sys.argv[sys.argv.index("--config") + 1])):
    states = sorted(e.state for e in m.ReceivedEmail.select())
print(json.dumps({"status": status, "states": states,
                  "packages": sorted({name.split(".")[0] for name in sys.modules})}))
"""

HANDLER = "entity.note = 'seen ' + entity.subject; 'ok'\n"


def _run_fresh(*argv: str) -> dict[str, object]:
    """Run ``mailwright ARGV`` in a new interpreter; the probe's JSON line as a dict."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def setup(
    tmp_path: Path,
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    servers_ca: TestCA,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A SQLite mailwright.toml with a handler, a Maildir account of two messages and an
    IMAP account (password credential, implicit TLS) on the test Dovecot with two more."""
    monkeypatch.delenv("MAILWRIGHT_SECRET_KEY", raising=False)
    (tmp_path / "handler.jexl").write_text(HANDLER, encoding="utf-8")
    config = tmp_path / "mailwright.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
        '[handler]\nscript = "handler.jexl"\n'
        '[secrets]\nkeyFile = "secret.key"\n',
        encoding="utf-8",
    )
    Store.open(load_config(config), migrate=True).close()
    box = make_maildir(tmp_path / "box", 2)
    dovecot.append(imap_user, [message(10), message(11)])
    monkeypatch.setenv("IMAP_PW", imap_user.password)
    c = ["--config", str(config)]
    assert main(["credentials", "add", "login", "--type", "password", "--user",
                 imap_user.name, "--password-env", "IMAP_PW", *c]) == 0  # fmt: skip
    assert main(["accounts", "add", "local", "--purpose", "INVOICES", "--maildir", str(box),
                 *c]) == 0  # fmt: skip
    assert main(["accounts", "add", "imap", "--purpose", "INVOICES", "--imap", "127.0.0.1",
                 "--port", str(dovecot.ssl_port), "--ca-file", str(servers_ca.ca_file),
                 "--credential", "login", *c]) == 0  # fmt: skip
    return config


def test_ingest_with_password_and_local_accounts_imports_no_oauth_nor_repl(setup: Path) -> None:
    result = _run_fresh("ingest", "--config", str(setup))
    assert result["status"] == 0
    assert result["states"] == ["PROCESSED"] * 4  # both accounts fetched, stored and handled
    packages = result["packages"]
    assert isinstance(packages, list)
    assert "imapclient" in packages and "cryptography" in packages  # the paths it took
    assert [name for name in NOT_NEEDED if name in packages] == []


def test_ingest_with_only_local_accounts_imports_no_secrets_library(setup: Path) -> None:
    with Store.open(load_config(setup)):
        m.MailAccount.delete().where(m.MailAccount.name == "imap").execute()
    result = _run_fresh("ingest", "--config", str(setup))
    assert result["status"] == 0 and result["states"] == ["PROCESSED"] * 2
    packages = result["packages"]
    assert isinstance(packages, list)
    # a Maildir account needs no stored secret: cryptography is loaded only to open one
    assert [name for name in (*NOT_NEEDED, "cryptography") if name in packages] == []


# --- the scanner's tables on disk ------------------------------------------------------


def _message(scanner: Scanner, text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The public syntax error message for ``text`` parsed with ``scanner``."""
    monkeypatch.setattr(parser, "_scanner", scanner)
    with pytest.raises(ScriptSyntaxError) as err:
        parser.parse(text, "x.jexl")
    return str(err.value)


@pytest.fixture
def cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where ``scannercache`` reads and writes during the test (not the shared file)."""
    path = tmp_path / "tables.marshal"
    monkeypatch.setattr(scannercache, "_path", lambda key: path)
    return path


def test_a_scanner_from_the_file_parses_and_fails_as_one_from_lark(
    cache_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lark = parser._lark()
    tables = scanner_tables(lark)
    scannercache.save("key", tables)
    loaded = scannercache.load("key")
    assert loaded is not None and loaded == tables
    from_file = Scanner(loaded, parser._lark)
    from_lark = Scanner.from_lark(lark)
    texts = _scripts() + SNIPPETS + BROKEN
    for text in texts:
        for start in ("start", "expression_only"):
            assert _outcome(from_file.parse, text, start) == _outcome(from_lark.parse, text, start)
    for text in BROKEN:
        assert _message(from_file, text, monkeypatch) == _message(from_lark, text, monkeypatch)


def test_tables_of_another_lark_build_describe_errors_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Lark numbers its states differently when it builds the parser anew (its own cache was
    # removed): tables saved from one build, errors described with the other loaded
    other = Lark.open(str(GRAMMAR_PATH), **parser._OPTIONS)
    mixed = Scanner(scanner_tables(other), parser._lark)
    from_lark = Scanner.from_lark(parser._lark())
    for text in BROKEN + ["x = 1 #", "a = é", "f(1, 2}", "if (a) { b"]:
        assert _message(mixed, text, monkeypatch) == _message(from_lark, text, monkeypatch)


def test_a_damaged_or_foreign_file_is_ignored_and_written_again(cache_file: Path) -> None:
    for junk in (b"", b"\x00not marshal", marshal.dumps({"actions": []}), marshal.dumps([1])):
        cache_file.write_bytes(junk)
        assert scannercache.load("key") is None
        scanner = parser._cached_scanner()  # built from Lark, and the file written again
        assert _outcome(scanner.parse, "a.b(1)", "start")[0] == "tree"
        assert scannercache.load("key") == scanner_tables(parser._lark())


def test_a_new_process_compiles_a_handler_without_larks_parser() -> None:
    parser._cached_scanner()  # the tables are on disk (as after any earlier run)
    probe = (
        "import json\n"
        "from scriptengine import Engine, ScriptSyntaxError, parser\n"
        "script = Engine().compile(open('examples/invoices/handler.jexl').read(), 'h.jexl')\n"
        "loaded = parser._parser is not None\n"
        "try:\n"
        "    parser.parse('f(1, 2}', 'x.jexl')\n"
        "except ScriptSyntaxError as err:\n"
        "    message = str(err)\n"
        "print(json.dumps([loaded, message]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded, message = json.loads(done.stdout)
    assert loaded is False  # compiled from the tables alone
    with pytest.raises(ScriptSyntaxError) as err:
        parser.parse("f(1, 2}", "x.jexl")
    assert message == str(err.value)  # the error, described with Lark loaded then


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_or_a_link_in_place_of_the_file_is_not_read(
    cache_file: Path, tmp_path: Path
) -> None:
    tables = scanner_tables(parser._lark())
    os.mkfifo(cache_file)  # an open for reading would block forever
    assert scannercache.load("key") is None
    cache_file.unlink()
    older = tmp_path / "older.marshal"  # one of our own files, of another version
    older.write_bytes(marshal.dumps(tables))
    cache_file.symlink_to(older)
    assert scannercache.load("key") is None
    cache_file.unlink()
    os.link(older, cache_file)  # a second name for it: not a file of this key's alone
    assert scannercache.load("key") is None


def test_the_cache_folder_is_private_or_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    folder = scannercache.cache_dir()
    assert folder == tmp_path / f"mailwright-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o755)  # open to others: someone may have put files there
    assert scannercache.cache_dir() is None
    folder.rmdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    folder.symlink_to(tmp_path / "elsewhere")  # a link in its place
    assert scannercache.cache_dir() is None
