"""The generated contract files track the Structs, and old messages keep decoding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sluice_proto import generate
from sluice_proto.codec import decode, encode
from sluice_proto.topics import TOPICS

FIXTURES = Path(__file__).parent / "fixtures" / "v1"
_TOPIC_OF_TYPE = {
    generate.tag(cls): name for name, spec in TOPICS.items() for cls in generate.event_classes(spec)
}


def test_generated_files_are_current() -> None:
    stale = generate.stale_files()
    assert not stale, f"run `uv run python -m sluice_proto.generate`; stale: {stale}"


def test_a_stale_schema_is_detected(tmp_path: Path) -> None:
    copy = tmp_path / "proto"
    shutil.copytree(generate.PROTO_DIR / "schemas", copy / "schemas")
    shutil.copy(generate.PROTO_DIR / "asyncapi.json", copy / "asyncapi.json")
    assert generate.stale_files(copy) == []

    signal_schema = copy / "schemas" / "signal.json"
    document = json.loads(signal_schema.read_text())
    del document["$defs"]["Signal"]["properties"]["quantity"]
    signal_schema.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    (copy / "schemas" / "removed_event.json").write_text("{}\n")

    assert set(generate.stale_files(copy)) == {
        signal_schema,
        copy / "schemas" / "removed_event.json",
    }


def test_every_event_has_a_schema_and_an_asyncapi_message() -> None:
    document = generate.asyncapi()
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == set(TOPICS)
    for event_type in _TOPIC_OF_TYPE:
        assert (generate.PROTO_DIR / "schemas" / f"{event_type}.json").exists()
        assert event_type in document["components"]["messages"]


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_old_messages_still_decode(fixture: Path) -> None:
    raw = fixture.read_bytes().strip()
    topic = _TOPIC_OF_TYPE[json.loads(raw)["type"]]
    event = decode(topic, raw)
    assert decode(topic, encode(event)) == event
