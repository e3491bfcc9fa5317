"""A supervisory-platform simulator (product code: the demo and the tests run it)."""

from .core import Faults, SimCore
from .server import PlatformSimulator

__all__ = ["Faults", "PlatformSimulator", "SimCore"]
