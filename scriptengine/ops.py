"""JEXL 3.7.0 operators: arithmetic, comparison, equality, matching, truthiness, coercions.

``Arithmetic(options, thread)`` is made once per run; generated code calls its bound methods
(docs/internals.md lists the names). The rules follow ``JexlArithmetic`` and
``internal/Operator`` at tag ``rel/commons-jexl-3.7.0`` (digest JEXL-SEMANTICS.md sections 3
and 4). Every method puts a fast path for Integer/Double/String operands first; the general
rules live in ``_*_slow`` methods.

Strict arithmetic (the default) makes a null operand of an arithmetic, comparison, unary or
boolean operator an error (``Operator.controlNullOperands``); ``==``, ``===``, ``=~``,
``=^``, ``=$``, ``empty`` and ``size`` accept null. Lenient arithmetic treats null as 0 or
``''`` and makes ``/`` and ``%`` failures ``0.0``.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn

from . import regexes
from .errors import EvalError, LimitExceeded
from .host import HostObject
from .options import Options
from .thread import Thread
from .values import (
    INT_MAX,
    INT_MIN,
    LONG_MAX,
    LONG_MIN,
    BigInteger,
    Char,
    Float,
    Invocable,
    JArray,
    JPattern,
    JRange,
    JSet,
    Long,
    double_to_string,
    float_to_string,
    java_class_name,
    java_equals,
    to_string,
    utf16_len,
)

#: MathContext.DECIMAL128: 34 digits, HALF_EVEN; BigDecimal scales are 32-bit in Java.
DECIMAL128 = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999_999_999,
    Emin=-999_999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

_MASK64 = (1 << 64) - 1

#: Strings longer than this are checked against the run's string limit after ``+``.
STRING_CHECK = 4096
#: Strings at least this long are also counted as memory.
STRING_ALLOC = 1 << 20
#: ``+`` results up to this length are not counted to memory (the common small ones)
SMALL_STRING = 64
#: BigInteger products are refused beyond this many digits (or the string limit, if lower);
#: printing a number costs quadratic time in its digits (0.3 s at 100,000) and
#: repeated squaring would otherwise run one multiplication for minutes.
MAX_DIGITS = 100_000

# JexlArithmetic.FLOAT_PATTERN: a String that looks like a real makes - * / % use doubles.
_FLOAT_PATTERN = re.compile(r"[+-]?\d*(\.\d*)?([eE][+-]?\d+)?", re.ASCII)
# Double.parseDouble after trim(): decimal, NaN, Infinity, an optional f/d suffix.
_DOUBLE_SYNTAX = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)", re.ASCII
)
# new BigDecimal(String) and new BigInteger(String): Character.isDigit digits, no blanks.
_DECIMAL_SYNTAX = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER_SYNTAX = re.compile(r"[+-]?\d+")


class CoercionError(EvalError):
    """A value could not be converted (Java's CoercionException / NumberFormatException).

    Raised by the ``to_*`` and ``parse_*`` functions below; its message reads
    ``'a' is not a number``. The operators catch it and say which operation failed.
    """

    def __init__(self, value: Any, reason: str = "is not a number") -> None:
        super().__init__(f"{describe(value)} {reason}")
        self.value = value
        self.reason = reason


class _DivZero(Exception):
    """Java's ArithmeticException for a zero divisor (or BigInteger.mod's negative one)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- describing values in messages --------------------------------------------------------

_KIND_WORDS = {
    "ArrayList": "a List",
    "HashMap": "a Map",
    "HashSet": "a Set",
    "Range": "a range",
    "Pattern": "a Pattern",
}


def describe(v: Any) -> str:
    """How a message names a value: strings quoted (shortened), numbers and booleans as
    written, collections by kind (``a List``), other objects by class (``a Point``)."""
    if v is None:
        return "null"
    if isinstance(v, Char):
        return f"the character '{v}'"
    if isinstance(v, str):
        text = v if len(v) <= 40 else v[:37] + "..."
        return "'" + text.replace("'", "\\'") + "'"
    if isinstance(v, (bool, int, float, Decimal)):
        return to_string(v)
    if isinstance(v, JArray):
        return "an array"
    if isinstance(v, Invocable):
        return "a function"
    name = java_class_name(v)
    if name in _KIND_WORDS:
        return _KIND_WORDS[name]
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


# --- Java conversions ---------------------------------------------------------------------


def _wrap64(x: int) -> int:
    x &= _MASK64
    return x - (1 << 64) if x >> 63 else x


def _wrap32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >> 31 else x


def _d2l(d: float) -> int:
    """Java's ``(long) d``: NaN -> 0, saturating at the long range, truncating."""
    if d != d:
        return 0
    if d >= 9.223372036854775807e18:
        return LONG_MAX
    if d <= -9.223372036854775808e18:
        return LONG_MIN
    return int(d)


def _d2i(d: float) -> int:
    """Java's ``(int) d``: NaN -> 0, saturating at the int range, truncating."""
    if d != d:
        return 0
    if d >= 2147483647.0:
        return INT_MAX
    if d <= -2147483648.0:
        return INT_MIN
    return int(d)


def _cmp_double(a: float, b: float) -> int:
    """JEXL's double comparison: NaN sorts first (and equals NaN); otherwise
    ``Double.compare`` (``-0.0 < 0.0``)."""
    if a != a:
        return 0 if b != b else -1
    if b != b:
        return 1
    if a < b:
        return -1
    if a > b:
        return 1
    if a == 0.0:
        sa = math.copysign(1.0, a)
        sb = math.copysign(1.0, b)
        return 0 if sa == sb else (-1 if sa < sb else 1)
    return 0


def _int_to_double(x: int) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def parse_double(s: str) -> float:
    """``Double.parseDouble`` as JEXL uses it: ``''`` -> NaN; surrounding blanks allowed;
    ``NaN``, ``Infinity`` and an ``f``/``d`` suffix accepted. Raises ``CoercionError``."""
    if not s:
        return math.nan
    t = s.strip(" \t\n\r\x0b\x0c\x00")
    if not _DOUBLE_SYNTAX.fullmatch(t):
        raise CoercionError(s)
    if t[-1] in "fFdD":
        t = t[:-1]
    return float(t)


def parse_long(s: str) -> int:
    """JEXL's ``parseLong``: the String read as a double, which must be integral (NaN and
    ``''`` -> 0). Raises ``CoercionError``."""
    d = parse_double(s)
    if d != d:
        return 0
    if math.isinf(d) or d == math.floor(d):
        return _d2l(d)
    raise CoercionError(s, "is not an integer")


def parse_big_integer(s: str) -> int:
    """``new BigInteger(s)`` (``''`` -> 0). Raises ``CoercionError``."""
    if not s:
        return 0
    if not _INTEGER_SYNTAX.fullmatch(s):
        raise CoercionError(s)
    if len(s) < 4000:
        return int(s)
    if len(s) > MAX_DIGITS:
        # conversion time grows with the square of the length
        raise CoercionError(s, f"has more than {MAX_DIGITS:,} digits")
    return int(Decimal(s))  # int() refuses more than 4300 digits; Decimal does not


def parse_big_decimal(s: str) -> Decimal:
    """``new BigDecimal(s, DECIMAL128)`` (``''`` -> 0). Raises ``CoercionError``."""
    if not s:
        return Decimal(0)
    if not _DECIMAL_SYNTAX.fullmatch(s):
        raise CoercionError(s)
    try:
        return _no_negative_zero(DECIMAL128.create_decimal(s))
    except decimal.DecimalException:
        raise CoercionError(s, "is out of the BigDecimal range") from None


def _is_string(v: Any) -> bool:
    return isinstance(v, str) and type(v) is not Char


def _is_float_number(v: Any) -> bool:
    """``isFloatingPointNumber``: a Double/Float, or a String that looks like a real."""
    t = type(v)
    if t is float or t is Float:
        return True
    if t is str:
        m = _FLOAT_PATTERN.fullmatch(v)
        return m is not None and (m.group(1) is not None or m.group(2) is not None)
    return False


def _as_long_number(v: Any) -> int | None:
    """``asLongNumber``: Integer/Long as is, Boolean as 1/0, else None (null is handled by
    the callers)."""
    t = type(v)
    if t is int or t is Long:
        return int(v)
    if t is bool:
        return 1 if v else 0
    return None


def _is_numberable(v: Any) -> bool:
    """``isNumberable``: Integer, Long, Short, Byte or Character."""
    t = type(v)
    return t is int or t is Long or t is Char


def _decimal_low64(d: Decimal) -> int:
    """``BigDecimal.longValue()``: the low 64 bits of the integer part, computed without
    building a huge integer for a large exponent (``1E+999999999``)."""
    if not d.is_finite():
        raise CoercionError(d)
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    if exp >= 0:
        n = int("".join(map(str, digits)) or "0") * pow(10, exp, 1 << 64)
    else:
        n = abs(int(d))  # a negative exponent: at most as many digits as written
    return _wrap64(-n if sign else n)


def _no_negative_zero(d: Decimal) -> Decimal:
    """Java's BigDecimal has no negative zero (``0b * -0.01b`` is ``0.00``); Python's has."""
    if d.is_zero() and d.is_signed():
        return d.copy_abs()
    return d


def to_long(v: Any) -> int:
    """``JexlArithmetic.toLong`` of a non-null value. Raises ``CoercionError``."""
    t = type(v)
    if t is int or t is Long:
        return int(v)
    if t is float or t is Float:
        return _d2l(v)
    if t is bool:
        return 1 if v else 0
    if t is str:
        return parse_long(v)
    if t is Char:
        return ord(v)
    if t is BigInteger:
        return _wrap64(int(v))
    if t is Decimal:
        return _decimal_low64(v)
    raise CoercionError(v)


def to_int(v: Any) -> int:
    """``JexlArithmetic.toInteger`` of a non-null value. Raises ``CoercionError``."""
    t = type(v)
    if t is int:
        return v  # type: ignore[no-any-return]
    if t is float or t is Float:
        return _d2i(v)
    if t is bool:
        return 1 if v else 0
    if t is str:
        n = parse_long(v)
        if INT_MIN <= n <= INT_MAX:
            return n
        raise CoercionError(v, "is not an Integer")
    if t is Char:
        return ord(v)
    if t is Long or t is BigInteger or t is Decimal:
        return _wrap32(to_long(v))
    raise CoercionError(v)


def to_double(v: Any) -> float:
    """``JexlArithmetic.toDouble`` of a non-null value. Raises ``CoercionError``."""
    t = type(v)
    if t is float:
        return v  # type: ignore[no-any-return]
    if t is int or t is Long or t is BigInteger:
        return _int_to_double(int(v))
    if t is Float:
        return float(v)
    if t is Decimal:
        return float(v)
    if t is bool:
        return 1.0 if v else 0.0
    if t is str:
        return parse_double(v)
    if t is Char:
        return float(ord(v))
    raise CoercionError(v)


def to_big_integer(v: Any) -> int:
    """``JexlArithmetic.toBigInteger`` of a non-null value. Raises ``CoercionError``."""
    t = type(v)
    if t is int or t is Long or t is BigInteger:
        return int(v)
    if t is float or t is Float:
        return _d2l(v)
    if t is Decimal:
        if not v.is_finite():
            raise CoercionError(v)
        if v.adjusted() > MAX_DIGITS:
            raise CoercionError(v, f"has more than {MAX_DIGITS:,} digits")
        return int(v)
    if t is bool:
        return 1 if v else 0
    if t is str:
        return parse_big_integer(v)
    if t is Char:
        return ord(v)
    raise CoercionError(v)


def to_big_decimal(v: Any) -> Decimal:
    """``JexlArithmetic.toBigDecimal`` of a non-null value (no rescaling: scale -1).
    Doubles go through their ``toString`` (0.1 -> 0.1). Raises ``CoercionError``."""
    t = type(v)
    if t is Decimal:
        return v  # type: ignore[no-any-return]
    if t is float:
        if v != v:
            return Decimal(0)
        if math.isinf(v):
            raise CoercionError(v, "is not a finite number")
        return _no_negative_zero(DECIMAL128.create_decimal(double_to_string(v)))
    if t is Float:
        if v != v:
            return DECIMAL128.create_decimal(0)
        if math.isinf(v):
            raise CoercionError(v, "is not a finite number")
        return _no_negative_zero(DECIMAL128.create_decimal(float_to_string(v)))
    if t is int or t is Long or t is BigInteger:
        return DECIMAL128.create_decimal(int(v))
    if t is bool:
        # BigDecimal.valueOf(1.) has scale 1
        return Decimal("1.0") if v else Decimal("0.0")
    if t is str:
        return parse_big_decimal(v)
    if t is Char:
        return Decimal(ord(v))
    raise CoercionError(v)


def _narrow_long(a: Any, b: Any, r: int) -> int:
    """``narrowLong``: Integer when no operand is a Long and the result fits."""
    if INT_MIN <= r <= INT_MAX and type(a) is not Long and type(b) is not Long:
        return r
    return Long(r)


def _narrow_big(a: Any, b: Any, r: int) -> int:
    """``narrowBigInteger`` (3.7.0): when an operand is Integer/Long/Character, the result
    becomes an Integer or Long if it fits; otherwise it stays a BigInteger."""
    if _is_numberable(a) or _is_numberable(b):
        if INT_MIN <= r <= INT_MAX:
            return r
        if LONG_MIN <= r <= LONG_MAX:
            return Long(r)
    return BigInteger(r)


def _long_or_big(r: int) -> int:
    return Long(r) if LONG_MIN <= r <= LONG_MAX else BigInteger(r)


def _trunc_div(x: int, y: int) -> int:
    q = abs(x) // abs(y)
    return -q if (x < 0) != (y < 0) else q


def _java_rem(x: int, y: int) -> int:
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _exponent(d: Decimal) -> int:
    exp = d.as_tuple().exponent
    return exp if isinstance(exp, int) else 0


def _java_remainder(x: Decimal, y: Decimal) -> Decimal:
    """``BigDecimal.remainder(y, DECIMAL128)``: ``x - q * y`` with ``q`` the integral quotient.

    The value is Python's remainder; the scale is Java's, which differs: Java's quotient
    takes the preferred exponent ``x.exp - y.exp`` where it can (``1 % 1.10b`` is ``1``, not
    Python's ``1.00``).
    """
    r = DECIMAL128.remainder(x, y)
    q = DECIMAL128.divide_int(x, y)
    preferred = _exponent(x) - _exponent(y)
    if q.is_zero() or preferred <= 0:
        q_exp = preferred
        if not q.is_zero() and len(q.as_tuple().digits) - preferred > DECIMAL128.prec:
            q_exp = 0
    else:
        digits = q.as_tuple().digits
        zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
        q_exp = min(preferred, zeros)
    exp = min(_exponent(x), q_exp + _exponent(y))
    try:
        return r.quantize(Decimal((0, (1,), exp)), context=DECIMAL128)
    except decimal.DecimalException:
        return r


def _decimal_op(fn: Callable[[Decimal, Decimal], Decimal], a: Decimal, b: Decimal) -> Decimal:
    """Apply a DECIMAL128 operation; Java's ArithmeticExceptions become ``_DivZero`` or
    ``CoercionError`` (an exponent out of range, a remainder whose quotient needs more than 34
    digits)."""
    try:
        return _no_negative_zero(fn(a, b))
    except decimal.DivisionByZero:
        raise _DivZero("division by zero") from None
    except decimal.DecimalException:
        raise CoercionError(
            a, f"and {to_string(b)} give a result a BigDecimal cannot hold"
        ) from None


# --- instanceof ---------------------------------------------------------------------------

_NUMBER_SUPERS = frozenset({"Number", "Comparable", "Object", "Serializable"})
_SUPERTYPES: dict[str, frozenset[str]] = {
    "Integer": _NUMBER_SUPERS | {"Integer"},
    "Long": _NUMBER_SUPERS | {"Long"},
    "Double": _NUMBER_SUPERS | {"Double"},
    "Float": _NUMBER_SUPERS | {"Float"},
    "BigInteger": _NUMBER_SUPERS | {"BigInteger"},
    "BigDecimal": _NUMBER_SUPERS | {"BigDecimal"},
    "Boolean": frozenset({"Boolean", "Comparable", "Object", "Serializable"}),
    "Character": frozenset({"Character", "Comparable", "Object", "Serializable"}),
    "String": frozenset({"String", "CharSequence", "Comparable", "Object", "Serializable"}),
    "ArrayList": frozenset(
        {
            "ArrayList",
            "List",
            "Collection",
            "Iterable",
            "AbstractList",
            "AbstractCollection",
            "RandomAccess",
            "Cloneable",
            "Object",
            "Serializable",
        }
    ),
    "HashMap": frozenset({"HashMap", "Map", "AbstractMap", "Cloneable", "Object", "Serializable"}),
    "HashSet": frozenset(
        {
            "HashSet",
            "Set",
            "Collection",
            "Iterable",
            "AbstractSet",
            "AbstractCollection",
            "Cloneable",
            "Object",
            "Serializable",
        }
    ),
    "Pattern": frozenset({"Pattern", "Object", "Serializable"}),
    "Closure": frozenset({"Closure", "Script", "JexlScript", "Object"}),
    "JexlException": frozenset({"JexlException", "RuntimeException", "Exception", "Throwable"})
    | {"Object", "Serializable"},
}

_JAVA_PACKAGES = (
    "java.lang.",
    "java.util.regex.",
    "java.util.",
    "java.math.",
    "java.io.",
    "org.apache.commons.jexl3.internal.",
    "org.apache.commons.jexl3.",
)


def _type_names(v: Any) -> frozenset[str]:
    name = java_class_name(v)
    supers = _SUPERTYPES.get(name)
    if supers is not None:
        return supers
    if isinstance(v, JArray):
        return frozenset({name, "Object", "Cloneable", "Serializable"})
    if isinstance(v, JRange):
        kind = "LongRange" if v.is_long else "IntegerRange"
        return frozenset({kind, "Collection", "Iterable", "Object"})
    return frozenset({name, "Object"})


# --- the arithmetic -------------------------------------------------------------------------


class Arithmetic:
    """The operators of one run. Methods raise ``EvalError`` with a message in the language's
    terms; ``LimitExceeded`` comes from the thread (string length, regex time)."""

    def __init__(self, options: Options, thread: Thread) -> None:
        self.options = options
        self.thread = thread
        #: strict arithmetic: null operands are errors, ``+`` concatenates if one side is a
        #: String, ``/`` by zero is an error
        self.strict = options.strict_arithmetic
        limit = thread.limits.string_length
        #: ``+`` results longer than this are checked (a limit below STRING_CHECK counts)
        self._check_at = STRING_CHECK if limit is None else min(STRING_CHECK, limit)
        #: ``+`` results longer than this are counted to memory (and checked, see above)
        self._count_at = min(SMALL_STRING, self._check_at)
        #: most decimal digits a BigInteger product may have (None: no limit)
        self.max_digits = None if limit is None else min(limit, MAX_DIGITS)

    # --- errors -----------------------------------------------------------------------
    def _null_operand(self, symbol: str, a: Any, b: Any = 0) -> NoReturn:
        if a is None and b is None:
            raise EvalError(f"both operands of '{symbol}' are null")
        side = "left" if a is None else "right"
        raise EvalError(f"the {side} operand of '{symbol}' is null")

    @staticmethod
    def _coercion_error(verb: str, err: CoercionError) -> EvalError:
        return EvalError(f"cannot {verb}: {describe(err.value)} {err.reason}")

    def _check_string(self, s: str) -> str:
        """Charge a long ``+`` result to the run: length limit, copy work, memory."""
        n = len(s)
        self.thread.check_string(n)
        self.thread.charge(n >> 12)
        return s

    def _check_big_product(self, bits: int) -> None:
        """Refuse (before computing it) a BigInteger product with too many digits, and charge
        the work of a large one."""
        digits = int(bits * 0.30103)
        cap = self.max_digits
        if cap is not None and digits > cap:
            raise LimitExceeded(
                "memory", cap, f"number too large ({digits:,} digits; the limit is {cap:,})"
            )
        self.thread.charge(bits >> 12)

    # --- + ------------------------------------------------------------------------------
    def add(self, a: Any, b: Any) -> Any:
        """``a + b``: numbers per JEXL's typing rules; concatenation when a side is a String
        (strict) or both are (lenient); other failures fall back to concatenation."""
        ta = type(a)
        tb = type(b)
        if ta is int:
            if tb is int:
                r = a + b
                if -2147483648 <= r <= 2147483647:
                    return r
                return Long(r)
            if tb is float:
                return a + b
        elif ta is str:
            if tb is str:
                r = a + b
                if len(r) > self._count_at:
                    self._charge_concat(r)
                return r
            if tb is int and self.strict:
                # the common 'text' + n (strict: a String side concatenates, no coercion)
                r = a + str(b)
                if len(r) > self._count_at:
                    self._charge_concat(r)
                return r
        elif ta is float:
            if tb is float or tb is int:
                return a + b
        return self._add_slow(a, b)

    def _add_slow(self, a: Any, b: Any) -> Any:
        if self.strict:
            # the common 'text' + n: no coercion attempt needed
            if type(a) is str and type(b) is int:
                return self._concat_checked(a + str(b))
            if type(a) is int and type(b) is str:
                return self._concat_checked(str(a) + b)
        if a is None or b is None:
            if self.strict:
                self._null_operand("+", a, b)
            if a is None and b is None:
                return 0
        if self.strict:
            concat = _is_string(a) or _is_string(b)
        else:
            concat = _is_string(a) and _is_string(b)
        if not concat:
            try:
                return self._numeric_add(a, b)
            except CoercionError:
                pass  # JexlArithmetic.add: any ArithmeticException -> concatenation
        return self._concat_checked(self._concat_string(a) + self._concat_string(b))

    def _concat_checked(self, r: str) -> str:
        if len(r) > self._count_at:
            self._charge_concat(r)
        return r

    def _charge_concat(self, r: str) -> None:
        """Count a ``+`` result to the run's memory, as every value made is counted (a loop
        keeping 200,000 strings of 4000 characters otherwise held 800 MB unseen); long
        results also meet the length limit and charge their copying."""
        n = len(r)
        th = self.thread
        th.memory += n
        limit = th.limits.memory
        if limit is not None and th.memory > limit:
            th.alloc(0)
        if n > self._check_at:
            self._check_string(r)

    def _numeric_add(self, a: Any, b: Any) -> Any:
        x = _as_long_number(a) if a is not None else 0
        y = _as_long_number(b) if b is not None else 0
        if x is not None and y is not None:
            r = x + y
            if LONG_MIN <= r <= LONG_MAX:
                return _narrow_long(a, b, r)
            return BigInteger(r)
        if type(a) is Decimal or type(b) is Decimal:
            return _decimal_op(DECIMAL128.add, self._bd(a), self._bd(b))
        if _is_float_number(a) or _is_float_number(b):
            return self._dbl(a) + self._dbl(b)
        return _narrow_big(a, b, self._bi(a) + self._bi(b))

    def _concat_string(self, v: Any) -> str:
        """JexlArithmetic.toString: null -> '' (lenient), NaN -> '', else Java's toString."""
        if type(v) is str:
            return v
        if v is None:
            return ""
        if type(v) is float and v != v:
            return ""
        return to_string(v)

    # lenient-aware coercions: null counts as zero (strict callers reject null earlier)
    def _bd(self, v: Any) -> Decimal:
        return Decimal(0) if v is None else to_big_decimal(v)

    def _dbl(self, v: Any) -> float:
        return 0.0 if v is None else to_double(v)

    def _bi(self, v: Any) -> int:
        return 0 if v is None else to_big_integer(v)

    def _lng(self, v: Any) -> int:
        return 0 if v is None else to_long(v)

    # --- - * ------------------------------------------------------------------------------
    def sub(self, a: Any, b: Any) -> Any:
        """``a - b``: numbers only; numeric Strings are parsed (``'5' - 2`` -> 3)."""
        ta = type(a)
        tb = type(b)
        if ta is int:
            if tb is int:
                r = a - b
                if -2147483648 <= r <= 2147483647:
                    return r
                return Long(r)
            if tb is float:
                return a - b
        elif ta is float and (tb is float or tb is int):
            return a - b
        return self._arith_slow("-", "subtract", a, b)

    def mul(self, a: Any, b: Any) -> Any:
        """``a * b``: numbers only; numeric Strings are parsed (``'3' * '4'`` -> BigInteger
        12, ``'2.5' * 2`` -> 5.0)."""
        ta = type(a)
        tb = type(b)
        if ta is int:
            if tb is int:
                r = a * b
                if -2147483648 <= r <= 2147483647:
                    return r
                return Long(r)
            if tb is float:
                return a * b
        elif ta is float and (tb is float or tb is int):
            return a * b
        return self._arith_slow("*", "multiply", a, b)

    def div(self, a: Any, b: Any) -> Any:
        """``a / b``: integer division truncates toward zero; division by zero is an error
        (lenient: 0.0), never Infinity."""
        ta = type(a)
        tb = type(b)
        if b:
            if ta is int:
                if tb is int:
                    q = abs(a) // abs(b)
                    if (a < 0) != (b < 0):
                        q = -q
                    if q <= 2147483647:
                        return q
                    return Long(q)
                if tb is float:
                    return a / b
            elif ta is float and (tb is float or tb is int):
                return a / b
        return self._arith_slow("/", "divide", a, b)

    def mod(self, a: Any, b: Any) -> Any:
        """``a % b``: Java's remainder (sign of the dividend: ``-7 % 3`` -> -1); by zero an
        error (lenient: 0.0)."""
        ta = type(a)
        tb = type(b)
        if b:
            if ta is int and tb is int:
                r = abs(a) % abs(b)
                return -r if a < 0 else r
            if (ta is float or ta is int) and (tb is float or tb is int):
                try:
                    return math.fmod(a, b)
                except ValueError:
                    return math.nan  # Java: Infinity % x is NaN
        return self._arith_slow("%", "compute the remainder", a, b)

    def _arith_slow(self, symbol: str, verb: str, a: Any, b: Any) -> Any:
        if a is None or b is None:
            if self.strict:
                self._null_operand(symbol, a, b)
            if a is None and b is None:
                return 0
        try:
            return self._numeric(symbol, a, b)
        except _DivZero as err:
            if not self.strict and symbol in "/%":
                return 0.0
            raise EvalError(err.message) from None
        except CoercionError as err:
            if not self.strict and symbol in "/%":
                return 0.0
            raise self._coercion_error(verb, err) from None

    def _numeric(self, symbol: str, a: Any, b: Any) -> Any:
        x = _as_long_number(a) if a is not None else 0
        y = _as_long_number(b) if b is not None else 0
        if x is not None and y is not None:
            if symbol == "-":
                r = x - y
            elif symbol == "*":
                r = x * y
            elif symbol == "/":
                if y == 0:
                    raise _DivZero("division by zero")
                r = _wrap64(_trunc_div(x, y))  # Long.MIN_VALUE / -1 wraps in Java
            else:
                if y == 0:
                    raise _DivZero("modulo by zero")
                r = _java_rem(x, y)
            if LONG_MIN <= r <= LONG_MAX:
                return _narrow_long(a, b, r)
            return BigInteger(r)
        if type(a) is Decimal or type(b) is Decimal:
            left = self._bd(a)
            right = self._bd(b)
            if symbol == "-":
                return _decimal_op(DECIMAL128.subtract, left, right)
            if symbol == "*":
                return _decimal_op(DECIMAL128.multiply, left, right)
            if right.is_zero():
                raise _DivZero("division by zero" if symbol == "/" else "modulo by zero")
            if symbol == "/":
                return _decimal_op(DECIMAL128.divide, left, right)
            return _decimal_op(_java_remainder, left, right)
        if _is_float_number(a) or _is_float_number(b):
            d = self._dbl(a)
            e = self._dbl(b)
            if symbol == "-":
                return d - e
            if symbol == "*":
                return d * e
            if e == 0.0:
                raise _DivZero("division by zero" if symbol == "/" else "modulo by zero")
            if symbol == "/":
                return d / e
            try:
                return math.fmod(d, e)
            except ValueError:
                return math.nan
        i = self._bi(a)
        j = self._bi(b)
        if symbol == "-":
            return _narrow_big(a, b, i - j)
        if symbol == "*":
            bits = i.bit_length() + j.bit_length()
            if bits > 50_000:
                self._check_big_product(bits)
            return _narrow_big(a, b, i * j)
        if symbol == "/":
            if j == 0:
                raise _DivZero("division by zero")
            return _narrow_big(a, b, _trunc_div(i, j))
        if j == 0:
            raise _DivZero("modulo by zero")
        if j < 0:
            # BigInteger.mod refuses a negative modulus
            raise _DivZero(f"modulo by a negative number ({j}) is not defined for BigInteger")
        return _narrow_big(a, b, i % j)

    # --- unary ----------------------------------------------------------------------------
    def neg(self, a: Any) -> Any:
        """``-a``: numbers (Integer and Long wrap as in Java), booleans (``-true`` ->
        false); a String is an error."""
        t = type(a)
        if t is int:
            return -a if a != INT_MIN else a
        if t is float:
            return -a
        if a is None:
            if self.strict:
                raise EvalError("the operand of '-' is null")
            return None
        if t is Long:
            return Long(_wrap64(-int(a)))
        if t is BigInteger:
            return BigInteger(-int(a))
        if t is Decimal:
            return _no_negative_zero(a.copy_negate())
        if t is Float:
            return Float(-float(a))
        if t is bool:
            return not a
        raise EvalError(f"cannot negate {describe(a)}")

    def pos(self, a: Any) -> Any:
        """``+a``: numbers and booleans unchanged, a Character becomes its Integer code."""
        t = type(a)
        if t is int or t is float:
            return a
        if a is None:
            if self.strict:
                raise EvalError("the operand of '+' is null")
            return None
        if t is Char:
            return ord(a)
        if t in (Long, BigInteger, Decimal, Float, bool):
            return a
        raise EvalError(f"cannot apply unary '+' to {describe(a)}")

    def incr(self, a: Any) -> Any:
        """``a + 1`` for ``++``: JexlArithmetic.increment keeps the operand's class
        (Integer and Long wrap around as Java's ``+`` does); null -> error (lenient: 1)."""
        return self._step(a, 1)

    def decr(self, a: Any) -> Any:
        """``a - 1`` for ``--`` (see ``incr``)."""
        return self._step(a, -1)

    def _step(self, a: Any, n: int) -> Any:
        t = type(a)
        if t is int:
            return _wrap32(a + n)
        if t is float:
            return a + n
        if a is None:
            if self.strict:
                raise EvalError(f"the operand of '{'++' if n > 0 else '--'}' is null")
            return n
        if t is Long:
            return Long(_wrap64(a + n))
        if t is Decimal:
            return _no_negative_zero(DECIMAL128.add(a, Decimal(n)))
        if t is BigInteger:
            return BigInteger(a + n)
        if t is Float:
            return Float(float(a) + n)
        raise EvalError(f"cannot {'increment' if n > 0 else 'decrement'} {describe(a)}")

    # --- bitwise ------------------------------------------------------------------------------
    def _long_operand(self, symbol: str, v: Any) -> int:
        if v is None:
            return 0  # strict null operands were refused by the caller
        try:
            return to_long(v)
        except CoercionError as err:
            raise EvalError(
                f"cannot compute '{symbol}': {describe(err.value)} {err.reason}"
            ) from None

    def _bitwise(self, symbol: str, a: Any, b: Any) -> tuple[int, int]:
        if self.strict and (a is None or b is None):
            self._null_operand(symbol, a, b)
        return self._long_operand(symbol, a), self._long_operand(symbol, b)

    def bitand(self, a: Any, b: Any) -> Any:
        """``a & b`` on longs: a Long."""
        x, y = self._bitwise("&", a, b)
        return Long(x & y)

    def bitor(self, a: Any, b: Any) -> Any:
        """``a | b`` on longs: a Long."""
        x, y = self._bitwise("|", a, b)
        return Long(x | y)

    def bitxor(self, a: Any, b: Any) -> Any:
        """``a ^ b`` on longs: a Long."""
        x, y = self._bitwise("^", a, b)
        return Long(x ^ y)

    def bitnot(self, a: Any) -> Any:
        """``~a`` on a long: a Long (``~5`` -> -6L)."""
        if a is None and self.strict:
            raise EvalError("the operand of '~' is null")
        return Long(~self._long_operand("~", a))

    def _shift_count(self, symbol: str, b: Any) -> int:
        if b is None:
            return 0
        try:
            return to_int(b) & 63
        except CoercionError as err:
            raise EvalError(
                f"cannot compute '{symbol}': {describe(err.value)} {err.reason}"
            ) from None

    def shl(self, a: Any, b: Any) -> Any:
        """``a << b``: a Long (the count is taken modulo 64, as Java does)."""
        if self.strict and (a is None or b is None):
            self._null_operand("<<", a, b)
        return Long(_wrap64(self._long_operand("<<", a) << self._shift_count("<<", b)))

    def shr(self, a: Any, b: Any) -> Any:
        """``a >> b``: arithmetic shift, a Long."""
        if self.strict and (a is None or b is None):
            self._null_operand(">>", a, b)
        return Long(self._long_operand(">>", a) >> self._shift_count(">>", b))

    def ushr(self, a: Any, b: Any) -> Any:
        """``a >>> b``: logical shift of the 64-bit pattern, a Long."""
        if self.strict and (a is None or b is None):
            self._null_operand(">>>", a, b)
        x = self._long_operand(">>>", a) & _MASK64
        return Long(_wrap64(x >> self._shift_count(">>>", b)))

    # --- comparison -------------------------------------------------------------------------
    def compare(self, a: Any, b: Any, symbol: str = "<") -> int:
        """JEXL's ordering of two non-null values: -1, 0 or 1 (see digest 3.4): BigDecimal,
        BigInteger, double (NaN first), long (the other side parsed), String (UTF-16 order),
        Booleans; anything else is an error naming the operator."""
        try:
            return self._compare(a, b)
        except CoercionError:
            pass
        r = self._compare_objects(a, b)
        if r is None:
            raise EvalError(f"cannot compare {describe(a)} with {describe(b)} using '{symbol}'")
        return r

    def _compare(self, a: Any, b: Any) -> int:
        ta = type(a)
        tb = type(b)
        if ta is Decimal or tb is Decimal:
            x = to_big_decimal(a)
            y = to_big_decimal(b)
            return -1 if x < y else (1 if x > y else 0)
        if ta is BigInteger or tb is BigInteger:
            i = to_big_integer(a)
            j = to_big_integer(b)
            return -1 if i < j else (1 if i > j else 0)
        if ta is float or tb is float or ta is Float or tb is Float:
            return _cmp_double(to_double(a), to_double(b))
        if _is_numberable(a) or _is_numberable(b):
            i = to_long(a)
            j = to_long(b)
            return -1 if i < j else (1 if i > j else 0)
        if _is_string(a) or _is_string(b):
            return _cmp_strings(self._concat_string(a), self._concat_string(b))
        raise CoercionError(a, "is not comparable")

    @staticmethod
    def _compare_objects(a: Any, b: Any) -> int | None:
        """Comparable fallback: Booleans, and host values of one Python type that order
        themselves (dates); None when the two cannot be ordered."""
        if type(a) is bool and type(b) is bool:
            return int(a) - int(b)
        if type(a) is type(b) and not isinstance(
            a, (list, dict, JSet, JRange, JPattern, Invocable, str)
        ):
            try:
                if a < b:
                    return -1
                if b < a:
                    return 1
                return 0
            except TypeError:
                return None
        return None

    def _check_null_cmp(self, symbol: str, a: Any, b: Any) -> None:
        if self.strict:
            self._null_operand(symbol, a, b)

    def lt(self, a: Any, b: Any) -> bool:
        """``a < b`` (digest 3.4); null is an error when strict (lenient: false)."""
        ta = type(a)
        tb = type(b)
        if ta is int and tb is int:
            return a < b  # type: ignore[no-any-return]
        if ta is float and tb is float:
            return _cmp_double(a, b) < 0
        if ta is str and tb is str and a.isascii() and b.isascii():
            return a < b  # type: ignore[no-any-return]
        if a is None or b is None:
            self._check_null_cmp("<", a, b)
            return False
        if a is b:
            return False
        return self.compare(a, b, "<") < 0

    def le(self, a: Any, b: Any) -> bool:
        """``a <= b``; the same object is always <= itself (even null, when lenient)."""
        ta = type(a)
        tb = type(b)
        if ta is int and tb is int:
            return a <= b  # type: ignore[no-any-return]
        if ta is float and tb is float:
            return _cmp_double(a, b) <= 0
        if ta is str and tb is str and a.isascii() and b.isascii():
            return a <= b  # type: ignore[no-any-return]
        if a is None or b is None:
            self._check_null_cmp("<=", a, b)
            return a is b
        if a is b:
            return True
        return self.compare(a, b, "<=") <= 0

    def gt(self, a: Any, b: Any) -> bool:
        """``a > b``."""
        ta = type(a)
        tb = type(b)
        if ta is int and tb is int:
            return a > b  # type: ignore[no-any-return]
        if ta is float and tb is float:
            return _cmp_double(a, b) > 0
        if ta is str and tb is str and a.isascii() and b.isascii():
            return a > b  # type: ignore[no-any-return]
        if a is None or b is None:
            self._check_null_cmp(">", a, b)
            return False
        if a is b:
            return False
        return self.compare(a, b, ">") > 0

    def ge(self, a: Any, b: Any) -> bool:
        """``a >= b``."""
        ta = type(a)
        tb = type(b)
        if ta is int and tb is int:
            return a >= b  # type: ignore[no-any-return]
        if ta is float and tb is float:
            return _cmp_double(a, b) >= 0
        if ta is str and tb is str and a.isascii() and b.isascii():
            return a >= b  # type: ignore[no-any-return]
        if a is None or b is None:
            self._check_null_cmp(">=", a, b)
            return a is b
        if a is b:
            return True
        return self.compare(a, b, ">=") >= 0

    # --- equality ---------------------------------------------------------------------------
    def eq(self, a: Any, b: Any) -> bool:
        """``a == b`` (digest 3.5): null equals only null; a Boolean side compares
        truthiness; numbers by value across kinds; a String against an object compares
        ``toString``s; collections by Java ``equals``; arrays by identity."""
        if a is b:
            return True
        ta = type(a)
        tb = type(b)
        if ta is tb and (ta is int or ta is str):
            return a == b  # type: ignore[no-any-return]
        if ta is float and tb is float:
            return _cmp_double(a, b) == 0
        if a is None or b is None:
            return False
        if ta is bool or tb is bool:
            return self._truth_value(a) == self._truth_value(b)
        try:
            return self._compare(a, b) == 0
        except CoercionError:
            return java_equals(a, b)

    def ne(self, a: Any, b: Any) -> bool:
        """``a != b``: the negation of ``eq``."""
        return not self.eq(a, b)

    def identical(self, a: Any, b: Any) -> bool:
        """``a === b``: both null, or the same class and Java ``equals`` (``1 === 1.0`` is
        false)."""
        if a is b:
            return True
        if a is None or b is None:
            return False
        if type(a) is not type(b):
            return False
        return java_equals(a, b)

    def not_identical(self, a: Any, b: Any) -> bool:
        """``a !== b``."""
        return not self.identical(a, b)

    # --- =~ =^ =$ ---------------------------------------------------------------------------
    def match(self, a: Any, b: Any) -> bool:
        """``a =~ b`` (digest 3.7): the right side decides: a String or Pattern is a regex
        matched against all of ``a.toString()``; a Map holds ``a`` as key (all of ``a``'s keys
        for a Map ``a``); a collection, array or range contains ``a`` by Java ``equals``
        (all of ``a``'s elements for a collection ``a``); both null -> true."""
        if b is None or a is None:
            return a is b
        tb = type(b)
        if tb is str:
            return regexes.fullmatch(b, to_string(a), self.thread)
        if tb is JPattern:
            return regexes.fullmatch(b.compiled, to_string(a), self.thread)
        if isinstance(b, dict):
            if isinstance(a, dict):
                return all(_map_has_key(b, k) for k in a)
            return _map_has_key(b, a)
        if isinstance(b, (list, JSet, JRange)):
            if isinstance(a, (list, JSet, JRange)):
                return all(_collection_contains(b, e) for e in a)
            return _collection_contains(b, a)
        if isinstance(b, str):  # a Character is not a CharSequence
            return self.eq(b, a)
        duck = _duck_bool(b, "contains", a)
        if duck is not None:
            return duck
        return self.eq(b, a)

    def not_match(self, a: Any, b: Any) -> bool:
        """``a !~ b``."""
        return not self.match(a, b)

    def startswith(self, a: Any, b: Any) -> bool:
        """``a =^ b``: a String left side starts with ``b.toString()``; other objects use
        their ``startsWith`` method if any, else ``==``; null only matches null."""
        if a is None or b is None:
            return a is b
        if _is_string(a):
            return str(a).startswith(self._concat_string(b))
        duck = _duck_bool(a, "startsWith", b)
        if duck is not None:
            return duck
        return self.eq(a, b)

    def not_startswith(self, a: Any, b: Any) -> bool:
        """``a !^ b``."""
        return not self.startswith(a, b)

    def endswith(self, a: Any, b: Any) -> bool:
        """``a =$ b`` (see ``startswith``)."""
        if a is None or b is None:
            return a is b
        if _is_string(a):
            return str(a).endswith(self._concat_string(b))
        duck = _duck_bool(a, "endsWith", b)
        if duck is not None:
            return duck
        return self.eq(a, b)

    def not_endswith(self, a: Any, b: Any) -> bool:
        """``a !$ b``."""
        return not self.endswith(a, b)

    # --- truthiness ---------------------------------------------------------------------------
    def truth(self, a: Any) -> bool:
        """The boolean value of a condition (digest 4): false for false, 0, 0.0, NaN, ``''``
        and ``'false'``; true for anything else, including empty collections. Null is an
        error when strict (lenient: false)."""
        if a is True:
            return True
        if a is False:
            return False
        t = type(a)
        if t is int:
            return bool(a != 0)
        if t is str:
            return bool(a != "" and a != "false")
        if a is None:
            if self.strict:
                raise EvalError("the condition is null")
            return False
        return self._truth_value(a)

    @staticmethod
    def _truth_value(a: Any) -> bool:
        """``toBoolean`` of a non-null value."""
        t = type(a)
        if t is bool:
            return bool(a)
        if t is str:
            return bool(a != "" and a != "false")
        if t is float or t is Float:
            return bool(a == a and a != 0.0)
        if t in (int, Long, BigInteger):
            return bool(a != 0)
        if t is Decimal:
            return not a.is_zero()
        return True

    def not_(self, a: Any) -> bool:
        """``!a``: the negated truth; null is an error when strict."""
        if a is True:
            return False
        if a is False:
            return True
        if a is None:
            if self.strict:
                raise EvalError("the operand of '!' is null")
            return True
        return not self._truth_value(a)

    # --- empty / size -----------------------------------------------------------------------
    def empty(self, a: Any) -> bool:
        """``empty(a)``: true for null, ``''``, zero and NaN numbers, empty arrays, lists,
        sets and maps, and objects whose ``isEmpty()`` says so; never an error."""
        if a is None:
            return True
        t = type(a)
        if t is str:
            return not a
        if t in (int, Long, BigInteger):
            return a == 0  # type: ignore[no-any-return]
        if t is float or t is Float:
            return bool(a != a or a == 0.0)
        if t is Decimal:
            return bool(a.is_zero())
        if isinstance(a, (list, dict, JSet)):
            return len(a) == 0
        if isinstance(a, JRange):
            return False
        duck = _duck_bool(a, "isEmpty")
        return bool(duck)

    def size(self, a: Any) -> int:
        """``size(a)``: String length in UTF-16 units, array/collection/map size, an object's
        ``size()``; null and anything else -> 0 (3.7.0)."""
        t = type(a)
        if t is str:
            return utf16_len(a)
        if t is list or t is dict or t is JArray or t is JSet or t is JRange:
            return len(a)
        if a is None or t is Char:
            return 0
        if isinstance(a, (list, dict, JSet, JRange)):
            return len(a)
        if isinstance(a, HostObject):
            info = a.jexl_type_info().methods.get("size")
            if info is not None and info.accepts(0):
                r = a.jexl_call("size", [])
                if isinstance(r, int) and not isinstance(r, bool):
                    return _wrap32(int(r))
        return 0

    # --- conversions --------------------------------------------------------------------------
    def to_string(self, a: Any) -> str:
        """Java's ``toString`` of a value (``values.to_string``: null -> ``'null'``)."""
        if type(a) is str:
            return a
        return to_string(a)

    def make_range(self, lo: Any, hi: Any) -> JRange:
        """``lo..hi``: bounds converted to longs (Strings parsed, doubles truncated); an
        Integer range when both fit an int, else a Long range. Null bounds are an error when
        strict (lenient: 0)."""
        if type(lo) is int and type(hi) is int:
            return JRange(lo, hi)
        if self.strict and (lo is None or hi is None):
            self._null_operand("..", lo, hi)
        x = self._long_operand("..", lo)
        y = self._long_operand("..", hi)
        if INT_MIN <= x <= INT_MAX and INT_MIN <= y <= INT_MAX:
            return JRange(x, y)
        return JRange(x, y, is_long=True)

    def instanceof(self, a: Any, type_name: Any) -> bool:
        """``a instanceof T`` with ``T`` a class name (``'java.lang.String'``, ``'String'``,
        ``'Number'``, ``'java.util.List'``, a host type's name); null is no instance."""
        if a is None or type_name is None:
            return False
        name = type_name if isinstance(type_name, str) else to_string(type_name)
        names = _type_names(a)
        if name in names:
            return True
        for prefix in _JAVA_PACKAGES:
            if name.startswith(prefix):
                return name[len(prefix) :] in names
        if "." in name and isinstance(a, HostObject):
            return name.rsplit(".", 1)[1] == java_class_name(a)
        return False


# --- helpers for =~ and duck typing -------------------------------------------------------------


def _cmp_strings(x: str, y: str) -> int:
    """``String.compareTo``: UTF-16 code unit order."""
    if not (x.isascii() and y.isascii()):
        x16 = x.encode("utf-16-be", "surrogatepass")
        y16 = y.encode("utf-16-be", "surrogatepass")
        return -1 if x16 < y16 else (1 if x16 > y16 else 0)
    return -1 if x < y else (1 if x > y else 0)


def _map_has_key(m: dict[Any, Any], key: Any) -> bool:
    """``Map.containsKey`` with Java ``equals`` (Python's dict would equate 1 and 1l)."""
    try:
        if key not in m:
            return False
    except TypeError:
        pass  # an unhashable key (a List): look at every key
    return any(java_equals(k, key) for k in m)


def _collection_contains(c: Any, value: Any) -> bool:
    if isinstance(c, JSet):
        return c.contains(value)
    if isinstance(c, JRange):
        return c.contains(value)
    return any(java_equals(e, value) for e in c)


def _duck_bool(obj: Any, method: str, *args: Any) -> bool | None:
    """Call a host object's declared boolean method (``contains``, ``startsWith``,
    ``isEmpty``); None when it has none or it does not return a Boolean."""
    if not isinstance(obj, HostObject):
        return None
    info = obj.jexl_type_info().methods.get(method)
    if info is None or not info.accepts(len(args)):
        return None
    r = obj.jexl_call(method, list(args))
    return r if isinstance(r, bool) else None
