"""The first cut of the command line: ``--version``, ``check`` and ``run`` (issue 2, part 3)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from runtime import __version__
from runtime.cli import main

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    status = main(["run", *args, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def test_version_from_the_installed_console_script() -> None:
    console_script = Path(sys.executable).with_name("mailwright")
    assert console_script.exists(), "install mailwright (pip install -e .) first"
    done = subprocess.run([str(console_script), "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.strip() == f"mailwright {__version__}"


def test_run_json_has_every_key_of_the_architecture(tmp_path, capsys) -> None:
    script = write(tmp_path, "a.jexl", "var x = 40;\nlog('x is', x);\nx + 2")
    status, report = run_json(capsys, script)
    assert status == 0
    assert list(report) == [
        "result",
        "logs",
        "warnings",
        "created",
        "changed",
        "queued",
        "error",
        "steps",
        "compile_ms",
        "duration_ms",
    ]
    assert report["result"] == 42
    assert report["logs"] == ["x is 40"]
    assert report["created"] == [] and report["changed"] == [] and report["queued"] == []
    assert report["error"] is None
    assert report["steps"] >= 0
    assert report["compile_ms"] >= 0 and report["duration_ms"] >= 0


def test_run_json_keeps_non_ascii_and_decimal_scale(tmp_path, capsys) -> None:
    script = write(tmp_path, "b.jexl", "{'note': 'přijatý', 'amount': 1.10b, 'n': NaN}")
    status = main(["run", script, "--json"])
    out = capsys.readouterr().out
    assert status == 0
    assert "přijatý" in out  # not escaped
    assert re.search(r'"amount": ?1\.10[,}]', out)  # BigDecimal keeps its scale
    assert json.loads(out)["result"]["n"] == "NaN"


def test_run_entity_is_null_without_an_email(tmp_path, capsys) -> None:
    script = write(tmp_path, "c.jexl", "entity == null ? 'no e-mail' : 'e-mail'")
    status, report = run_json(capsys, script)
    assert (status, report["result"]) == (0, "no e-mail")


def test_run_runtime_error_reports_position_and_exit_1(tmp_path, capsys) -> None:
    script = write(tmp_path, "d.jexl", "var a = 1;\nvar b = a / 0;\nb")
    status, report = run_json(capsys, script)
    assert status == 1
    err = report["error"]
    assert err["type"] == "runtime"
    assert (err["file"], err["line"]) == (script, 2)
    assert err["column"] >= 9


def test_run_syntax_error_is_a_compile_error(tmp_path, capsys) -> None:
    script = write(tmp_path, "e.jexl", "var a = (1 + ;\n")
    status, report = run_json(capsys, script)
    assert status == 1
    assert report["error"]["type"] == "compile"
    assert report["error"]["line"] == 1


def test_run_limit_error(tmp_path, capsys) -> None:
    script = write(tmp_path, "f.jexl", "while (true) { }")
    status, report = run_json(capsys, script)
    assert status == 1
    assert report["error"]["type"] == "limit"
    assert "step" in report["error"]["message"]


def test_run_for_a_person_shows_the_caret(tmp_path, capsys) -> None:
    script = write(tmp_path, "g.jexl", "var s = 'abc';\ns.substring(5)\n")
    status = main(["run", script])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{script}:2:" in out
    assert "s.substring(5)" in out
    assert "^" in out


def test_run_for_a_person_shows_result_and_logs(tmp_path, capsys) -> None:
    script = write(tmp_path, "h.jexl", "log('hello');\n[1, 2, ...]")
    assert main(["run", script]) == 0
    out = capsys.readouterr().out
    assert "log: hello" in out
    assert "result: [1, 2]" in out


def test_run_missing_file_is_usage_error(tmp_path, capsys) -> None:
    assert main(["run", str(tmp_path / "nope.jexl"), "--json"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_clean_script_exits_0(tmp_path, capsys) -> None:
    script = write(tmp_path, "ok.jexl", "var x = 1;\nx + 1\n")
    assert main(["check", script]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_check_reports_every_error_with_caret_and_exits_1(tmp_path, capsys) -> None:
    script = write(tmp_path, "bad.jexl", "const c = 1;\nc = 2;\nbreak;\n")
    assert main(["check", script]) == 1
    out = capsys.readouterr().out
    assert f"{script}:2:" in out  # assignment to const
    assert f"{script}:3:" in out  # break outside a loop
    assert "^" in out


def test_check_warnings_fail_only_with_strict(tmp_path, capsys) -> None:
    script = write(tmp_path, "warn.jexl", "var total = 1;\ntotl + 1\n")
    assert main(["check", script]) == 0
    out = capsys.readouterr().out
    assert "totl" in out and "total" in out  # did you mean
    assert main(["check", script, "--strict"]) == 1


def test_check_unreadable_file_exits_2(tmp_path, capsys) -> None:
    path = tmp_path / "latin1.jexl"
    path.write_bytes(b"'caf\xe9'")
    assert main(["check", str(path)]) == 2


def test_the_shipped_example_runs(capsys) -> None:
    status, report = run_json(capsys, str(ROOT / "examples" / "hello.jexl"))
    assert status == 0, report["error"]
    assert report["result"]["count"] == 3
    assert report["result"]["summary"] == "Alfa s.r.o.: 5710.50; Beta a.s.: 99.90"
    assert report["logs"] == ["suppliers 2"]


def test_check_uses_the_configured_schema(tmp_path, capsys) -> None:
    (tmp_path / "schema.toml").write_text(
        '[types.Order]\nstates = ["OPEN"]\n\n[types.Order.fields]\nnumber = "string"\n',
        encoding="utf-8",
    )
    config = tmp_path / "mailwright.toml"
    config.write_text('[storage]\nschema = "schema.toml"\n', encoding="utf-8")
    script = write(tmp_path, "order.jexl", "var o = createNew('Order');\no.number = 'A-1';\n")
    # against the shipped default schema, Order is unknown ...
    assert main(["check", script, "--strict"]) == 1
    assert "Order" in capsys.readouterr().out
    # ... against the configured one it is a known type with a known field
    assert main(["check", script, "--strict", "--config", str(config)]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_check_knows_the_schema_and_the_functions(tmp_path, capsys) -> None:
    # issue 4: unknown entity types in createNew, unknown fields of records and of entity,
    # unknown functions and wrong argument counts, each with the closest name
    script = write(
        tmp_path,
        "h.jexl",
        "var d = createNew('SubmitedDocument');\n"
        "var sd = createNew('SubmittedDocument');\n"
        "sd.notee = entity.mailFrm;\n"
        "joim([entity.attachments.sise()], ', ');\n"
        "findState('SubmittedDocument');\n"
        "sd.state = findState('SubmittedDocument', 'NEW', 1);\n"
        "entity.mailAccount.purpos;\n",
    )
    assert main(["check", script]) == 0
    out = capsys.readouterr().out
    headlines = [line for line in out.splitlines() if line.startswith(script)]
    assert headlines == [
        f"{script}:1:19: warning: unknown type 'SubmitedDocument'"
        " (did you mean 'SubmittedDocument'?)",
        f"{script}:3:1: warning: unknown property 'notee' of SubmittedDocument"
        " (did you mean 'note'?)",
        f"{script}:3:12: warning: unknown property 'mailFrm' of ReceivedEmail"
        " (did you mean 'mailFrom'?)",
        f"{script}:4:1: warning: unknown function 'joim' (did you mean 'join'?)",
        f"{script}:4:7: warning: unknown method 'sise' of List (did you mean 'size'?)",
        f"{script}:5:1: warning: 'findState' takes 2 arguments, got 1",
        f"{script}:6:12: warning: 'findState' takes 2 arguments, got 3",
        f"{script}:7:1: warning: unknown property 'purpos' of MailAccount"
        " (did you mean 'purpose'?)",
    ]
    assert out.rstrip().endswith("0 errors, 8 warnings")
    assert main(["check", script, "--strict"]) == 1


def test_run_shows_an_array_s_items_for_a_person(tmp_path, capsys) -> None:
    # Java's toString of an array is an identity hash ([Ljava.lang.Object;@1b6d): useless here
    script = write(tmp_path, "arr.jexl", "var s = 'a';\n[s.foo(), 'x,y'.split(','), 2]")
    assert main(["run", script]) == 0
    out = capsys.readouterr().out
    assert "result: [null, [Ljava.lang.String;@" in out  # an array inside: as Arrays.toString
    status, report = run_json(capsys, script)
    assert report["result"] == [None, ["x", "y"], 2]


def test_run_reports_safe_mode_nulls_as_warnings(tmp_path, capsys) -> None:
    # digest section 0 item 5: a silent null under safe mode leaves a warning with its place
    script = write(tmp_path, "w.jexl", "var s = 'Faktura';\nvar u = s.toUppercase();\nu")
    status, report = run_json(capsys, script)
    assert (status, report["result"]) == (0, None)
    assert report["warnings"], "the null must not be silent"
    for warning in report["warnings"]:  # the run's own, and check's warning about the line
        assert warning.startswith(f"{script}:2:9: unknown method 'toUppercase' of String")
    assert any("null under safe mode" in w for w in report["warnings"])
    assert main(["run", script]) == 0
    assert f"warning: {script}:2:" in capsys.readouterr().out


def test_check_reports_every_file_and_a_missing_one_is_usage(tmp_path, capsys) -> None:
    good = write(tmp_path, "good.jexl", "1 + 1\n")
    bad = write(tmp_path, "bad.jexl", "var = 1;\n")
    warn = write(tmp_path, "warn.jexl", "nope + 1\n")
    assert main(["check", good, bad, warn]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:1:" in out and f"{warn}:1:1: warning:" in out
    assert out.rstrip().endswith("1 error, 1 warning")
    assert main(["check", good, str(tmp_path / "missing.jexl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_without_a_script_is_usage(capsys) -> None:
    assert main(["check"]) == 2
    assert "required: SCRIPT" in capsys.readouterr().err


def test_config_may_come_before_or_after_the_command(tmp_path, capsys) -> None:
    (tmp_path / "schema.toml").write_text(
        '[types.Order]\nstates = ["OPEN"]\n\n[types.Order.fields]\nnumber = "string"\n',
        encoding="utf-8",
    )
    config = tmp_path / "mailwright.toml"
    config.write_text('[storage]\nschema = "schema.toml"\n', encoding="utf-8")
    script = write(tmp_path, "order.jexl", "var o = createNew('Order');\no.number = 'A-1';\n")
    assert main(["--config", str(config), "check", script, "--strict"]) == 0
    assert main(["check", script, "--strict", "--config", str(config)]) == 0
    assert main(["check", script, "--strict"]) == 1  # no config: the default schema
    capsys.readouterr()


def test_only_the_named_command_is_imported() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, runtime.cli as c; c.build_parser(['check', 'x.jexl']); "
            "print('runtime.commands.repl' in sys.modules, 'runtime.commands.check' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.stdout.split() == ["False", "True"], done.stderr
