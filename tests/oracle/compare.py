"""Agreement between an oracle result (JEXL 3.1) and an outcome of our engine."""

from __future__ import annotations

from tests.oracle.jvalues import same
from tests.oracle.oracle import OracleResult
from tests.oracle.ours import Outcome
from tests.oracle.programs import narrowing_blind_same, same_but_narrowing


def agree(theirs: OracleResult, ours: Outcome, *, narrowing_blind: bool = False) -> str | None:
    """None when the engines agree; otherwise what differs, for a failure message.

    Values must be ``same`` (class and value); errors must be of the same kind (both found
    when parsing, or both at run time) and on the same line when both engines give one. With ``narrowing_blind`` a BigInteger compares with
    an Integer/Long by value (3.7.0 narrows BigInteger results that fit, 3.1 does not: digest
    section 3.3); the generated programs use it, the table does not.
    """
    if theirs.ok and ours.ok:
        assert theirs.value is not None and ours.value is not None
        a, b = theirs.value, ours.value
        agreed = same_but_narrowing(a, b) if narrowing_blind else same(a, b)
        return None if agreed else "values differ"
    if not theirs.ok and not ours.ok:
        if theirs.parse != ours.parse:
            return "one engine refuses the script at parse time, the other at run time"
        assert ours.error is not None
        if theirs.line > 0 and ours.error.line > 0 and theirs.line != ours.error.line:
            # JEXL's columns point at varying tokens of a node; lines must agree
            return f"the error is on line {theirs.line} for JEXL 3.1, {ours.error.line} for us"
        return None
    if theirs.ok:
        return "our engine fails where JEXL 3.1 runs"
    return "our engine runs a script JEXL 3.1 refuses"


def agree_on_operator(theirs: OracleResult, ours: Outcome, source: str) -> str | None:
    """``agree`` for one operator between two literals (``programs.binary_expressions``):
    values compare with ``narrowing_blind_same`` (3.1 narrows BigDecimal and keeps BigInteger
    results where 3.7.0 does the opposite, digest section 3.3)."""
    if theirs.ok and ours.ok:
        assert theirs.value is not None and ours.value is not None
        return None if narrowing_blind_same(theirs.value, ours.value, source) else "values differ"
    return agree(theirs, ours)
