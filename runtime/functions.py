"""The store-free library functions of handler scripts: ``now``, ``today``, ``formatDate``,
``parseDate``, ``parseJson`` and ``parseXml`` (docs/functions.md).

Register them with ``library_functions(zone)``; ``zone`` is the configured time zone
(``mailwright.toml``'s ``time.zone``, see ``runtime.dates.resolve_zone``), the machine's
when None.

``parseJson`` maps JSON onto the language's values: objects become maps (HashMap, keys in
document order), arrays lists (ArrayList), integers Integer, Long or BigInteger by size, and
numbers with a fraction or an exponent BigDecimal — exact, as written (``0.10`` stays
``0.10``), so amounts go into decimal fields without rounding (Jackson's
``USE_BIG_DECIMAL_FOR_FLOATS``; JEXL's own ``1.5`` literal is a Double, but both compare and
compute together). ``true``/``false``/``null`` are Boolean and null. A duplicated key keeps
its last value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from scriptengine.errors import EvalError
from scriptengine.host import HostFunction, TypeInfo
from scriptengine.thread import Thread
from scriptengine.values import (
    INT_MAX,
    INT_MIN,
    LONG_MAX,
    LONG_MIN,
    BigInteger,
    Long,
    java_class_name,
)

from .dates import (
    DAY_OF_WEEK_TYPE,
    LOCAL_DATE_TYPE,
    MONTH_TYPE,
    ZONED_DATE_TIME_TYPE,
    LocalDate,
    ZonedDateTime,
    format_date,
    iso_parse,
    machine_zone,
    parse_date,
)
from .xmlvalues import XmlElement, parse_xml

#: returns the current instant as an aware datetime (tests pass a fixed one)
Clock = Callable[[], dt.datetime]


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- JSON -----------------------------------------------------------------------------------


def _json_int(text: str) -> Any:
    if len(text) > 4000:
        # Python refuses to convert more than 4300 digits (a guard against slow parsing)
        raise ValueError(f"a whole number of {len(text.lstrip('-'))} digits is too long")
    value = int(text)
    if INT_MIN <= value <= INT_MAX:
        return value
    if LONG_MIN <= value <= LONG_MAX:
        return Long(value)
    return BigInteger(value)


def _json_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (RFC 8259) does not
    raise ValueError(f"{name} is not JSON")


def _count(value: Any, thread: Thread) -> None:
    """Charge the run for every value of a parsed document and check collection sizes."""
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is list:
            thread.check_items(len(v))
            thread.charge(len(v))
            stack.extend(v)
        elif type(v) is dict:
            thread.check_items(len(v))
            thread.charge(len(v))
            stack.extend(v.values())


def parse_json(text: Any, thread: Thread | None = None) -> Any:
    """Return the value of a JSON document (see the module docstring for the mapping).

    Errors name the line and column (1-based, in characters) and what was wrong there."""
    if not isinstance(text, str):
        raise EvalError(f"parseJson expects a String, got {java_class_name(text)}")
    if thread is not None:
        thread.charge(len(text) // 64 + 1)
    try:
        value = json.loads(
            text.lstrip("\ufeff"),
            parse_int=_json_int,
            parse_float=Decimal,
            parse_constant=_json_constant,
        )
    except json.JSONDecodeError as err:
        what = err.msg[:1].lower() + err.msg[1:]
        raise EvalError(f"invalid JSON at line {err.lineno}, column {err.colno}: {what}") from None
    except ValueError as err:
        # _json_constant and _json_int: NaN, Infinity, an integer too long to convert
        raise EvalError(f"invalid JSON: {err}") from None
    except RecursionError:
        raise EvalError("invalid JSON: nested too deeply") from None
    if thread is not None:
        _count(value, thread)
        thread.alloc(len(text) * 2)
    return value


# --- the functions --------------------------------------------------------------------------


def library_types() -> list[TypeInfo]:
    """The host types the library functions return (for ``check``'s member warnings):
    LocalDate, ZonedDateTime, DayOfWeek, Month and XmlElement."""
    return [
        LOCAL_DATE_TYPE,
        ZONED_DATE_TIME_TYPE,
        DAY_OF_WEEK_TYPE,
        MONTH_TYPE,
        XmlElement.jexl_type,
    ]


def library_functions(
    zone: dt.tzinfo | None = None, clock: Clock | None = None
) -> list[HostFunction]:
    """Return the host functions ``now``, ``today``, ``formatDate``, ``parseDate``,
    ``parseJson`` and ``parseXml``.

    ``zone``: the time zone scripts see dates in (the machine's when None, looked up once
    here). ``clock``: the current instant (``datetime.now(UTC)`` when None), for tests.
    """
    tz = zone if zone is not None else machine_zone()
    tick = clock or _system_clock

    def now() -> ZonedDateTime:
        # Java's clock gives milliseconds on most systems; microseconds would only show
        # in toString and break equality with parsed values
        instant = tick().astimezone(tz)
        return ZonedDateTime(instant.replace(microsecond=instant.microsecond // 1000 * 1000))

    def today() -> LocalDate:
        return LocalDate(tick().astimezone(tz).date())

    def format_date_fn(thread: Thread, value: Any, pattern: Any, locale: Any = None) -> str:
        thread.charge(1)
        if value is None:
            raise EvalError("formatDate expects a date, got null")
        return format_date(value, pattern, locale)

    def parse_date_fn(thread: Thread, text: Any, pattern: Any = None, locale: Any = None) -> Any:
        thread.charge(1)
        if pattern is None:
            return iso_parse(text, tz)
        return parse_date(text, pattern, tz, locale)

    def parse_json_fn(thread: Thread, text: Any) -> Any:
        return parse_json(text, thread)

    def parse_xml_fn(thread: Thread, text: Any) -> XmlElement:
        return parse_xml(text, thread)

    return [
        HostFunction(
            "now",
            now,
            0,
            0,
            returns="ZonedDateTime",
            doc="now(): the current date and time in the configured time zone",
        ),
        HostFunction(
            "today",
            today,
            0,
            0,
            returns="LocalDate",
            doc="today(): the current day in the configured time zone",
        ),
        HostFunction(
            "formatDate",
            format_date_fn,
            2,
            3,
            returns="String",
            takes_thread=True,
            doc="formatDate(date, pattern, locale): the date written with a Java pattern "
            "(dd.MM.yyyy); month and day names in English, or Czech with locale 'cs'",
        ),
        HostFunction(
            "parseDate",
            parse_date_fn,
            1,
            3,
            returns=None,
            takes_thread=True,
            doc="parseDate(text, pattern, locale): a LocalDate, or a ZonedDateTime when the "
            "pattern has a time; without a pattern, ISO 8601",
        ),
        HostFunction(
            "parseJson",
            parse_json_fn,
            1,
            1,
            returns=None,
            takes_thread=True,
            doc="parseJson(text): maps, lists, numbers, Strings, Booleans and null",
        ),
        HostFunction(
            "parseXml",
            parse_xml_fn,
            1,
            1,
            returns="XmlElement",
            takes_thread=True,
            doc="parseXml(text): the root element, navigable with get(path), getAll(path)",
        ),
    ]
