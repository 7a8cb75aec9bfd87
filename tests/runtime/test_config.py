"""Settings errors name the environment variable and what it expects, without secrets."""

from __future__ import annotations

import os

import pytest

from sluice_runtime import ConfigError, SluiceSettings, read_settings, redact
from tests.runtime.demo_service import DemoSettings


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name.startswith(("SLUICE_", "OTEL_", "IBKR_", "TRADING_", "DEMO_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEMO_TOKEN", "s3cr3t-token")


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        read_settings(DemoSettings)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"SLUICE_HTTP_PORT": "70000"},
            "SLUICE_HTTP_PORT: expected an integer 1-65535, got '70000'",
        ),
        ({"SLUICE_PARTITIONS": "0"}, "SLUICE_PARTITIONS: expected an integer 1-1000, got '0'"),
        (
            {"SLUICE_LOG_LEVEL": "chatty"},
            "SLUICE_LOG_LEVEL: expected 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL', "
            "got 'CHATTY'",
        ),
        ({"IBKR_PORT": "x"}, "IBKR_PORT: expected an IB Gateway/TWS port, got 'x'"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
            "OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s):// URL of an OTLP/HTTP collector, "
            "got 'collector:4318'",
        ),
    ],
)
def test_one_message_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    assert problems(monkeypatch, **env) == [expected]


def test_every_bad_variable_is_reported_once_in_field_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEMO_TOKEN")
    found = problems(monkeypatch, SLUICE_HTTP_PORT="abc", TRADING_MODE="demo", SLUICE_LOG_LEVEL="x")
    assert [line.split(":")[0] for line in found] == [
        "SLUICE_HTTP_PORT",
        "SLUICE_LOG_LEVEL",
        "DEMO_TOKEN",
        "TRADING_MODE",
    ]


def test_credentials_in_a_bad_url_are_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    (line,) = problems(
        monkeypatch, OTEL_EXPORTER_OTLP_ENDPOINT="ftp://collector:hunter2@otel.example:4318"
    )
    assert "hunter2" not in line
    assert line.endswith("got 'ftp://***@otel.example:4318'")


def test_good_settings_register_their_secrets_for_redaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = read_settings(DemoSettings)
    assert settings.http_port == 8080 and settings.log_level == "INFO"
    assert redact("token=s3cr3t-token") == "token=***"


def test_base_settings_read_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    monkeypatch.setenv("SLUICE_LOG_LEVEL", "debug")
    monkeypatch.setenv("SLUICE_SERVICE_NAME", "risk-eu")
    settings = read_settings(SluiceSettings)
    assert (settings.kafka_bootstrap, settings.log_level, settings.service_name) == (
        "k1:9092,k2:9092",
        "DEBUG",
        "risk-eu",
    )


def test_code_builds_settings_by_field_name_but_the_environment_uses_only_aliases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert SluiceSettings(http_port=9001, log_level="debug").http_port == 9001
    monkeypatch.setenv("HTTP_PORT", "9002")  # the field's own name is not its variable
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    settings = read_settings(SluiceSettings)
    assert (settings.http_port, settings.log_level) == (8080, "INFO")


def test_a_written_problem_is_shown_as_written_and_choices_are_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typing import Annotated  # noqa: PLC0415

    from pydantic import AfterValidator, AliasChoices, Field  # noqa: PLC0415

    from sluice_runtime import config_problem  # noqa: PLC0415

    def refuse(value: str | None) -> str | None:
        if value is not None:
            raise config_problem("must be percent-encoded")
        return value

    class Choosy(SluiceSettings):
        door: Annotated[str | None, AfterValidator(refuse)] = Field(
            None, validation_alias=AliasChoices("DOOR_A", "DOOR_B")
        )

    monkeypatch.setenv("DOOR_B", "secret-value")
    with pytest.raises(ConfigError) as error:
        read_settings(Choosy)
    (problem,) = error.value.problems
    assert str(problem) == "DOOR_A/DOOR_B: must be percent-encoded"
