"""Finds integrations and components by their manifest.json and orders them by dependency."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import SetupError

IOT_CLASSES = ("local_push", "local_polling", "calculated", "cloud_push", "cloud_polling")


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    version: str
    dependencies: tuple[str, ...] = ()
    after_dependencies: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    iot_class: str = Field(pattern="^(" + "|".join(IOT_CLASSES) + ")$")


@dataclass(frozen=True, slots=True)
class Integration:
    manifest: Manifest
    package: str  # dotted module name, e.g. hub.integrations.barrier
    path: Path

    @property
    def domain(self) -> str:
        return self.manifest.domain

    @property
    def models_module(self) -> str | None:
        """A component that owns tables keeps its tortoise models in `models.py`."""
        return f"{self.package}.models" if (self.path / "models.py").is_file() else None

    def import_module(self) -> ModuleType:
        return importlib.import_module(self.package)

    def missing_requirements(self) -> list[str]:
        missing = []
        for requirement in self.manifest.requirements:
            name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
            try:
                importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                missing.append(requirement)
        return missing


_HUB_DIR = Path(__file__).resolve().parent.parent
DEFAULT_ROOTS: tuple[tuple[str, Path], ...] = (
    ("hub.integrations", _HUB_DIR / "integrations"),
    ("hub.components", _HUB_DIR / "components"),
    ("hub", _HUB_DIR),  # hub/ui: the web HMI loads like any component
)


def discover(roots: tuple[tuple[str, Path], ...] = DEFAULT_ROOTS) -> dict[str, Integration]:
    """Every folder with a manifest.json under the roots; a broken manifest is an error naming the file."""
    found: dict[str, Integration] = {}
    for package, root in roots:
        for manifest_path in sorted(root.glob("*/manifest.json")):
            folder = manifest_path.parent
            try:
                manifest = Manifest.model_validate(json.loads(manifest_path.read_text(encoding="utf-8")))
            except (ValueError, ValidationError) as err:
                raise SetupError(f"{manifest_path}: invalid manifest: {err}") from None
            if manifest.domain != folder.name:
                raise SetupError(f"{manifest_path}: domain {manifest.domain!r} is not the folder name")
            if manifest.domain in found:
                raise SetupError(f"{manifest_path}: domain {manifest.domain!r} is defined twice")
            found[manifest.domain] = Integration(manifest, f"{package}.{folder.name}", folder)
    return found


def resolve_order(
    wanted: set[str], available: dict[str, Integration]
) -> tuple[list[Integration], dict[str, str]]:
    """Wanted domains plus their dependencies, dependencies first.

    Returns the order and, for domains that cannot be loaded (unknown dependency, cycle), the reason.
    `after_dependencies` only order: they are loaded first when configured, never pulled in.
    """
    order: list[Integration] = []
    failed: dict[str, str] = {}
    visiting: set[str] = set()
    done: set[str] = set()
    closure = set(wanted)

    def collect(domain: str) -> None:
        integration = available.get(domain)
        if integration is None:
            return
        for dep in integration.manifest.dependencies:
            if dep not in closure:
                closure.add(dep)
                collect(dep)

    for domain in list(wanted):
        collect(domain)

    def visit(domain: str, chain: tuple[str, ...]) -> bool:
        if domain in done:
            return domain not in failed
        if domain in visiting:
            failed[domain] = "dependency cycle: " + " -> ".join((*chain, domain))
            return False
        integration = available.get(domain)
        if integration is None:
            failed[domain] = "no such integration"
            done.add(domain)
            return False
        visiting.add(domain)
        ok = True
        for dep in integration.manifest.dependencies:
            if not visit(dep, (*chain, domain)):
                failed.setdefault(domain, f"dependency {dep} cannot be loaded: {failed.get(dep, '?')}")
                ok = False
        for dep in integration.manifest.after_dependencies:
            if dep in closure:
                visit(dep, (*chain, domain))
        visiting.discard(domain)
        done.add(domain)
        if ok and domain not in failed:
            order.append(integration)
        return ok and domain not in failed

    for domain in sorted(closure):
        visit(domain, ())
    return order, failed
