"""Go durations as the service parses and prints them (`time.Duration`)."""

from __future__ import annotations

import re

_NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX = 1 << 63
_SECOND = 1_000_000_000

# What the spec's duration columns accept: no sign, a unit on every number.
_SPEC_PATTERN = re.compile(r"^([0-9]+([.][0-9]+)?(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$")
_COMPONENT = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]+)")


def normalize(value: str) -> str:
    """`value` as the service prints it back: `1h` gives `1h0m0s`.

    Raises ValueError when `value` is not a duration the service accepts.
    """
    if not _SPEC_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a duration such as 1h30m or 15s")
    return render(parse(value))


def parse(value: str) -> int:
    """Nanoseconds in `value`, the way Go's `time.ParseDuration` reads it."""
    total = 0
    position = 0
    while position < len(value):
        component = _COMPONENT.match(value, position)
        if component is None or not (component[1] or component[2]):
            raise ValueError(f"invalid duration {value!r}")
        whole, fraction, unit = component.groups()
        if unit not in _NANOSECONDS:
            raise ValueError(f"unknown unit {unit!r} in duration {value!r}")
        scale = _NANOSECONDS[unit]
        nanoseconds = int(whole or "0") * scale
        if fraction:
            # Go multiplies the fraction in float64; so does this, to agree
            # to the nanosecond on fractions of hours.
            digits, divisor = _leading_fraction(fraction)
            nanoseconds += int(float(digits) * (float(scale) / divisor))
        total += nanoseconds
        if total > _MAX - 1:
            raise ValueError(f"duration {value!r} overflows")
        position = component.end()
    return total


def render(nanoseconds: int) -> str:
    """The text of Go's `time.Duration.String` for a non-negative duration."""
    if nanoseconds == 0:
        return "0s"
    if nanoseconds < _SECOND:
        for limit, precision, unit in ((1_000, 0, "ns"), (1_000_000, 3, "\u00b5s")):
            if nanoseconds < limit:
                return _with_fraction(nanoseconds, precision) + unit
        return _with_fraction(nanoseconds, 6) + "ms"
    seconds_text = _with_fraction(nanoseconds, 9, whole_modulo=60)
    minutes = nanoseconds // (60 * _SECOND)
    if minutes == 0:
        return seconds_text + "s"
    hours = minutes // 60
    text = f"{minutes % 60}m{seconds_text}s"
    return f"{hours}h{text}" if hours else text


def _with_fraction(value: int, precision: int, whole_modulo: int = 0) -> str:
    """`value / 10**precision` with the fraction's trailing zeros cut."""
    whole, fraction = divmod(value, 10**precision)
    if whole_modulo:
        whole %= whole_modulo
    digits = f"{fraction:0{precision}d}".rstrip("0") if precision else ""
    return f"{whole}.{digits}" if digits else str(whole)


def _leading_fraction(digits: str) -> tuple[int, float]:
    """The fraction's digits as an integer and its divisor, dropping the
    digits that would overflow, as Go does."""
    number, divisor = 0, 1.0
    for digit in digits:
        if number > (_MAX - 1) // 10:
            break
        number = number * 10 + int(digit)
        divisor *= 10
    return number, divisor
