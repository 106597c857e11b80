"""Strict YAML reading: duplicate keys are errors, only true/false are booleans.

PyYAML follows YAML 1.1, where ``yes/no/on/off`` become booleans and a duplicate key
silently keeps the last value. Both would corrupt a questionnaire quietly (an option
id ``no`` turning into ``False``), so this loader follows the YAML 1.2 core schema
for booleans and refuses duplicates. Mappings remember the line of each key, for
error messages.
"""

from __future__ import annotations

import re

import yaml

_BOOL_TAG = "tag:yaml.org,2002:bool"


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


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and duplicate-key detection."""


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
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
        if key in mapping:
            raise DuplicateKeyError(key, line)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load(text: str):
    """Parse YAML text strictly; raises DuplicateKeyError or yaml.YAMLError."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
