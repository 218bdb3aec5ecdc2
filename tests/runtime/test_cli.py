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
