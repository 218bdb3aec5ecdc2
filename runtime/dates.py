"""Dates as handler scripts see them: ``LocalDate`` and ``ZonedDateTime`` host values with a
small Java face, and Java date patterns (``dd.MM.yyyy HH:mm``) for formatting and parsing.

A ``LocalDate`` is a calendar day (``today()``, ``parseDate('5.3.2026', 'd.M.yyyy')``); a
``ZonedDateTime`` is an instant seen in a time zone (``now()``, ``entity.sentDate``). Both
compare with ``<``, ``>``, ``==`` against their own kind (the engine orders host values of
one Python type by ``<``), and show as ISO 8601 (``2026-03-05``,
``2026-03-05T14:30:00+01:00``) in strings and in JSON.

Differences from Java, on purpose:

- ``ZonedDateTime.toString()`` is ISO 8601 with the offset and without Java's ``[Zone]``
  suffix; the fraction of a second shows only when it is not zero (milliseconds).
- ``==`` and ``equals`` on two ZonedDateTimes compare the instants (Java's ``equals`` also
  compares the zones, ``isEqual`` the instants).
- Parsing is strict (day 31 of April is an error, not April 30 as Java's default resolver
  makes it), month and day names are matched ignoring case (either Czech form of a month
  for ``MMMM`` and ``LLLL``), and the input's surrounding whitespace is ignored.
- Text is English unless a locale is given (``'cs'``: Java 17's Czech words); Java would
  use the JVM's default locale. Zone names (``z``) are always English.
- ``until(other, unit)`` takes the unit as a String (``'DAYS'``), since scripts cannot
  reach ``ChronoUnit``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from scriptengine.errors import EvalError
from scriptengine.host import HostObject, MethodInfo, PropertyInfo, TypeInfo
from scriptengine.values import Long, java_class_name

# --- time zones ----------------------------------------------------------------------------


def machine_zone() -> dt.tzinfo:
    """Return the machine's time zone: ``$TZ``, else the zone ``/etc/localtime`` links to,
    else ``/etc/timezone``, else the current fixed offset (which then ignores DST)."""
    candidates: list[str] = []
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        candidates.append(tz)
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as f:
            candidates.append(f.read().strip())
    except OSError:
        pass
    for name in candidates:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    local = dt.datetime.now().astimezone().tzinfo
    return local if local is not None else dt.UTC


def resolve_zone(name: str | None) -> dt.tzinfo:
    """Return the zone named ``name`` (an IANA name such as ``Europe/Prague``, or ``UTC``);
    the machine's zone when ``name`` is None. Raises ``ValueError`` for an unknown name."""
    if name is None:
        return machine_zone()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (like Europe/Prague)") from None


def zone_id(zone: dt.tzinfo | None) -> str:
    """The Java ``ZoneId`` string of a zone: the IANA key, or the offset (``+01:00``, ``Z``)."""
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    if zone is None:
        return "Z"
    offset = zone.utcoffset(None)
    return "Z" if not offset else _offset_text(offset, colon=True, zero="Z")


# --- enum constants (DayOfWeek, Month) --------------------------------------------------------

#: Java's enum constants (DayOfWeek.MONDAY, Month.JANUARY)
_DAY_NAMES = tuple("MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY".split())
_MONTH_NAMES = tuple(
    "JANUARY FEBRUARY MARCH APRIL MAY JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER".split()
)

_ENUM_METHODS = {
    "getValue": MethodInfo("getValue", 0, 0, "Integer", "the number, 1-based (MONDAY is 1)"),
    "ordinal": MethodInfo("ordinal", 0, 0, "Integer", "the position, 0-based"),
    "name": MethodInfo("name", 0, 0, "String", "the constant's name"),
}


class JavaEnum(HostObject):
    """A constant of ``java.time.DayOfWeek`` or ``java.time.Month``: equal to the String of
    its name (``d.getDayOfWeek() == 'MONDAY'``), ``getValue()`` is 1-based."""

    def __init__(self, info: TypeInfo, name: str, value: int) -> None:
        self._info = info
        self.name = name
        self.value = value

    def jexl_type_info(self) -> TypeInfo:
        return self._info

    def jexl_get(self, name: str) -> Any:
        return self.value  # the only property: value, as getValue()

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        if name == "getValue":
            return self.value
        if name == "ordinal":
            return self.value - 1
        return self.name

    def jexl_string(self) -> str:
        return self.name

    def to_json(self) -> str:
        """JSON shows enums as their name."""
        return self.name

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JavaEnum)
            and other._info.name == self._info.name
            and other.value == self.value
        )

    def __hash__(self) -> int:
        return hash((self._info.name, self.value))


_ENUM_PROPERTIES = {"value": PropertyInfo("value", "Integer", doc="getValue()")}
DAY_OF_WEEK_TYPE = TypeInfo(
    "DayOfWeek", properties=_ENUM_PROPERTIES, methods=_ENUM_METHODS, enum_like=True
)
MONTH_TYPE = TypeInfo("Month", properties=_ENUM_PROPERTIES, methods=_ENUM_METHODS, enum_like=True)


def day_of_week(d: dt.date) -> JavaEnum:
    """The ``DayOfWeek`` constant of a day."""
    return JavaEnum(DAY_OF_WEEK_TYPE, _DAY_NAMES[d.weekday()], d.weekday() + 1)


def month_of(d: dt.date) -> JavaEnum:
    """The ``Month`` constant of a day."""
    return JavaEnum(MONTH_TYPE, _MONTH_NAMES[d.month - 1], d.month)


# --- the date values ------------------------------------------------------------------------

_UNITS = ("YEARS", "MONTHS", "WEEKS", "DAYS", "HOURS", "MINUTES", "SECONDS")


def _m(name: str, lo: int, hi: int | None, returns: str | None, doc: str) -> MethodInfo:
    return MethodInfo(name, lo, hi, returns, doc)


_COMMON_METHODS = {
    m.name: m
    for m in (
        _m("getYear", 0, 0, "Integer", "the year (2026)"),
        _m("getMonthValue", 0, 0, "Integer", "the month, 1 to 12"),
        _m("getMonth", 0, 0, "Month", "the month as an enum (== 'MARCH')"),
        _m("getDayOfMonth", 0, 0, "Integer", "the day of the month, 1 to 31"),
        _m("getDayOfYear", 0, 0, "Integer", "the day of the year, 1 to 366"),
        _m("getDayOfWeek", 0, 0, "DayOfWeek", "the day of the week as an enum (== 'MONDAY')"),
        _m("lengthOfMonth", 0, 0, "Integer", "the number of days of this month"),
        _m("isLeapYear", 0, 0, "Boolean", "true in a leap year"),
        _m("plusDays", 1, 1, None, "n days later (n may be negative)"),
        _m("minusDays", 1, 1, None, "n days earlier"),
        _m("plusWeeks", 1, 1, None, "n weeks later"),
        _m("minusWeeks", 1, 1, None, "n weeks earlier"),
        _m("plusMonths", 1, 1, None, "n months later, clamped to the month's last day"),
        _m("minusMonths", 1, 1, None, "n months earlier, clamped to the month's last day"),
        _m("plusYears", 1, 1, None, "n years later (Feb 29 becomes Feb 28)"),
        _m("minusYears", 1, 1, None, "n years earlier"),
        _m("withDayOfMonth", 1, 1, None, "the same month on another day"),
        _m("isBefore", 1, 1, "Boolean", "true when strictly earlier"),
        _m("isAfter", 1, 1, "Boolean", "true when strictly later"),
        _m("isEqual", 1, 1, "Boolean", "true when the same day (instant)"),
        _m("equals", 1, 1, "Boolean", "true for an equal value of the same kind"),
        _m("compareTo", 1, 1, "Integer", "negative, zero or positive"),
        _m("until", 2, 2, "Long", "whole units ('DAYS', 'MONTHS', ...) until another value"),
        _m("format", 1, 2, "String", "formatted with a Java date pattern (and locale 'cs')"),
        _m("toString", 0, 0, "String", "ISO 8601"),
    )
}

_TIME_METHODS = {
    m.name: m
    for m in (
        _m("getHour", 0, 0, "Integer", "the hour, 0 to 23"),
        _m("getMinute", 0, 0, "Integer", "the minute, 0 to 59"),
        _m("getSecond", 0, 0, "Integer", "the second, 0 to 59"),
        _m("getNano", 0, 0, "Integer", "the nanosecond of the second"),
        _m("plusHours", 1, 1, "ZonedDateTime", "n hours later"),
        _m("minusHours", 1, 1, "ZonedDateTime", "n hours earlier"),
        _m("plusMinutes", 1, 1, "ZonedDateTime", "n minutes later"),
        _m("minusMinutes", 1, 1, "ZonedDateTime", "n minutes earlier"),
        _m("plusSeconds", 1, 1, "ZonedDateTime", "n seconds later"),
        _m("minusSeconds", 1, 1, "ZonedDateTime", "n seconds earlier"),
        _m("toLocalDate", 0, 0, "LocalDate", "the calendar day in this value's zone"),
        _m("toEpochSecond", 0, 0, "Long", "seconds since 1970-01-01T00:00Z"),
        _m("getZone", 0, 0, "String", "the zone id (Europe/Prague)"),
        _m("withZoneSameInstant", 1, 1, "ZonedDateTime", "the same instant in another zone"),
    )
}


def _bean_properties(methods: dict[str, MethodInfo]) -> dict[str, PropertyInfo]:
    """JEXL reads ``d.year`` through ``getYear()``: the getters, declared as properties too
    so that ``check`` knows them (read-only)."""
    props = {}
    for name, m in methods.items():
        for prefix in ("get", "is"):
            if name.startswith(prefix) and name[len(prefix) :][:1].isupper() and m.max_args == 0:
                bean = name[len(prefix)].lower() + name[len(prefix) + 1 :]
                props[bean] = PropertyInfo(bean, m.returns, doc=m.doc)
    return props


def _date_type(name: str, methods: dict[str, MethodInfo], doc: str) -> TypeInfo:
    # methods declared without a result type give a value of the type itself (plusDays)
    typed = {k: (m if m.returns else _m(k, 1, 1, name, m.doc)) for k, m in methods.items()}
    return TypeInfo(name, properties=_bean_properties(typed), methods=typed, doc=doc)


LOCAL_DATE_TYPE = _date_type("LocalDate", _COMMON_METHODS, "a calendar day (java.time.LocalDate)")
ZONED_DATE_TIME_TYPE = _date_type(
    "ZonedDateTime",
    {**_COMMON_METHODS, **_TIME_METHODS},
    "an instant in a time zone (java.time.ZonedDateTime)",
)


def _int_arg(method: str, value: Any) -> int:
    """An integral argument (Integer, Long, BigInteger); anything else is an error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise EvalError(f"{method} expects a whole number, got {java_class_name(value)}")


def _add_months(d: dt.date, months: int) -> dt.date:
    """Java's ``plusMonths``: the same day, clamped to the last day of the target month."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise EvalError("date out of range (years 1 to 9999)")
    last = _month_length(year, month + 1)
    return d.replace(year=year, month=month + 1, day=min(d.day, last))


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (dt.date(year, month + 1, 1) - dt.date(year, month, 1)).days


def _shift(value: Any, **delta: int) -> Any:
    """``value`` moved by a timedelta of ``delta``; out of the years 1-9999 is an error."""
    try:
        return value + dt.timedelta(**delta)
    except OverflowError:
        raise EvalError("date out of range (years 1 to 9999)") from None


class _DateValue(HostObject):
    """What LocalDate and ZonedDateTime share: the calendar part of the Java face."""

    value: Any

    def _date(self) -> dt.date:
        raise NotImplementedError

    def _with(self, value: Any) -> _DateValue:
        raise NotImplementedError

    def _same_kind(self, method: str, other: Any) -> _DateValue:
        if type(other) is not type(self):
            kind = self.jexl_type_info().name
            raise EvalError(f"{method} expects a {kind}, got {java_class_name(other)}")
        assert isinstance(other, _DateValue)
        return other

    def _key(self) -> Any:
        raise NotImplementedError

    def jexl_get(self, name: str) -> Any:
        """A JavaBean property: ``year`` is ``getYear()``, ``leapYear`` is ``isLeapYear()``."""
        cap = name[:1].upper() + name[1:]
        methods = self.jexl_type_info().methods
        return self.jexl_call("get" + cap if "get" + cap in methods else "is" + cap, [])

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        d = self._date()
        if name == "getYear":
            return d.year
        if name == "getMonthValue":
            return d.month
        if name == "getMonth":
            return month_of(d)
        if name == "getDayOfMonth":
            return d.day
        if name == "getDayOfYear":
            return d.timetuple().tm_yday
        if name == "getDayOfWeek":
            return day_of_week(d)
        if name == "lengthOfMonth":
            return _month_length(d.year, d.month)
        if name == "isLeapYear":
            return _month_length(d.year, 2) == 29
        if name in ("plusDays", "minusDays", "plusWeeks", "minusWeeks"):
            n = _int_arg(name, args[0]) * (7 if "Weeks" in name else 1)
            return self._with(_shift(self.value, days=n if "plus" in name else -n))
        if name in ("plusMonths", "minusMonths", "plusYears", "minusYears"):
            n = _int_arg(name, args[0]) * (12 if "Years" in name else 1)
            moved = _add_months(d, n if "plus" in name else -n)
            return self._with(self.value.replace(year=moved.year, month=moved.month, day=moved.day))
        if name == "withDayOfMonth":
            day = _int_arg(name, args[0])
            if not 1 <= day <= _month_length(d.year, d.month):
                raise EvalError(f"day {day} is not in {d.year}-{d.month:02d}")
            return self._with(self.value.replace(day=day))
        if name in ("isBefore", "isAfter", "isEqual", "compareTo"):
            other = self._same_kind(name, args[0])
            a, b = self._key(), other._key()
            if name == "isBefore":
                return a < b
            if name == "isAfter":
                return a > b
            if name == "isEqual":
                return a == b
            return -1 if a < b else (1 if a > b else 0)
        if name == "equals":
            return self == args[0]
        if name == "until":
            return Long(self._until(self._same_kind(name, args[0]), args[1]))
        if name == "format":
            return format_date(self.value, args[0], args[1] if len(args) > 1 else None)
        if name == "toString":
            return self.jexl_string()
        raise EvalError(f"unknown method '{name}' of {self.jexl_type_info().name}")

    def _until(self, other: _DateValue, unit: Any) -> int:
        if not isinstance(unit, str) or unit.upper() not in _UNITS:
            raise EvalError(f"until expects a unit among {', '.join(_UNITS)}")
        unit = unit.upper()
        if unit in ("YEARS", "MONTHS"):
            a, b = self._date(), other._date()
            months = (b.year - a.year) * 12 + b.month - a.month
            # a month counts only once its day (and time) is reached, as in Java
            if months > 0 and (b.day, _time_key(other)) < (a.day, _time_key(self)):
                months -= 1
            elif months < 0 and (b.day, _time_key(other)) > (a.day, _time_key(self)):
                months += 1
            return int(months / 12) if unit == "YEARS" else months
        seconds = other._seconds() - self._seconds()
        size = {"WEEKS": 7 * 86400, "DAYS": 86400, "HOURS": 3600, "MINUTES": 60, "SECONDS": 1}
        return int(seconds / size[unit])

    def _seconds(self) -> float:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _DateValue)
            and type(other) is type(self)
            and (self._key() == other._key())
        )

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _DateValue) or type(other) is not type(self):
            return NotImplemented
        return bool(self._key() < other._key())

    def __le__(self, other: object) -> bool:
        if not isinstance(other, _DateValue) or type(other) is not type(self):
            return NotImplemented
        return bool(self._key() <= other._key())

    def to_json(self) -> str:
        """JSON shows dates as ISO 8601 strings (ARCHITECTURE.md, run --json)."""
        return self.jexl_string()

    def __repr__(self) -> str:
        return f"{self.jexl_type_info().name}({self.jexl_string()})"


def _time_key(v: _DateValue) -> tuple[int, int, int, int]:
    if isinstance(v, ZonedDateTime):
        t = v.value
        return (t.hour, t.minute, t.second, t.microsecond)
    return (0, 0, 0, 0)


class LocalDate(_DateValue):
    """``java.time.LocalDate``: a day without time or zone. ``value`` is a ``datetime.date``."""

    jexl_type = LOCAL_DATE_TYPE

    def __init__(self, value: dt.date) -> None:
        if isinstance(value, dt.datetime):
            value = value.date()
        self.value = value

    def _date(self) -> dt.date:
        return self.value  # type: ignore[no-any-return]

    def _with(self, value: Any) -> LocalDate:
        return LocalDate(value)

    def _key(self) -> Any:
        return self.value

    def _seconds(self) -> float:
        return float(self.value.toordinal() * 86400)

    def jexl_string(self) -> str:
        return self.value.isoformat()  # type: ignore[no-any-return]


class ZonedDateTime(_DateValue):
    """``java.time.ZonedDateTime``: an instant seen in a zone. ``value`` is an aware
    ``datetime.datetime``; arithmetic on days and months keeps the wall-clock time (as Java
    does across a DST change), on hours and less moves the instant."""

    jexl_type = ZONED_DATE_TIME_TYPE

    def __init__(self, value: dt.datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("a ZonedDateTime needs an aware datetime")
        self.value = value

    def _date(self) -> dt.date:
        return self.value.date()  # type: ignore[no-any-return]

    def _with(self, value: Any) -> ZonedDateTime:
        # wall-clock arithmetic, then the offset valid at the new local time (Java's
        # ZonedDateTime.plusDays: "operates on the local time-line")
        return ZonedDateTime(_localize(value.replace(tzinfo=None), value.tzinfo))

    def _key(self) -> Any:
        return self.value.astimezone(dt.UTC)

    def _seconds(self) -> float:
        return self.value.timestamp()  # type: ignore[no-any-return]

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        v: dt.datetime = self.value
        if name == "getHour":
            return v.hour
        if name == "getMinute":
            return v.minute
        if name == "getSecond":
            return v.second
        if name == "getNano":
            return v.microsecond * 1000
        if name[:4] in ("plus", "minu") and name.endswith(("Hours", "Minutes", "Seconds")):
            n = _int_arg(name, args[0]) * (-1 if name.startswith("minus") else 1)
            unit = name.removeprefix("plus").removeprefix("minus").lower()
            # hours and less move the instant (Java: via the instant, so a DST gap is crossed)
            moved = _shift(v.astimezone(dt.UTC), **{unit: n})
            return ZonedDateTime(moved.astimezone(v.tzinfo))
        if name == "toLocalDate":
            return LocalDate(v.date())
        if name == "toEpochSecond":
            return Long(int(v.timestamp() // 1))
        if name == "getZone":
            return zone_id(v.tzinfo)
        if name == "withZoneSameInstant":
            zone = args[0]
            if not isinstance(zone, str):
                raise EvalError(
                    f"withZoneSameInstant expects a zone name, got {java_class_name(zone)}"
                )
            try:
                tz = resolve_zone(zone)
            except ValueError as err:
                raise EvalError(str(err)) from None
            return ZonedDateTime(v.astimezone(tz))
        return super().jexl_call(name, args)

    def jexl_string(self) -> str:
        return iso_datetime(self.value)


def iso_datetime(value: dt.datetime) -> str:
    """ISO 8601 with the offset: ``2026-03-05T14:30:00+01:00``, ``.123`` milliseconds only
    when not zero, ``Z`` for UTC itself."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    offset = value.utcoffset()
    return text + _offset_text(offset or dt.timedelta(), colon=True, zero="Z")


def wrap_date(value: Any, zone: dt.tzinfo | None = None) -> Any:
    """Return the script value of a Python date or datetime: ``LocalDate`` for a date, a
    ``ZonedDateTime`` in ``zone`` (the machine's when None) for a datetime — a naive one is
    taken as UTC, as the store keeps it. Other values (None, already wrapped) pass
    unchanged."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return ZonedDateTime(value.astimezone(zone or machine_zone()))
    if isinstance(value, dt.date):
        return LocalDate(value)
    return value


def unwrap_date(value: Any) -> Any:
    """The Python ``date``/aware ``datetime`` behind a script date; other values unchanged."""
    if isinstance(value, _DateValue):
        return value.value
    return value


# --- locales --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    """The words of one locale, as Java 17's CLDR data spells them."""

    months: tuple[str, ...]  # MMMM: the form used with a day ("5. března")
    standalone: tuple[str, ...]  # LLLL: the month on its own ("březen")
    months_short: tuple[str, ...]  # MMM, LLL
    months_narrow: tuple[str, ...]  # MMMMM
    days: tuple[str, ...]  # EEEE, Monday first
    days_short: tuple[str, ...]  # EEE
    days_narrow: tuple[str, ...]  # EEEEE
    ampm: tuple[str, str]
    quarters: tuple[str, ...]  # QQQQ
    eras: tuple[str, str, str]  # G, GGGG, GGGGG


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_EN_MONTHS = _words("January February March April May June July August September October")
_EN_MONTHS += ("November", "December")
_EN_DAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
_CS_MONTHS = _words("ledna února března dubna května června července srpna září října")
_CS_MONTHS += ("listopadu", "prosince")
_CS_STANDALONE = _words("leden únor březen duben květen červen červenec srpen září říjen")
_CS_STANDALONE += ("listopad", "prosinec")

#: the locales date patterns know; English is the default
LOCALES: dict[str, Texts] = {
    "en": Texts(
        months=_EN_MONTHS,
        standalone=_EN_MONTHS,
        months_short=tuple(m[:3] for m in _EN_MONTHS),
        months_narrow=tuple(m[0] for m in _EN_MONTHS),
        days=_EN_DAYS,
        days_short=tuple(d[:3] for d in _EN_DAYS),
        days_narrow=tuple(d[0] for d in _EN_DAYS),
        ampm=("AM", "PM"),
        quarters=("1st quarter", "2nd quarter", "3rd quarter", "4th quarter"),
        eras=("AD", "Anno Domini", "A"),
    ),
    "cs": Texts(
        months=_CS_MONTHS,
        standalone=_CS_STANDALONE,
        months_short=_words("led úno bře dub kvě čvn čvc srp zář říj lis pro"),
        months_narrow=tuple(str(n) for n in range(1, 13)),
        days=_words("pondělí úterý středa čtvrtek pátek sobota neděle"),
        days_short=_words("po út st čt pá so ne"),
        days_narrow=_words("P Ú S Č P S N"),
        ampm=("dop.", "odp."),
        quarters=tuple(f"{q}. čtvrtletí" for q in range(1, 5)),
        eras=("po Kr.", "n. l.", "n.l."),
    ),
}


def texts_of(locale: Any) -> Texts:
    """The texts of a locale tag (``'cs'``, ``'cs-CZ'``, ``'en_US'``; None: English);
    ``EvalError`` for one this module does not know."""
    if locale is None:
        return LOCALES["en"]
    if not isinstance(locale, str):
        raise EvalError(f"a locale is a String such as 'cs', got {java_class_name(locale)}")
    found = LOCALES.get(locale.replace("_", "-").split("-")[0].lower())
    if found is None:
        raise EvalError(f"unknown locale '{locale}' (known: {', '.join(sorted(LOCALES))})")
    return found


# --- patterns -------------------------------------------------------------------------------

#: letters of time and zone fields (a LocalDate has none of them)
_LETTERS_TIME = set("aHkKhmsSnAN")
_LETTERS_ZONE = set("VzOXxZ")
#: Java reserves every ASCII letter; those not handled here are refused, never literal
_SUPPORTED = set("GuyDMLdQqEaHkKhmsSXxZzVO")
#: the longest run of each letter Java accepts
_MAX_COUNT = dict(G=5, u=19, y=19, D=3, M=5, L=5, d=2, Q=4, q=4, E=5, a=1, H=2, k=2, K=2, h=2, m=2)
_MAX_COUNT.update(s=2, S=9, X=5, x=5, Z=5, z=3, V=2, O=4)


@dataclass(frozen=True)
class Field:
    """One run of a pattern letter: ``letter`` repeated ``count`` times."""

    letter: str
    count: int


Token = Field | str


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Token, ...]:
    """Split a Java date pattern into fields and literal text.

    ``'...'`` quotes literal text, ``''`` is one quote; every other ASCII letter is a field
    (DateTimeFormatter's rule: unknown letters are errors, not literals). Raises
    ``EvalError`` naming the pattern."""
    tokens: list[Token] = []
    i, n = 0, len(pattern)
    literal: list[str] = []
    while i < n:
        c = pattern[i]
        if c == "'":
            if pattern.startswith("''", i):
                literal.append("'")
                i += 2
                continue
            end = i + 1
            text: list[str] = []
            while True:
                if end >= n:
                    raise EvalError(f"unclosed quote in date pattern '{pattern}'")
                if pattern[end] == "'":
                    if pattern.startswith("''", end):
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            literal.extend(text)
            i = end + 1
            continue
        if ("a" <= c <= "z") or ("A" <= c <= "Z"):
            j = i
            while j < n and pattern[j] == c:
                j += 1
            count = j - i
            if c not in _SUPPORTED:
                raise EvalError(
                    f"pattern letter '{c}' is not supported in date pattern '{pattern}'"
                )
            if count > _MAX_COUNT[c] or (c == "V" and count != 2):
                raise EvalError(
                    f"too many pattern letters '{c * count}' in date pattern '{pattern}'"
                )
            if literal:
                tokens.append("".join(literal))
                literal = []
            tokens.append(Field(c, count))
            i = j
            continue
        if c in "[]{}#":
            raise EvalError(f"'{c}' is reserved in date pattern '{pattern}' (quote it: '{c}')")
        literal.append(c)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


def _offset_text(
    offset: dt.timedelta, *, colon: bool, zero: str | None = None, minutes: str = "always"
) -> str:
    """``+01:00``/``+0100``; ``zero`` replaces a zero offset; ``minutes='optional'`` drops
    zero minutes (``X``)."""
    total = int(offset.total_seconds())
    if total == 0 and zero is not None:
        return zero
    sign = "-" if total < 0 else "+"
    total = abs(total)
    hours, rest = divmod(total, 3600)
    mins, secs = divmod(rest, 60)
    sep = ":" if colon else ""
    text = f"{sign}{hours:02d}"
    if minutes == "always" or mins or secs:
        text += f"{sep}{mins:02d}"
    if secs:
        text += f"{sep}{secs:02d}"
    return text


def _pad(value: int, count: int) -> str:
    return f"{value:0{count}d}" if value >= 0 else "-" + f"{-value:0{count}d}"


def format_date(value: Any, pattern: Any, locale: Any = None) -> str:
    """Return ``value`` (a script date, or a Python date/datetime) formatted with a Java
    pattern (``dd.MM.yyyy HH:mm``). Text is in ``locale`` (``'cs'``; English when None:
    ``MMM`` is ``Mar``, ``EEEE`` is ``Thursday``). A time field on a LocalDate is an error,
    as in Java."""
    if not isinstance(pattern, str):
        raise EvalError(f"a date pattern must be a String, got {java_class_name(pattern)}")
    raw = unwrap_date(value)
    if not isinstance(raw, dt.date):
        hint = " (read it with parseDate first)" if isinstance(value, str) else ""
        raise EvalError(f"cannot format {java_class_name(value)} as a date{hint}")
    words = texts_of(locale)
    out: list[str] = []
    for tok in compile_pattern(pattern):
        if isinstance(tok, str):
            out.append(tok)
        else:
            out.append(_format_field(raw, tok, pattern, words))
    return "".join(out)


def _format_field(v: dt.date, f: Field, pattern: str, words: Texts) -> str:
    c, k = f.letter, f.count
    is_time = isinstance(v, dt.datetime)
    if not is_time and (c in _LETTERS_TIME or c in _LETTERS_ZONE):
        raise EvalError(
            f"a LocalDate has no time or zone: cannot format '{c * k}' of date pattern '{pattern}'"
        )
    if c in "uy":
        year = v.year
        return _pad(year % 100, 2) if k == 2 else _pad(year, k)
    if c in "ML":
        if k <= 2:
            return _pad(v.month, k)
        names = (words.months if c == "M" else words.standalone) if k == 4 else None
        if k == 3:
            names = words.months_short
        return (names or words.months_narrow)[v.month - 1]
    if c == "d":
        return _pad(v.day, k)
    if c == "D":
        return _pad(v.timetuple().tm_yday, k)
    if c == "E":
        days = words.days_short if k <= 3 else (words.days if k == 4 else words.days_narrow)
        return days[v.weekday()]
    if c == "G":
        return words.eras[0 if k <= 3 else (1 if k == 4 else 2)]
    if c in "Qq":
        q = (v.month - 1) // 3 + 1
        return _pad(q, k) if k <= 2 else (f"Q{q}" if k == 3 else words.quarters[q - 1])
    assert isinstance(v, dt.datetime)
    if c == "a":
        return words.ampm[0 if v.hour < 12 else 1]
    if c == "H":
        return _pad(v.hour, k)
    if c == "k":
        return _pad(v.hour or 24, k)
    if c == "K":
        return _pad(v.hour % 12, k)
    if c == "h":
        return _pad(v.hour % 12 or 12, k)
    if c == "m":
        return _pad(v.minute, k)
    if c == "s":
        return _pad(v.second, k)
    if c == "S":
        return f"{v.microsecond:06d}{'0' * 3}"[:k]
    offset = v.utcoffset() or dt.timedelta()
    if c == "X":
        return _offset_text(
            offset, colon=k in (3, 5), zero="Z", minutes="optional" if k == 1 else "always"
        )
    if c == "x":
        return _offset_text(offset, colon=k in (3, 5), minutes="optional" if k == 1 else "always")
    if c == "Z":
        if k <= 3:
            return _offset_text(offset, colon=False)
        if k == 4:
            return "GMT" + _offset_text(offset, colon=True, zero="")
        return _offset_text(offset, colon=True, zero="Z")
    if c == "O":
        if k == 1:
            text = _offset_text(offset, colon=True, zero="", minutes="optional")
            return "GMT" + (text[0] + text[1:].lstrip("0") if text else "")
        return "GMT" + _offset_text(offset, colon=True, zero="")
    if c == "z":
        return v.tzname() or zone_id(v.tzinfo)
    return zone_id(v.tzinfo)  # VV


_OFFSET_RE = r"Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?"


def _alternatives(*names: tuple[str, ...]) -> str:
    """A regex alternation of words, longest first (``červenec`` before ``červen``)."""
    words = sorted({w for group in names for w in group}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in words)


def _field_regex(f: Field, pattern: str, words: Texts) -> str:
    c, k = f.letter, f.count
    if c in "uy":
        return r"\d{2}" if k == 2 else rf"\d{{{k},9}}"
    if c in "ML":
        if k == 1:
            return r"\d{1,2}"
        if k == 2:
            return r"\d{2}"
        if k == 3:
            return _alternatives(words.months_short)
        if k == 4:
            # either form is accepted: "5. března" and "březen 2026"
            return _alternatives(words.months, words.standalone)
    if c in "dHkKhms":
        return r"\d{1,2}" if k == 1 else r"\d{2}"
    if c == "D":
        return r"\d{1,3}" if k == 1 else rf"\d{{{k},3}}"
    if c == "S":
        return rf"\d{{{k}}}"
    if c == "E":
        if k <= 3:
            return _alternatives(words.days_short)
        if k == 4:
            return _alternatives(words.days)
    if c == "a":
        return _alternatives(words.ampm)
    if c == "G" and k <= 4:
        return _alternatives(words.eras[:2])
    if c in "XxZ" and not (c == "Z" and k == 4):
        return _OFFSET_RE
    if c == "V":
        return r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*"
    raise EvalError(f"'{c * k}' cannot be parsed in date pattern '{pattern}'")


@functools.lru_cache(maxsize=256)
def _parser(pattern: str, words: Texts) -> tuple[re.Pattern[str], tuple[Field, ...]]:
    parts: list[str] = []
    fields: list[Field] = []
    for tok in compile_pattern(pattern):
        if isinstance(tok, str):
            parts.append(re.escape(tok))
        else:
            parts.append(f"({_field_regex(tok, pattern, words)})")
            fields.append(tok)
    return re.compile("".join(parts), re.IGNORECASE), tuple(fields)


def _parse_offset(text: str) -> dt.tzinfo:
    if text.upper() == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, mins, secs = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    if hours > 18 or mins > 59 or secs > 59:
        raise ValueError(f"offset {text} is out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=mins, seconds=secs))


def parse_date(
    text: Any, pattern: Any, zone: dt.tzinfo, locale: Any = None
) -> LocalDate | ZonedDateTime:
    """Parse ``text`` with a Java date pattern: a ``LocalDate`` when the pattern has no time
    fields, else a ``ZonedDateTime`` (in the offset or zone the text gives, else ``zone``).

    Strict: the whole text must match (surrounding whitespace aside) and the date must
    exist. Errors name the pattern and the input."""
    if not isinstance(text, str):
        raise EvalError(f"parseDate expects a String to parse, got {java_class_name(text)}")
    if not isinstance(pattern, str):
        raise EvalError(f"a date pattern must be a String, got {java_class_name(pattern)}")
    words = texts_of(locale)
    regex, fields = _parser(pattern, words)
    m = regex.fullmatch(text.strip())
    if m is None:
        raise EvalError(f"'{text}' does not match the date pattern '{pattern}'")
    try:
        return _resolve(fields, m.groups(), zone, words)
    except OverflowError:
        raise EvalError(f"'{text}' is out of range (years 1 to 9999)") from None
    except ValueError as err:
        raise EvalError(f"'{text}' is not a valid date for pattern '{pattern}': {err}") from None


def _resolve(
    fields: tuple[Field, ...], groups: tuple[str | Any, ...], zone: dt.tzinfo, words: Texts
) -> LocalDate | ZonedDateTime:
    got: dict[str, int] = {}
    weekday: int | None = None
    pm: bool | None = None
    tz: dt.tzinfo | None = None
    has_time = False

    def put(key: str, value: int) -> None:
        if key in got and got[key] != value:
            raise ValueError(f"conflicting values for {key}")
        got[key] = value

    for f, g in zip(fields, groups):
        c = f.letter
        if c in _LETTERS_TIME or c in _LETTERS_ZONE:
            has_time = has_time or c in _LETTERS_TIME
        if c in "uy":
            put("year", 2000 + int(g) if f.count == 2 else int(g))
        elif c in "ML":
            if f.count <= 2:
                put("month", int(g))
            else:
                put("month", _index(g, words.months, words.standalone, words.months_short) + 1)
        elif c == "d":
            put("day", int(g))
        elif c == "D":
            put("yday", int(g))
        elif c == "E":
            weekday = _index(g, words.days, words.days_short)
        elif c == "a":
            pm = _index(g, words.ampm) == 1
        elif c == "H":
            put("hour", int(g))
        elif c == "k":
            if not 1 <= int(g) <= 24:
                raise ValueError(f"hour-of-day (1-24) {g} is out of range")
            put("hour", int(g) % 24)
        elif c in "hK":
            value = int(g)
            if c == "h" and not 1 <= value <= 12:
                raise ValueError(f"clock hour {g} is out of range 1-12")
            if c == "K" and not 0 <= value <= 11:
                raise ValueError(f"hour {g} is out of range 0-11")
            put("hour12", value % 12)
        elif c == "m":
            put("minute", int(g))
        elif c == "s":
            put("second", int(g))
        elif c == "S":
            put("micro", int((g + "000000")[:6]))
        elif c in "XxZ":
            tz = _parse_offset(g)
        elif c == "V":
            try:
                tz = zoneinfo.ZoneInfo(g)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone '{g}'") from None
    if "year" not in got:
        raise ValueError("the pattern has no year")
    if "yday" in got and "month" not in got:
        day = dt.date(got["year"], 1, 1) + dt.timedelta(days=got["yday"] - 1)
        if day.year != got["year"]:
            raise ValueError(f"day-of-year {got['yday']} is out of range")
    else:
        if "month" not in got or "day" not in got:
            raise ValueError("the pattern needs a month and a day")
        day = dt.date(got["year"], got["month"], got["day"])
    if weekday is not None and weekday != day.weekday():
        raise ValueError(f"{day.isoformat()} is a {LOCALES['en'].days[day.weekday()]}")
    if not has_time:
        return LocalDate(day)
    hour = got.get("hour")
    if "hour12" in got:
        h12 = got["hour12"] + (12 if pm else 0)
        if hour is not None and hour != h12:
            raise ValueError("conflicting hours")
        hour = h12
    elif pm is not None and hour is not None and (hour >= 12) != pm:
        raise ValueError("the hour contradicts AM/PM")
    naive = dt.datetime.combine(
        day,
        dt.time(hour or 0, got.get("minute", 0), got.get("second", 0), got.get("micro", 0)),
    )
    return ZonedDateTime(_localize(naive, tz or zone))


def _index(word: str, *groups: tuple[str, ...]) -> int:
    """The position of ``word`` (any case) in the first group that has it."""
    low = word.lower()
    for group in groups:
        for i, candidate in enumerate(group):
            if candidate.lower() == low:
                return i
    raise ValueError(f"unknown word '{word}'")  # pragma: no cover - the regex matched it


def _localize(naive: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Attach ``zone`` to a wall-clock time. Like Java's ``ZonedDateTime.of``: in an
    overlap the earlier offset, in a gap the time moved forward by the gap's length."""
    aware = naive.replace(tzinfo=zone, fold=0)
    # in a gap Python keeps the offset from before it; the round trip through UTC lands
    # on the later wall-clock time Java chooses (02:30 becomes 03:30)
    return aware.astimezone(dt.UTC).astimezone(zone)


def iso_parse(text: Any, zone: dt.tzinfo) -> LocalDate | ZonedDateTime:
    """Parse ISO 8601 (``2026-03-05``, ``2026-03-05T14:30``, ``2026-03-05T14:30:00+01:00``,
    ``...Z``): a LocalDate for a day, else a ZonedDateTime (in ``zone`` without offset)."""
    if not isinstance(text, str):
        raise EvalError(f"parseDate expects a String to parse, got {java_class_name(text)}")
    s = text.strip()
    try:
        if "T" not in s and " " not in s:
            return LocalDate(dt.date.fromisoformat(s))
        value = dt.datetime.fromisoformat(s)
    except ValueError:
        raise EvalError(f"'{text}' is not an ISO 8601 date or date-time") from None
    if value.tzinfo is None:
        try:
            return ZonedDateTime(_localize(value, zone))
        except OverflowError:
            raise EvalError(f"'{text}' is out of range (years 1 to 9999)") from None
    return ZonedDateTime(value)
