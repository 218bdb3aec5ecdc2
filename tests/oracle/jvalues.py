"""Java-faced renderings of results (class + value, recursively) and their comparison.

Both engines' results become a ``JValue``: the oracle's JSON answer (``from_oracle``) and a value
of our engine (``from_ours``). ``same(a, b)`` decides agreement:

- scalars: same Java class and value; Doubles compare numerically (JEXL-SEMANTICS.md section 0
  item 8: Java 17 and Python may print the last digit of a double differently), NaN equals NaN;
  BigDecimals compare with their scale (``1.10`` is not ``1.1``, as ``BigDecimal.equals``);
- arrays: same class (``int[]``, ``Object[]``) and elements in order;
- lists (and ranges): elements in order, whatever the List class (``ArrayList``, a sub-list);
- maps, sets and other collections (``values()``): order-free (section 0 item 6: our maps keep
  insertion order, Java's HashMap does not);
- anything else (functions, host objects): same class name.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: kinds whose element order is not part of the value
UNORDERED = frozenset({"set", "collection", "map"})
#: kinds that are sequences of elements
SEQUENCES = frozenset({"array", "list", "set", "collection"})
INTEGRAL = frozenset({"Integer", "Long", "BigInteger", "Short", "Byte"})


@dataclass(frozen=True)
class JValue:
    """A value seen as Java sees it.

    ``cls`` is the simple Java class name (``Integer``, ``ArrayList``, ``int[]``, ``null``);
    ``kind`` one of null, boolean, number, string, char, array, list, set, collection, map,
    entry, other; ``value`` is a bool, int, float, Decimal or str for scalars, a tuple of
    JValues for sequences, a tuple of (key, value) JValue pairs for maps and entries.
    """

    cls: str
    kind: str
    value: Any

    def show(self) -> str:
        """A short readable form, e.g. ``[1 (Integer), 'a' (String)] (ArrayList)``."""
        if self.kind == "null":
            return "null"
        if self.kind in SEQUENCES:
            inner = ", ".join(v.show() for v in self.value)
            return f"[{inner}] ({self.cls})"
        if self.kind in ("map", "entry"):
            inner = ", ".join(f"{k.show()}: {v.show()}" for k, v in self.value)
            return f"{{{inner}}} ({self.cls})"
        if self.kind in ("string", "char"):
            return f"{self.value!r} ({self.cls})"
        return f"{self.value} ({self.cls})"


NULL = JValue("null", "null", None)


# --- from the oracle's JSON ------------------------------------------------------------------


def _java_number(cls: str, text: str) -> int | float | Decimal:
    if cls in INTEGRAL:
        return int(text)
    if cls in ("Double", "Float"):
        return float(text)  # Java's NaN, Infinity and 1.0E10 all parse
    if cls == "BigDecimal":
        return Decimal(text)
    # AtomicInteger and friends never reach us; keep the text comparable anyway
    return Decimal(text)


def from_oracle(data: dict[str, Any]) -> JValue:
    """The JValue of one rendered value of JexlOracle.java (``{"c", "k", "v"}``)."""
    cls, kind, raw = data["c"], data["k"], data["v"]
    if kind == "null":
        return NULL
    if kind == "number":
        return JValue(cls, kind, _java_number(cls, raw))
    if kind in SEQUENCES:
        return JValue(cls, kind, tuple(from_oracle(x) for x in raw))
    if kind == "map":
        return JValue(cls, kind, tuple((from_oracle(k), from_oracle(v)) for k, v in raw))
    if kind == "entry":
        return JValue(cls, kind, ((from_oracle(raw[0]), from_oracle(raw[1])),))
    return JValue(cls, kind, raw)


# --- from our engine -------------------------------------------------------------------------


def from_ours(value: Any) -> JValue:
    """The JValue of a value of our engine (docs/internals.md, "Values").

    Uses ``scriptengine.values.java_class_name`` for the class; the kind comes from the Python
    representation (``list`` is a List, ``dict`` a Map, ``JSet`` a Set, ``JArray`` an array).
    """
    from scriptengine import values  # late: the engine is written alongside these tests
    from scriptengine.host import HostObject

    if value is None:
        return NULL
    cls = values.java_class_name(value)
    if isinstance(value, bool):
        return JValue(cls, "boolean", value)
    if isinstance(value, values.Char):
        return JValue(cls, "char", str(value))
    if isinstance(value, str):
        return JValue(cls, "string", str(value))
    if isinstance(value, int):
        return JValue(cls, "number", int(value))
    if isinstance(value, float):
        return JValue(cls, "number", float(value))
    if isinstance(value, Decimal):
        return JValue(cls, "number", value)
    if isinstance(value, dict):
        return JValue(cls, "map", tuple((from_ours(k), from_ours(v)) for k, v in value.items()))
    if isinstance(value, values.JArray):
        return JValue(cls, "array", tuple(from_ours(x) for x in value))
    if isinstance(value, values.JSet):
        return JValue(cls, "set", tuple(from_ours(x) for x in value))
    if isinstance(value, list | values.JRange):
        return JValue(cls, "list", tuple(from_ours(x) for x in value))
    if isinstance(value, HostObject) and cls == "Map.Entry":
        pair = (from_ours(value.jexl_get("key")), from_ours(value.jexl_get("value")))
        return JValue(cls, "entry", (pair,))
    return JValue(cls, "other", cls)


# --- comparison ------------------------------------------------------------------------------


def _float32(x: float) -> float:
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:
        return x


def _same_number(cls: str, a: Any, b: Any) -> bool:
    if cls in ("Double", "Float"):
        x, y = float(a), float(b)
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        if cls == "Float":
            x, y = _float32(x), _float32(y)
        # numerically, and with the sign of zero (Java's Double.equals tells -0.0 from 0.0)
        return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)
    if cls == "BigDecimal":
        # same unscaled value and scale, as BigDecimal.equals
        return bool(Decimal(a).as_tuple() == Decimal(b).as_tuple())
    return bool(a == b)


def _same_unordered(xs: tuple[Any, ...], ys: tuple[Any, ...], eq: Any) -> bool:
    if len(xs) != len(ys):
        return False
    rest = list(ys)
    for x in xs:
        for i, y in enumerate(rest):
            if eq(x, y):
                del rest[i]
                break
        else:
            return False
    return True


def _same_pair(p: tuple[JValue, JValue], q: tuple[JValue, JValue]) -> bool:
    return same(p[0], q[0]) and same(p[1], q[1])


def same(a: JValue, b: JValue) -> bool:
    """True when the two values agree (the rules are in the module docstring)."""
    if a.kind in SEQUENCES and b.kind in SEQUENCES:
        if a.kind == "array" or b.kind == "array":
            if a.cls != b.cls:
                return False
        if a.kind in UNORDERED or b.kind in UNORDERED:
            return _same_unordered(a.value, b.value, same)
        return len(a.value) == len(b.value) and all(same(x, y) for x, y in zip(a.value, b.value))
    if a.kind != b.kind:
        return False
    if a.kind == "null":
        return True
    if a.kind in ("map", "entry"):
        return _same_unordered(a.value, b.value, _same_pair)
    if a.cls != b.cls:
        return False
    if a.kind == "number":
        return _same_number(a.cls, a.value, b.value)
    return bool(a.value == b.value)


def _loose(v: JValue) -> JValue:
    """Arrays as lists, sets as collections, recursively (for ``assert_equal``)."""
    kind = {"array": "list", "set": "collection"}.get(v.kind, v.kind)
    if v.kind in SEQUENCES:
        return JValue(kind, kind, tuple(_loose(x) for x in v.value))
    if v.kind in ("map", "entry"):
        return JValue(kind, kind, tuple((_loose(k), _loose(x)) for k, x in v.value))
    return v


def assert_equal(expected: JValue, actual: JValue) -> bool:
    """The equality of the tests' ``assert.equals`` (the same rule as JexlOracle.java's).

    Scalars: same class and value. An array and a list are equal when their elements are (so
    ``assert.equals([1, 2], xs)`` works for a list ``xs``); sets and other collections compare
    order-free with each other but never equal a list; maps compare order-free.
    """
    a, b = _loose(expected), _loose(actual)
    if a.kind in SEQUENCES and b.kind in SEQUENCES and a.kind != b.kind:
        return False
    return same(a, b)
