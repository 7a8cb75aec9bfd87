"""Sluice service runtime: settings, JSON logs, tracing, HTTP health/metrics, lifecycle.

A service provides ``build(settings, bus) -> Assembly`` (its ``Component`` and the HTTP routes
over it) and a ``__main__`` calling ``run_service``; the embedded stack runs the same builds on
the in-memory bus.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluice_runtime.buses import settings_bus
    from sluice_runtime.component import Assembly, Component
    from sluice_runtime.config import (
        ConfigError,
        Port,
        Problem,
        SluiceSettings,
        config_problem,
        exit_config_error,
        load_settings,
        read_settings,
    )
    from sluice_runtime.embedded import EmbeddedStack
    from sluice_runtime.metrics import ServiceMetrics
    from sluice_runtime.outages import OutageLog
    from sluice_runtime.redaction import RedactingFilter, redact, register_secrets
    from sluice_runtime.runner import Build, BusFactory, kafka_bus, run_service
    from sluice_runtime.web import build_app

__all__ = [
    "Assembly",
    "Build",
    "BusFactory",
    "Component",
    "ConfigError",
    "EmbeddedStack",
    "OutageLog",
    "Port",
    "Problem",
    "RedactingFilter",
    "ServiceMetrics",
    "SluiceSettings",
    "build_app",
    "config_problem",
    "exit_config_error",
    "kafka_bus",
    "load_settings",
    "read_settings",
    "redact",
    "register_secrets",
    "run_service",
    "settings_bus",
]

# Each name loads its module on first use: ``from sluice_runtime.config import ...`` (the CLI,
# a service's settings) must not pay for FastAPI, uvicorn and tracing (docs/e2e.md, start-up).
_WHERE = {
    "settings_bus": "buses",
    "Assembly": "component",
    "Component": "component",
    "ConfigError": "config",
    "Port": "config",
    "Problem": "config",
    "SluiceSettings": "config",
    "config_problem": "config",
    "exit_config_error": "config",
    "load_settings": "config",
    "read_settings": "config",
    "EmbeddedStack": "embedded",
    "ServiceMetrics": "metrics",
    "OutageLog": "outages",
    "RedactingFilter": "redaction",
    "redact": "redaction",
    "register_secrets": "redaction",
    "Build": "runner",
    "BusFactory": "runner",
    "kafka_bus": "runner",
    "run_service": "runner",
    "build_app": "web",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"sluice_runtime.{_WHERE[name]}"), name)
