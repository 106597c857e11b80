"""Strict YAML reading: duplicate keys are errors, only true/false are booleans.

PyYAML follows YAML 1.1, where ``yes/no/on/off`` become booleans and a duplicate key
silently keeps the last value. Both would corrupt a questionnaire quietly (an option
id ``no`` turning into ``False``), so this loader follows the YAML 1.2 core schema
for booleans and refuses duplicates. Mappings remember the line of each key, for
error messages.

Hostile or broken input is refused with a located ``yaml.YAMLError``, never another
exception: nesting deeper than ``MAX_DEPTH`` (PyYAML composes recursively and would hit
Python's recursion limit), aliases (``*name``: a questionnaire never needs them, and
they allow self-referencing or exponentially expanding data), explicit tags (``!!int``,
``!!timestamp`` …, whose constructors raise plain ValueError/KeyError on bad values),
unhashable keys, and values Python cannot convert (an integer of 5,000 digits).
Dates stay strings: a questionnaire has no date fields, and ``2025-13-45`` would
otherwise crash the date constructor.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 64  # the deepest real questionnaire nests about 12 levels


class LineDict(dict):
    """A dict that remembers the 1-based source line of each key."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict = {}


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key, line: int):
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.line = line


class TooDeepError(yaml.YAMLError):
    def __init__(self, line: int):
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.line = line


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, duplicate-key detection and the limits above."""

    _depth = 0

    # The scanner looks ahead to the end of a flow collection before it can tell whether the
    # collection is a key, which costs time quadratic in its nesting: stop there too, early.
    def fetch_flow_collection_start(self, TokenClass):
        if self.flow_level >= MAX_DEPTH:
            raise TooDeepError(self.get_mark().line + 1)
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column):
        if len(self.indents) >= MAX_DEPTH:
            raise TooDeepError(self.get_mark().line + 1)
        return super().add_indent(column)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise ComposerError(None, None, f"aliases (*{event.anchor}) are not allowed", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise ComposerError(None, None, f"explicit tags ({tag}) are not allowed", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise TooDeepError(event.start_mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_scalar(self, node):
        value = super().construct_scalar(node)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise ConstructorError(None, None, "an escape such as \\ud800 is not a Unicode character",
                                   node.start_mark)
        return value

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, KeyError, TypeError) as exc:
            raise ConstructorError(None, None, f"cannot read this value ({exc})", node.start_mark) from None


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, Hashable):
            raise ConstructorError(None, None, "a key must be a plain value, not a list or mapping",
                                   key_node.start_mark)
        if key in mapping:
            raise DuplicateKeyError(key, line)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load(text: str):
    """Parse YAML text strictly; raises DuplicateKeyError, TooDeepError or another yaml.YAMLError."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
