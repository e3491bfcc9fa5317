"""The web HMI (人机界面) and REST API: pages for guards, officers and inspectors, JSON API, live feed.

`ui:` in configuration.yaml:
    ui:
      host: 127.0.0.1        # 0.0.0.0 to serve the control room's network
      port: 8420             # 0: any free port
      language: zh-CN        # default page language; each user can switch (zh-CN / en)
      # session_secret: !secret ui_session_secret   # else generated into the data directory
      # release: [{gate: east_gate, release: two_step, approve_within: 300}]   # release.py
      # clips: [{gate: east_gate, lane: in, url: "http://nvr/clip?start={start}&end={end}"}]   # clips.py
Pages: /lanes 车道监控, /approvals 放行审批, /passages 通行记录, /alert 预警, /vehicles 车辆台账,
/audit 审计日志, /uplink 上传状态 (docs/console.md has them all).
API: /api/... (see openapi.yaml, served at /api/openapi.yaml); live feed: /api/websocket.
"""

from __future__ import annotations

from hub.core import Hub

from . import kiosk, release
from .config import UiConfig
from .const import DOMAIN
from .security import async_register_services
from .server import UiServer
from .tokens import load_or_create_secret

CONFIG_SCHEMA = UiConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "UiServer", "async_setup"]


async def async_setup(hub: Hub, config: UiConfig | None) -> bool:
    config = config or UiConfig()
    secret = config.session_secret
    if secret is None:
        secret = await hub.async_add_executor_job(load_or_create_secret, hub.data_dir)
    server = UiServer(hub, config, secret)
    await server.async_start()
    async_register_services(hub)
    kiosk.async_register_services(hub, server.kiosk)
    release.async_register_services(hub, server.releases)
    hub.data[DOMAIN] = server
    hub.async_on_stop(server.async_stop)
    return True
