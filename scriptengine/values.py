"""The Python representation of Java values: kinds, ``toString``, class names, equality, JSON.

Values stay cheap: Java's Integer, Double, String, Boolean, ArrayList and HashMap are plain
``int``, ``float``, ``str``, ``bool``, ``list`` and ``dict``. The other kinds are thin
subclasses or small classes (table in docs/internals.md), so a value keeps its Java kind:
``1 === 1l`` is false and ``2147483647 + 1`` is a Long.

Traps:

- ``Long``, ``BigInteger`` and ``Float`` compare with Python ``==`` like their base types
  (``Long(1) == 1`` is True); use ``java_equals`` for Java's ``equals`` (``Integer 1`` is not
  ``Long 1``) and ``java_key`` for a hashable key with Java's equality (sets, switch).
- A Python ``dict`` conflates ``1``, ``Long(1)``, ``True`` and ``1.0`` as keys; Java's HashMap
  keeps them apart. ``JSet`` uses ``java_key`` and so keeps them apart too.
- ``JArray`` compares and hashes by identity, as Java arrays do (``[1, 2] == [1, 2]`` is false
  in JEXL).
"""

from __future__ import annotations

import datetime
import json
import math
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import EvalError
from .host import HostObject

INT_MIN = -(1 << 31)
INT_MAX = (1 << 31) - 1
LONG_MIN = -(1 << 63)
LONG_MAX = (1 << 63) - 1


# --- numeric kinds ------------------------------------------------------------------------


class Long(int):
    """Java ``Long``: a 64-bit integer value (the caller keeps it in range)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Long({int(self)})"


class BigInteger(int):
    """Java ``BigInteger``: an integer of any size."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"BigInteger({int(self)})"


def to_float32(x: float) -> float:
    """Return ``x`` rounded to the nearest float32 value (Java's ``(float) x``); values beyond
    float32's range become infinities."""
    try:
        result: float = struct.unpack("f", struct.pack("f", x))[0]
        return result
    except OverflowError:
        return math.copysign(math.inf, x)


class Float(float):
    """Java ``Float``: the value is rounded to float32 when the object is made."""

    __slots__ = ()

    def __new__(cls, value: float = 0.0) -> Float:
        return super().__new__(cls, to_float32(float(value)))

    def __repr__(self) -> str:
        return f"Float({float(self)!r})"


class Char(str):
    """Java ``Character``: one UTF-16 code unit, kept as a one-character string."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Char({str(self)!r})"


# --- containers ---------------------------------------------------------------------------

#: Java primitive component types and the letter of their array class name (``[I``).
_PRIMITIVE_LETTERS = {
    "int": "I",
    "long": "J",
    "double": "D",
    "float": "F",
    "boolean": "Z",
    "char": "C",
    "short": "S",
    "byte": "B",
}

#: Boxed class name -> primitive name, for arrays whose elements all have that class.
_UNBOXED = {
    "Integer": "int",
    "Long": "long",
    "Double": "double",
    "Float": "float",
    "Boolean": "boolean",
    "Character": "char",
}

_NUMBER_CLASSES = frozenset({"Integer", "Long", "Double", "Float", "BigInteger", "BigDecimal"})


def array_component(items: Iterable[Any]) -> str:
    """Return the component type JEXL 3.7.0's ArrayBuilder gives an array literal.

    All elements of one class: that class, unboxed when primitive (``[1, 2]`` -> ``'int'``,
    ``['a']`` -> ``'String'``); numbers of several classes -> ``'Number'``; a ``null`` among
    them keeps the boxed class (``[null, 1]`` -> ``'Integer'``); anything else mixed, and the
    empty array, -> ``'Object'``. (JEXL 3.4+ looks for the most specific common superclass of
    mixed classes, such as ``Comparable``; we simply say ``Object``.)
    """
    common: str | None = None
    is_number = True
    unboxing = True
    for v in items:
        if v is None:
            is_number = False
            unboxing = False
            continue
        cls = java_class_name(v)
        if common is None:
            common = cls
            is_number = is_number and cls in _NUMBER_CLASSES
        elif common != cls:
            if is_number and cls in _NUMBER_CLASSES:
                common = "Number"
            else:
                return "Object"
    if common is None:
        return "Object"
    if unboxing:
        return _UNBOXED.get(common, common)
    return common


class JArray(list[Any]):
    """A Java array (``[1, 2]``): fixed size, compared and hashed by identity.

    ``component`` is the Java component type name (``'int'``, ``'String'``, ``'Number'``,
    ``'Object'``...). ``JArray.of(items)`` computes it as the array literal does.
    """

    __slots__ = ("component",)

    def __init__(self, items: Iterable[Any] = (), component: str = "Object") -> None:
        super().__init__(items)
        self.component = component

    @classmethod
    def of(cls, items: Iterable[Any]) -> JArray:
        """Return an array of ``items`` with the component type of an array literal."""
        values = list(items)
        return cls(values, array_component(values))

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:  # type: ignore[override]
        return id(self)

    def __repr__(self) -> str:
        return f"JArray({list(self)!r}, {self.component!r})"


class JSet:
    """Java ``HashSet`` with insertion order (digest section 0 item 6).

    Membership uses Java's ``equals`` (``java_key``): ``1`` and ``1l`` are different elements.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items: dict[Any, Any] = {}
        for v in items:
            self._items.setdefault(java_key(v), v)

    def add(self, value: Any) -> bool:
        """Add ``value``; return True when it was not there yet (Java's ``Set.add``)."""
        key = java_key(value)
        if key in self._items:
            return False
        self._items[key] = value
        return True

    def remove(self, value: Any) -> bool:
        """Remove ``value``; return True when it was there (Java's ``Set.remove``)."""
        return self._items.pop(java_key(value), _MISSING) is not _MISSING

    def contains(self, value: Any) -> bool:
        """True when an element ``equals`` ``value``."""
        return java_key(value) in self._items

    def clear(self) -> None:
        """Remove every element."""
        self._items.clear()

    def copy(self) -> JSet:
        """A new set with the same elements."""
        result = JSet()
        result._items = dict(self._items)
        return result

    def __contains__(self, value: object) -> bool:
        return java_key(value) in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JSet):
            return NotImplemented
        return len(self) == len(other) and all(k in other._items for k in self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items))

    def __repr__(self) -> str:
        return f"JSet({list(self._items.values())!r})"


_MISSING = object()


class JRange:
    """An inclusive integer range (``1..3``); counts down when ``end < start``.

    ``is_long`` is True when a bound does not fit an Integer (JEXL's LongRange); the
    elements are then Longs. ``contains`` follows JEXL: any number whose integer part lies
    between the bounds.
    """

    __slots__ = ("start", "end", "is_long")

    def __init__(self, start: int, end: int, is_long: bool = False) -> None:
        self.start = int(start)
        self.end = int(end)
        self.is_long = is_long

    @property
    def low(self) -> int:
        """The smaller bound."""
        return min(self.start, self.end)

    @property
    def high(self) -> int:
        """The larger bound."""
        return max(self.start, self.end)

    def __len__(self) -> int:
        return abs(self.end - self.start) + 1

    def __iter__(self) -> Iterator[Any]:
        step = 1 if self.end >= self.start else -1
        if self.is_long:
            return (Long(i) for i in range(self.start, self.end + step, step))
        return iter(range(self.start, self.end + step, step))

    def contains(self, value: Any) -> bool:
        """Java ``IntegerRange.contains``: numbers by their integer part, nothing else."""
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return False
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return False
        v = int(value)
        return self.low <= v <= self.high

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JRange):
            return NotImplemented
        return (
            self.low == other.low
            and self.high == other.high
            and self.is_long == other.is_long
            and (self.end >= self.start) == (other.end >= other.start)
        )

    def __hash__(self) -> int:
        return hash((self.low, self.high, self.is_long, self.end >= self.start))

    def __repr__(self) -> str:
        return f"JRange({self.start}, {self.end}{', long' if self.is_long else ''})"


class JPattern:
    """A compiled regular expression (``~/re/``): the Java source and the ``regex`` pattern.

    ``compiled`` is made by ``regexes.java_regex`` (cached); match through the ``regexes``
    helpers so the timeout applies. Raises ``EvalError`` for an invalid pattern.
    """

    __slots__ = ("source", "compiled")

    def __init__(self, source: str, compiled: Any = None) -> None:
        self.source = source
        if compiled is None:
            from .regexes import java_regex

            compiled = java_regex(source)
        self.compiled = compiled

    def __eq__(self, other: object) -> bool:
        # java.util.regex.Pattern does not override equals
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"JPattern({self.source!r})"


class Invocable:
    """Base of script function values (closures); compile.py defines the subclasses.

    ``invoke(args)`` calls the function with the script's arguments (missing ones are null,
    extra ones ignored: the subclass's business). ``name`` is the function's name, or
    ``'lambda'`` for an anonymous one.
    """

    __slots__ = ()

    name: str = "lambda"

    def invoke(self, args: list[Any]) -> Any:
        """Call the function and return its value."""
        raise NotImplementedError

    def jexl_string(self) -> str:
        """What ``+`` and templates show (JEXL shows the function's source text)."""
        return f"function {self.name}"


@dataclass
class ErrorInfo:
    """Where a caught error happened (``e.info``): 1-based line and column."""

    line: int = 0
    column: int = 0
    filename: str = "<script>"


@dataclass(eq=False)
class CaughtError:
    """What ``catch (e)`` binds: ``e.value`` (what ``throw`` threw, else null),
    ``e.message``, ``e.info.line`` / ``e.info.column`` and ``e.cause`` (an underlying error
    value or null)."""

    value: Any
    message: str
    info: ErrorInfo
    cause: Any = None
    # eq=False: a caught error is equal only to itself, like a Java exception

    def jexl_string(self) -> str:
        """What ``+`` and templates show: the message."""
        return self.message


# --- class names --------------------------------------------------------------------------

_CLASS_NAMES: dict[type, str] = {
    bool: "Boolean",
    int: "Integer",
    Long: "Long",
    BigInteger: "BigInteger",
    float: "Double",
    Float: "Float",
    Decimal: "BigDecimal",
    str: "String",
    Char: "Character",
    list: "ArrayList",
    dict: "HashMap",
    JSet: "HashSet",
    JPattern: "Pattern",
    JRange: "Range",
}


def java_class_name(v: Any) -> str:
    """Return the simple Java class name of a value: ``'Integer'``, ``'Long'``, ``'Double'``,
    ``'BigDecimal'``, ``'Character'``, ``'String'``, ``'Boolean'``, ``'ArrayList'``,
    ``'HashMap'``, ``'HashSet'``, ``'int[]'`` / ``'String[]'``, ``'Pattern'``, ``'Range'``, the
    host type's name for a host object; ``'null'`` for None."""
    name = _CLASS_NAMES.get(type(v))
    if name is not None:
        return name
    if v is None:
        return "null"
    if isinstance(v, JArray):
        return v.component + "[]"
    if isinstance(v, HostObject):
        return v.jexl_type_info().name
    if isinstance(v, Invocable):
        return "Closure"
    if isinstance(v, CaughtError):
        return "JexlException"
    for base, base_name in _CLASS_NAMES.items():
        if isinstance(v, base):
            return base_name
    return type(v).__name__


#: Java's fully qualified names for the classes an array can hold (for ``[Ljava.lang.X;``).
_PACKAGES = {
    "String": "java.lang",
    "Object": "java.lang",
    "Number": "java.lang",
    "Integer": "java.lang",
    "Long": "java.lang",
    "Double": "java.lang",
    "Float": "java.lang",
    "Boolean": "java.lang",
    "Character": "java.lang",
    "BigInteger": "java.math",
    "BigDecimal": "java.math",
    "ArrayList": "java.util",
    "HashMap": "java.util",
    "HashSet": "java.util",
    "Pattern": "java.util.regex",
}


def identity_hash(v: Any) -> int:
    """A stable stand-in for Java's ``System.identityHashCode`` (31 bits, per object)."""
    x = (id(v) >> 4) * 0x9E3779B1
    return (x ^ (x >> 31)) & 0x7FFFFFFF


def _identity_string(v: Any) -> str:
    if isinstance(v, JArray):
        letter = _PRIMITIVE_LETTERS.get(v.component)
        if letter is not None:
            prefix = "[" + letter
        else:
            pkg = _PACKAGES.get(v.component)
            prefix = f"[L{pkg + '.' if pkg else ''}{v.component};"
    elif isinstance(v, JRange):
        kind = "LongRange" if v.is_long else "IntegerRange"
        way = "Ascending" if v.end >= v.start else "Descending"
        prefix = f"org.apache.commons.jexl3.internal.{kind}${way}"
    else:
        prefix = java_class_name(v)
    return f"{prefix}@{identity_hash(v):x}"


# --- toString -----------------------------------------------------------------------------


def _digits_exponent(text: str) -> tuple[str, int]:
    """Split a Python float repr (``'1.5e-05'``, ``'123.0'``) into significant digits without
    trailing zeros and the decimal exponent of the first digit."""
    mantissa, _, exp = text.partition("e")
    point = mantissa.find(".")
    if point < 0:
        int_part, frac = mantissa, ""
    else:
        int_part, frac = mantissa[:point], mantissa[point + 1 :]
    digits = (int_part + frac).lstrip("0")
    lead = len(int_part + frac) - len(digits)  # zeros stripped on the left
    e = (int(exp) if exp else 0) + len(int_part) - 1 - lead
    digits = digits.rstrip("0") or "0"
    return digits, e


def _java_layout(negative: bool, digits: str, e: int, magnitude: float) -> str:
    """Lay out ``digits`` x 10^e as Java's Double.toString does: plain for 1e-3 <= |x| < 1e7,
    computerized scientific notation (``1.0E10``) otherwise."""
    sign = "-" if negative else ""
    if 1e-3 <= magnitude < 1e7:
        if e >= 0:
            int_part = digits[: e + 1].ljust(e + 1, "0")
            frac = digits[e + 1 :] or "0"
            return f"{sign}{int_part}.{frac}"
        return f"{sign}0.{'0' * (-e - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{e}"


def double_to_string(x: float) -> str:
    """Java's ``Double.toString`` with the shortest digits that read back (Java 19+):
    ``1.0``, ``0.001``, ``1.0E-4``, ``1.0E10``, ``-0.0``, ``NaN``, ``Infinity``."""
    if x != x:
        return "NaN"
    if x == math.inf:
        return "Infinity"
    if x == -math.inf:
        return "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    digits, e = _digits_exponent(repr(abs(x)))
    if len(digits) == 1:
        # Java 19+ (Double.toString javadoc): when one digit would do, use the closest
        # two-digit decimal instead (4.9E-324, not 5.0E-324)
        digits, e = _digits_exponent(f"{abs(x):.1e}")
    return _java_layout(x < 0, digits, e, abs(x))


def float_to_string(x: float) -> str:
    """Java's ``Float.toString``: the shortest digits that read back as the same float32."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    a = abs(x)
    text = repr(a)
    for n in range(1, 10):
        candidate = f"{a:.{n - 1}e}"
        if to_float32(float(candidate)) == a:
            text = candidate
            break
    digits, e = _digits_exponent(text)
    if len(digits) == 1:
        digits, e = _digits_exponent(f"{a:.1e}")  # as in double_to_string
    return _java_layout(x < 0, digits, e, a)


def decimal_to_string(d: Decimal) -> str:
    """Java's ``BigDecimal.toString`` (scientific when the exponent is positive or the number
    is small: ``1E+3``, ``1E-7``, ``3.10``). Python's Decimal follows the same standard; Java
    has no negative zero."""
    if d.is_zero() and d.is_signed():
        d = d.copy_abs()
    return str(d)


def to_string(v: Any) -> str:
    """Return Java's ``toString`` of a value as JEXL shows it: ``'null'`` for None, doubles in
    Java's layout, lists ``[1, 2]``, maps ``{a=1, b=2}``, sets ``[1, 2]``, arrays and ranges
    as Java identity strings (``[I@1b6d3586``), host objects by ``jexl_string()``.

    Templates show null as empty: use ``template_string``. ``+`` shows NaN as empty
    (``ops.Arithmetic.to_string``).
    """
    t = type(v)
    if t is str:
        return v  # type: ignore[no-any-return]
    if t is int:
        return str(v)
    if t is float:
        return double_to_string(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    try:
        return _to_string_slow(v, None)
    except RecursionError:
        raise EvalError("a value is nested too deeply to be shown") from None


def int_to_string(n: int) -> str:
    """Decimal digits of any integer (Python refuses ``str()`` beyond 4300 digits)."""
    if n.bit_length() < 14_000:
        return str(int(n))
    return str(Decimal(int(n)))


def template_string(v: Any) -> str:
    """``to_string`` for backtick templates: null interpolates as the empty string."""
    t = type(v)
    if t is str:
        return v  # type: ignore[no-any-return]
    if t is int:
        return str(v)  # an Integer (exact int): its digits, as to_string
    return "" if v is None else to_string(v)


def _to_string_slow(v: Any, seen: set[int] | None) -> str:
    if isinstance(v, Char):
        return str(v)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Float):
        return float_to_string(v)
    if isinstance(v, float):
        return double_to_string(v)
    if isinstance(v, int):
        return int_to_string(v)
    if isinstance(v, Decimal):
        return decimal_to_string(v)
    if v is None:
        return "null"
    if isinstance(v, (JArray, JRange)):
        return _identity_string(v)
    if isinstance(v, (list, JSet)):
        seen = seen or set()
        if id(v) in seen:
            return "(this Collection)"
        seen.add(id(v))
        try:
            return (
                "["
                + ", ".join("(this Collection)" if e is v else _to_string_slow(e, seen) for e in v)
                + "]"
            )
        finally:
            seen.discard(id(v))
    if isinstance(v, dict):
        seen = seen or set()
        if id(v) in seen:
            return "(this Map)"
        seen.add(id(v))
        try:
            parts = []
            for k, val in v.items():
                ks = "(this Map)" if k is v else _to_string_slow(k, seen)
                vs = "(this Map)" if val is v else _to_string_slow(val, seen)
                parts.append(f"{ks}={vs}")
            return "{" + ", ".join(parts) + "}"
        finally:
            seen.discard(id(v))
    if isinstance(v, JPattern):
        return v.source
    if isinstance(v, (HostObject, Invocable, CaughtError)):
        return v.jexl_string()
    return str(v)


# --- equals and hashCode ------------------------------------------------------------------


def _decimal_key(d: Decimal) -> tuple[Any, ...]:
    # BigDecimal.equals compares value and scale: 1.10 is not 1.1; Java has no -0
    if d.is_zero():
        return ("BD", 0, d.as_tuple().exponent)
    return ("BD", d.as_tuple())


def _java_key(v: Any) -> Any:
    """``java_key`` without the recursion guard."""
    t = type(v)
    if t is str:
        return v
    if t is int:
        return ("I", v)
    if v is None:
        return None
    if t is bool:
        return ("Z", v)
    if t is float:
        if v != v:
            return ("D", "NaN")
        return ("D", v, math.copysign(1.0, v) if v == 0.0 else 0)
    if t is list:
        return ("L", tuple(_java_key(e) for e in v))
    if t is dict:
        return ("M", frozenset((_java_key(k), _java_key(x)) for k, x in v.items()))
    if isinstance(v, Long):
        return ("J", int(v))
    if isinstance(v, BigInteger):
        return ("BI", int(v))
    if isinstance(v, Float):
        if v != v:
            return ("F", "NaN")
        return ("F", float(v), math.copysign(1.0, v) if v == 0.0 else 0)
    if isinstance(v, Char):
        return ("C", str(v))
    if isinstance(v, Decimal):
        return _decimal_key(v)
    if isinstance(v, JSet):
        return ("S", frozenset(v._items))
    if isinstance(v, JRange):
        return ("R", v.low, v.high, v.is_long, v.end >= v.start)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, list) and not isinstance(v, JArray):
        return ("L", tuple(_java_key(e) for e in v))
    if isinstance(v, dict):
        return ("M", frozenset((_java_key(k), _java_key(x)) for k, x in v.items()))
    if isinstance(v, HostObject):
        info = v.jexl_type_info()
        if info.enum_like:
            # a Java enum constant is a singleton: two host objects standing for the same
            # constant must be equal
            return ("E", info.name, v.jexl_string())
    try:
        hash(v)
    except TypeError:
        return ("O", id(v))
    return ("O", v)


def _java_equals(a: Any, b: Any) -> bool:
    """``java_equals`` without the recursion guard."""
    if a is b:
        return True
    ta = type(a)
    if ta is not type(b):
        if isinstance(a, list) and isinstance(b, list):
            if isinstance(a, JArray) or isinstance(b, JArray):
                return False
        elif isinstance(a, dict) and isinstance(b, dict):
            pass
        else:
            return False
    if ta is str or ta is int or ta is bool:
        return a == b  # type: ignore[no-any-return]
    if a is None or b is None:
        return False
    if isinstance(a, JArray):
        return False
    if ta is list or isinstance(a, list):
        return len(a) == len(b) and all(_java_equals(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        bkeys = {_java_key(k): val for k, val in b.items()}
        for k, val in a.items():
            key = _java_key(k)
            if key not in bkeys or not _java_equals(val, bkeys[key]):
                return False
        return True
    return bool(_java_key(a) == _java_key(b))


def _int32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def string_hash(s: str) -> int:
    """Java's ``String.hashCode`` over UTF-16 code units."""
    h = 0
    data = s.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] | (data[i + 1] << 8))) & 0xFFFFFFFF
    return _int32(h)


def _long_hash(v: int) -> int:
    u = v & 0xFFFFFFFFFFFFFFFF
    return _int32(u ^ (u >> 32))


def _java_hash(v: Any) -> int:
    """``java_hash`` without the recursion guard."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1231 if v else 1237
    if isinstance(v, str):
        return string_hash(str(v))
    if isinstance(v, Float):
        if v != v:
            return 0x7FC00000
        return _int32(struct.unpack(">I", struct.pack(">f", v))[0])
    if isinstance(v, float):
        bits = 0x7FF8000000000000 if v != v else struct.unpack(">Q", struct.pack(">d", v))[0]
        return _long_hash(bits)
    if isinstance(v, BigInteger):
        # BigInteger.hashCode: 31-polynomial over the magnitude's 32-bit words, times signum
        mag = abs(int(v))
        words = []
        while mag:
            words.append(mag & 0xFFFFFFFF)
            mag >>= 32
        h = 0
        for w in reversed(words):
            h = (31 * h + w) & 0xFFFFFFFF
        return _int32(h * (1 if v >= 0 else -1))
    if isinstance(v, Long):
        return _long_hash(int(v))
    if isinstance(v, int):
        return _int32(v)
    if isinstance(v, Decimal):
        sign, digits, exp = v.as_tuple()
        unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        scale = -exp if isinstance(exp, int) else 0
        return _int32(31 * _java_hash(BigInteger(unscaled)) + scale)
    if isinstance(v, JArray):
        return identity_hash(v)
    if isinstance(v, HostObject) and v.jexl_type_info().enum_like:
        return string_hash(v.jexl_string())
    if isinstance(v, list):
        h = 1
        for e in v:
            h = (31 * h + _java_hash(e)) & 0xFFFFFFFF
        return _int32(h)
    if isinstance(v, JSet):
        return _int32(sum(_java_hash(e) for e in v))
    if isinstance(v, dict):
        return _int32(sum(_java_hash(k) ^ _java_hash(x) for k, x in v.items()))
    if isinstance(v, JRange):
        return _int32(13 * (13 * 0x1F + v.low) + v.high)
    return identity_hash(v)


# --- JSON ---------------------------------------------------------------------------------


class JsonNumber(str):
    """A number pre-rendered as JSON text (BigDecimal with its scale: ``3.10``); ``dumps_json``
    writes it without quotes."""

    __slots__ = ()


def _to_json(v: Any) -> Any:
    """``to_json`` without the recursion guard."""
    t = type(v)
    if v is None or t is bool or t is int or t is str:
        return v
    if t is float or t is Float:
        if math.isnan(v) or math.isinf(v):
            return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
        return v if t is float else JsonNumber(float_to_string(v).replace("E", "e"))
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, Decimal):
        return JsonNumber(decimal_to_string(v))
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, (list, JSet, JRange)):
        return [_to_json(e) for e in v]
    if isinstance(v, dict):
        return {json_key(k): _to_json(x) for k, x in v.items()}
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()  # ARCHITECTURE.md: dates as ISO 8601 with the offset
    hook = getattr(v, "to_json", None)
    if callable(hook):
        return hook()
    return to_string(v)


def json_key(k: Any) -> str:
    """A map key as a JSON object key: its ``toString`` (null -> ``'null'``)."""
    return to_string(k)


def dumps_json(obj: Any, indent: int | None = None) -> str:
    """Serialize a ``to_json`` structure: UTF-8 text (non-ASCII not escaped), ``JsonNumber``
    unquoted, floats in Python's shortest form. Raises ``ValueError`` for a non-finite float
    (``to_json`` never produces one)."""
    out: list[str] = []
    _dump(obj, out, indent, 0)
    return "".join(out)


def _dump(obj: Any, out: list[str], indent: int | None, level: int) -> None:
    if isinstance(obj, JsonNumber):
        out.append(str.__str__(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, str):
        out.append(json.dumps(str.__str__(obj), ensure_ascii=False))
    elif isinstance(obj, int):
        out.append(int_to_string(obj))
    elif isinstance(obj, float):
        if math.isnan(obj) or math.isinf(obj):
            raise ValueError("a non-finite number has no JSON form")
        out.append(repr(float(obj)))
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        out.append("{")
        first = True
        for k, v in obj.items():
            if not first:
                out.append(",")
            first = False
            _newline(out, indent, level + 1)
            out.append(json.dumps(str(k), ensure_ascii=False))
            out.append(": " if indent is not None else ":")
            _dump(v, out, indent, level + 1)
        _newline(out, indent, level)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        if not obj:
            out.append("[]")
            return
        out.append("[")
        for i, v in enumerate(obj):
            if i:
                out.append(",")
            _newline(out, indent, level + 1)
            _dump(v, out, indent, level + 1)
        _newline(out, indent, level)
        out.append("]")
    else:
        _dump(_to_json(obj), out, indent, level)


def _newline(out: list[str], indent: int | None, level: int) -> None:
    if indent is not None:
        out.append("\n" + " " * (indent * level))


# --- small helpers shared with ops and members --------------------------------------------

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def utf16_len(s: str) -> int:
    """Java's ``String.length()``: UTF-16 code units (characters beyond U+FFFF count 2)."""
    if s.isascii():
        return len(s)
    return len(s) + len(_ASTRAL.findall(s))


# --- public entry points: a value nested thousands deep is an error, not a crash -------------


def java_key(v: Any) -> Any:
    """Return a hashable key such that ``java_key(a) == java_key(b)`` exactly when Java's
    ``a.equals(b)`` (``1`` vs ``1l`` differ; lists and maps by content; enum-like host objects
    by type and name; arrays, other host objects and functions by identity unless the host
    object defines ``__eq__``/``__hash__``).

    The key is computed from the current content: a list changed later keeps its old key.
    """
    try:
        return _java_key(v)
    except RecursionError:
        raise EvalError("a value is nested too deeply to be compared") from None


def java_equals(a: Any, b: Any) -> bool:
    """Java's ``a.equals(b)``: same class and equal value (``Integer 2`` is not ``Long 2``;
    ``1.10b`` is not ``1.1b``; ``NaN`` equals ``NaN``; ``0.0`` is not ``-0.0``); lists, maps
    and sets by content with these rules; arrays by identity; enum-like host objects by name.
    Used by ``===``, ``switch``, ``List.contains/indexOf/remove`` and ``=~`` on collections."""
    try:
        return _java_equals(a, b)
    except RecursionError:
        raise EvalError("a value is nested too deeply to be compared") from None


def java_hash(v: Any) -> int:
    """Java's ``hashCode()`` of a value (Integer: itself, String: the polynomial over UTF-16
    units, Boolean: 1231/1237, Double: its bits folded, lists/maps/sets as java.util defines
    them, identity hash for arrays and other objects); 0 for null."""
    try:
        return _java_hash(v)
    except RecursionError:
        raise EvalError("a value is nested too deeply to be hashed") from None


def to_json(v: Any) -> Any:
    """Return a JSON-ready Python structure for a script value (``mailwright run --json``):
    numbers as numbers (BigDecimal and Float as ``JsonNumber``), NaN and infinities as the
    strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; lists, arrays, sets and ranges as
    lists; maps as dicts with string keys; characters, patterns and host objects as strings
    (a host object with a ``to_json()`` method gives its own structure)."""
    try:
        return _to_json(v)
    except RecursionError:
        raise EvalError("a value is nested too deeply to be written as JSON") from None
