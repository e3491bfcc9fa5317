"""The Hub: owns the bus, states, services, registries and config; starts and stops integrations."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from .auth import AuthManager
from .bus import EventBus
from .clock import Clock
from .config import CoreConfig, NodeDict, load_configuration, locate, validate_section
from .const import EVENT_HUB_START, EVENT_HUB_STARTED, EVENT_HUB_STOP
from .control import ControlServer
from .errors import ConfigError, SetupError
from .events import HubStartedData
from .loader import DEFAULT_ROOTS, Integration, discover, resolve_order
from .ownership import KIND_CLI, KIND_HUB, DataDirLock
from .photos import PHOTO_DIR, PhotoStore
from .registry import DeviceRegistry, EntityRegistry
from .service import ServiceRegistry
from .state import StateMachine
from .storage import Database, default_db_url
from .users import async_register_user_services

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")
SETUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class HubState(StrEnum):
    NOT_RUNNING = "not_running"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class Hub:
    """One plant's hub. Everything that runs in the event loop reaches the rest through this object."""

    def __init__(
        self,
        config_dir: Path | str,
        *,
        clock: Clock | None = None,
        data_dir: Path | str | None = None,
        integration_roots: tuple[tuple[str, Path], ...] = DEFAULT_ROOTS,
        db_url: str | None = None,
    ) -> None:
        self.config_dir = Path(config_dir).resolve()
        self._data_dir_override = Path(data_dir).resolve() if data_dir else None
        self._db_url_override = db_url  # `ledger restore` checks a restored copy beside the plant's own
        self.data_dir = self._data_dir_override or self.config_dir / "data"
        self.clock = clock or Clock()
        self.bus = EventBus(self.clock)
        self.auth = AuthManager()
        self.states = StateMachine(self.bus, self.clock)
        self.services = ServiceRegistry(self.bus, self.auth.roles_of, self.async_create_task)
        self.devices = DeviceRegistry()
        self.entities = EntityRegistry(self)
        self.core_config = CoreConfig()
        self.config: NodeDict = NodeDict()
        self.integrations: dict[str, Integration] = {}
        self.loaded: list[str] = []
        self.setup_errors: dict[str, str] = {}
        self.db: Database | None = None
        self.state = HubState.NOT_RUNNING
        self._owner: DataDirLock | None = None  # the data directory's lock while this hub owns it
        self._control: ControlServer | None = None  # the command line's door while the hub runs
        self._integration_roots = integration_roots
        self._tasks: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._stop_callbacks: list[Callable[[], Awaitable[None] | None]] = []
        self._stopped = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub-worker")
        # Data other parts share at run time, keyed by domain (Home Assistant's hass.data).
        self.data: dict[str, Any] = {}
        # Photos, content-addressed under the data directory: events carry their references only.
        self.photos = PhotoStore(lambda: self.data_dir / PHOTO_DIR, self.async_add_executor_job)

    # ----- time and work -------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def async_create_task(self, coro: Coroutine[Any, Any, _T], name: str | None = None) -> asyncio.Task[_T]:
        """A task the hub tracks: waited for by block_till_done, cancelled on stop."""
        return self._track(coro, name, self._tasks)

    def async_create_background_task(self, coro: Coroutine[Any, Any, _T], name: str) -> asyncio.Task[_T]:
        """A long-running loop (a poller, a generator): cancelled on stop, never waited for."""
        return self._track(coro, name, self._background)

    def _track(
        self, coro: Coroutine[Any, Any, _T], name: str | None, into: set[asyncio.Task[Any]]
    ) -> asyncio.Task[_T]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        into.add(task)
        task.add_done_callback(into.discard)
        task.add_done_callback(self._report_failure)
        return task

    @staticmethod
    def _report_failure(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.error("Task %s failed", task.get_name(), exc_info=task.exception())

    def async_add_executor_job(self, func: Callable[..., _T], *args: Any) -> asyncio.Future[_T]:
        """Run blocking work (OCR, image encoding, Excel, serial I/O) off the event loop."""
        return asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    def async_on_stop(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        """Register a release step for stop; steps run last-registered first."""
        self._stop_callbacks.append(callback)

    async def async_block_till_done(self, timeout: float = 30.0) -> None:
        """Wait until the bus listeners and tracked tasks are idle (tests and flows use this)."""
        async with asyncio.timeout(timeout):
            while True:
                await asyncio.sleep(0)
                await self.bus.async_drain()
                current = asyncio.current_task()
                pending = [t for t in self._tasks if not t.done() and t is not current]
                if not pending:
                    await asyncio.sleep(0)
                    if not self.bus.async_pending() and not any(
                        not t.done() and t is not current for t in self._tasks
                    ):
                        return
                    continue
                await asyncio.wait(pending)

    # ----- start and stop ------------------------------------------------------------------------
    async def async_start(self) -> None:
        """Load and validate the whole configuration, open storage, set up integrations.

        A configuration error stops the start before anything runs (ConfigError). An integration
        that fails to set up is reported in `setup_errors`; the others still start.
        """
        self.state = HubState.STARTING
        try:
            await self._async_start()
        except BaseException:
            await self._async_release()
            self.state = HubState.STOPPED
            self._stopped.set()
            raise

    async def _async_start(self) -> None:
        order, modules, configs = await self._async_prepare(KIND_HUB)
        assert self.db is not None
        self._control = ControlServer(self)
        await self._control.async_start()
        if (checkpointer := self.db.checkpointer(self.async_add_executor_job)) is not None:
            self.async_create_background_task(checkpointer.async_run(), name="sqlite checkpoints")
        self.bus.async_fire(EVENT_HUB_START)
        for integration in order:
            if integration.domain in modules:
                await self._async_setup_one(
                    integration, modules[integration.domain], configs[integration.domain]
                )
        self.state = HubState.RUNNING
        self._control.set_running()  # commands that came in meanwhile are served now
        self.bus.async_fire(
            EVENT_HUB_STARTED, HubStartedData(loaded=list(self.loaded), failed=dict(self.setup_errors))
        )

    async def async_open_storage(self, setup: tuple[str, ...] = ()) -> None:
        """Validate the configuration, take the data directory and open the database; set up only the
        components named in `setup` (those configured) and their dependencies, for their services.

        For command-line tools (`ecogate user`, `ecogate ledger verify`) while no hub runs: raises
        ownership.DataDirBusy when a hub (or another command) owns the data directory.
        """
        self.state = HubState.STARTING
        try:
            order, modules, configs = await self._async_prepare(KIND_CLI)
            wanted = set(setup)
            for integration in reversed(order):  # dependents first: one pass finds every dependency
                if integration.domain in wanted:
                    wanted.update(integration.manifest.dependencies)
            for integration in order:
                if integration.domain in wanted and integration.domain in modules:
                    await self._async_setup_one(
                        integration, modules[integration.domain], configs[integration.domain]
                    )
        except BaseException:
            await self._async_release()
            self.state = HubState.STOPPED
            self._stopped.set()
            raise

    async def _async_prepare(self, owner: str) -> tuple[list[Integration], dict[str, Any], dict[str, Any]]:
        self.core_config, self.config = load_configuration(self.config_dir)
        self.clock.tz = ZoneInfo(self.core_config.time_zone)
        self.data_dir = self._data_dir_override or (self.config_dir / self.core_config.data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # One owner per data directory (ownership.py): refused here, before the database is touched.
        self._owner = DataDirLock(self.data_dir)
        self._owner.acquire(owner)

        available = discover(self._integration_roots)
        wanted = {str(key) for key in self.config if key != "hub"}
        unknown = sorted(d for d in wanted if d not in available)
        if unknown:
            raise ConfigError(
                "\n".join(
                    "{}:{}: {}: no such integration".format(*locate(self.config, (d,)), d) for d in unknown
                )
            )
        order, failed = resolve_order(wanted, available)
        self.setup_errors.update(failed)
        modules, configs = self._import_and_validate(order)
        self.db = Database(self._db_url_override or self.core_config.db_url or default_db_url(self.data_dir))
        await self.db.async_open([m for i in order if i.domain in modules and (m := i.models_module)])
        await self.auth.async_load()
        async_register_user_services(self)
        await self.devices.async_load()
        await self.entities.async_load()
        return order, modules, configs

    def _import_and_validate(self, order: list[Integration]) -> tuple[dict[str, Any], dict[str, Any]]:
        modules: dict[str, Any] = {}
        configs: dict[str, Any] = {}
        errors: list[str] = []
        for integration in order:
            domain = integration.domain
            missing = integration.missing_requirements()
            if missing:
                self.setup_errors[domain] = f"missing requirements: {', '.join(missing)}"
                continue
            try:
                module = integration.import_module()
            except Exception as err:
                _LOGGER.exception("Cannot import %s", domain)
                self.setup_errors[domain] = f"import failed: {err}"
                continue
            schema: type[BaseModel] | None = getattr(module, "CONFIG_SCHEMA", None)
            raw = self.config.get(domain)
            try:
                configs[domain] = validate_section(domain, schema, raw, root=self.config) if schema else raw
            except ConfigError as err:
                errors.append(str(err))
                continue
            modules[domain] = module
        if errors:
            raise ConfigError("\n".join(errors))
        return modules, configs

    async def _async_setup_one(self, integration: Integration, module: Any, config: Any) -> None:
        domain = integration.domain
        broken = [d for d in integration.manifest.dependencies if d not in self.loaded]
        if broken:
            self.setup_errors.setdefault(domain, f"dependency {', '.join(broken)} did not load")
            _LOGGER.error("Not setting up %s: %s", domain, self.setup_errors[domain])
            return
        self.integrations[domain] = integration
        try:
            async with asyncio.timeout(SETUP_TIMEOUT):
                result = await module.async_setup(self, config)
        except Exception as err:
            _LOGGER.exception("Setting up %s failed", domain)
            self.setup_errors[domain] = f"{type(err).__name__}: {err}"
            return
        if result is False:
            self.setup_errors[domain] = "setup returned False"
            _LOGGER.error("Setting up %s failed", domain)
            return
        self.loaded.append(domain)
        _LOGGER.info("Set up %s", domain)

    async def async_stop(self) -> None:
        """Stop cleanly: tell listeners, let queued work finish, release devices, close the database."""
        if self.state in (HubState.STOPPING, HubState.STOPPED):
            await self._stopped.wait()
            return
        self.state = HubState.STOPPING
        self.bus.async_fire(EVENT_HUB_STOP)
        try:
            await self.async_block_till_done(timeout=STOP_TIMEOUT)
        except TimeoutError:
            _LOGGER.warning("Queued work did not finish within %s s; stopping anyway", STOP_TIMEOUT)
        await self._async_release()
        self.state = HubState.STOPPED
        self._stopped.set()

    async def _async_release(self) -> None:
        if self._control is not None:
            await self._control.async_stop()  # no command reaches a hub that is stopping
            self._control = None
        await self.entities.async_remove_all()
        for callback in reversed(self._stop_callbacks):
            try:
                result = callback()
                if asyncio.iscoroutine(result):
                    await asyncio.wait_for(result, STOP_TIMEOUT)
            except Exception:
                _LOGGER.exception("Stop step %r failed", callback)
        self._stop_callbacks.clear()
        tasks = [*self._tasks, *self._background]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
        self.bus.async_close()
        if self.db is not None:
            await self.db.async_close()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._owner is not None:
            self._owner.release()  # last: the database is closed before another owner may open it

    async def async_run(self) -> int:
        """Start, then run until SIGINT/SIGTERM; returns the process exit code."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.async_start()
        except (ConfigError, SetupError) as err:
            _LOGGER.error("Hub not started:\n%s", err)
            return 2
        if self.setup_errors:
            for domain, reason in self.setup_errors.items():
                _LOGGER.error("Integration %s not loaded: %s", domain, reason)
        await stop.wait()
        _LOGGER.info("Stopping")
        await self.async_stop()
        return 0
