"""Reading the automations: the `automation:` section, each automation validated on its own.

The section is a list (written inline, or `!include automations.yaml`, or `!include_dir_merge_list
automations/`); left empty (`automation:`), it is `automations.yaml` beside configuration.yaml,
read by this component, so that even a YAML syntax error there stops no other part of the hub. An
automation that does not validate is reported with file, line and key and left out; the others load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.core import ConfigError
from hub.core.config import CONFIG_FILE, NodeDict, NodeList, load_configuration, load_yaml
from hub.core.registry import slugify

from .config import AutomationConfig
from .const import AUTOMATIONS_FILE, DOMAIN


@dataclass(slots=True)
class Loaded:
    automation_id: str | None
    config: AutomationConfig | None
    errors: list[str] = field(default_factory=list)


def read_section(config_dir: Path, section: Any) -> tuple[list[Any], list[str]]:
    """The list of raw automations, and the errors that kept all of them from being read."""
    if section is None:
        path = config_dir / AUTOMATIONS_FILE
        if not path.is_file():
            return [], []
        try:
            section = load_yaml(path, config_dir)
        except ConfigError as err:
            return [], [str(err)]
        if section is None:
            return [], []
    if isinstance(section, list):
        return section, []
    where = getattr(section, "source", (CONFIG_FILE, 0))
    return [], [f"{where[0]}:{where[1]}: {DOMAIN}: a list of automations is expected"]


def read_configuration(config_dir: Path) -> tuple[list[Any], list[str]]:
    """For a reload: configuration.yaml (and what it includes) read again, from disk."""
    try:
        _core, tree = load_configuration(config_dir)
    except ConfigError as err:
        return [], [str(err)]
    if DOMAIN not in tree:
        return [], []
    return read_section(config_dir, tree.get(DOMAIN))


def parse(items: list[Any]) -> list[Loaded]:
    """Validate each automation alone; ids are unique (given, else from the alias, else the position)."""
    loaded: list[Loaded] = []
    seen: set[str] = set()
    item_lines = getattr(items, "item_lines", None)
    for index, raw in enumerate(items):
        file, line = item_lines[index] if item_lines else ("?", 0)
        prefix = f"{DOMAIN}[{index}]"
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        automation_id = _id_of(raw_id, raw.get("alias") if isinstance(raw, dict) else None, index)
        if not isinstance(raw, dict):
            loaded.append(Loaded(None, None, [f"{file}:{line}: {prefix}: an automation is a mapping"]))
            continue
        if automation_id in seen:
            loaded.append(Loaded(None, None, [f"{file}:{line}: {prefix}.id: {raw_id!r} is used twice"]))
            continue
        seen.add(automation_id)
        try:
            config = AutomationConfig.model_validate(raw)
        except ValidationError as err:
            errors = [_error_text(raw, e["loc"], e["msg"], prefix, (file, line)) for e in err.errors()]
            loaded.append(Loaded(automation_id, None, errors))
            continue
        loaded.append(Loaded(automation_id, config))
    return loaded


def _id_of(raw_id: Any, alias: Any, index: int) -> str:
    if isinstance(raw_id, str | int) and str(raw_id).strip():
        return slugify(str(raw_id))
    if isinstance(alias, str) and slugify(alias) != "unnamed":
        return slugify(alias)
    return f"automation_{index}"


def _error_text(root: Any, loc: Sequence[str | int], msg: str, prefix: str, fallback: tuple[str, int]) -> str:
    """`file:line: automation[3].triggers[0].entity_id: reason`: the line of the deepest key that
    exists; a discriminator's tag in pydantic's path (not a key) is left out."""
    node, where, path = root, getattr(root, "source", fallback), []
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if not last and loc[position + 1] == part:
            continue  # a union's tag named after its key (`delay` of a delay action)
        if isinstance(node, NodeDict) and part in node:
            where, node = node.key_lines[part], node[part]
        elif isinstance(node, NodeList) and isinstance(part, int) and 0 <= part < len(node):
            where, node = node.item_lines[part], node[part]
        elif isinstance(node, dict | list) and not last:
            continue  # a union's tag
        path.append(part)
        if not isinstance(node, dict | list):
            node = None
    text = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    if where == ("?", 0):
        where = fallback
    return f"{where[0]}:{where[1]}: {text}: {msg.removeprefix('Value error, ')}"
