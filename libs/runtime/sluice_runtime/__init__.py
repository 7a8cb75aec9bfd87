"""Sluice service runtime: settings, JSON logs, tracing, HTTP health/metrics, lifecycle.

A service provides ``build(settings, bus) -> Assembly`` (its ``Component`` and the HTTP routes
over it) and a ``__main__`` calling ``run_service``; the embedded stack runs the same builds on
the in-memory bus.
"""

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
