"""Strict YAML: one document of plain JSON data, with the line of every value.

The reader accepts the part of YAML that means the same in YAML 1.1 and 1.2
and refuses the rest with a hint, so that a manifest never says something its
author did not mean:

* unquoted ``yes``/``no``/``on``/``off``/``y``/``n`` (any case), dates and
  timestamps, numbers with a leading zero (``0755``), sexagesimal numbers
  (``1:20``), other non-decimal numbers (``0x1F``, ``1_000``) and ``.inf``/``.nan``
  are errors; quote them or write ``true``/``false``;
* ``~``, ``null`` and nothing after the colon are null, which inside a
  service config removes the key (see ``validate``);
* duplicate keys, keys that are not strings, merge keys (``<<``) and every tag
  but ``!!str`` are errors;
* anchors and aliases work, but expanding them may visit at most
  ``MAX_ALIAS_NODES`` nodes, and nesting is limited to ``MAX_DEPTH`` levels;
* a file holds one document, is UTF-8 and at most ``MAX_FILE_BYTES`` long;
* control characters (but tab and newline), the line breaks of YAML 1.1 only
  (U+0085, U+2028, U+2029) and the bidirectional text controls that can make
  text read differently from what it holds (U+202A to U+202E, U+2066 to
  U+2069) are errors, written as they are or as escapes (``"\\u0000"``);
* a number too large to be one (``1e400``) is an error.

Keys are taken as written: ``on: x`` is the key ``"on"``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Location, ManifestError, ManifestErrors
from reconciler.pointer import escape

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # PyYAML built without libyaml: the same rules, slower.
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_ALIAS_NODES = 1_000_000
MAX_DEPTH = 100

_PLAIN = "!plain"
_QUOTED = "!quoted"
_MAP = "!map"
_SEQ = "!seq"
_STR_TAG = "tag:yaml.org,2002:str"

_NULLS = frozenset({"~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})
# Plain scalars that start with another character are always strings.
_MAYBE_TYPED = frozenset("0123456789+-.~tTfFnNyYoO")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(
    r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
)
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+(?:\.[0-9_]*)?")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_OTHER_NUMBER = re.compile(
    r"[-+]?(?:0b[0-1_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|[0-9][0-9_]*(?:\.[0-9_]*)?"
    r"(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF|nan|NaN|NAN))"
)
_LINE_BREAK = re.compile(r"\r\n?|\n")
# Refused wherever they are written; raw carriage returns end lines.
_RAW_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
# What an escape in a double-quoted string may write besides: a carriage return.
_REFUSED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?"
)


@dataclass(frozen=True)
class Document:
    """A YAML file read as plain data.

    ``lines`` maps the JSON pointer of every value to the 1-based line of its
    key (or, for a list item, of the item).
    """

    path: Path
    name: str
    data: dict[str, Any]
    lines: dict[str, int]

    def location(self, pointer: str) -> Location:
        """The place of ``pointer``, or of its nearest declared parent."""
        while pointer:
            if pointer in self.lines:
                return Location(self.name, self.lines[pointer])
            pointer = pointer.rsplit("/", 1)[0]
        return Location(self.name, 1)


class _Fatal(Exception):
    """A problem after which the rest of the document is not worth reading."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _StrictParser(_Parser):
    """Composes nodes whose tag says only how the scalar was written.

    The resolver of YAML 1.1 is replaced: a plain scalar gets ``!plain`` and
    is typed by ``_Converter``; an explicit tag is kept as written.
    """

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _QUOTED
        return _MAP if kind is MappingNode else _SEQ

    # The pure Python composer asks for these; path resolution is not used.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


def read_document(path: Path, name: str) -> Document:
    """Read ``path`` (shown as ``name`` in messages) as one strict YAML mapping.

    Raises ManifestErrors listing every problem found.
    """
    text = _read_text(path, name)
    _check_characters(text, name)
    root = _compose(text, name)
    if root is None:
        raise _error(name, 1, "the file is empty; a manifest is a YAML mapping")
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        raise _error(
            name,
            root.start_mark.line + 1,
            f"the document is {kind}; a manifest is a YAML mapping of keys",
        )

    converter = _Converter(name)
    try:
        data = converter.convert(root)
    except _Fatal as fatal:
        raise _error(name, fatal.line, fatal.message) from None
    if converter.errors:
        raise ManifestErrors(converter.errors)
    return Document(path=path, name=name, data=data, lines=converter.lines)


def _read_text(path: Path, name: str) -> str:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _error(name, 1, f"cannot read the file: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _error(
            name,
            1,
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, "
            "the most a manifest may hold",
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise _error(
            name,
            line,
            f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8",
        ) from None


def _check_characters(text: str, name: str) -> None:
    errors = []
    line, counted = 1, 0
    for found in _RAW_REFUSED.finditer(text):
        # Lines are counted on from the previous find, to stay linear.
        line += len(_LINE_BREAK.findall(text, counted, found.start()))
        counted = found.start()
        message = f"{_character(found.group())} is not allowed in a manifest"
        errors.append(ManifestError(Location(name, line), message))
    if errors:
        raise ManifestErrors(errors)


def _character(character: str) -> str:
    """A character that may not be written in a manifest, and what it is."""
    code = ord(character)
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        kind = "a bidirectional text control"
    elif code in (0x85, 0x2028, 0x2029):
        kind = "a line break in YAML 1.1 only"
    else:
        kind = "a control character"
    return f"character #x{code:04x} ({kind})"


def _compose(text: str, name: str) -> Node | None:
    parser = _StrictParser(text)
    try:
        document = parser.get_node() if parser.check_node() else None
        if parser.check_node():
            extra = parser.get_node()
            line = extra.start_mark.line + 1 if extra is not None else 1
            raise _error(
                name,
                line,
                "a second YAML document starts here; a manifest holds one document",
            )
        return document
    except yaml.MarkedYAMLError as error:
        raise _error(name, *_describe_syntax_error(error, text)) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise _error(
            name, line, f"character #x{error.character:04x} is not allowed in YAML"
        ) from None
    except RecursionError:
        raise _error(
            name, 1, f"the document nests deeper than {MAX_DEPTH} levels"
        ) from None
    finally:
        parser.dispose()


def _describe_syntax_error(error: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else 1
    lines = _LINE_BREAK.split(text)
    source_line = lines[line - 1] if mark is not None and line <= len(lines) else ""
    indentation = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
    if "\t" in indentation:
        return line, "a tab character indents this line; indent YAML with spaces only"
    if error.problem and "exceeded maximum nesting depth" in error.problem:
        return line, f"the document nests deeper than {MAX_DEPTH} levels"
    if error.problem == "found undefined alias":
        return line, "an alias (*name) refers to no anchor (&name) written before it"
    problem = error.problem or "invalid YAML"
    if error.context:
        context_line = error.context_mark.line + 1 if error.context_mark else line
        return line, f"invalid YAML: {problem} ({error.context} at line {context_line})"
    return line, f"invalid YAML: {problem}"


class _Converter:
    """Turns composed nodes into plain data, recording lines and problems."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[str, int] = {}
        self.errors: list[ManifestError] = []
        self._open: set[int] = set()
        self._done: set[int] = set()
        self._alias_nodes = 0
        self._alias_use = (1, "")

    def convert(self, root: MappingNode) -> dict[str, Any]:
        return self._mapping(root, "", 0, expanding=False)

    def _error(self, line: int, pointer: str, message: str) -> None:
        text = f"{pointer}: {message}" if pointer else message
        self.errors.append(ManifestError(Location(self.name, line), text))

    def _line(self, pointer: str, node: Node) -> int:
        # Nodes reached through an alias carry the line of their anchor; the
        # key that holds the alias is the better place to point at.
        return self.lines.get(pointer, node.start_mark.line + 1)

    def _value(self, node: Node, pointer: str, depth: int, expanding: bool) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node, pointer)
        if depth >= MAX_DEPTH:
            raise _Fatal(
                self._line(pointer, node),
                f"the document nests deeper than {MAX_DEPTH} levels",
            )
        if isinstance(node, MappingNode):
            return self._mapping(node, pointer, depth, expanding)
        return self._sequence(cast(SequenceNode, node), pointer, depth, expanding)

    def _enter(self, node: Node, pointer: str, expanding: bool) -> bool:
        """Marks ``node`` open; answers whether it is reached through an alias."""
        key = id(node)
        if key in self._open:
            raise _Fatal(
                self._line(pointer, node),
                f"{pointer}: an alias refers to a node that contains it",
            )
        if node.tag not in (_MAP, _SEQ):
            self._error(self._line(pointer, node), pointer, _tag_message(node.tag))
        self._open.add(key)
        if not expanding and key not in self._done:
            return False
        if not expanding:
            self._alias_use = (self._line(pointer, node), pointer)
        self._alias_nodes += len(node.value)
        if self._alias_nodes > MAX_ALIAS_NODES:
            line, used_at = self._alias_use
            raise _Fatal(
                line,
                f"{used_at}: aliases expand to more than {MAX_ALIAS_NODES:,} "
                "values; write the document without so much repetition",
            )
        return True

    def _leave(self, node: Node) -> None:
        self._open.discard(id(node))
        self._done.add(id(node))

    def _mapping(
        self, node: MappingNode, pointer: str, depth: int, expanding: bool
    ) -> dict[str, Any]:
        expanding = self._enter(node, pointer, expanding)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self._key(key_node, pointer, line)
            if key is None:
                continue
            child = f"{pointer}/{escape(key) if '~' in key or '/' in key else key}"
            if key in result:
                first = self.lines[child]
                self._error(
                    line, child, f"duplicate key (first written at line {first})"
                )
                continue
            self.lines[child] = line
            result[key] = self._value(value_node, child, depth + 1, expanding)
        self._leave(node)
        return result

    def _sequence(
        self, node: SequenceNode, pointer: str, depth: int, expanding: bool
    ) -> list[Any]:
        expanding = self._enter(node, pointer, expanding)
        result: list[Any] = []
        for index, item in enumerate(node.value):
            child = f"{pointer}/{index}"
            line = item.start_mark.line + 1
            if id(item) in self._done:
                # An alias: the list that uses it is where the item is written.
                line = self.lines.get(pointer, line)
            self.lines[child] = line
            result.append(self._value(item, child, depth + 1, expanding))
        self._leave(node)
        return result

    def _key(self, node: Node, pointer: str, line: int) -> str | None:
        if not isinstance(node, ScalarNode):
            self._error(line, pointer, "a key must be a string, not a list or mapping")
            return None
        if node.tag not in (_PLAIN, _QUOTED, _STR_TAG):
            self._error(line, pointer, _tag_message(node.tag))
            return None
        if node.tag == _PLAIN and node.value == "<<":
            self._error(
                line,
                pointer,
                "merge keys (<<) are not supported; share values with `extends`",
            )
            return None
        if node.value == "":
            self._error(line, pointer, "a key must not be empty")
            return None
        refused = _REFUSED.search(node.value)
        if refused is not None:
            self._error(
                line,
                pointer,
                f"a key holds {_character(refused.group())}, "
                "which is not allowed in a manifest",
            )
            return None
        return str(node.value)

    def _scalar(self, node: ScalarNode, pointer: str) -> Any:
        value: str = node.value
        refused = _REFUSED.search(value)
        if refused is not None:
            line = self._line(pointer, node)
            self._error(
                line,
                pointer,
                f"{_character(refused.group())} is not allowed in a manifest",
            )
            return value
        if node.tag == _PLAIN:
            if value and value[0] not in _MAYBE_TYPED:
                return value
            return self._plain(value, node, pointer)
        if node.tag in (_QUOTED, _STR_TAG):
            return value
        self._error(self._line(pointer, node), pointer, _tag_message(node.tag))
        return value

    def _plain(self, value: str, node: ScalarNode, pointer: str) -> Any:
        if value == "" or value in _NULLS:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            number = float(value)
            if math.isinf(number):
                self._error(
                    self._line(pointer, node), pointer, f"{value} is too large a number"
                )
            return number
        problem = _yaml11_trap(value)
        if problem is None:
            return value
        self._error(self._line(pointer, node), pointer, problem)
        return value


def _yaml11_trap(value: str) -> str | None:
    """Why a plain scalar is refused, or None when it is an ordinary string."""
    if value.lower() in _YAML11_BOOLS:
        return (
            f"unquoted {value} is a boolean in YAML 1.1 and a string in YAML 1.2; "
            "write true/false, or quote the string"
        )
    if _TIMESTAMP.fullmatch(value):
        return (
            f"unquoted {value} reads as a date in YAML 1.1; quote it to keep the text"
        )
    if _LEADING_ZERO.fullmatch(value):
        return (
            f"{value} has a leading zero and reads as an octal number in YAML 1.1; "
            "quote it, or write the number without the zero"
        )
    if _SEXAGESIMAL.fullmatch(value):
        return (
            f"unquoted {value} reads as a base-60 number in YAML 1.1; "
            "quote it to keep the text"
        )
    if _OTHER_NUMBER.fullmatch(value):
        return (
            f"{value} is not a plain decimal number and YAML versions read it "
            "differently; quote it, or write a decimal number"
        )
    return None


def _tag_message(tag: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return f"the tag {shown} is not supported; only plain YAML and !!str are"


def _error(name: str, line: int, message: str) -> ManifestErrors:
    return ManifestErrors([ManifestError(Location(name, line), message)])
