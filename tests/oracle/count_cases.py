"""Prints the differential figures for the issue note.

    python -m tests.oracle.count_cases [N]

1. the number of differential table cases per digest section (and how many of them are
   documented section 9 / section 0 differences);
2. the number of language-test chunks (tests/jexl) and how many also run on JEXL 3.1;
3. N (default 200) hypothesis-generated programs, N operator expressions (one operator
   between literals of any two numeric kinds) and N String method calls on random text, run
   on both engines: how many agreed, with one example of each kind of disagreement.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.jexl.conftest import split_chunks
from tests.oracle.cases import counts
from tests.oracle.compare import agree, agree_on_operator
from tests.oracle.oracle import Oracle, OracleResult
from tests.oracle.ours import Outcome, run_ours
from tests.oracle.programs import binary_expressions, programs, string_calls

Compare: TypeAlias = Callable[[OracleResult, Outcome, str], "str | None"]
Pair: TypeAlias = tuple[str, dict[str, Any]]


def table_summary() -> int:
    """Print the cases per section; return the total."""
    total = overrides = 0
    print("differential table (tests/oracle/cases.py):")
    for section, (n, diff) in counts().items():
        print(f"  {section:45} {n:4} cases ({diff} documented differences)")
        total += n
        overrides += diff
    print(f"  {'total':45} {total:4} cases ({overrides} documented differences)")
    return total


def chunk_summary() -> None:
    """Print the language-test chunks per file."""
    print("language tests (tests/jexl):")
    here = Path(__file__).resolve().parent.parent / "jexl"
    all_chunks = on_oracle = 0
    for path in sorted(here.glob("*.jexl")):
        chunks = split_chunks(path)
        n_oracle = sum(1 for c in chunks if c.oracle)
        print(f"  {path.name:25} {len(chunks):4} chunks, {n_oracle:3} also on JEXL 3.1")
        all_chunks += len(chunks)
        on_oracle += n_oracle
    print(f"  {'total':25} {all_chunks:4} chunks, {on_oracle:3} also on JEXL 3.1")


def generated(label: str, strategy: st.SearchStrategy[Pair], n: int, compare: Compare) -> None:
    """Run ``n`` generated scripts on both engines and print how many agreed, with one
    example of each kind of disagreement."""
    oracle = Oracle()
    agreed: list[int] = []
    failures: list[str] = []
    kinds: dict[str, int] = {}

    def record(kind: str, text: str) -> None:
        # one example per kind of disagreement, so a frequent one does not hide the others
        kinds[kind] = kinds.get(kind, 0) + 1
        if kinds[kind] == 1:
            failures.append(text)

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(program: Pair) -> None:
        source, variables = program
        theirs = oracle.eval(source, variables)
        try:
            ours = run_ours(source, variables)
        except Exception as exc:  # noqa: BLE001 - an engine crash counts as a disagreement
            record(f"crash {exc!r}", f"{source}\n  vars {variables}\n  ours crashed: {exc!r}")
            return
        problem = compare(theirs, ours, source)
        if problem is None:
            agreed.append(1)
            return
        kind = problem if theirs.ok and ours.ok else f"{problem}: {ours.show()[:40]}"
        record(
            kind,
            f"{source}\n  vars {variables}\n  JEXL 3.1: {theirs.show()}\n  ours:     {ours.show()}",
        )

    run()
    oracle.close()
    print(f"{label}: {len(agreed)} of {oracle.count} agreed")
    for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {count:4} x {kind}")
    for failure in failures[:8]:
        print("disagreement:\n" + failure)


def _programs_compare(theirs: OracleResult, ours: Outcome, source: str) -> str | None:
    return agree(theirs, ours, narrowing_blind=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    table_summary()
    chunk_summary()
    generated("generated programs", programs(), n, _programs_compare)
    operators: st.SearchStrategy[Pair] = binary_expressions().map(lambda source: (source, {}))
    generated("generated operator expressions", operators, n, agree_on_operator)
    generated("generated String method calls", string_calls(), n, _programs_compare)


if __name__ == "__main__":
    main()
