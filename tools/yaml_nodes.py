"""YAML read the way the Pulumi CLI reads `Pulumi.yaml` and stack files, keeping each node's line.

The CLI (Go) decodes with gopkg.in/yaml.v3 (imported by pulumi/pulumi
`sdk/go/common/workspace/project.go`), which differs from PyYAML's YAML 1.1 in ways a stack file
meets: `yes`, `no`, `on`, `off` are strings, not booleans; `0123` is octal; `1_000` is 1000; and a
key given twice in one mapping is an error ("line N: mapping key "k" already defined at line M",
yaml.v3 `decode.go`). So PyYAML only composes the node tree here (it reports syntax errors with a
line and column); scalars are resolved by `resolve_plain`, a transcription of yaml.v3 `resolve.go`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from .mistakes import Location, Mistake, UserMistakes, line_of_offset

_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_SPECIAL_FLOATS = {
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_BASE0_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_TIMESTAMP_START = re.compile(r"[0-9]{4}-")
_INT64 = (-(2**63), 2**64 - 1)  # ParseInt, then ParseUint


def _go_parse_int(text: str) -> Optional[int]:
    """strconv.ParseInt(text, 0, 64) (or ParseUint): base from the prefix, a leading 0 is octal."""
    if not _GO_BASE0_INT.fullmatch(text):
        return None
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xXoObB":
        value = int(digits, 8)
    else:
        value = int(digits, 0)
    value *= sign
    return value if _INT64[0] <= value <= _INT64[1] else None


def resolve_plain(text: str) -> Any:
    """The value yaml.v3 gives an unquoted, untagged scalar when decoding into `interface{}`."""
    if text in _BOOLEANS:
        return _BOOLEANS[text]
    if text in _NULLS:
        return None
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    hint = text[0]
    if hint == ".":
        try:
            return float(text)
        except ValueError:
            return text
    if hint.isdigit() or hint in "+-":
        if _TIMESTAMP_START.match(text):
            # yaml.v3 decodes YYYY-... timestamps to time.Time, which the CLI's config keeps as
            # text; a config value that is a date stays the text written.
            return text
        plain = text.replace("_", "")
        number = _go_parse_int(plain)
        if number is not None:
            return number
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            return float(plain)
    return text


@dataclass
class Node:
    """A composed YAML node with its position (1-based) and its value resolved as yaml.v3 does."""

    kind: str  # "scalar", "sequence", "mapping"
    line: int
    column: int
    value: Any
    """scalar: the resolved value; sequence: list[Node]; mapping: list[tuple[Node, Node]]."""
    text: str = ""
    """A scalar's source text."""

    def plain(self) -> Any:
        """The whole value as plain Python data (mappings keyed by their keys' text)."""
        if self.kind == "scalar":
            return self.value
        if self.kind == "sequence":
            return [item.plain() for item in self.value]
        return {key.text: value.plain() for key, value in self.value}


def read(path: Path) -> tuple[Optional[Node], list[Mistake]]:
    """The file's document as a `Node` (None when empty) and its duplicate-key mistakes.

    Raises UserMistakes when the file cannot be read or is not YAML."""
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise UserMistakes([Mistake(Location(path), "is a folder, not a YAML file")]) from None
    except OSError as error:
        raise UserMistakes([Mistake(Location(path), f"cannot be read: {error.strerror}")]) from None
    if raw.startswith(b"\xef\xbb\xbf"):  # the CLI strips a UTF-8 byte-order mark (readFileStripUTF8BOM)
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = line_of_offset(raw[: error.start].decode("utf-8", "replace"), error.start)
        raise UserMistakes([Mistake(Location(path, line, column),
                                    f"not UTF-8 text (byte 0x{raw[error.start]:02x})")]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "invalid YAML"
        if error.context and error.context_mark and error.context_mark is not mark:
            problem = f"{problem} ({error.context} at line {error.context_mark.line + 1})"
        location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise UserMistakes([Mistake(location, f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as error:
        raise UserMistakes([Mistake(Location(path), f"invalid YAML: {error}")]) from None
    duplicates: list[Mistake] = []
    return (_convert(root, path, duplicates) if root is not None else None), duplicates


def _convert(node: yaml.Node, path: Path, duplicates: list[Mistake]) -> Node:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.ScalarNode):
        value = resolve_plain(node.value) if node.style is None else node.value
        return Node("scalar", line, column, value, node.value)
    if isinstance(node, yaml.SequenceNode):
        return Node("sequence", line, column, [_convert(item, path, duplicates) for item in node.value])
    pairs = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = _convert(key_node, path, duplicates)
        if key.kind == "scalar":
            if key.text in seen:
                duplicates.append(Mistake(
                    Location(path, key.line, key.column),
                    f"mapping key {key.text!r} already defined at line {seen[key.text]} "
                    "(the Pulumi CLI refuses a key given twice)", key.text))
                continue
            seen[key.text] = key.line
        pairs.append((key, _convert(value_node, path, duplicates)))
    return Node("mapping", line, column, pairs)
