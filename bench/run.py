"""Benchmarks of the language engine: ratios against CPython and JEXL 3.1 in the same run.

    python bench/run.py [--runs 15] [--no-jexl]

For each program in ``bench/programs`` (a ``.jexl`` file and the same thing in plain
Python), prints our time divided by CPython's (the median of the ratios of runs timed side
by side), and by JEXL 3.1's median on a warmed-up JVM (timed inside the JVM); then the
compile time of a 300-line script (new source, and from the compiled-program cache) and
the cost of limit accounting (limits on vs off). Our times and CPython's are CPU times of
this process (other processes' load inflates wall times unevenly); JEXL's are wall times,
compared with our wall times. Machines here are noisy: only the ratios mean something.
"""

from __future__ import annotations

import argparse
import functools
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


#: CPU time of this process, not wall time: on a loaded machine the wall time of a run
#: grows with every other process's share of the CPU, unevenly from run to run.
_clock = time.process_time


def _median_time(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm-up (caches, first-call costs)
    times = []
    for _ in range(runs):
        t0 = _clock()
        fn()
        times.append(_clock() - t0)
    return statistics.median(times)


def _timed_rounds(
    fns: list[Callable[[], Any]], runs: int, wall: dict[int, list[float]] | None = None
) -> list[list[float]]:
    """CPU seconds per call of each function, ``runs`` rounds, timed in turns (one run of
    each, then the next round), so a change in the machine's load hits all of them alike. A
    run of a quick function repeats it until it takes about a millisecond. The garbage
    collector stays on: both sides pay for the objects they make, as in real use. ``wall``,
    when given, receives each function's wall-clock seconds per call (by index): what JEXL's
    own timing measures."""
    repeats = []
    for fn in fns:
        fn()  # warm-up (caches, first-call costs)
        t0 = _clock()
        fn()
        once = _clock() - t0
        repeats.append(max(1, min(1000, int(0.001 / max(once, 1e-9)))))
    times: list[list[float]] = [[] for _ in fns]
    order = list(range(len(fns)))
    for r in range(runs):
        # each round starts with the next function: none is always the one that runs
        # after another's garbage
        for i in order[r % len(fns) :] + order[: r % len(fns)]:
            fn, k = fns[i], repeats[i]
            w0 = time.perf_counter()
            t0 = _clock()
            for _ in range(k):
                fn()
            times[i].append((_clock() - t0) / k)
            if wall is not None:
                wall.setdefault(i, []).append((time.perf_counter() - w0) / k)
    return times


def _median_ratio(num: list[float], den: list[float]) -> float:
    """The median of the rounds' ratios (each from timings taken side by side)."""
    return statistics.median(a / b for a, b in zip(num, den))


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

        def persist(r: Any) -> None:
            persisted.append(r)
            if len(persisted) > 1000:
                persisted.clear()

        # the same host objects and functions as the script's (createNew makes a Record),
        # read and written as Python attributes
        return lambda: main(
            email, Record, lambda t, c: {"code": c}, persist, lambda i, s: s.join(i)
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
    walls: dict[str, float] = {}
    for name in names:
        script = engine.compile((PROGRAMS / f"{name}.jexl").read_text(), filename=f"{name}.jexl")
        variables = _variables(name, text)
        wall: dict[int, list[float]] = {}
        on, off, cpython = _timed_rounds(
            [
                functools.partial(script.run, variables, limits=Limits()),
                functools.partial(script.run, variables, limits=Limits.unlimited()),
                _python_call(name, text),
            ],
            args.runs,
            wall,
        )
        rows.append((name, on, off, cpython))
        walls[name] = statistics.median(wall[0])

    jexl = {} if args.no_jexl else _jexl_times(max(args.runs, 31), names, text)

    print(
        f"{'program':<14}{'ours/CPython':>14}{'ours/JEXL 3.1':>15}{'limits on/off':>15}"
        f"{'ours ms':>10}"
    )
    ratios = []
    overheads = []
    for name, on, off, cpy in rows:
        ratio = _median_ratio(on, cpy)
        ratios.append(ratio)
        overhead = _median_ratio(on, off)
        overheads.append(overhead)
        ours = statistics.median(on)
        # JEXL is timed by the clock inside its JVM: wall time against wall time
        vs_jexl = f"{walls[name] / jexl[name]:.1f}x" if name in jexl else "n/a"
        print(f"{name:<14}{ratio:>13.1f}x{vs_jexl:>15}{overhead:>14.2f}x{ours * 1000:>10.2f}")
    print(f"{'median':<14}{statistics.median(ratios):>13.1f}x   (max {max(ratios):.1f}x)")

    fresh = []
    for seed in range(10):
        source = _script_300_lines(1000 + seed)
        t0 = _clock()
        engine.compile(source, filename="long.jexl")
        fresh.append(_clock() - t0)
    source = _script_300_lines(1000)
    cached = _median_time(lambda: engine.compile(source, filename="long.jexl"), 50)
    print(
        f"compile 300 lines: new source {statistics.median(fresh) * 1000:.1f} ms (median of 10), "
        f"from cache {cached * 1e6:.1f} us"
    )
    print(
        f"limit accounting: median {100 * (statistics.median(overheads) - 1):+.1f}% "
        "(limits on vs off)"
    )


if __name__ == "__main__":
    main()
