"""Generate ``proto/schemas/*.json`` (one JSON Schema per event) and ``proto/asyncapi.json``.

Run ``python -m sluice_proto.generate`` after changing an event; ``--check`` exits 1 when the
files on disk differ from what the Structs produce (the test suite runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path
from typing import Any

import msgspec

from sluice_proto.common import (
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_PRODUCER,
    HEADER_SCHEMA_VERSION,
)
from sluice_proto.topics import TOPICS, TopicSpec

PROTO_DIR = Path(__file__).resolve().parent.parent
ASYNCAPI_VERSION = "3.0.0"


def event_classes(spec: TopicSpec) -> list[type[msgspec.Struct]]:
    """The Struct types a topic carries, in declaration order."""
    args = typing.get_args(spec.events)
    return list(args) if args else [spec.events]


def tag(cls: type[msgspec.Struct]) -> str:
    """An event class's ``type`` tag."""
    return str(cls.__struct_config__.tag)


def _schema_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def event_schemas() -> dict[str, dict[str, Any]]:
    """``{type tag: standalone JSON Schema}`` for every event of every topic."""
    schemas: dict[str, dict[str, Any]] = {}
    for spec in TOPICS.values():
        for cls in event_classes(spec):
            schema = msgspec.json.schema(cls)
            schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            schema["$id"] = f"https://sluice.dev/schemas/{tag(cls)}.json"
            schemas[tag(cls)] = schema
    return schemas


def asyncapi() -> dict[str, Any]:
    """One AsyncAPI 3.0 document for every ``sluice.*`` topic."""
    classes = [cls for spec in TOPICS.values() for cls in event_classes(spec)]
    _, components = msgspec.json.schema_components(
        classes, ref_template="#/components/schemas/{name}"
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in TOPICS.values():
        channel_id = spec.name.replace(".", "_")
        refs = {}
        for cls in event_classes(spec):
            messages[tag(cls)] = {
                "name": tag(cls),
                "title": cls.__name__,
                "summary": (cls.__doc__ or "").strip().splitlines()[0],
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
                "headers": {"$ref": "#/components/schemas/SluiceHeaders"},
            }
            refs[tag(cls)] = {"$ref": f"#/components/messages/{tag(cls)}"}
        channels[channel_id] = {
            "address": spec.name,
            "description": spec.description,
            "messages": refs,
            "bindings": {
                "kafka": {
                    "topic": spec.name,
                    "topicConfiguration": {
                        "cleanup.policy": ["compact"] if spec.compacted else ["delete"]
                    },
                    "bindingVersion": "0.5.0",
                }
            },
            "x-sluice-key": spec.key,
            "x-sluice-producers": list(spec.producers),
            "x-sluice-internal": spec.internal,
        }
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Produced by {', '.join(spec.producers)}; key: {spec.key}.",
        }
    components["SluiceHeaders"] = _headers_schema()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Sluice event contract",
            "version": "1.0.0",
            "description": "Kafka topics of Sluice. Values are JSON encoded by msgspec; "
            "decimals are strings; timestamps are RFC 3339 UTC. Evolution is additive only "
            "(docs/events.md).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components},
    }


def _headers_schema() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            HEADER_EVENT_TYPE: text,
            HEADER_SCHEMA_VERSION: text,
            HEADER_EVENT_ID: text,
            HEADER_PRODUCER: text,
            "traceparent": text,
            "tracestate": text,
        },
        "required": [HEADER_EVENT_TYPE, HEADER_SCHEMA_VERSION, HEADER_EVENT_ID],
    }


def rendered(proto_dir: Path = PROTO_DIR) -> dict[Path, str]:
    """Every generated file under ``proto_dir`` and its exact content."""
    files = {
        proto_dir / "schemas" / f"{name}.json": _schema_text(schema)
        for name, schema in event_schemas().items()
    }
    files[proto_dir / "asyncapi.json"] = _schema_text(asyncapi())
    return files


def stale_files(proto_dir: Path = PROTO_DIR) -> list[Path]:
    """Generated files that are missing, differ, or are left over from a removed event."""
    files = rendered(proto_dir)
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    leftovers = [p for p in (proto_dir / "schemas").glob("*.json") if p not in files]
    return stale + leftovers


def main(argv: list[str] | None = None) -> int:
    """Write the generated files, or with ``--check`` report stale ones."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if generated files are stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(PROTO_DIR.parent)}", file=sys.stderr)
        if stale:
            print("run: uv run python -m sluice_proto.generate", file=sys.stderr)
        return 1 if stale else 0
    (PROTO_DIR / "schemas").mkdir(exist_ok=True)
    for path in (PROTO_DIR / "schemas").glob("*.json"):
        path.unlink()
    for path, text in rendered().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
