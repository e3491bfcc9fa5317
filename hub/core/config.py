"""Configuration: YAML with `!secret`, `!include` and `!include_dir_merge_list`, validated by pydantic,
errors naming file and line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

CONFIG_FILE = "configuration.yaml"
SECRETS_FILE = "secrets.yaml"


class NodeDict(dict):
    """A YAML mapping that remembers where it and each of its keys came from."""

    source: tuple[str, int] = ("?", 0)
    key_lines: dict[Any, tuple[str, int]]


class NodeList(list):
    source: tuple[str, int] = ("?", 0)
    item_lines: list[tuple[str, int]]


class _Loader(yaml.SafeLoader):
    """SafeLoader that tracks lines and knows the config directory (for !secret and !include)."""

    def __init__(self, stream: Any, path: Path, config_dir: Path) -> None:
        super().__init__(stream)
        self.path = path
        self.config_dir = config_dir

    def _where(self, node: yaml.Node) -> tuple[str, int]:
        return (self.path.name, node.start_mark.line + 1)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> NodeDict:
    loader.flatten_mapping(node)
    result = NodeDict()
    result.source = loader._where(node)
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            file, line = loader._where(key_node)
            raise ConfigError(f"{file}:{line}: a key must be a name, not a mapping or a list")
        if key in result:
            file, line = loader._where(key_node)
            raise ConfigError(f"{file}:{line}: key {key!r} appears twice")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = loader._where(key_node)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> NodeList:
    result = NodeList(loader.construct_object(child, deep=True) for child in node.value)
    result.source = loader._where(node)
    result.item_lines = [loader._where(child) for child in node.value]
    return result


def _construct_secret(loader: _Loader, node: yaml.Node) -> Any:
    name = loader.construct_scalar(node)
    file, line = loader._where(node)
    secrets_path = loader.config_dir / SECRETS_FILE
    if not secrets_path.exists():
        raise ConfigError(f"{file}:{line}: !secret {name}: no {SECRETS_FILE} in {loader.config_dir}")
    secrets = load_yaml(secrets_path, loader.config_dir)
    if not isinstance(secrets, dict) or name not in secrets:
        raise ConfigError(f"{file}:{line}: !secret {name}: not defined in {SECRETS_FILE}")
    return secrets[name]


def _construct_include(loader: _Loader, node: yaml.Node) -> Any:
    name = str(loader.construct_scalar(node))
    target = (loader.path.parent / name).resolve()
    file, line = loader._where(node)
    if not target.is_file():
        raise ConfigError(f"{file}:{line}: !include {name}: no such file")
    return load_yaml(target, loader.config_dir)


def _construct_include_dir_merge_list(loader: _Loader, node: yaml.Node) -> NodeList:
    """Every `*.yaml` under a folder (sorted, recursively), each a list, joined into one list;
    each item keeps the file and line it came from."""
    name = str(loader.construct_scalar(node))
    folder = (loader.path.parent / name).resolve()
    file, line = loader._where(node)
    if not folder.is_dir():
        raise ConfigError(f"{file}:{line}: !include_dir_merge_list {name}: no such folder")
    merged = NodeList()
    merged.source, merged.item_lines = (file, line), []
    for path in sorted(folder.rglob("*.yaml")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        content = load_yaml(path, loader.config_dir)
        if content is None:
            continue
        if not isinstance(content, NodeList):
            raise ConfigError(f"{path.name}:1: !include_dir_merge_list {name}: the file must hold a list")
        merged.extend(content)
        merged.item_lines.extend(content.item_lines)
    return merged


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("!secret", _construct_secret)
_Loader.add_constructor("!include", _construct_include)
_Loader.add_constructor("!include_dir_merge_list", _construct_include_dir_merge_list)


def load_yaml(path: Path, config_dir: Path | None = None) -> Any:
    """Parse one YAML file; syntax errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path.name}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: not UTF-8 text") from None
    loader = _Loader(text, path, config_dir or path.parent)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(f"{path.name}:{line}: YAML syntax: {err.problem or err}") from None
    finally:
        loader.dispose()


def locate(node: Any, loc: Sequence[str | int]) -> tuple[str, int]:
    """The file and line of the deepest part of `loc` that exists in the parsed YAML tree."""
    where = getattr(node, "source", ("?", 0))
    for part in loc:
        if isinstance(node, NodeDict) and part in node:
            where = node.key_lines[part]
            node = node[part]
        elif isinstance(node, NodeList) and isinstance(part, int) and 0 <= part < len(node):
            where = node.item_lines[part]
            node = node[part]
        else:
            break
    return where


def format_loc(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate_section(
    domain: str, schema: type[BaseModel], raw: Any, *, root: NodeDict | None = None
) -> BaseModel:
    """Validate one top-level section; every error names file, line and dotted key."""
    try:
        return schema.model_validate(raw if raw is not None else {})
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = (domain, *e["loc"])
            file, line = locate(root, loc) if root is not None else ("?", 0)
            lines.append(f"{file}:{line}: {format_loc(loc)}: {e['msg']}")
        raise ConfigError("\n".join(lines)) from None


class CoreConfig(BaseModel):
    """The `hub:` section."""

    model_config = ConfigDict(extra="forbid")

    name: str = "EcoGate Hub"
    time_zone: str = "Asia/Shanghai"
    data_dir: str = "data"
    db_url: str | None = None
    language: str = Field("zh-CN", pattern=r"^(zh-CN|en)$")
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


def load_configuration(config_dir: Path) -> tuple[CoreConfig, NodeDict]:
    """Read `configuration.yaml`; return the validated core section and the whole tree."""
    path = config_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{CONFIG_FILE}: not found in {config_dir}")
    tree = load_yaml(path, config_dir)
    if tree is None:
        tree = NodeDict()
        tree.source, tree.key_lines = (CONFIG_FILE, 1), {}
    if not isinstance(tree, NodeDict):
        raise ConfigError(f"{CONFIG_FILE}:1: the top level must be a mapping of integration: settings")
    core = validate_section("hub", CoreConfig, tree.get("hub"), root=tree)
    assert isinstance(core, CoreConfig)
    return core, tree
