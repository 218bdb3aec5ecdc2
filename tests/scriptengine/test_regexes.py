"""Java-flavoured regexes: translation, Java split/replace rules, timeouts, bad patterns."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scriptengine import regexes
from scriptengine.errors import EvalError, LimitExceeded
from scriptengine.thread import Limits, Thread
from tests.oracle.oracle import Oracle, jexl_oracle  # noqa: F401 - the fixture


def test_posix_classes_are_ascii_like_java() -> None:
    assert regexes.fullmatch(r"\p{Alpha}+", "abcXYZ")
    assert not regexes.fullmatch(r"\p{Alpha}+", "é")  # Java's POSIX classes are US-ASCII
    assert regexes.fullmatch(r"[\p{Digit}_]+", "12_3")
    assert regexes.fullmatch(r"\P{Digit}+", "ab")
    assert not regexes.fullmatch(r"\P{Digit}+", "a1")
    assert regexes.fullmatch(r"\p{IsAlpha}\p{Punct}", "a!")
    assert regexes.fullmatch(r"\p{Lu}\p{L}*", "Émile")  # Unicode categories pass through


def test_quoting_and_java_only_escapes() -> None:
    assert regexes.fullmatch(r"\Qa.b*\E", "a.b*")
    assert not regexes.fullmatch(r"\Qa.b\E", "axb")
    assert regexes.fullmatch(r"a\z", "a")
    assert regexes.fullmatch(r"a\h+b", "a \tb")
    assert regexes.fullmatch(r"a\Rb", "a\r\nb")
    assert regexes.fullmatch(r"\e", "\x1b")
    assert regexes.fullmatch(r"(?<x>a)\k<x>", "aa")
    assert regexes.fullmatch(regexes.quote("a.$\\E*"), "a.$\\E*")


def test_predefined_classes_and_case_folding_are_ascii_like_java() -> None:
    assert not regexes.fullmatch(r"\w", "é")  # Java: \w is [a-zA-Z_0-9]
    assert regexes.fullmatch(r"\W", "é")
    assert not regexes.fullmatch(r"\d", "٣")  # an Arabic-Indic digit
    assert regexes.fullmatch(r"[\w-]+", "a-b_1")
    assert not regexes.fullmatch("(?i)É", "é")  # (?i) folds ASCII only
    assert regexes.fullmatch("(?iu)É", "é")  # unless (?u) asks for Unicode case
    assert regexes.fullmatch("(?i)abc", "ABC")


def test_repeated_group_names_are_refused_as_in_java() -> None:
    with pytest.raises(EvalError, match="<n> is already defined"):
        regexes.java_regex("(?<n>a)(?<n>b)")


def test_find_after_an_empty_match_moves_on_as_java_does() -> None:
    # Python's finditer would also find 'a' at 0 after the empty match there
    assert [m.span() for m in regexes.finditer_list("|a", "a")] == [(0, 0), (1, 1)]
    assert regexes.split("|a", "a") == ["a"]
    assert regexes.replace("a*", "baaac", "-") == "-b--c-"  # checked on Java 17


def test_possessive_atomic_and_intersections() -> None:
    assert not regexes.fullmatch("a*+a", "aaa")  # possessive: never gives back
    assert not regexes.fullmatch("(?>a*)a", "aaa")
    assert regexes.fullmatch("[a-z&&[^aeiou]]+", "bcd")
    assert not regexes.fullmatch("[a-z&&[^aeiou]]+", "bad")
    assert regexes.fullmatch("[a-c[x-z]]+", "axbz")  # nested class = union


def test_fullmatch_is_whole_string() -> None:
    assert not regexes.fullmatch("b", "abc")
    assert regexes.fullmatch("a.c", "abc")
    assert regexes.search("b", "abc") is not None


@pytest.mark.parametrize(
    ("text", "pattern", "limit", "expected"),
    [
        ("a.b.c", ".", 0, []),
        ("a,b,,", ",", 0, ["a", "b"]),
        ("a,b,,", ",", -1, ["a", "b", "", ""]),
        ("a,b,c", ",", 2, ["a", "b,c"]),
        ("", ",", 0, [""]),
        ("abc", "", 0, ["a", "b", "c"]),
        (",a", ",", 0, ["", "a"]),
        (" a b ", " ", 0, ["", "a", "b"]),
        ("a1b2c3", r"\d", 0, ["a", "b", "c"]),
        ("abc", "x", 0, ["abc"]),
    ],
)
def test_split_follows_java(text: str, pattern: str, limit: int, expected: list[str]) -> None:
    assert regexes.split(pattern, text, limit) == expected


@given(st.lists(st.text(alphabet="ab;", max_size=5), max_size=6))
def test_split_with_negative_limit_inverts_join(parts: list[str]) -> None:
    text = "|".join(parts)
    if not parts:
        return
    assert regexes.split(r"\|", text, -1) == (parts if text else [""])


@given(st.text(alphabet="ab,", max_size=12))
def test_split_zero_limit_never_ends_with_empty(text: str) -> None:
    result = regexes.split(",", text)
    if text:
        assert not result or result[-1] != ""
        assert ",".join(result) == text.rstrip(",")


def test_replace_uses_java_replacement_syntax() -> None:
    assert regexes.replace("(b)", "abc", "[$1]") == "a[b]c"
    assert regexes.replace("x", "x", "\\$1") == "$1"
    assert regexes.replace("(?<n>b)", "abc", "<${n}>") == "a<b>c"
    assert regexes.replace("a", "aaa", "b", count=1) == "baa"
    assert regexes.replace("(a)", "a", "$10") == "a0"  # group 10 does not exist: $1 then '0'


@pytest.mark.parametrize(
    ("replacement", "message"),
    [("$2", "no group 2"), ("$x", "illegal group reference"), ("x\\", "lone backslash")],
)
def test_bad_replacement_is_an_error(replacement: str, message: str) -> None:
    with pytest.raises(EvalError, match=message):
        regexes.replace("a", "abc", replacement)


def test_invalid_pattern_is_an_eval_error() -> None:
    with pytest.raises(EvalError, match="invalid regular expression '\\(a'"):
        regexes.java_regex("(a")


def test_compiled_patterns_are_cached() -> None:
    assert regexes.java_regex("a+b") is regexes.java_regex("a+b")


def test_catastrophic_pattern_stops_with_the_regex_limit() -> None:
    thread = Thread(limits=Limits(seconds=30))
    with pytest.raises(LimitExceeded) as info:
        regexes.fullmatch("(a|aa)+$", "a" * 60 + "!", thread)
    assert info.value.limit == "regex"
    assert "took too long" in info.value.message


def test_timeout_never_exceeds_the_run_s_remaining_time() -> None:
    thread = Thread(limits=Limits(seconds=0.2))
    assert regexes.timeout_for(thread) <= 0.2
    assert regexes.timeout_for(None) == regexes.DEFAULT_TIMEOUT
    assert regexes.timeout_for(Thread(limits=Limits(seconds=None))) == regexes.DEFAULT_TIMEOUT


def test_matching_charges_the_input_length() -> None:
    thread = Thread(limits=Limits(steps=1000))
    with pytest.raises(LimitExceeded) as info:
        regexes.split(",", "a," * 5000, 0, thread)
    assert info.value.limit == "steps"


def test_split_result_is_held_to_the_items_limit() -> None:
    thread = Thread(limits=Limits(items=10))
    with pytest.raises(LimitExceeded) as info:
        regexes.split(",", "a," * 50, 0, thread)
    assert info.value.limit == "items"


def test_replace_result_is_held_to_the_string_limit() -> None:
    thread = Thread(limits=Limits(string_length=100))
    with pytest.raises(LimitExceeded) as info:
        regexes.replace("a", "a" * 50, "bbb", 0, thread)
    assert info.value.limit == "string_length"


# --- against java.util.regex, through JEXL 3.1 ------------------------------------------------

_TOKENS = ["a", "b", ",", ".", "|", r"\d", "[ab]", "[^a]", "a*", "b+", "(a)", "(?:ab)", "^", "$"]
_TOKENS += [r"\s", "?", "x{2}", r"\p{Alpha}", r"\Q.\E", "a*+", "(?i)B", "[a-c&&[^b]]"]
_TOKENS += [r"\w", r"\h", r"\z", r"\Z", r"\R", "(?<n>a)\\k<n>", "[a[x]]", r"\p{Lower}", "(?i)É"]


@pytest.mark.oracle
@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=4).map("".join),
    st.text(alphabet="ab,. 1|xBé\n\t", max_size=10),
    st.sampled_from([0, -1, 2]),
)
def test_split_replace_matches_agree_with_java(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
    pattern: str,
    text: str,
    limit: int,
) -> None:
    variables = {"s": text, "p": pattern, "n": limit}
    for script, ours in (
        ("s.split(p, n)", lambda: regexes.split(pattern, text, limit)),
        ("s.replaceAll(p, '<$0>')", lambda: regexes.replace(pattern, text, "<$0>")),
        ("s.replaceFirst(p, '-')", lambda: regexes.replace(pattern, text, "-", 1)),
        ("s.matches(p)", lambda: regexes.fullmatch(pattern, text)),
    ):
        theirs = jexl_oracle.eval(script, variables)
        try:
            mine = ours()
        except EvalError:
            assert not theirs.ok, (script, pattern, text, theirs.show())
            continue
        assert theirs.ok, (script, pattern, text, theirs.show())
        assert theirs.value is not None
        got = theirs.value.value
        if isinstance(mine, list):
            assert [v.value for v in got] == mine, (script, pattern, text)
        else:
            assert got == mine, (script, pattern, text)


def test_a_match_cut_by_the_run_s_time_names_the_time_limit() -> None:
    thread = Thread(limits=Limits(seconds=0.3))
    with pytest.raises(LimitExceeded) as info:
        regexes.fullmatch("(a|aa)+$", "a" * 60 + "!", thread)
    assert info.value.limit == "seconds"


def test_matches_stop_piling_up_at_the_items_limit() -> None:
    thread = Thread(limits=Limits(items=10_000, steps=None))
    with pytest.raises(LimitExceeded) as info:
        regexes.split("", "a" * 200_000, 0, thread)
    assert info.value.limit == "items"


def test_a_growing_replacement_stops_at_the_string_limit_early() -> None:
    thread = Thread(limits=Limits(string_length=50_000, steps=None))
    with pytest.raises(LimitExceeded) as info:
        regexes.replace("a", "a" * 40_000, "bbbbbbbbbb", 0, thread)
    assert info.value.limit == "string_length"
