"""Where the compile time of a 300-line script goes, phase by phase, against CPython's compile().

Run: ``python bench/bench_compile.py [--runs 15]``. Compiles the 300-line scripts that
``bench/run.py`` compiles (new source each run, an engine already built) and prints, per phase,
the median and the fastest time in milliseconds: parse (text -> Lark tree: tokens and LALR),
build (tree -> syntax nodes), resolve (scopes, checks), codegen (nodes -> Python AST),
validate (the sandbox's AST check), compile() (CPython's bytecode compiler on that AST), and
the whole ``Engine.compile``. Then the same medians for CPython's own ``compile()`` of a
Python source of the same size and shape, and the ratio of the two totals. The garbage
collector is paused around each measurement, as ``Engine.compile`` pauses it. Times are CPU
time of this process (the machines here are shared, so wall time also counts others' work);
compare runs of the same process, and prefer the fastest time.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from run import _engine, _script_300_lines  # noqa: E402

from scriptengine import compile as compile_module  # noqa: E402
from scriptengine.build import build_script  # noqa: E402
from scriptengine.engine import builtin_types  # noqa: E402
from scriptengine.parser import parse_tree  # noqa: E402
from scriptengine.resolve import resolve  # noqa: E402


def _python_300_lines(seed: int) -> str:
    """A Python program of the same size and shape as ``run._script_300_lines(seed)``."""
    rng = random.Random(seed)
    lines = [f"base = {seed}", "acc = []", "m = {}"]
    while len(lines) < 296:
        k = len(lines)
        choice = rng.randrange(6)
        if choice == 0:
            lines.append(f"v{k} = base * {rng.randrange(100)} + {rng.randrange(100)}")
        elif choice == 1:
            lines.append(
                f"if base > {rng.randrange(50)}:\n    acc.append('x{k}')\nelse:\n    base = base + 1"
            )
        elif choice == 2:
            lines.append(f"for i{k} in range(1, 4):\n    m['k{k}'] = i{k} * 2")
        elif choice == 3:
            lines.append(f"s{k} = f'line {{base}} of {k}'.upper()")
        elif choice == 4:
            lines.append(f"def f{k}(a, b):\n    return a + b * {k}")
        else:
            lines.append(f"acc.append('big' if len(acc) > 3 else 'small{k}')")
    lines += ["total = 0", "for x in acc:\n    total = total + len(x)", "len(m) + total", ""]
    return "\n".join(lines)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds one call of ``fn`` takes with the collector paused, and its result. CPU
    time, not wall time: on a shared machine the wall clock also counts other processes."""
    gc.disable()
    try:
        t0 = time.process_time()
        result = fn()
        return time.process_time() - t0, result
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    engine = _engine()
    engine.compile(_script_300_lines(999), filename="warm.jexl")  # warm-up: tables, caches
    phases: dict[str, list[float]] = {
        name: []
        for name in ("parse", "build", "resolve", "codegen", "validate", "compile()", "sum")
    }
    totals: list[float] = []
    python: list[float] = []
    for run in range(args.runs):
        source = _script_300_lines(2000 + run)
        t_parse, tree = _timed(partial(parse_tree, source))
        t_build, script = _timed(partial(build_script, tree, source, "long.jexl"))
        types = builtin_types()
        t_resolve, res = _timed(
            partial(resolve, script, engine.host, engine.options, builtin_types=types)
        )
        comp = compile_module.Compiler(script, res, res.options)
        t_codegen, mod = _timed(comp.module)
        t_validate, _ = _timed(partial(compile_module.validate, mod, place=True))
        t_bytecode, _ = _timed(partial(compile, mod, "<jexl:long.jexl>", "exec"))
        for name, value in zip(
            phases, (t_parse, t_build, t_resolve, t_codegen, t_validate, t_bytecode), strict=False
        ):
            phases[name].append(value)
        phases["sum"].append(t_parse + t_build + t_resolve + t_codegen + t_validate + t_bytecode)
        # the whole thing on a source the engine has not seen (its cache would answer)
        fresh = _script_300_lines(5000 + run)
        totals.append(_timed(partial(engine.compile, fresh, filename="long.jexl"))[0])
        py_source = _python_300_lines(2000 + run)
        python.append(_timed(partial(compile, py_source, "<python>", "exec"))[0])

    cpython = statistics.median(python)
    print(
        f"compile of a new 300-line script, {args.runs} runs "
        "(CPU ms: median, fastest; median / CPython's compile() of the same-size Python)"
    )
    for name, values in [*phases.items(), ("Engine.compile", totals)]:
        median = statistics.median(values)
        print(
            f"  {name:<15} {median * 1000:7.1f} {min(values) * 1000:7.1f} {median / cpython:6.1f}x"
        )
    print(
        f"CPython compile() of a 300-line Python source: {cpython * 1000:.1f} ms "
        f"(fastest {min(python) * 1000:.1f})"
    )


if __name__ == "__main__":
    main()
