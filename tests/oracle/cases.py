"""The table of differential cases: scripts run on JEXL 3.1 (the oracle) and on our engine.

A plain case (``c``) must give the same result on both engines (class and value, or an error
of the same kind). A case built with ``d`` is one of the differences of digest section 9:
JEXL 3.1 gives ``jexl31``, we follow 3.7.0 (digest section 0) and give ``ours``; both sides
are checked, so the table also documents what 3.1 really does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.oracle.jvalues import NULL, JValue


@dataclass(frozen=True)
class Err:
    """An expected error: ``parse`` (compile-time) or not, and a regex its message matches."""

    regex: str = ""
    parse: bool = False


Expected = JValue | Err


@dataclass(frozen=True)
class Case:
    """One differential case (see the module docstring)."""

    source: str
    variables: dict[str, Any] = field(default_factory=dict)
    jexl31: Expected | None = None
    ours: Expected | None = None
    why: str = ""


def c(source: str, **variables: Any) -> Case:
    """A case both engines must agree on."""
    return Case(source, variables)


def d(source: str, jexl31: Expected, ours: Expected, why: str, **variables: Any) -> Case:
    """A section 9 difference: JEXL 3.1 gives ``jexl31``, we give ``ours`` (section 0)."""
    return Case(source, variables, jexl31, ours, why)


def I(v: int) -> JValue:  # noqa: E743 - short names keep the table readable
    return JValue("Integer", "number", v)


def L(v: int) -> JValue:
    return JValue("Long", "number", v)


def BI(v: int) -> JValue:
    return JValue("BigInteger", "number", v)


def D(v: float) -> JValue:
    return JValue("Double", "number", v)


def BD(v: str) -> JValue:
    return JValue("BigDecimal", "number", Decimal(v))


def S(v: str) -> JValue:
    return JValue("String", "string", v)


def B(v: bool) -> JValue:
    return JValue("Boolean", "boolean", v)


def LIST(*items: JValue) -> JValue:
    return JValue("ArrayList", "list", tuple(items))


TRUE, FALSE = B(True), B(False)
ERR = Err()
PARSE = Err(parse=True)


def _long(v: int) -> Any:
    from scriptengine import values

    return values.Long(v)


def _jset(items: list[Any]) -> Any:
    from scriptengine import values

    return values.JSet(items)


CASES: dict[str, list[Case]] = {
    "2.1-2.2 number literals": [
        c("42"),
        c("2147483647"),
        c("2147483648"),
        c("9223372036854775807"),
        c("9223372036854775808"),
        c("010"),
        c("0x1F"),
        c("0xff"),
        c("42l"),
        c("42L"),
        c("42h"),
        c("-2147483648"),
        c("-2147483649"),
        c("42.5"),
        c("42.5d"),
        c("42.5f"),
        c("42.5b"),
        c("1.10b"),
        c("1.5e3"),
        c("1.5E-2"),
        c("NaN"),
        d(
            "var x = 1_000; x",
            ERR,
            PARSE,
            "§0 item 7: 3.1 reads `_000` as an undefined variable at run time; we refuse the "
            "malformed number when parsing",
        ),
        c("var x = .5; x"),
        d("return 1e3;", I(1), D(1000.0), "§9: 3.1 has no dotless exponent (`return 1`, `e3`)"),
        d("1e3", PARSE, D(1000.0), "§9: 3.1 has no dotless exponent (ambiguous statement)"),
        d("var x = 1e3; x", ERR, D(1000.0), "§9: 3.1 reads `e3` as an undefined variable"),
    ],
    "2.3 strings": [
        c("'abc'"),
        c('"abc"'),
        c("'it\\'s'"),
        c("'\\u00e9'"),
        c("'c:\\\\dir'"),
        c("'x\\qy'"),
        c("'a\\\"b'"),
        c("'a\\d'"),
        c("'a\\\\d'"),
        c("'a\nb'"),
        d("'a\\nb'", S("a\\nb"), S("a\nb"), "§9: \\n is a newline since 3.2"),
        d("'a\\tb'", S("a\\tb"), S("a\tb"), "§9: \\t is a tab since 3.2"),
    ],
    "2.4 collection literals": [
        c("[1, 2]"),
        c("['a', 'b']"),
        c("[1, 2.5]"),
        c("[null, 1]"),
        c("[]"),
        c("[1, 2, ...]"),
        c("[...]"),
        c("{1, 2, 2}"),
        c("{}"),  # 3.7.0's grammar too tries an expression (a set literal) before a block
        c("{1}"),
        c("{'a': 1, 'b': [1, 2, ...]}"),
        c("{:}"),
        c("var k = 'key'; {k: 2}"),
        c("{nokey: 1}"),
        c("var s = {}; s['a'] = 1"),
        c("var l = [1, 2, ...]; l.add(3); l"),
        c("[1, 2] == [1, 2]"),
        c("[1, 2, ...] == [1, 2, ...]"),
        c("var l = [...]; for (var i : 1..4) { l.add(i) } l"),
        c("var l = [...]; for (var i : 3..1) { l.add(i) } l"),
        c("var t = 0; for (var i : 2 =~ 1..3) { t = t + i } t"),
        d("[1, 2,]", PARSE, JValue("int[]", "array", (I(1), I(2))), "trailing commas need 3.4"),
        d(
            "var a = [1, 2]; a.add(3)",
            ERR,
            NULL,
            "§9: 3.7.0 (safe) gives null for a missing method of an array; 3.1 fails",
        ),
    ],
    "2.5 templates": [
        c("var n = 5; `n=${n + 1}`"),
        c("var who = 'you'; `hello ${who}!`"),
        c("var n = null; `[${n}]`"),
        c("`b=${true}`"),
        c("`d=${2.0}`"),
        c("`big=${12345678901234567890}`"),
        c("`l=${[1, 2, ...]}`"),
        c("`m=${{'a': 1}}`"),
        c("`${7 / 2}`"),
        c("var l = [1, ...]; `${l}`"),
        c("`cost \\${x}`"),
        c("`a\\`b`"),
        c("`a ${nosuch} b`"),
        c("`line1\nline2`"),
        c("var x = 3; `#{x}`"),
        d("`4${2}`", S("42"), I(42), "§9: 3.5+ makes a plain-integer template an Integer"),
        d("`${'42'}`", S("42"), I(42), "§9: 3.5+ makes a plain-integer template an Integer"),
        c("`0${1}`"),
        d("`a\\nb`", S("a\\nb"), S("a\nb"), "§9: template escapes follow 3.2+"),
    ],
    "3.2 concatenation": [
        c("'1' + 1"),
        c("1 + '1'"),
        c("'a' + 1 + 2"),
        c("1 + 2 + 'a'"),
        c("'' + 6.0 / 3"),
        c("'' + 1.0E10"),
        c("'' + 0.001"),
        c("'' + 1.0E-4"),
        c("'' + 100.0"),
        c("'' + 1.5f"),
        c("'' + 1.10b"),
        c("'' + 10000000000"),
        c("'x' + true"),
        c("'abc'.charAt(0) + 'x'"),
        c("true + 1"),
        c("var n = null; n + 1"),
        c("var n = null; 'a' + n"),
        c("s + 1", s="v"),
        c("x + y", x=1, y="2"),
        d("[1, 2, ...] + 1", ERR, S("[1, 2]1"), "§3.2: 3.7.0 falls back to concatenation"),
    ],
    "3.3 arithmetic and promotion": [
        c("1 + 2"),
        c("2147483647 + 1"),
        c("9223372036854775807 + 1"),
        c("100000 * 100000"),
        c("-2147483648 - 1"),
        c("1.5f + 1"),
        c("1 + 1.0"),
        c("1.5b + 1.5"),
        c("1.10b + 2"),
        c("1b / 3"),
        c("2.5b * 2.5b"),
        c("0b * (-0.01b)"),  # a BigDecimal has no negative zero
        c("var z = 0.00b; -z"),
        c("1.5b - 1.5b"),
        c("7 / 2"),
        c("-7 / 2"),
        c("7 / -2"),
        c("7 / 2.0"),
        c("7 % 3"),
        c("-7.5 % 2"),
        c("7.5 % 2"),
        c("1 / 0"),
        c("1.0 / 0"),
        c("1 % 0"),
        c("'5' - 2"),
        c("'2.5' * 2"),
        d("'10' / '4'", I(2), BI(2), "§9: as '3' * '4', numeric Strings compute as BigInteger"),
        c("-true"),
        c("-'5'"),
        c("var n = null; -n"),
        c("6 & 3"),
        c("6 | 1"),
        c("6 ^ 3"),
        c("~5"),
        c("7 div 2"),
        c("7 mod 2"),
        c("x * 2", x=_long(5)),
        c("x + 1", x=_long(9223372036854775807)),
        c("x / 4", x=10.0),
        c("x + 1", x=Decimal("1.5")),
        c("1 + 2 * 3 - 4 / 2"),
        c("(1 + 2) * 3"),
        d("-7 % 3", I(2), I(-1), "§9: Java's % sign rule since 3.2"),
        d("7 % -3", ERR, I(1), "§9: 3.1's BigInteger.mod refuses a negative divisor"),
        d("'3' * '4'", I(12), BI(12), "§9: 3.3+ multiply numeric strings as BigInteger"),
        d("2b + 1", I(3), BD("3"), "§9: no BigDecimal narrowing since 3.6.0"),
        d("1h + 1", BI(2), I(2), "§9: 3.7.0 narrows BigInteger results"),
        d("'a' - 1", ERR, ERR, "§9: 3.1 lets NumberFormatException escape; 3.3+ `- error`"),
        # edges found by the differential tests (not listed in the digest's section 9)
        c("var x = -2147483648; -x"),  # Java's int negation wraps, in 3.1 and 3.7.0
        c("-2147483648 / -1"),
        c("9223372036854775807 * 2"),
        c("3037000500l * 3037000500l"),
        c("~9223372036854775807"),
        c("1.0E308 * 10"),
        c("9999999999999999999999999999999999b + 1"),
        c("1b + 1.0E-20"),
        d(
            "var x = -9223372036854775808; -x",
            BI(9223372036854775808),
            L(-9223372036854775808),
            "3.7.0 negates a Long with Java's wrapping `-` (JexlArithmetic.negate); 3.1 keeps "
            "the literal a BigInteger",
        ),
        d(
            "var x = -9223372036854775808; x / -1",
            BI(9223372036854775808),
            L(-9223372036854775808),
            "3.7.0 divides longs with Java's wrapping `/` (JexlArithmetic.divide)",
        ),
        d("5 / 2.5b", I(2), BD("2"), "§9: no BigDecimal narrowing since 3.6.0"),
        d("10h / 3", BI(3), I(3), "§9: 3.7.0 narrows BigInteger results"),
        d("10h % 3", BI(1), I(1), "§9: 3.7.0 narrows BigInteger results"),
        d(
            "0.1f + 0.2f",
            D(0.30000000000000004),
            D(0.30000000447034836),
            "3.1 widens a Float through its decimal text (0.1f -> 0.1); 3.7.0's toDouble uses "
            "doubleValue() (0.1f -> 0.10000000149011612)",
        ),
    ],
    "3.4 comparisons": [
        c("1 < 2"),
        c("2 <= 2"),
        c("'2' < 10"),
        c("10 < '9'"),
        c("'B' < 'a'"),
        c("'2' < '10'"),
        c("1 < 1.5"),
        c("1b < 2"),
        c("2l >= 2"),
        c("'abc' lt 'abd'"),
        c("3 gt 2"),
        c("1 le 1"),
        c("2 ge 3"),
        c("[1, ...] < [2, ...]"),
        c("1 < 2 < 3"),
        c("x > y", x=_long(3), y=2.5),
        d("var n = null; n < 1", FALSE, ERR, "§9: null comparisons are errors since 3.2"),
        d("var n = null; n <= n", TRUE, ERR, "§9: null comparisons are errors since 3.2"),
        d("1 < 'x'", ERR, ERR, "§9: 3.1 NumberFormatException, 3.6+ `< error`"),
    ],
    "3.5-3.6 equality": [
        c("var n = null; n == 0"),
        c("var n = null; n == null"),
        c("true == 'true'"),
        c("true == 1"),
        c("true == 'x'"),
        c("false == ''"),
        c("1 == 1.0"),
        c("'1' == 1"),
        c("'1.5' == 1.5"),
        c("1l == 1"),
        c("1.10b == 1.1"),
        c("[1, 2, ...] == '[1, 2]'"),
        c("{'a': 1} == {'a': 1}"),
        c("1 eq 1.0"),
        c("1 ne 2"),
        c("'abc' == 'abc'"),
        c("'abc' != 'abd'"),
        c("x == y", x=_long(2), y=2),
        d("'a' == 1", ERR, FALSE, "§9: 3.1 NumberFormatException; 3.3+ false"),
        d("'1.0' == 1", ERR, TRUE, "§9: 3.1 NumberFormatException; 3.3+ true"),
        d("1 === 1", PARSE, TRUE, "=== is 3.4+"),
        d("1 !== 1l", PARSE, TRUE, "!== is 3.4+"),
        d("0 == -0.0", TRUE, FALSE, "§9: signed zero compares differently since 3.2"),
    ],
    "3.7-3.8 match operators": [
        c("'abc' =~ 'a.c'"),
        c("'xabcx' =~ 'a.c'"),
        c("5 =~ '5'"),
        c("'xabcx' !~ 'a.c'"),
        c("'a' =~ {'a': 1}"),
        c("2 =~ [1, 2, 3]"),
        c("'2' =~ [1, 2, 3]"),
        c("2l =~ [1, 2, 3, ...]"),
        c("[1, 2, ...] =~ [1, 2, 3, ...]"),
        d(
            "[1, 2] =~ [1, 2, 3]",
            FALSE,
            TRUE,
            "3.7.0 wraps arrays on both sides of =~ (collectionContains: containsAll)",
        ),
        c("4 !~ [1, 2, 3]"),
        c("'abc' =^ 'ab'"),
        c("'abc' =$ 'bc'"),
        c("'abc' !^ 'bc'"),
        c("'abc' !$ 'ab'"),
        c("123 =^ '12'"),
        c("s =~ '[a-z]+@[a-z.]+'", s="jo@example.org"),
        d("'abc' =~ ~/a.c/", PARSE, TRUE, "regex literals are 3.2+"),
        # the digest (§3.8) says 3.1 fails here; Debian's 3.1 answers false, as 3.7.0 does
        c("[1, 2, ...] =^ '1'"),
    ],
    "3.9-3.11 logic, ternary, empty, size": [
        c("true && false"),
        c("true and 1 == 1"),
        c("false or 2 > 1"),
        c("not false"),
        c("!0"),
        c("!'false'"),
        c("!''"),
        c("!'x'"),
        c("false && nosuch"),
        c("true || nosuch"),
        c("var n = null; n || 'default'"),
        c("var n = null; !n"),
        c("true ? 'y' : 'n'"),
        # `x : join(` reads as the namespace call `x:join(...)` (JexlParser.isNamespaceFuncall):
        # 3.7.0 too, unless `x` is a declared local and spaces surround the colon
        d(
            "true ? x : join([1], ',')",
            PARSE,
            S("a"),
            "JEXL reads `x : join(` as the namespace call x:join(...) and fails to parse; "
            "mailwright reads a namespace call only without blanks around the colon, so "
            "this is the ternary's else branch (it accepts more, never differently)",
            x="a",
        ),
        d(
            "var x = 'a'; true ? x : join([1], ',')",
            PARSE,
            S("a"),
            "3.7.0 reads a declared local followed by ` : ` as a ternary branch; 3.1 as ns:fn",
        ),
        c("nosuch ? 'y' : 'n'"),
        c("nosuch ?: 'd'"),
        c("'' ?: 'b'"),
        c("0 ?: 5"),
        c("'false' ?: 'x'"),
        c("'v' ?: 'x'"),
        c("var n = null; empty(n)"),
        c("empty(nosuch)"),
        c("empty('')"),
        c("empty(0)"),
        c("empty([])"),
        c("empty({:})"),
        c("empty(' ')"),
        c("empty 'x'"),
        c("size('abc')"),
        c("size([1, 2])"),
        c("size({'a': 1})"),
        c("size(nosuch)"),
        c("'abc'.size()"),
        d("'a' && 'b'", TRUE, S("b"), "§9: 3.5+ return the deciding operand"),
        d("0 || 'x'", TRUE, S("x"), "§9: 3.5+ return the deciding operand"),
        d("'' && 'b'", FALSE, S(""), "§9: 3.5+ return the deciding operand"),
        d("size(5)", NULL, I(0), "§3.11: size of a number is 0 in 3.7.0"),
        d("0 ?? 5", PARSE, I(0), "?? is 3.2+"),
    ],
    "4 truthiness": [
        c(
            "var out = ''; for (var v : [0, '', 'false', 'x', 0.0, 1, NaN, [...], {:}, {}, "
            "'False', ' ', 'true', -1]) { out = out + (v ? 1 : 0) } out"
        ),
        c("if ('false') { 1 } else { 2 }"),
        c("if ('False') { 1 } else { 2 }"),
        c("if ([]) { 1 } else { 2 }"),
        c("if (0.0) { 1 } else { 2 }"),
        c("if (0l) { 1 } else { 2 }"),
        c("if (0.0b) { 1 } else { 2 }"),
        c("if (-1) { 1 } else { 2 }"),
        c("var n = null; if (n) { 1 } else { 2 }"),
        c("var i = 3; var k = 0; while (i) { i = i - 1; k = k + 1 } k"),
    ],
    "5.1-5.3 var scoping and script value": [
        c("var a = 1;"),
        c("var a = 1; a + 41"),
        c("var x; x"),
        c("var a = 1; var a = 2; a"),
        c("if (true) { var x2 = 3; } x2"),
        c("var x = 1; { var x = 2; } x"),
        c("for (var x : [1, 2, 3]) { } x"),
        c("y = 5; y + 1"),
        c("nosuch + 1"),
        c("var a = 1\nvar b = 2\na + b"),
        c("var f = function() { return\n7; }; f()"),
        c("var a = 1; if (a == 1) { return 'early'; } 'late'"),
        c("if (false) { 1 }"),
        c("var t = 0; for (var i : [1, 2]) { t = t + i }"),
        c("var x = 1; var x; x"),
        c("x", x=[1, "a", {"k": 2.5}]),
        c("x.size() + y.length()", x=[1, 2], y="abc"),
        d("let x = 1; x", PARSE, I(1), "let is 3.3+"),
        d("var a = 1, b = 2; a + b", PARSE, I(3), "several names per var is 3.3+"),
    ],
    "5.4-5.5 functions, lambdas, closures": [
        c("var add = function(x, y) { x + y }; add(1, 2)"),
        c("var twice = (x) -> { x * 2 }; twice(4)"),
        c("var sq = x -> { x * x }; sq(3)"),
        c("var f = function(x, y) { [x, y] }; f(1)"),
        c("var f = function(x, y) { [x, y] }; f(1, 2, 3)"),
        c("var fact = function(n) { n <= 1 ? 1 : n * fact(n - 1) }; fact(10)"),
        c("var d = function(n) { n == 0 ? 0 : 1 + d(n - 1) }; d(150)"),
        c("var x = 1; var f = function() { x }; x = 2; f()"),
        c("var x = 1; var f = function() { x = 5; x }; [f(), x]"),
        c("var mk = function(k) { function(v) { v * k } }; var m3 = mk(3); m3(5)"),
        c("var mk = function(f) { function(v) { f(v) } }; var g = mk(function(a) { a + 1 }); g(5)"),
        d(
            "var compose = function(p, q) { function(v) { p(q(v)) } }; "
            "var h = compose(function(a) { a + 1 }, function(b) { b * 2 }); h(5)",
            ERR,
            I(11),
            "a JEXL 3.1 defect, not in the digest: a closure calling two captured functions "
            "overflows the JVM stack (StackOverflowError)",
        ),
        c("parseJson('x')"),
        c("join(['a', 'b', 3], ', ')"),
        c("join([...], '-')"),
        c("join(xs, '/')", xs=["a", 1, None]),
        c("var f = function() { y = 3 }; f(); y"),
        d(
            "var counter = function() { var n = 0; function() { n = n + 1; n } }; "
            "var c = counter(); c(); c(); c()",
            I(3),
            I(1),
            "§9: since 3.2 each call starts from the captured value",
        ),
        d("var t = x -> x * 2; t(4)", PARSE, I(8), "expression-bodied arrows are 3.3+"),
        d("var t = x => x * 2; t(4)", PARSE, I(8), "=> is on in mailwright (§0 item 3)"),
    ],
    "6 strings methods": [
        c("'a.b.c'.replace('.', '-')"),
        c("'a.b.c'.replaceAll('.', 'x')"),
        c("'a.b.c'.replaceFirst('b', 'X')"),
        c("'a.b.c'.split('.')"),
        c("'a,b,,'.split(',')"),
        c("'a.b.c'.split('\\\\.')"),
        c("'abc'.matches('b')"),
        c("'abc'.matches('a.c')"),
        c("'abc'.substring(5)"),
        c("'hello'.substring(1, 4)"),
        c("'hello'.indexOf('z')"),
        c("'hello'.indexOf('l')"),
        c("'hello'.lastIndexOf('l')"),
        c("'\U0001f600'.length()"),
        c("'  x y  '.trim()"),
        c("'Hello'.toUpperCase()"),
        c("'Hello'.toLowerCase()"),
        c("'hello'.startsWith('he')"),
        c("'hello'.endsWith('lo')"),
        c("'hello'.contains('ell')"),
        c("''.isEmpty()"),
        c("'  '.isBlank()"),
        c("'abc'.equals('abc')"),
        c("'ABC'.equalsIgnoreCase('abc')"),
        c("'abc'.charAt(1)"),
        c("'abc'.toCharArray()"),
        c("s.toUpperCase() + s.length()", s="mixed Case"),
        d("'abc'.length", ERR, NULL, "§6.1/§0 item 5: unknown property of a String is null"),
        d("'abc'.foo()", ERR, NULL, "§9: unknown methods give null under 3.2+ safe"),
    ],
    "6 collections methods": [
        c("var m = {'a': 1, 'b': 'x'}; [m.a, m['b'], m.zz, m['zz'], ...]"),
        c("var m = {'7': 's', 7: 'i', 1: 'one'}; [m['7'], m[7], m.1]"),
        c("var m = {'class': 1, 'new': 4}; [m['class'], m['new'], m.'new']"),
        c("var l = [10, 20, 30, ...]; [l[0], l.1]"),
        c("var l = [1, 2, ...]; l[5]"),
        c("var l = [1, 2, ...]; l.get(5)"),
        c("var l = [1, 2, ...]; l[5] = 9"),
        c("var a = [1, 2]; a[0] = 'x'"),
        c("var a = [1, 2]; a[0] = 5; a"),
        c("var l = [10, 20, 30, ...]; l.remove(1); l"),
        c("var l = [10, 20, 30, ...]; l.contains(20)"),
        c("var l = [10, 20, 30, ...]; l.contains(20l)"),
        c("var l = [10, 20, 30, ...]; l.indexOf(30)"),
        c("var l = [1, ...]; l.addAll([2, 3, ...]); l"),
        c("var l = [1, 2, 3, ...]; l.subList(1, 3)"),
        c("var l = [1, ...]; l.clear(); l.isEmpty()"),
        c("var l = [1, ...]; l.set(0, 'x'); l"),
        c("var m = {'a': 1}; m.put('b', 2); m"),
        c("var m = {'a': 1, 'b': 2}; m.keySet()"),
        c("var m = {'a': 1, 'b': 2}; m.containsKey('b')"),
        c("var m = {'a': 1, 'b': 2}; m.remove('a'); m"),
        c("var m = {'a': 1, 'b': 2}; m.get('b')"),
        c("var s = {1, 2}; s.add(3); s.add(3); s"),
        c("var s = {1, 2}; s.contains(2)"),
        c("var m = {'a': 1, 'b': 2}; m.entrySet()"),
        c("var m = {'a': 1, 'b': 2}; m.values()"),
        c("var l = [3, 1, 2, ...]; l.sort(null); l"),
        c("var l = [1, 2, ...]; l.add(0, 9); l"),
        c("var l = [1, 2, ...]; l.toArray()"),
        c("var m = {'a': 1}; m.getOrDefault('b', 7)"),
        c("(1..3).contains(2)"),
        d(
            "[1, 2].length",
            ERR,
            I(2),
            "LANGUAGE.md §2: mailwright's arrays have `length` (no JEXL has it: 3.1 fails, "
            "3.7.0 in safe mode would give null)",
        ),
        c("var m = null; m.purpose"),
        c("var e = {'acct': null}; e.acct.purpose"),
        c("var m = null; m.foo()"),
        c("xs[1] + xs.size()", xs=[3, 4, 5]),
        c("m.k + m.size()", m={"k": 1}),
        d("zz.purpose", ERR, NULL, "§9: undefined roots navigate to null under safe"),
        d("var m = null; m.size()", I(0), NULL, "§9: 3.2+ gives null on a null local"),
    ],
    "7 statements and for-each": [
        c("var t = 0; for (var x : [1, 2, 3]) { t = t + x } t"),
        c("var t = 0; for (var x : {5, 6}) { t = t + x } t"),
        c("var t = 0; for (var v : {'x': 1, 'y': 2}) { t = t + v } t"),
        c("var t = 0; for (var e : {'x': 1, 'y': 2}.entrySet()) { t = t + e.value } t"),
        c("var n = null; var k = 0; for (var x : n) { k = k + 1 } k"),
        c("var k = 0; for (var ch : 'abc') { k = k + 1 } k"),
        c("var k = 0; for (var ch : 'abc'.toCharArray()) { k = k + 1 } k"),
        c("var t = 0; for (var i : 0..4-1) { t = t + i } t"),
        c("var i = 0; while (i < 5) { i = i + 1 } i"),
        c(
            "var i = 0; var odd = 0; while (true) { i = i + 1; if (i > 9) { break; } "
            "if (i % 2 == 0) { continue; } odd = odd + i } odd"
        ),
        c(
            "var p = 0; for (var a : [1, 2, 3]) { for (var b : [1, 2, 3]) "
            "{ if (b > a) { break } p = p + 1 } } p"
        ),
        c(
            "var g = function(n) { if (n > 90) { 'A' } else if (n > 50) { 'B' } else { 'C' } }; "
            "[g(95), g(60), g(1)]"
        ),
        c("break;"),
        c("var x = 1; { x = 2; x }"),
        c("var t = 0; for (var x : xs) { t = t + x } t", xs=[1, 2, 3]),
        d(
            "var t = 0; var x = 9; for (x : [4, 5]) { t = t + x } [t, x, ...]",
            LIST(I(18), I(9)),
            LIST(I(9), I(5)),
            "a JEXL 3.1 defect, not in the digest: a loop variable without `var` that names a "
            "local sets a context variable while the body reads the local",
        ),
        d("var i = 0; do { i = i + 1 } while (i < 3); i", PARSE, I(3), "do/while is 3.2+"),
        d(
            "var t = 0; for (var i = 0; i < 4; i++) { t = t + i } t",
            PARSE,
            I(6),
            "C-style for is 3.3+",
        ),
        d("try { throw 'b' } catch (e) { e.value }", PARSE, S("b"), "try/catch is 3.4+"),
        d(
            "var a = 1;\ntry {\n  var z = a / 0;\n} catch (e) { [e.info.line, ...] }",
            PARSE,
            LIST(I(3)),
            "try/catch is 3.4+; e.info.line is the failing line",
        ),
        d(
            "switch (2) { case 1 -> 'a'; case 2, 3 -> 'b'; default -> 'c' }",
            PARSE,
            S("b"),
            "switch is 3.6+",
        ),
        d(
            "var l = [1, 2, ...]; for (var x : l) { l.add(x) }",
            ERR,
            ERR,
            "3.1: ConcurrentModificationException escapes without a line",
        ),
    ],
    "host variables": [
        c("x", x=_long(5)),
        c("x + x", x=_long(2**40)),
        c("x * 2", x=Decimal("1.25")),
        c("x / 3", x=Decimal("1")),
        c("x + 0.5", x=2.25),
        c("x == 1.0", x=1),
        c("x.size() + x.get(0)", x=[5, 6]),
        c("x[1] = 'b'; x", x=["a", "z"]),
        c("x.add(3); x", x=[1, 2]),
        c("x.k2 ?: 'none'", x={"k1": 1}),
        c("x['k1'] + x.size()", x={"k1": 1}),
        c("x.put('k', 1); x", x={}),
        c("var t = 0; for (var v : x) { t = t + v } t", x={"a": 1, "b": 2}),
        c("x.contains(2)", x=_jset([1, 2])),
        c("x.toUpperCase() + x.length()", x="héllo"),
        c("empty(x) ? 'e' : 'n'", x=""),
        c("size(x)", x=[1, 2, 3]),
        c("x =~ [1, 2]", x=2),
        c("x == null", x=None),
        c("x + 1", x=None),
        d("x = 3", I(3), ERR, "§0 item 2: the host's variables cannot be reassigned", x=1),
    ],
    "10 errors and their lines": [
        c("var a = 1;\nvar b = 2;\nvar c = a / 0;"),
        c("var a = 1;\n\nnosuch + a"),
        c("var a = 1;\nvar = 2;"),
        c("var a = 'x';\nvar b = a.substring(9);"),
        c("var l = [1, ...];\nl.get(3)"),
        c("var f = function(x) {\n  x / 0\n};\nf(1)"),
        c("var n = null;\nif (n) {\n  1\n}"),
        c("var a = 1;\nvar b = [1, 2, ...];\nb[7]"),
        c("var s = 'abc\n';"),
        c("var a = 1;\nparseJson(a)"),
        c("var x = 1;\nvar y = (x + ;"),
        c("var x = {'a': 1};\nvar y = x.a.b.c + 1;"),
    ],
    "8 pragmas and annotations": [
        c("#pragma x 1\n1 + 2"),
        d(
            "new('java.util.ArrayList')",
            JValue("ArrayList", "list", ()),
            ERR,
            "§0 item 4: the sandbox refuses new(...)",
        ),
        d("@silent 1 + 2", I(3), ERR, "§0 item 4: annotations are refused"),
        d("#pragma a.b 1\n1 + 2", PARSE, I(3), "§8: 3.1 cannot parse dotted pragma keys"),
    ],
}


def all_cases() -> list[tuple[str, Case]]:
    """Every case with its section name, in table order."""
    return [(section, case) for section, cases in CASES.items() for case in cases]


def counts() -> dict[str, tuple[int, int]]:
    """Per section: (cases, of which section 9 / section 0 overrides)."""
    return {
        section: (len(cases), sum(1 for case in cases if case.ours is not None))
        for section, cases in CASES.items()
    }
