"""Benchmarks of the language engine: ratios against CPython and JEXL 3.1 in the same run.

    python bench/run.py [--runs 15] [--no-jexl]

For each program in ``bench/programs`` (a ``.jexl`` file and the same thing in plain
Python), prints our median time divided by CPython's median, and by JEXL 3.1's median on
a warmed-up JVM (timed inside the JVM); then the compile time of a 300-line script (new
source, and from the compiled-program cache) and the cost of limit accounting (limits on
vs off). Machines here are noisy: only the ratios mean something.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from scriptengine import Engine, Limits  # noqa: E402
from scriptengine.host import HostObject, MethodInfo, PropertyInfo, TypeInfo  # noqa: E402

PROGRAMS = HERE / "programs"
JARS = ["/usr/share/java/commons-jexl3.jar", "/usr/share/java/commons-logging.jar"]

#: name -> argument (n, or the number of attachments for invoices)
SIZES = {
    "numeric_loop": 20_000,
    "strings": 5_000,
    "recursion": 18,
    "lists": 2_000,
    "wordcount": 0,
    "invoices": 20,
}


# --- host objects for the INVOICES example (what runtime/ will expose, without a database) --
class Purpose(HostObject):
    jexl_type = TypeInfo(
        "Purpose", methods={"name": MethodInfo("name", 0, 0, "String")}, enum_like=True
    )

    def __init__(self, name: str) -> None:
        self.name = name

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        return self.name

    def jexl_string(self) -> str:
        return self.name


class _Plain(HostObject):
    """A host object whose declared properties are Python attributes of the same name."""

    fields: dict[str, str] = {}

    def jexl_get(self, name: str) -> Any:
        return getattr(self, self.fields[name])

    def jexl_set(self, name: str, value: Any) -> None:
        setattr(self, self.fields[name], value)


def _props(names: dict[str, str], writable: bool = False) -> dict[str, PropertyInfo]:
    return {n: PropertyInfo(n, None, writable) for n in names}


class MailAccount(_Plain):
    fields = {"purpose": "purpose", "name": "name"}
    jexl_type = TypeInfo("MailAccount", _props(fields), strict=True)

    def __init__(self, purpose: Purpose, name: str) -> None:
        self.purpose, self.name = purpose, name


class AttachedFile(_Plain):
    fields = {"name": "name"}
    jexl_type = TypeInfo("AttachedFile", _props(fields), strict=True)

    def __init__(self, name: str) -> None:
        self.name = name


class Attachment(_Plain):
    fields = {"attachedFile": "attached_file"}
    jexl_type = TypeInfo("ReceivedEmailAttachment", _props(fields), strict=True)

    def __init__(self, attached_file: AttachedFile) -> None:
        self.attached_file = attached_file


class Email(_Plain):
    fields = {
        "mailAccount": "mail_account",
        "attachments": "attachments",
        "mailFrom": "mail_from",
        "id": "id",
    }
    jexl_type = TypeInfo("ReceivedEmail", _props(fields), strict=True)

    def __init__(self, n: int) -> None:
        self.mail_account = MailAccount(Purpose("INVOICES"), "invoices")
        self.attachments = [Attachment(AttachedFile(f"faktura-{i}.pdf")) for i in range(n)]
        self.mail_from = "jana@example.cz"
        self.id = 42


class Record(_Plain):
    fields = {
        "state": "state",
        "note": "note",
        "attachmentNames": "attachment_names",
        "attachments": "attachments",
        "attachedFile": "attached_file",
    }
    jexl_type = TypeInfo("Record", _props(fields, writable=True), strict=True)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.state = self.note = self.attachment_names = self.attached_file = None
        self.attachments: list[Any] = []


def _engine() -> Engine:
    engine = Engine()
    persisted: list[Any] = []

    def persist(record: Any) -> None:
        persisted.append(record)
        if len(persisted) > 1000:
            persisted.clear()

    engine.register_function("createNew", Record, 1, 1)
    engine.register_function("findState", lambda t, c: {"code": c}, 2, 2)
    engine.register_function("persist", persist, 1, 1)
    engine.register_function("join", lambda items, sep: sep.join(items), 2, 2)
    return engine


def _words() -> str:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(500)] + ["Faktura", "faktura", "Invoice", "invoice"]
    return " ".join(rng.choice(vocab) for _ in range(20_000))


def _median_time(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm-up (caches, first-call costs)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _load_python(name: str) -> Callable[..., Any]:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", PROGRAMS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main  # type: ignore[no-any-return]


def _python_call(name: str, text: str) -> Callable[[], Any]:
    main = _load_python(name)
    if name == "invoices":
        email = Email(SIZES[name])
        persisted: list[Any] = []

        def create_new(t: str) -> dict[str, Any]:
            return {"type": t, "attachments": []} if t == "SubmittedDocument" else {"type": t}

        def persist(r: Any) -> None:
            persisted.append(r)
            if len(persisted) > 1000:
                persisted.clear()

        return lambda: main(
            email, create_new, lambda t, c: {"code": c}, persist, lambda i, s: s.join(i)
        )
    if name == "wordcount":
        return lambda: main(text)
    return lambda: main(SIZES[name])


def _variables(name: str, text: str) -> dict[str, Any]:
    if name == "invoices":
        return {"entity": Email(SIZES[name])}
    if name == "wordcount":
        return {"text": text}
    return {"n": SIZES[name]}


def _jexl_times(runs: int, names: list[str], text: str) -> dict[str, float]:
    """Median seconds per program on JEXL 3.1, or {} when Java or the jar is missing."""
    if not shutil.which("javac") or not all(Path(j).exists() for j in JARS):
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        for f in PROGRAMS.glob("*.jexl"):
            shutil.copy(f, tmp)
        Path(tmp, "words.txt").write_text(text + "\n")
        cp = ":".join(JARS)
        subprocess.run(
            ["javac", "-nowarn", "-cp", cp, "-d", tmp, str(HERE / "JexlBench.java")],
            check=True,
            capture_output=True,
        )
        args = [f"{n}={SIZES[n]}" for n in names]
        out = subprocess.run(
            ["java", "-cp", f"{cp}:{tmp}", "JexlBench", tmp, str(runs), *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    result = {}
    for line in out.splitlines():
        name, ns = line.split()
        result[name] = int(ns) / 1e9
    return result


def _script_300_lines(seed: int) -> str:
    rng = random.Random(seed)
    lines = [f"var base = {seed};", "var acc = [...];", "var m = {:};"]
    while len(lines) < 296:
        k = len(lines)
        choice = rng.randrange(6)
        if choice == 0:
            lines.append(f"var v{k} = base * {rng.randrange(100)} + {rng.randrange(100)};")
        elif choice == 1:
            lines.append(
                f"if (base > {rng.randrange(50)}) {{ acc.add('x{k}'); }} else {{ base = base + 1; }}"
            )
        elif choice == 2:
            lines.append(f"for (var i{k} : 1..3) {{ m['k{k}'] = i{k} * 2; }}")
        elif choice == 3:
            lines.append(f"var s{k} = `line ${{base}} of {k}`.toUpperCase();")
        elif choice == 4:
            lines.append(f"var f{k} = function(a, b) {{ a + b * {k} }};")
        else:
            lines.append(f"acc.add(size(acc) > 3 ? 'big' : 'small{k}');")
    lines += [
        "var total = 0;",
        "for (var x : acc) { total = total + size(x); }",
        "m.size() + total",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-jexl", action="store_true")
    args = parser.parse_args()

    text = _words()
    names = list(SIZES)
    engine = _engine()
    rows = []
    for name in names:
        script = engine.compile((PROGRAMS / f"{name}.jexl").read_text(), filename=f"{name}.jexl")
        variables = _variables(name, text)
        ours_on = _median_time(lambda s=script, v=variables: s.run(v, limits=Limits()), args.runs)
        ours_off = _median_time(
            lambda s=script, v=variables: s.run(v, limits=Limits.unlimited()), args.runs
        )
        cpython = _median_time(_python_call(name, text), args.runs)
        rows.append((name, ours_on, ours_off, cpython))

    jexl = {} if args.no_jexl else _jexl_times(max(args.runs, 31), names, text)

    print(
        f"{'program':<14}{'ours/CPython':>14}{'ours/JEXL 3.1':>15}{'limits on/off':>15}"
        f"{'ours ms':>10}"
    )
    ratios = []
    for name, on, off, cpy in rows:
        ratio = on / cpy
        ratios.append(ratio)
        vs_jexl = f"{on / jexl[name]:.1f}x" if name in jexl else "n/a"
        print(f"{name:<14}{ratio:>13.1f}x{vs_jexl:>15}{on / off:>14.2f}x{on * 1000:>10.2f}")
    print(f"{'median':<14}{statistics.median(ratios):>13.1f}x   (max {max(ratios):.1f}x)")

    fresh = []
    for seed in range(10):
        source = _script_300_lines(1000 + seed)
        t0 = time.perf_counter()
        engine.compile(source, filename="long.jexl")
        fresh.append(time.perf_counter() - t0)
    source = _script_300_lines(1000)
    cached = _median_time(lambda: engine.compile(source, filename="long.jexl"), 50)
    print(
        f"compile 300 lines: new source {statistics.median(fresh) * 1000:.1f} ms (median of 10), "
        f"from cache {cached * 1e6:.1f} us"
    )
    overhead = statistics.median(on / off for _, on, off, _ in rows)
    print(f"limit accounting: median {100 * (overhead - 1):+.1f}% (limits on vs off)")


if __name__ == "__main__":
    main()
