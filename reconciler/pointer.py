"""JSON pointers (RFC 6901): building, splitting and matching with ``*``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Part = str | int


def escape(part: Part) -> str:
    """One reference token: ``~`` becomes ``~0`` and ``/`` becomes ``~1``."""
    return str(part).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(parts: Iterable[Part]) -> str:
    """The pointer of a path: ``("a", "b/c", 0)`` gives ``/a/b~1c/0``."""
    return "".join("/" + escape(part) for part in parts)


def split(pointer: str) -> list[str]:
    """The unescaped tokens of ``pointer``; the root ``""`` has none."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/': {pointer!r}")
    return [unescape(token) for token in pointer[1:].split("/")]


def covers(pattern: Sequence[str], parts: Sequence[Part]) -> bool:
    """Whether ``pattern`` names ``parts`` or one of its parents.

    ``*`` in the pattern matches any one list item or object key.
    """
    if len(pattern) > len(parts):
        return False
    return all(
        want in ("*", str(part)) for want, part in zip(pattern, parts, strict=False)
    )


class PointerSet:
    """A set of pointer patterns, asked whether it covers a path."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = [split(pattern) for pattern in patterns]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def covers(self, parts: Sequence[Part]) -> bool:
        return any(covers(pattern, parts) for pattern in self._patterns)

    def passes_through(self, parts: Sequence[Part]) -> bool:
        """Whether some pattern names a path strictly below ``parts``."""
        return any(
            len(pattern) > len(parts) and covers(pattern[: len(parts)], parts)
            for pattern in self._patterns
        )
