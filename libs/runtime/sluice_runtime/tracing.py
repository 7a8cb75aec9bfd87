"""OpenTelemetry for a Sluice process: one TracerProvider, W3C propagation, HTTP instrumentation.

OpenTelemetry allows one global TracerProvider per process, so the first ``setup_tracing``
installs it (``service.name`` = that service) and later calls only add exporters; the
embedded stack's services therefore share one provider named after the stack.

The exporter and the instrumentations are imported where they are used: together with
httpx and the protobuf runtime they cost about a second of a service's start on the 2-core
box (``docs/e2e.md``, start-up), and a service without an OTLP endpoint, HTTP routes of its
own or an httpx client needs none of them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

# Probes and scrapes every few seconds would drown the traces that matter.
_UNTRACED_URLS = "healthz,readyz,metrics"

_lock = threading.Lock()


def setup_tracing(service: str, otlp_endpoint: str | None = None) -> TracerProvider:
    """The process's SDK TracerProvider, created on first call; exports to OTLP/HTTP if given.

    Also installs the W3C trace-context + baggage propagator (what the bus writes into
    Kafka headers); ``instrument_httpx`` traces the process's httpx clients.
    """
    with _lock:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
            trace.set_tracer_provider(provider)
            propagate.set_global_textmap(
                CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
            )
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
                OTLPSpanExporter,
            )

            exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
            provider.add_span_processor(BatchSpanProcessor(exporter))
        return provider


def install_memory_exporter(service: str = "sluice-test") -> InMemorySpanExporter:
    """Test hook: every span ended from now on is also kept in the returned exporter."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
        InMemorySpanExporter,
    )

    exporter = InMemorySpanExporter()
    setup_tracing(service).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def instrument_app(app: FastAPI) -> None:
    """Trace the app's requests (server spans continue the caller's ``traceparent``)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=trace.get_tracer_provider(), excluded_urls=_UNTRACED_URLS
    )


def instrument_httpx() -> None:
    """Trace every httpx client created from now on (idempotent); called by code that is about
    to create one, so a process without httpx clients never imports httpx."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: PLC0415

    with _lock:
        instrumentor = HTTPXClientInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=trace.get_tracer_provider())


def flush_tracing() -> None:
    """Export what is buffered (called at shutdown; exporters stay usable)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis=5000)
