"""Keys given twice in the config files: what YAML (and JSON) readers drop without a word.

Snakemake reads config files with PyYAML, which keeps the later of two equal keys in one
mapping silently (two ``fig1:`` sections: the first is ignored). :func:`config_file_problems`
finds every such key, with file and line, in the workflow's own config file and each
``--configfile``; JSON files YAML cannot read are checked object by object. Run by
:func:`lindae.workflow.config.check_config` before any job; never imports snakemake.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["config_file_problems"]


def _mapping_duplicates(node: yaml.Node, path: list[str], name: str) -> list[str]:
    """Keys repeated within one mapping of a composed YAML document, recursively."""
    problems = []
    if isinstance(node, yaml.MappingNode):
        first_lines: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key is not None and key != "<<":  # '<<' merges a mapping: not a key
                identity = (key_node.tag, key)
                dotted = ".".join(p if p.isprintable() else repr(p) for p in [*path, key])
                if identity in first_lines:
                    problems.append(
                        f"{name}, line {line}: duplicate key {dotted} (first given at line "
                        f"{first_lines[identity]}); YAML would keep only the later one: give "
                        "each key once (merge the two)"
                    )
                else:
                    first_lines[identity] = line
            problems += _mapping_duplicates(value_node, [*path, str(key)], name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _mapping_duplicates(item, [*path[:-1], f"{path[-1]}[{index}]"], name)
    return problems


def _json_duplicates(text: str, name: str) -> list[str]:
    """Keys repeated within one JSON object (JSON config files YAML cannot read)."""
    problems: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen = set()
        for key, _ in items:
            if key in seen:
                problems.append(
                    f"{name}: duplicate key {key!r} in one JSON object; JSON readers keep only "
                    "the later one: give each key once (merge the two)"
                )
            seen.add(key)
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        return []  # neither YAML nor JSON: Snakemake has already said so
    return problems


def config_file_problems(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Every key given twice in the same mapping of the config files ``paths`` (the files
    Snakemake loaded: the workflow's own and each ``--configfile``), with file and line.

    Snakemake reads them with PyYAML, which keeps the later of two equal keys without a word
    (two ``fig1:`` sections: the first one is silently ignored). Files that cannot be read
    are skipped: Snakemake reports those itself.
    """
    problems = []
    for path in dict.fromkeys(str(p) for p in paths):  # each file once
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            problems += _json_duplicates(text, path)
            continue
        if node is not None:
            problems += _mapping_duplicates(node, [], path)
    return problems
