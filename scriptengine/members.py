"""The Java face of built-in values: per Java type, the methods and properties scripts can use.

Each table maps a member name to a ``Member`` (argument counts, result type name, the
implementation). ``access.py`` calls members through these tables only, and ``check`` reads
the same tables to warn about unknown members and wrong argument counts. The members are
those JEXL's RESTRICTED permissions show for the Java type a value stands for (digest
section 0, item 4; LANGUAGE.md section 2), plus JEXL's ``size()`` pseudo-method on strings
and arrays.

Java semantics kept on purpose (digest 6.4): ``replace`` is literal and replaces every
occurrence; ``replaceAll``/``replaceFirst``/``matches``/``split`` take Java regexes;
``split`` drops trailing empty strings; string indexes count UTF-16 units;
``List.remove(Integer)`` removes by index while any other argument removes by equality;
``contains``/``indexOf`` use Java ``equals`` (Integer 2 is not Long 2).

Every implementation charges its work to the run (``thread.charge(n)`` for O(n) work,
``check_items`` before a collection grows, ``check_string`` before a long string is made).
"""

from __future__ import annotations

import functools
import math
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import regexes
from . import values as V
from .errors import EvalError
from .host import HostObject, MethodInfo, PropertyInfo, TypeInfo
from .regexes import charge_chars, java_error
from .thread import Thread

_SIOOBE = "java.lang.StringIndexOutOfBoundsException"

Impl = Callable[[Thread, Any, list[Any]], Any]


class NoOverload(Exception):
    """Raised by an implementation when no Java overload accepts the arguments' types;
    ``access.py`` treats it as an unknown method (null and a warning under safe mode)."""


@dataclass(frozen=True)
class Member:
    """A method of a built-in type: name, argument counts (``max_args`` None = any), the
    result's type name (None when it depends on the arguments) and the implementation
    ``impl(thread, receiver, args)``."""

    name: str
    min_args: int
    max_args: int | None
    returns: str | None
    impl: Impl
    doc: str = ""
    #: an overload takes an ``int``: retry with narrowed numbers (see ``invoke``)
    narrows: bool = False

    def accepts(self, n: int) -> bool:
        """True when ``n`` arguments are acceptable."""
        return n >= self.min_args and (self.max_args is None or n <= self.max_args)


@dataclass(frozen=True)
class Property:
    """A readable property of a built-in type that is not a JavaBean getter of its table
    (an array's ``length``, a caught error's ``value``); ``get(receiver)`` reads it."""

    name: str
    returns: str | None
    get: Callable[[Any], Any]
    doc: str = ""


# --- helpers ------------------------------------------------------------------------------

INT_MIN = -(1 << 31)
INT_MAX = (1 << 31) - 1


def int_arg(v: Any) -> int:
    """An ``int`` parameter takes an Integer only. A Long, a Double... reaches it when
    ``invoke`` retries with narrowed arguments (JEXL's second pass); a Character never
    does (JEXL's ``MethodKey`` does not widen char to int), nor a Boolean. Anything else
    -> ``NoOverload``."""
    if type(v) is int:
        return int(v)
    raise NoOverload()


def narrow(v: Any) -> Any:
    """JEXL's ``narrowNumber`` for a method argument: a number whose value is an integer
    in int range becomes an Integer (Java makes it a Byte or Short when it fits one; we
    have neither: Integer); any other value is returned as it is. Booleans and Characters
    are not numbers."""
    t = type(v)
    if t is V.Long or t is V.BigInteger:
        return int(v) if INT_MIN <= v <= INT_MAX else v
    if t is float or t is V.Float or t is Decimal:
        if math.isfinite(v) and v == int(v) and INT_MIN <= int(v) <= INT_MAX:
            return int(v)
    return v


def invoke(member: Member, thread: Thread, recv: Any, args: list[Any]) -> Any:
    """Call ``member`` the way JEXL resolves a Java method: with the arguments as they
    are, then, if no overload accepted them, once more with every numeric argument
    narrowed (``Interpreter.call``: ``arithmetic.narrowArguments(argv)``), so
    ``'abc'.charAt(1L)`` and ``l.get(0.0)`` work while ``l.remove(1L)`` still removes the
    element equal to ``1L``. Raises ``NoOverload`` when neither pass fits."""
    try:
        return member.impl(thread, recv, args)
    except NoOverload:
        if not member.narrows:
            raise  # no int parameter: a narrowed Byte would fit no better (Java: Byte)
        narrowed = [narrow(a) for a in args]
        if all(x is y for x, y in zip(narrowed, args)):
            raise
        return member.impl(thread, recv, narrowed)


_MISSING = object()


def map_get(m: dict[Any, Any], key: Any, default: Any = None) -> Any:
    """``m.get(key)`` with Java's key equality where Python's differs: a dict finds the
    Integer key ``1`` for ``1L``, ``1.0`` or ``true``, a HashMap does not. Exact String and
    Integer keys take the fast path; other keys check the stored key's class (a scan, only
    for such keys). Unhashable keys are never found."""
    t = type(key)
    try:
        if t is str or t is int:
            return m.get(key, default)
        if key not in m:
            return default
    except TypeError:
        return default
    for k in m:
        if k == key:
            return m[k] if V.java_equals(k, key) else default
    return default


def map_has(m: dict[Any, Any], key: Any) -> bool:
    """``m.containsKey(key)`` with Java's key equality (see ``map_get``)."""
    return map_get(m, key, _MISSING) is not _MISSING


def str_arg(v: Any) -> str:
    """A ``String``/``CharSequence`` parameter (a Character is not one) -> ``NoOverload``."""
    if type(v) is str:
        return str(v)
    raise NoOverload()


def _wrap32(n: int) -> int:
    return (n + (1 << 31)) % (1 << 32) - (1 << 31)


def _wrap64(n: int) -> int:
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


def charge_items(th: Thread, n: int, added: int | None = None) -> None:
    """A collection that will hold ``n`` items: the items limit, and ``added`` new slots
    (default ``n``: a new collection) charged to the run's memory estimate.

    Every result is charged, small ones too: the estimate only grows (LANGUAGE.md section 4:
    "estimated as values are made"), and a size threshold let a loop keep a million
    1000-item arrays (8 GB) while the estimate stayed at zero. A grown collection charges
    only its new slots, or ``addAll`` in a loop would count the whole list again each time.
    """
    # inlined Thread.check_items / Thread.alloc (one call per literal made; they raise)
    limits = th.limits
    if limits.items is not None and n > limits.items:
        th.check_items(n)
    th.memory += 8 * (n if added is None else added)
    if limits.memory is not None and th.memory > limits.memory:
        th.alloc(0)


def charge_string(th: Thread, n: int) -> None:
    """A new string of ``n`` characters: the length limit, and ``n`` bytes of memory (every
    string, as ``charge_items``: a loop keeping 4000-character strings held 650 MB while a
    4096-character threshold kept the estimate at zero)."""
    limits = th.limits  # inlined Thread.check_string / Thread.alloc, as charge_items
    if limits.string_length is not None and n > limits.string_length:
        th.check_string(n)
    th.memory += n
    if limits.memory is not None and th.memory > limits.memory:
        th.alloc(0)


def index_error(index: int, length: int) -> EvalError:
    """Java's IndexOutOfBoundsException for a list or array index, as an ``EvalError``."""
    return java_error(
        "java.lang.IndexOutOfBoundsException",
        f"Index {index} out of bounds for length {length}",
        f"index {index} out of bounds for length {length}",
    )


def _check_index(index: int, length: int) -> None:
    if index < 0 or index >= length:
        raise index_error(index, length)


def java_equals(a: Any, b: Any) -> bool:
    """Java's ``a.equals(b)`` (values.java_equals; null-safe)."""
    return bool(V.java_equals(a, b))


# --- UTF-16 view of strings (Java indexes count UTF-16 units) -----------------------------


def _is_bmp(s: str) -> bool:
    return s.isascii() or max(s) <= "\uffff"


def to_utf16(s: str) -> str:
    """``s`` with every non-BMP character split into its two surrogates, so Python
    indexes equal Java's ``char`` indexes. BMP-only strings come back unchanged."""
    if not s or _is_bmp(s):
        return s
    data = s.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(data[i : i + 2], "little")) for i in range(0, len(data), 2))


_SURROGATE = re.compile("[\ud800-\udfff]")


def from_utf16(u: str) -> str:
    """Join surrogate pairs back into characters (lone surrogates stay as they are)."""
    if u.isascii() or _SURROGATE.search(u) is None:
        return u
    return u.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def java_length(s: str) -> int:
    """``String.length()``: UTF-16 units (a non-BMP character counts 2)."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) >> 1


def _str_compare(a: str, b: str) -> int:
    ua, ub = to_utf16(a), to_utf16(b)
    for x, y in zip(ua, ub):
        if x != y:
            return ord(x) - ord(y)
    return len(ua) - len(ub)


def _search_arg(v: Any) -> str | None:
    """indexOf/lastIndexOf take a String or an int code point (a Character does not reach
    ``indexOf(int)`` in JEXL: observed on 3.1, ``unsolvable function/method``). None for
    an invalid code point, which Java never finds."""
    if type(v) is str:
        return str(v)
    cp = int_arg(v)
    if cp < 0 or cp > 0x10FFFF:
        return None
    return to_utf16(chr(cp))


# --- natural ordering (List.sort(null), compareTo) ---------------------------------------

_NUMERIC_KINDS = ("Integer", "Long", "BigInteger", "Float", "Double", "BigDecimal")


def _sort_key(kind: str, v: Any) -> Any:
    if kind == "String":
        return to_utf16(v)
    if kind in ("Double", "Float"):
        f = float(v)
        # Double.compareTo: -0.0 < 0.0 and NaN above everything
        return (math.isnan(f), 0.0 if math.isnan(f) else f, math.copysign(1.0, f))
    if kind == "Boolean":
        return bool(v)
    if kind == "Character":
        return str(v)
    return v


def compare_natural(a: Any, b: Any) -> int:
    """``a.compareTo(b)`` for two values of the same Comparable Java type (-1, 0, 1 or a
    String's difference). Different types or null -> ``EvalError`` as Java's
    ClassCastException / NullPointerException."""
    ka, kb = kind_of(a), kind_of(b)
    if a is None or b is None:
        raise java_error("java.lang.NullPointerException", "null", "cannot compare null")
    if ka != kb or ka not in _COMPARABLE:
        raise java_error(
            "java.lang.ClassCastException",
            f"{display_name(a)} cannot be cast to {display_name(b)}",
            f"cannot compare {display_name(a)} with {display_name(b)}",
        )
    if ka == "String":
        return _str_compare(a, b)
    if ka == "Character":
        return ord(a) - ord(b)  # Character.compareTo returns the difference
    x, y = _sort_key(ka, a), _sort_key(ka, b)
    return int((x > y) - (x < y))


_COMPARABLE = frozenset(_NUMERIC_KINDS) | {"String", "Character", "Boolean"}


def sort_natural(thread: Thread, items: list[Any]) -> None:
    """Sort ``items`` in place in natural order (``list.sort(null)``). Every element must be
    of one Comparable type; null elements fail as in Java."""
    n = len(items)
    thread.charge(n)  # the comparisons run in C: one step per element
    if n < 2:
        return
    kinds = {kind_of(x) for x in items}
    if None in items:
        raise java_error(
            "java.lang.NullPointerException", "null", "cannot sort a list holding null"
        )
    if len(kinds) != 1 or not kinds <= _COMPARABLE:
        names = ", ".join(sorted(str(k) for k in kinds))
        raise java_error(
            "java.lang.ClassCastException",
            f"cannot compare {names}",
            f"cannot sort a list mixing {names}",
        )
    kind = next(iter(kinds))
    assert kind is not None
    items.sort(key=functools.partial(_sort_key, kind))


# --- kinds ----------------------------------------------------------------------------------


def kind_of(v: Any) -> str | None:
    """The table name for a value's Java type (``String``, ``List``, ``Array``, ...), or None
    for values without a table (null, host objects)."""
    kind = _KIND_BY_TYPE.get(type(v))
    if kind is not None:
        return kind
    if isinstance(v, V.Invocable):
        return "Function"
    if isinstance(v, V.CaughtError):
        return "JexlException"
    if isinstance(v, V.JArray):
        return "Array"
    if isinstance(v, V.JSet):
        return "Set"
    if isinstance(v, V.JRange):
        return "Range"
    if isinstance(v, V.JPattern):
        return "Pattern"
    if _INFO_TYPE is not None and isinstance(v, _INFO_TYPE):
        return "JexlInfo"
    return None


def display_name(v: Any) -> str:
    """The type name error messages show for ``v`` (``String``, ``Integer``, ``List``,
    ``int[]``, ``Map``...; a host object's declared type name)."""
    if v is None:
        return "null"
    if isinstance(v, HostObject):
        return v.jexl_type_info().name
    kind = kind_of(v)
    if kind == "Array":
        return f"{getattr(v, 'component', 'Object')}[]"
    if kind is not None:
        return kind
    return "Object"


# --- String ----------------------------------------------------------------------------------


def _s_substring(th: Thread, s: str, a: list[Any]) -> str:
    u = to_utf16(s)
    n = len(u)
    begin = int_arg(a[0])
    end = int_arg(a[1]) if len(a) > 1 else n
    if begin < 0 or end > n or begin > end:
        raise java_error(_SIOOBE, f"begin {begin}, end {end}, length {n}")
    charge_chars(th, end - begin)
    return s[begin:end] if u is s else from_utf16(u[begin:end])


def _s_index_of(th: Thread, s: str, a: list[Any]) -> int:
    target = _search_arg(a[0])
    start = int_arg(a[1]) if len(a) > 1 else 0
    if target is None:
        return -1
    sub = to_utf16(target)
    u = to_utf16(s)
    charge_chars(th, len(u))
    start = max(start, 0)
    if start >= len(u):
        # Java: past the end only the empty string is found, at the length
        return len(u) if sub == "" else -1
    return u.find(sub, start)


def _s_last_index_of(th: Thread, s: str, a: list[Any]) -> int:
    target = _search_arg(a[0])
    u = to_utf16(s)
    start = int_arg(a[1]) if len(a) > 1 else len(u)
    if target is None:
        return -1
    sub = to_utf16(target)
    charge_chars(th, len(u))
    if start < 0:
        return -1
    return u.rfind(sub, 0, min(start, len(u)) + len(sub))


def _s_char_at(th: Thread, s: str, a: list[Any]) -> Any:
    u = to_utf16(s)
    i = int_arg(a[0])
    if i < 0 or i >= len(u):
        raise java_error(
            _SIOOBE,
            f"String index out of range: {i}",
            f"index {i} out of bounds for length {len(u)}",
        )
    return V.Char(u[i])


def _s_code_point_at(th: Thread, s: str, a: list[Any]) -> int:
    u = to_utf16(s)
    i = int_arg(a[0])
    if i < 0 or i >= len(u):
        raise java_error(
            _SIOOBE,
            f"String index out of range: {i}",
            f"index {i} out of bounds for length {len(u)}",
        )
    return ord(from_utf16(u[i : i + 2])[0])


def _s_starts_with(th: Thread, s: str, a: list[Any]) -> bool:
    prefix = to_utf16(str_arg(a[0]))
    offset = int_arg(a[1]) if len(a) > 1 else 0
    u = to_utf16(s)
    if offset < 0 or offset > len(u):
        return False
    charge_chars(th, len(prefix))
    return u.startswith(prefix, offset)


def _s_equals_ignore_case(th: Thread, s: str, a: list[Any]) -> bool:
    o = a[0]
    if type(o) is not str:
        return False
    charge_chars(th, len(s))
    # String.equalsIgnoreCase compares char by char with upper- then lower-case folding
    u, w = to_utf16(s), to_utf16(o)
    return len(u) == len(w) and all(
        x == y or x.upper() == y.upper() or x.lower() == y.lower() for x, y in zip(u, w)
    )


def _s_compare_to(th: Thread, s: str, a: list[Any]) -> int:
    charge_chars(th, len(s))
    return _str_compare(s, str_arg(a[0]))


def _fold_case(cp: int) -> int:
    """Java's ``toLowerCase(toUpperCase(cp))`` for one character: a mapping to several
    characters (``'ß'.upper()`` is ``'SS'``) leaves the character as it is, as Java does."""
    c = chr(cp)
    upper = c.upper()
    if len(upper) != 1:
        upper = c
    lower = upper.lower()
    return ord(lower if len(lower) == 1 else upper)


def _s_compare_to_ignore_case(th: Thread, s: str, a: list[Any]) -> int:
    o = str_arg(a[0])
    charge_chars(th, len(s))
    us, uo = to_utf16(s), to_utf16(o)
    # Java 17 compares UTF-16 units; only when both strings need UTF-16 storage (a char
    # above U+00FF in each: StringUTF16.compareToCIImpl) does a differing surrogate pair
    # count as one code point. A Latin-1 string against any other compares unit by unit
    # (StringLatin1.compareToCI_UTF16). Lengths always count units.
    pairs = max(map(ord, s), default=0) > 0xFF and max(map(ord, o), default=0) > 0xFF
    i = j = 0
    while i < len(us) and j < len(uo):
        c1, c2 = ord(us[i]), ord(uo[j])
        if c1 != c2:
            if pairs and 0xD800 <= c1 < 0xDC00 and i + 1 < len(us):
                low = ord(us[i + 1])
                if 0xDC00 <= low < 0xE000:
                    c1 = 0x10000 + ((c1 - 0xD800) << 10) + (low - 0xDC00)
                    i += 1
            if pairs and 0xD800 <= c2 < 0xDC00 and j + 1 < len(uo):
                low = ord(uo[j + 1])
                if 0xDC00 <= low < 0xE000:
                    c2 = 0x10000 + ((c2 - 0xD800) << 10) + (low - 0xDC00)
                    j += 1
            f1, f2 = _fold_case(c1), _fold_case(c2)
            if f1 != f2:
                return f1 - f2
        i += 1
        j += 1
    return len(us) - len(uo)


def _s_replace(th: Thread, s: str, a: list[Any]) -> str:
    old, new = a[0], a[1]
    if type(old) is V.Char and type(new) is V.Char:
        old, new = str(old), str(new)
    else:
        old, new = str_arg(old), str_arg(new)
    charge_chars(th, len(s))
    u = to_utf16(s)
    wide = u is not s or not _is_bmp(old + new)
    if wide:
        # Java matches UTF-16 units: '' is found between the two halves of an emoji
        old, new = to_utf16(old), to_utf16(new)
    count = u.count(old) if old else len(u) + 1
    charge_string(th, len(u) + count * (len(new) - len(old)))
    result = u.replace(old, new)
    return from_utf16(result) if wide else result


def _s_replace_all(th: Thread, s: str, a: list[Any]) -> str:
    return regexes.replace(str_arg(a[0]), s, str_arg(a[1]), 0, th)


def _s_replace_first(th: Thread, s: str, a: list[Any]) -> str:
    return regexes.replace(str_arg(a[0]), s, str_arg(a[1]), 1, th)


def _s_matches(th: Thread, s: str, a: list[Any]) -> bool:
    return regexes.fullmatch(str_arg(a[0]), s, th)


def _s_split(th: Thread, s: str, a: list[Any]) -> Any:
    limit = int_arg(a[1]) if len(a) > 1 else 0
    parts = regexes.split(str_arg(a[0]), s, limit, th)
    charge_items(th, len(parts))
    return V.JArray(parts, "String")


def _s_concat(th: Thread, s: str, a: list[Any]) -> str:
    o = str_arg(a[0])
    charge_string(th, len(s) + len(o))
    charge_chars(th, len(s) + len(o))
    return s + o


def _s_repeat(th: Thread, s: str, a: list[Any]) -> str:
    n = int_arg(a[0])
    if n < 0:
        raise java_error("java.lang.IllegalArgumentException", f"count is negative: {n}")
    charge_string(th, len(s) * n)
    charge_chars(th, len(s) * n)
    return s * n


def _s_to_char_array(th: Thread, s: str, a: list[Any]) -> Any:
    u = to_utf16(s)
    charge_items(th, len(u))
    charge_chars(th, len(u))
    return V.JArray([V.Char(c) for c in u], "char")


#: Character.isWhitespace: Unicode spaces except the no-break ones, plus ASCII controls
#: TAB..CR and FS..US (String.strip and isBlank use it).
_JAVA_WS = "".join(
    chr(c) for c in range(0x3000 + 1) if chr(c).isspace() and chr(c) not in "\xa0\u2007\u202f\x85"
)


def _s_ends_with(th: Thread, s: str, a: list[Any]) -> bool:
    suffix = str_arg(a[0])
    charge_chars(th, len(suffix))
    return s.endswith(suffix)


def _s_contains(th: Thread, s: str, a: list[Any]) -> bool:
    sub = str_arg(a[0])
    charge_chars(th, len(s))
    return sub in s


def _java_trim(s: str) -> str:
    # String.trim removes every char <= U+0020 at both ends (not Unicode spaces)
    i, j = 0, len(s)
    while i < j and s[i] <= " ":
        i += 1
    while j > i and s[j - 1] <= " ":
        j -= 1
    return s[i:j]


def _m(
    name: str,
    impl: Impl,
    min_args: int = 0,
    max_args: int | None = -1,
    returns: str | None = None,
    doc: str = "",
    narrows: bool = False,
) -> Member:
    hi = min_args if max_args == -1 else max_args
    return Member(name, min_args, hi, returns, impl, doc, narrows)


def _simple(fn: Callable[[Any], Any]) -> Impl:
    """A no-argument member whose work is O(1) or charged by the caller's size."""

    def impl(th: Thread, recv: Any, a: list[Any]) -> Any:
        return fn(recv)

    return impl


def _linear(fn: Callable[[Any], Any]) -> Impl:
    """A no-argument member whose work is linear in the receiver's length."""

    def impl(th: Thread, recv: Any, a: list[Any]) -> Any:
        charge_chars(th, len(recv))
        return fn(recv)

    return impl


def _equals(th: Thread, recv: Any, a: list[Any]) -> bool:
    return java_equals(recv, a[0])


def _to_string(th: Thread, recv: Any, a: list[Any]) -> str:
    return str(V.to_string(recv))


def _hash_code(th: Thread, recv: Any, a: list[Any]) -> int:
    if isinstance(recv, str):
        charge_chars(th, len(recv))
    elif isinstance(recv, (list, dict, V.JSet)):
        th.charge(len(recv))
    return int(V.java_hash(recv))


def is_empty_value(v: Any) -> bool:
    """JexlArithmetic.isEmpty: null, ``""``, zero or NaN, and empty arrays, collections and
    maps are empty; anything else is not."""
    if v is None:
        return True
    if isinstance(v, bool):
        return False
    if isinstance(v, str):
        return len(v) == 0
    if isinstance(v, (int, Decimal)):
        return bool(v == 0)
    if isinstance(v, float):
        return v == 0.0 or math.isnan(v)
    if isinstance(v, (list, dict, V.JSet, V.JRange)):
        return len(v) == 0
    return False


def _empty(th: Thread, recv: Any, a: list[Any]) -> bool:
    return is_empty_value(recv)


def _object_members() -> list[Member]:
    return [
        _m("equals", _equals, 1, returns="Boolean"),
        _m("hashCode", _hash_code, 0, returns="Integer"),
        _m("toString", _to_string, 0, returns="String"),
        # JEXL calls JexlArithmetic.empty(x) for x.empty() when x has no such method
        # (Interpreter.call: isArithmeticMethod with the target prepended)
        _m("empty", _empty, 0, returns="Boolean", doc="JEXL pseudo-method: empty(x)"),
    ]


def _table(*members: Member) -> dict[str, Member]:
    return {m.name: m for m in members}


STRING: dict[str, Member] = _table(
    *_object_members(),
    _m("length", _simple(java_length), 0, returns="Integer", doc="UTF-16 units"),
    _m("size", _simple(java_length), 0, returns="Integer", doc="JEXL pseudo-method"),
    _m("substring", _s_substring, 1, 2, "String", narrows=True),
    _m("indexOf", _s_index_of, 1, 2, "Integer", narrows=True),
    _m("lastIndexOf", _s_last_index_of, 1, 2, "Integer", narrows=True),
    _m("charAt", _s_char_at, 1, returns="Character", narrows=True),
    _m("codePointAt", _s_code_point_at, 1, returns="Integer", narrows=True),
    _m("trim", _linear(_java_trim), 0, returns="String"),
    _m("strip", _linear(lambda s: s.strip(_JAVA_WS)), 0, returns="String"),
    _m("stripLeading", _linear(lambda s: s.lstrip(_JAVA_WS)), 0, returns="String"),
    _m("stripTrailing", _linear(lambda s: s.rstrip(_JAVA_WS)), 0, returns="String"),
    _m("toUpperCase", _linear(str.upper), 0, returns="String"),
    _m("toLowerCase", _linear(str.lower), 0, returns="String"),
    _m("startsWith", _s_starts_with, 1, 2, "Boolean", narrows=True),
    _m("endsWith", _s_ends_with, 1, returns="Boolean"),
    _m("contains", _s_contains, 1, returns="Boolean"),
    _m("isEmpty", _simple(lambda s: s == ""), 0, returns="Boolean"),
    _m("isBlank", _linear(lambda s: s.strip(_JAVA_WS) == ""), 0, returns="Boolean"),
    _m("equalsIgnoreCase", _s_equals_ignore_case, 1, returns="Boolean"),
    _m("compareTo", _s_compare_to, 1, returns="Integer"),
    _m("compareToIgnoreCase", _s_compare_to_ignore_case, 1, returns="Integer"),
    _m("replace", _s_replace, 2, returns="String", doc="every occurrence, literally"),
    _m("replaceAll", _s_replace_all, 2, returns="String", doc="Java regex"),
    _m("replaceFirst", _s_replace_first, 2, returns="String", doc="Java regex"),
    _m("matches", _s_matches, 1, returns="Boolean", doc="the whole string, Java regex"),
    _m(
        "split",
        _s_split,
        1,
        2,
        "String[]",
        doc="Java regex; trailing empty strings dropped",
        narrows=True,
    ),
    _m("concat", _s_concat, 1, returns="String"),
    _m("repeat", _s_repeat, 1, returns="String", narrows=True),
    _m("toCharArray", _s_to_char_array, 0, returns="char[]"),
)


# --- Character, Boolean, numbers -------------------------------------------------------------


def _compare_to(th: Thread, recv: Any, a: list[Any]) -> int:
    if kind_of(a[0]) != kind_of(recv):
        raise NoOverload()
    return compare_natural(recv, a[0])


CHARACTER: dict[str, Member] = _table(
    *_object_members(),
    _m("charValue", _simple(lambda c: c), 0, returns="Character"),
    _m("compareTo", _compare_to, 1, returns="Integer"),
)

BOOLEAN: dict[str, Member] = _table(
    *_object_members(),
    _m("booleanValue", _simple(lambda b: b), 0, returns="Boolean"),
    _m("compareTo", _compare_to, 1, returns="Integer"),
)


def to_int32(v: Any) -> int:
    """Java's ``Number.intValue()``: doubles truncate and saturate (NaN is 0), integers and
    BigDecimals keep their low 32 bits."""
    if isinstance(v, float):
        # Java (int) of a double saturates and maps NaN to 0
        if math.isnan(v):
            return 0
        if math.isinf(v):
            return INT_MAX if v > 0 else INT_MIN
        return max(INT_MIN, min(INT_MAX, int(v)))
    if isinstance(v, Decimal):
        if not v.is_finite():
            return 0
        return _wrap32(int(v))
    return _wrap32(int(v))


def _to_int64(v: Any) -> int:
    if isinstance(v, float):
        if math.isnan(v):
            return 0
        if math.isinf(v):
            return (1 << 63) - 1 if v > 0 else -(1 << 63)
        return max(-(1 << 63), min((1 << 63) - 1, int(v)))
    if isinstance(v, Decimal):
        return _wrap64(int(v)) if v.is_finite() else 0
    return _wrap64(int(v))


def _to_float32(v: Any) -> float:
    f = float(v)
    try:
        return float(struct.unpack("f", struct.pack("f", f))[0])
    except OverflowError:
        return math.copysign(math.inf, f)


def _number_members(kind: str) -> dict[str, Member]:
    members = [
        *_object_members(),
        _m("intValue", _simple(to_int32), 0, returns="Integer"),
        _m("longValue", _simple(lambda v: V.Long(_to_int64(v))), 0, returns="Long"),
        _m("doubleValue", _simple(float), 0, returns="Double"),
        _m("floatValue", _simple(lambda v: V.Float(_to_float32(v))), 0, returns="Float"),
        _m("compareTo", _compare_to, 1, returns="Integer"),
    ]
    if kind in ("Double", "Float"):
        members.append(_m("isNaN", _simple(lambda v: math.isnan(v)), 0, returns="Boolean"))
        members.append(_m("isInfinite", _simple(lambda v: math.isinf(v)), 0, returns="Boolean"))
    if kind == "BigDecimal":
        members.append(_m("toPlainString", _simple(lambda d: format(d, "f")), 0, returns="String"))
        members.append(
            _m("scale", _simple(lambda d: -int(d.as_tuple().exponent)), 0, returns="Integer")
        )
    if kind in ("BigInteger", "BigDecimal"):
        members.append(_m("signum", _simple(lambda d: (d > 0) - (d < 0)), 0, returns="Integer"))
    return _table(*members)


# --- List and arrays -----------------------------------------------------------------------


def _l_add(th: Thread, lst: list[Any], a: list[Any]) -> Any:
    th.check_items(len(lst) + 1)
    if len(a) == 1:
        lst.append(a[0])
        return True
    i = int_arg(a[0])
    if i < 0 or i > len(lst):
        raise index_error(i, len(lst))
    charge_chars(th, len(lst) - i)  # a memmove
    lst.insert(i, a[1])
    return None


def _items_of(th: Thread, c: Any) -> list[Any]:
    """The elements of a Collection argument (list, set, range, array is not one)."""
    if type(c) is list:
        return c
    if isinstance(c, (V.JSet, V.JRange)):
        th.charge(len(c))
        return list(c)
    raise NoOverload()


def _l_add_all(th: Thread, lst: list[Any], a: list[Any]) -> bool:
    items = _items_of(th, a[-1])
    n = len(items)
    charge_items(th, len(lst) + n, n)
    th.charge(n)
    if len(a) == 1:
        lst.extend(list(items))
    else:
        i = int_arg(a[0])
        if i < 0 or i > len(lst):
            raise index_error(i, len(lst))
        lst[i:i] = list(items)
    return n > 0


def _l_get(th: Thread, lst: list[Any], a: list[Any]) -> Any:
    i = int_arg(a[0])
    _check_index(i, len(lst))
    return lst[i]


def _l_set(th: Thread, lst: list[Any], a: list[Any]) -> Any:
    i = int_arg(a[0])
    _check_index(i, len(lst))
    old = lst[i]
    lst[i] = a[1]
    return old


#: kinds for which Java's ``equals`` implies Python's ``==``: ``list.index`` (C speed) finds
#: every candidate, and ``java_equals`` confirms it (``2 == 2L`` in Python, not in Java)
_EQ_SUPERSET = frozenset({str, int, bool, V.Long, V.BigInteger, V.Char, Decimal, type(None)})


def find(th: Thread, items: Iterable[Any], x: Any) -> int:
    """The index of the first element Java-equal to ``x`` (-1: none), its scan charged."""
    tx = type(x)
    if type(items) is list and (tx in _EQ_SUPERSET or (tx is float and x == x)):
        start = 0
        while True:
            try:
                i = items.index(x, start)
            except ValueError:
                th.charge(len(items))
                return -1
            if java_equals(x, items[i]):
                th.charge(i + 1)
                return i
            start = i + 1
    for i, y in enumerate(items):
        if java_equals(x, y):
            th.charge(i + 1)
            return i
    th.charge(len(items) if isinstance(items, list) else 1)
    return -1


def _l_index_of(th: Thread, lst: list[Any], a: list[Any]) -> int:
    return find(th, lst, a[0])


def _l_last_index_of(th: Thread, lst: list[Any], a: list[Any]) -> int:
    i = find(th, reversed(lst), a[0])
    return -1 if i < 0 else len(lst) - 1 - i


def _l_remove(th: Thread, lst: list[Any], a: list[Any]) -> Any:
    x = a[0]
    if type(x) is int:
        # JEXL picks remove(int) for an Integer argument, remove(Object) for anything else
        _check_index(x, len(lst))
        charge_chars(th, len(lst) - x)  # a memmove
        return lst.pop(x)
    i = find(th, lst, x)
    if i < 0:
        return False
    del lst[i]
    return True


def _contains_all(th: Thread, recv: Any, a: list[Any]) -> bool:
    items = _items_of(th, a[0])
    return all(_contains(th, recv, [x]) for x in items)


def _contains(th: Thread, recv: Any, a: list[Any]) -> bool:
    if isinstance(recv, (V.JSet, V.JRange)):
        th.charge(1)
        return bool(recv.contains(a[0]))
    return find(th, recv, a[0]) >= 0


def _l_clear(th: Thread, lst: list[Any], a: list[Any]) -> None:
    lst.clear()


def _l_sub_list(th: Thread, lst: list[Any], a: list[Any]) -> list[Any]:
    b, e = int_arg(a[0]), int_arg(a[1])
    if b < 0:
        raise java_error("java.lang.IndexOutOfBoundsException", f"fromIndex = {b}")
    if e > len(lst):
        raise java_error("java.lang.IndexOutOfBoundsException", f"toIndex = {e}")
    if b > e:
        raise java_error("java.lang.IllegalArgumentException", f"fromIndex({b}) > toIndex({e})")
    th.charge(e - b)
    charge_items(th, e - b)
    return lst[b:e]


def _l_sort(th: Thread, lst: list[Any], a: list[Any]) -> None:
    if a[0] is not None:
        raise NoOverload()  # a JEXL function is not a java.util.Comparator (digest 6.4)
    sort_natural(th, lst)


def _to_array(th: Thread, recv: Any, a: list[Any]) -> Any:
    th.charge(len(recv))
    charge_items(th, len(recv))
    return V.JArray(list(recv), "Object")


def _size(th: Thread, recv: Any, a: list[Any]) -> int:
    return len(recv)


def _is_empty(th: Thread, recv: Any, a: list[Any]) -> bool:
    return len(recv) == 0


LIST: dict[str, Member] = _table(
    *_object_members(),
    _m("size", _size, 0, returns="Integer"),
    _m("isEmpty", _is_empty, 0, returns="Boolean"),
    _m("add", _l_add, 1, 2, None, doc="add(x) -> true; add(index, x)", narrows=True),
    _m("addAll", _l_add_all, 1, 2, "Boolean", narrows=True),
    _m("get", _l_get, 1, returns=None, narrows=True),
    _m("set", _l_set, 2, returns=None, doc="returns the old element", narrows=True),
    _m(
        "remove",
        _l_remove,
        1,
        returns=None,
        doc="remove(Integer index) or remove(Object)",
        narrows=True,
    ),
    _m("contains", _contains, 1, returns="Boolean"),
    _m("containsAll", _contains_all, 1, returns="Boolean"),
    _m("indexOf", _l_index_of, 1, returns="Integer"),
    _m("lastIndexOf", _l_last_index_of, 1, returns="Integer"),
    _m("clear", _l_clear, 0, returns=None),
    _m("subList", _l_sub_list, 2, returns="List", doc="a copy, not a view", narrows=True),
    _m("sort", _l_sort, 1, returns=None, doc="sort(null): natural order"),
    _m("toArray", _to_array, 0, returns="Object[]"),
)

_PRIMITIVE_OK: dict[str, tuple[str, ...]] = {
    # Array.set widens primitives as Java assignment does (char -> int, int -> long ...)
    "int": ("Integer", "Character"),
    "long": ("Integer", "Long", "Character"),
    "double": ("Integer", "Long", "Float", "Double", "Character"),
    "float": ("Integer", "Long", "Float", "Character"),
    "boolean": ("Boolean",),
    "char": ("Character",),
}


def fits_component(component: str, value: Any) -> bool:
    """Whether ``value`` may be stored in an array of ``component`` (``[1, 2][0] = 'x'`` is
    an error: Java's Array.set refuses it)."""
    if component == "Object":
        return True
    kind = kind_of(value)
    allowed = _PRIMITIVE_OK.get(component)
    if allowed is not None:
        return kind in allowed
    if value is None:
        return True
    if component == "Number":
        return kind in _NUMERIC_KINDS
    if component == "Comparable":
        return kind in _COMPARABLE
    return V.java_class_name(value) == component or kind == component


def _a_set(th: Thread, arr: Any, a: list[Any]) -> Any:
    i = int_arg(a[0])
    _check_index(i, len(arr))
    if not fits_component(arr.component, a[1]):
        raise java_error(
            "java.lang.IllegalArgumentException",
            "array element type mismatch",
            f"cannot store a value of type {display_name(a[1])} in {arr.component}[]",
        )
    old = arr[i]
    arr[i] = a[1]
    return old


#: JEXL calls the methods ArrayListWrapper declares itself on an array (MethodExecutor
#: invokes a wrapper method only when ``getDeclaringClass() == ArrayListWrapper.class``):
#: size, get, set, contains, indexOf. The inherited ones fail (3.1: ``[1, 2].isEmpty()``
#: is an error), and ``add``/``remove``/``clear`` are not offered (3.7.0: the call gives
#: null, with a warning here).
ARRAY: dict[str, Member] = _table(
    *_object_members(),
    _m("size", _size, 0, returns="Integer"),
    _m("get", _l_get, 1, returns=None, narrows=True),
    _m("set", _a_set, 2, returns=None, doc="returns the old element", narrows=True),
    _m("contains", _contains, 1, returns="Boolean"),
    _m("indexOf", _l_index_of, 1, returns="Integer"),
)

ARRAY_PROPERTIES: dict[str, Property] = {
    "length": Property("length", "Integer", len, "the array's fixed size"),
}


# --- Map, Map.Entry, Set --------------------------------------------------------------------


class MapEntry(HostObject):
    """An entry of ``Map.entrySet()``: ``key``/``value`` properties, ``getKey()``,
    ``getValue()`` and ``setValue(v)`` (which writes through to the map, as Java's entries
    do)."""

    jexl_type = TypeInfo(
        "Map.Entry",
        properties={
            "key": PropertyInfo("key", None),
            "value": PropertyInfo("value", None, writable=True),
        },
        methods={
            "getKey": MethodInfo("getKey", 0, 0, None),
            "getValue": MethodInfo("getValue", 0, 0, None),
            "setValue": MethodInfo("setValue", 1, 1, None),
            "toString": MethodInfo("toString", 0, 0, "String"),
            "equals": MethodInfo("equals", 1, 1, "Boolean"),
        },
    )

    def __init__(self, owner: dict[Any, Any], key: Any) -> None:
        self._owner = owner
        self._key = key
        self._value = owner.get(key)

    def _current(self) -> Any:
        if self._key in self._owner:
            self._value = self._owner[self._key]
        return self._value

    def jexl_get(self, name: str) -> Any:
        return self._key if name == "key" else self._current()

    def jexl_set(self, name: str, value: Any) -> None:
        self._value = value
        self._owner[self._key] = value

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        if name == "getKey":
            return self._key
        if name == "getValue":
            return self._current()
        if name == "setValue":
            old = self._current()
            self.jexl_set("value", args[0])
            return old
        if name == "equals":
            o = args[0]
            return (
                isinstance(o, MapEntry)
                and java_equals(self._key, o._key)
                and java_equals(self._current(), o._current())
            )
        return self.jexl_string()

    def jexl_string(self) -> str:
        return f"{V.to_string(self._key)}={V.to_string(self._current())}"


def _mp_get(th: Thread, m: dict[Any, Any], a: list[Any]) -> Any:
    return map_get(m, a[0])


def _mp_get_or_default(th: Thread, m: dict[Any, Any], a: list[Any]) -> Any:
    return map_get(m, a[0], a[1])


def map_put(th: Thread, m: dict[Any, Any], key: Any, value: Any) -> Any:
    """``m.put(key, value)``: returns the previous value (or null); the items limit applies
    when the map grows. A Python dict cannot hold two keys that are Python-equal but not
    Java-equal (``1`` and ``1L``, ``1`` and ``1.0``): for keys other than Strings and
    Integers that case is an error rather than a silent merge (the fast path for String
    and Integer keys does not look)."""
    t = type(key)
    try:
        present = key in m
    except TypeError:
        raise EvalError(f"a value of type {display_name(key)} cannot be a map key") from None
    if not present:
        th.check_items(len(m) + 1)
    elif t is not str and t is not int:
        for k in m:
            if k == key and not V.java_equals(k, key):
                raise EvalError(
                    f"this map already has the key {V.to_string(k)} ({display_name(k)}): "
                    f"it cannot also hold {V.to_string(key)} ({display_name(key)})"
                )
    old = m.get(key)
    m[key] = value
    return old


def _mp_put(th: Thread, m: dict[Any, Any], a: list[Any]) -> Any:
    return map_put(th, m, a[0], a[1])


def _mp_put_if_absent(th: Thread, m: dict[Any, Any], a: list[Any]) -> Any:
    old = map_get(m, a[0])
    if old is None:
        map_put(th, m, a[0], a[1])
    return old


def _mp_put_all(th: Thread, m: dict[Any, Any], a: list[Any]) -> None:
    other = a[0]
    if type(other) is not dict:
        raise NoOverload()
    th.charge(len(other))
    charge_items(th, len(m) + len(other), len(other))
    for k, v in other.items():
        map_put(th, m, k, v)


def _mp_remove(th: Thread, m: dict[Any, Any], a: list[Any]) -> Any:
    if not map_has(m, a[0]):
        return None
    return m.pop(a[0])


def _mp_contains_key(th: Thread, m: dict[Any, Any], a: list[Any]) -> bool:
    return map_has(m, a[0])


def _mp_contains_value(th: Thread, m: dict[Any, Any], a: list[Any]) -> bool:
    return find(th, list(m.values()), a[0]) >= 0


def _mp_key_set(th: Thread, m: dict[Any, Any], a: list[Any]) -> Any:
    th.charge(len(m))
    charge_items(th, len(m))
    return V.JSet(m.keys())


def _mp_values(th: Thread, m: dict[Any, Any], a: list[Any]) -> list[Any]:
    th.charge(len(m))
    charge_items(th, len(m))
    return list(m.values())


def _mp_entry_set(th: Thread, m: dict[Any, Any], a: list[Any]) -> Any:
    th.charge(len(m))
    charge_items(th, len(m))
    return V.JSet(MapEntry(m, k) for k in m)


MAP: dict[str, Member] = _table(
    *_object_members(),
    _m("get", _mp_get, 1, returns=None),
    _m("getOrDefault", _mp_get_or_default, 2, returns=None),
    _m("put", _mp_put, 2, returns=None, doc="returns the previous value or null"),
    _m("putIfAbsent", _mp_put_if_absent, 2, returns=None),
    _m("putAll", _mp_put_all, 1, returns=None),
    _m("remove", _mp_remove, 1, returns=None),
    _m("containsKey", _mp_contains_key, 1, returns="Boolean"),
    _m("containsValue", _mp_contains_value, 1, returns="Boolean"),
    _m("keySet", _mp_key_set, 0, returns="Set", doc="a copy"),
    _m("values", _mp_values, 0, returns="List", doc="a copy"),
    _m("entrySet", _mp_entry_set, 0, returns="Set", doc="entries write through"),
    _m("size", _size, 0, returns="Integer"),
    _m("isEmpty", _is_empty, 0, returns="Boolean"),
    _m("clear", lambda th, m, a: m.clear(), 0, returns=None),
)


def _set_add(th: Thread, s: Any, a: list[Any]) -> bool:
    if a[0] in s:
        return False
    th.check_items(len(s) + 1)
    return bool(s.add(a[0]))


def _set_add_all(th: Thread, s: Any, a: list[Any]) -> bool:
    items = _items_of(th, a[0])
    th.charge(len(items))
    changed = False
    for x in list(items):
        if x not in s:
            th.check_items(len(s) + 1)
            s.add(x)
            changed = True
    return changed


def _set_remove(th: Thread, s: Any, a: list[Any]) -> bool:
    return bool(s.remove(a[0]))


SET: dict[str, Member] = _table(
    *_object_members(),
    _m("add", _set_add, 1, returns="Boolean"),
    _m("addAll", _set_add_all, 1, returns="Boolean"),
    _m("remove", _set_remove, 1, returns="Boolean"),
    _m("contains", _contains, 1, returns="Boolean"),
    _m("containsAll", _contains_all, 1, returns="Boolean"),
    _m("size", _size, 0, returns="Integer"),
    _m("isEmpty", _is_empty, 0, returns="Boolean"),
    _m("clear", lambda th, s, a: s.clear(), 0, returns=None),
    _m("toArray", _to_array, 0, returns="Object[]"),
)


# --- Range, Pattern, caught errors, functions -----------------------------------------------


def _range_bound(r: Any, which: str) -> Any:
    bound = r.low if which == "min" else r.high
    return V.Long(bound) if r.is_long else bound


RANGE: dict[str, Member] = _table(
    *_object_members(),
    _m("size", _size, 0, returns="Integer"),
    _m("isEmpty", _is_empty, 0, returns="Boolean"),
    _m("contains", _contains, 1, returns="Boolean"),
    _m("containsAll", _contains_all, 1, returns="Boolean"),
    _m("getMin", _simple(lambda r: _range_bound(r, "min")), 0, returns=None),
    _m("getMax", _simple(lambda r: _range_bound(r, "max")), 0, returns=None),
    _m("toArray", _to_array, 0, returns="Object[]"),
)


def _pattern_source(p: Any) -> str:
    return str(p.source)


PATTERN: dict[str, Member] = _table(
    *_object_members(),
    _m("pattern", _simple(_pattern_source), 0, returns="String"),
    _m(
        "split",
        lambda th, p, a: V.JArray(regexes.split(p.compiled, str_arg(a[0]), 0, th), "String"),
        1,
        returns="String[]",
    ),
)

CAUGHT_ERROR: dict[str, Member] = _table(
    _m("toString", _to_string, 0, returns="String"),
    _m("getMessage", _simple(lambda e: e.message), 0, returns="String"),
    _m("getValue", _simple(lambda e: e.value), 0, returns=None),
    _m("getInfo", _simple(lambda e: e.info), 0, returns="JexlInfo"),
    _m("getCause", _simple(lambda e: e.cause), 0, returns=None),
)

CAUGHT_ERROR_PROPERTIES: dict[str, Property] = {
    "value": Property("value", None, lambda e: e.value, "what `throw` threw"),
    "message": Property("message", "String", lambda e: e.message),
    "info": Property("info", "JexlInfo", lambda e: e.info, "line and column"),
    "cause": Property("cause", None, lambda e: e.cause),
}

INFO: dict[str, Member] = _table(
    _m("getLine", _simple(lambda i: i.line), 0, returns="Integer"),
    _m("getColumn", _simple(lambda i: i.column), 0, returns="Integer"),
)

INFO_PROPERTIES: dict[str, Property] = {
    "line": Property("line", "Integer", lambda i: i.line),
    "column": Property("column", "Integer", lambda i: i.column),
}

#: Every table, by the kind names ``kind_of`` returns.
TABLES: dict[str, dict[str, Member]] = {
    "String": STRING,
    "Character": CHARACTER,
    "Boolean": BOOLEAN,
    **{k: _number_members(k) for k in _NUMERIC_KINDS},
    "List": LIST,
    "Array": ARRAY,
    "Map": MAP,
    "Set": SET,
    "Range": RANGE,
    "Pattern": PATTERN,
    "JexlException": CAUGHT_ERROR,
    "JexlInfo": INFO,
    "Function": {},
}

#: Properties that are not getters of the tables above.
PROPERTIES: dict[str, dict[str, Property]] = {
    "Array": ARRAY_PROPERTIES,
    "JexlException": CAUGHT_ERROR_PROPERTIES,
    "JexlInfo": INFO_PROPERTIES,
}

_KIND_BY_TYPE: dict[type, str] = {
    str: "String",
    bool: "Boolean",
    int: "Integer",
    float: "Double",
    Decimal: "BigDecimal",
    list: "List",
    dict: "Map",
    V.Long: "Long",
    V.BigInteger: "BigInteger",
    V.Float: "Float",
    V.Char: "Character",
}

_INFO_TYPE: type | None = V.ErrorInfo


def members_of(kind: str) -> dict[str, Member]:
    """The methods of a table kind (``'String'``, ``'List'``, ...); empty for unknown kinds.
    Reading this is how ``check`` knows a member and its argument counts."""
    return TABLES.get(kind, {})


def properties_of(kind: str) -> dict[str, Property]:
    """The non-getter properties of a table kind (``length`` of arrays, ...)."""
    return PROPERTIES.get(kind, {})


def getter_for(kind: str, name: str) -> Member | None:
    """The JavaBean getter that ``a.name`` reads on a value of ``kind``: ``getName()`` or
    ``isName()`` taking no argument (``'abc'.empty`` calls ``isEmpty()``), or None."""
    if not name:
        return None
    table = TABLES.get(kind)
    if not table:
        return None
    cap = name[0].upper() + name[1:]
    for prefix in ("get", "is"):
        m = table.get(prefix + cap)
        if m is not None and m.accepts(0):
            return m
    return None


def _decapitalize(name: str) -> str:
    # "Empty" -> "empty"; a name with more capitals ("NaN", "URL") keeps its case (both
    # spellings work: JEXL capitalizes the property name to find the getter)
    if any(c.isupper() for c in name[1:]):
        return name
    return name[0].lower() + name[1:]


def property_names(kind: str, all_spellings: bool = False) -> list[str]:
    """Every property a value of ``kind`` exposes: its ``Property`` entries and the names
    its no-argument getters give (``empty`` for ``isEmpty``, ``NaN`` for ``isNaN``). With
    ``all_spellings``, also the capitalized form JEXL accepts too (``a.Empty``)."""
    names = set(properties_of(kind))
    for name, m in members_of(kind).items():
        for prefix in ("get", "is"):
            if name.startswith(prefix) and len(name) > len(prefix) and m.accepts(0):
                rest = name[len(prefix) :]
                if rest[0].isupper():
                    names.add(_decapitalize(rest))
                    if all_spellings:
                        names.add(rest)
    return sorted(names)


def all_members() -> dict[str, dict[str, list[str]]]:
    """Every exposed member per kind: ``{'String': {'methods': [...], 'properties': [...]}}``.
    The sandbox test and ``docs/language.md`` enumerate this list."""
    return {
        kind: {"methods": sorted(table), "properties": property_names(kind)}
        for kind, table in TABLES.items()
    }


def method_info(kind: str, name: str) -> MethodInfo | None:
    """A member as a ``host.MethodInfo`` (for ``check``), or None when unknown."""
    m = members_of(kind).get(name)
    if m is None:
        return None
    return MethodInfo(m.name, m.min_args, m.max_args, m.returns, m.doc)


#: How ``members_markdown`` names each kind for the power user.
_KIND_TITLES = {
    "String": "String (`'text'`)",
    "Character": "Character (`'abc'.charAt(0)`)",
    "Boolean": "Boolean",
    "Integer": "Integer (`42`)",
    "Long": "Long (`42L`)",
    "BigInteger": "BigInteger (`42H`)",
    "Float": "Float (`1.5F`)",
    "Double": "Double (`1.5`)",
    "BigDecimal": "BigDecimal (`1.5B`)",
    "List": "List (`[1, 2, ...]`, `[...]`)",
    "Array": "array (`[1, 2]`)",
    "Map": "Map (`{'a': 1}`, `{:}`)",
    "Set": "Set (`{1, 2}`, `{}`)",
    "Range": "range (`1..3`)",
    "Pattern": "Pattern (`~/re/`)",
    "JexlException": "caught error (`catch (e)`)",
    "JexlInfo": "error position (`e.info`)",
    "Function": "function",
}


def _arity(m: Member) -> str:
    if m.max_args is None:
        return f"{m.min_args}+"
    if m.min_args == m.max_args:
        return str(m.min_args)
    return f"{m.min_args}-{m.max_args}"


def members_markdown() -> str:
    """The member list of ``docs/language.md`` (between ``<!-- members:begin -->`` and
    ``<!-- members:end -->``): a table with, per kind, each method as ``name/arguments``
    and each property. ``test_sandbox`` checks that the document shows exactly this."""
    lines = ["| value | methods (`name/arguments`) | properties |", "|---|---|---|"]
    for kind, table in TABLES.items():
        methods = ", ".join(f"`{n}/{_arity(table[n])}`" for n in sorted(table)) or "none"
        props = ", ".join(f"`{p}`" for p in property_names(kind)) or "none"
        lines.append(f"| {_KIND_TITLES.get(kind, kind)} | {methods} | {props} |")
    lines.append(
        "| Map.Entry (`m.entrySet()`) | `getKey/0`, `getValue/0`, `setValue/1`, "
        "`equals/1`, `toString/0` | `key`, `value` |"
    )
    return "\n".join(lines)
