"""Errors the core raises; each message is meant for the person who caused it."""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ServiceNotFound(HubError):
    def __init__(self, domain: str, service: str) -> None:
        super().__init__(f"unknown service {domain}.{service}")
        self.domain, self.service = domain, service


class ServiceValidationError(HubError):
    """The data given to a service did not fit its schema; `errors` lists field and reason."""

    def __init__(self, domain: str, service: str, errors: list[tuple[str, str]]) -> None:
        detail = "; ".join(f"{loc or '(data)'}: {msg}" for loc, msg in errors)
        super().__init__(f"invalid data for {domain}.{service}: {detail}")
        self.errors = errors


class Unauthorized(HubError):
    """The caller's roles do not allow this."""


class ConfigError(HubError):
    """Configuration that cannot be used; the message names file, line and key."""


class SetupError(HubError):
    """An integration could not be set up."""
