"""Reading a service's /metrics in tests: scrape it, look a sample up."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True, slots=True)
class Scrape:
    """One /metrics answer: every sample by name and labels, and every metric name shown."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]
    names: frozenset[str]
    """Family names (a family with no sample yet still shows) and sample names
    (``_total``, ``_bucket``, ``_count``, ``_sum``)."""

    def value(self, metric: str, **labels: str) -> float:
        """The sample ``metric`` with exactly ``labels``; 0 when absent (a counter not yet
        moved)."""
        return self.samples.get((metric, frozenset(labels.items())), 0.0)

    def has(self, metric: str, **labels: str) -> bool:
        """Whether the sample ``metric`` with exactly ``labels`` is there at all."""
        return (metric, frozenset(labels.items())) in self.samples


def parse(text: str) -> Scrape:
    """Parse Prometheus text exposition."""
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        for sample in family.samples:
            names.add(sample.name)
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(samples, frozenset(names))


async def scrape(port: int) -> Scrape:
    """GET /metrics of the service on ``port`` (loopback)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        response = await http.get("/metrics")
    response.raise_for_status()
    return parse(response.text)
