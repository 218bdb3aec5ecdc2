"""JEXL's evaluation options with mailwright's defaults (JEXL-SEMANTICS.md section 0)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import EvalError

#: The option names ``#pragma jexl.options '+strict -safe'`` understands.
OPTION_NAMES = (
    "strict",
    "safe",
    "silent",
    "antish",
    "lexical",
    "lexicalShade",
    "cancellable",
    "booleanLogical",
    "strictInterpolation",
    "strictArithmetic",
)


@dataclass(frozen=True)
class Options:
    """Evaluation options. Defaults: JEXL 3.7.0's values and operators, 3.1-3.6 scoping.

    ``strict`` makes undefined variables and null operands errors; ``safe`` turns
    navigation through null and unknown members of plain values into null (with a
    warning); ``boolean_logical`` makes ``&&``/``||`` return booleans instead of the
    deciding operand; ``strict_interpolation`` keeps backtick literals Strings.
    """

    strict: bool = True
    safe: bool = True
    silent: bool = False
    antish: bool = True
    lexical: bool = False
    lexical_shade: bool = False
    cancellable: bool = True
    boolean_logical: bool = False
    strict_interpolation: bool = False
    strict_arithmetic: bool = True

    def with_pragma(self, spec: str) -> Options:
        """Return options changed by a ``jexl.options`` pragma value such as ``'+strict -safe'``.

        A bare name means ``+name``. Raises ``EvalError`` naming an unknown option.
        """
        fields = {
            "strict": "strict",
            "safe": "safe",
            "silent": "silent",
            "antish": "antish",
            "lexical": "lexical",
            "lexicalShade": "lexical_shade",
            "cancellable": "cancellable",
            "booleanLogical": "boolean_logical",
            "strictInterpolation": "strict_interpolation",
            "strictArithmetic": "strict_arithmetic",
        }
        changes: dict[str, bool] = {}
        for word in spec.replace(",", " ").split():
            on = not word.startswith("-")
            name = word.lstrip("+-")
            if name not in fields:
                raise EvalError(f"unknown option '{name}' in jexl.options")
            changes[fields[name]] = on
            if name == "strict" and "strictArithmetic" not in spec:
                # JexlBuilder.strict(b) sets the arithmetic's strictness too.
                changes["strict_arithmetic"] = on
        return replace(self, **changes)
