"""Settings from environment variables, validated once at start.

Services subclass ``SluiceSettings``; a field ``ibkr_host`` reads ``IBKR_HOST`` (no prefix,
case-insensitive), a field with a ``validation_alias`` reads exactly that variable, and
``json_schema_extra={"expects": "..."}`` on a field says what a valid value looks like. Errors name
the environment variable and what it expects, never echo secrets, and exit with status 2.

One convention everywhere: fields are snake_case, environment names are their aliases (explicit,
or the field name upper-cased after the model's ``env_prefix``). Code that builds settings
directly (tests, the embedded stack) passes field names, never environment names.

A validator that knows better than "expected X, got Y" raises ``config_problem(message)``: the
message is shown as written (it must name what to change and never contain the value).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Literal, NoReturn, TypeVar, get_args

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    SecretBytes,
    SecretStr,
    ValidationError,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from sluice_runtime.redaction import redact, register_secrets

CONFIG_EXIT_CODE = 2

PROBLEM_TYPE = "sluice_config"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["auto", "json", "text"]


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _http_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("not an http(s) URL")
    return value


Port = Annotated[int, Field(ge=1, le=65535, json_schema_extra={"expects": "an integer 1-65535"})]


class _AliasesOnly(EnvSettingsSource):
    """The environment by each field's environment name only. ``validate_by_name`` is for code
    that builds settings; pydantic-settings would otherwise also read a variable named after
    the field itself (``INSECURE`` setting ``IBKR_CP_INSECURE``)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.config = {**self.config, "validate_by_name": False}


class SluiceSettings(BaseSettings):
    """What every Sluice service reads from its environment."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    kafka_bootstrap: str | None = Field(
        None,
        validation_alias="SLUICE_KAFKA_BOOTSTRAP",
        json_schema_extra={"expects": "host:port[,host:port...] of the Kafka brokers"},
    )
    # All interfaces: in a container the probes and the scraper come from outside.
    http_host: str = Field("0.0.0.0", validation_alias="SLUICE_HTTP_HOST")
    http_port: Port = Field(8080, validation_alias="SLUICE_HTTP_PORT")
    log_level: Annotated[LogLevel, BeforeValidator(_upper)] = Field(
        "INFO", validation_alias="SLUICE_LOG_LEVEL"
    )
    log_format: LogFormat = Field(
        "auto",
        validation_alias="SLUICE_LOG_FORMAT",
        json_schema_extra={"expects": "auto (text on a terminal, else JSON), json or text"},
    )
    partitions: int = Field(
        3,
        ge=1,
        le=1000,
        validation_alias="SLUICE_PARTITIONS",
        json_schema_extra={"expects": "an integer 1-1000"},
    )
    otlp_endpoint: Annotated[str | None, AfterValidator(_http_url)] = Field(
        None,
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        json_schema_extra={"expects": "an http(s):// URL of an OTLP/HTTP collector"},
    )
    service_name: str | None = Field(None, validation_alias="SLUICE_SERVICE_NAME")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments in code, then the environment (no .env file, no secrets directory)."""
        return init_settings, _AliasesOnly(settings_cls)

    def secret_values(self) -> list[str]:
        """The plain values of every ``SecretStr``/``SecretBytes`` field (for log scrubbing)."""
        values: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                values.append(value.get_secret_value())
            elif isinstance(value, SecretBytes):
                values.append(value.get_secret_value().decode("utf-8", "replace"))
        return values


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad environment variable and what is wrong with it."""

    variable: str
    message: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.message}"


class ConfigError(Exception):
    """The environment does not configure a runnable service."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def config_problem(message: str) -> PydanticCustomError:
    """A validation error whose message is shown verbatim (say what to change, echo no value)."""
    return PydanticCustomError(PROBLEM_TYPE, message)


S = TypeVar("S", bound=SluiceSettings)


def read_settings(cls: type[S]) -> S:
    """Settings from the environment, or ``ConfigError`` with one problem per bad variable."""
    try:
        settings = cls()
    except ValidationError as exc:
        raise ConfigError(_problems(cls, exc.errors())) from None
    except SettingsError as exc:  # a complex field whose value is not JSON
        raise ConfigError([Problem("environment", redact(str(exc)))]) from None
    register_secrets(settings.secret_values())
    return settings


def load_settings(cls: type[S]) -> S:
    """``read_settings``, exiting with status 2 and a readable message on bad configuration."""
    try:
        return read_settings(cls)
    except ConfigError as exc:
        exit_config_error(exc)


def print_config_error(error: ConfigError) -> None:
    """One line per problem on stderr."""
    for problem in error.problems:
        print(f"configuration error: {problem}", file=sys.stderr)


def exit_config_error(error: ConfigError) -> NoReturn:
    """Print one line per problem on stderr and exit with status 2 (no traceback)."""
    print_config_error(error)
    raise SystemExit(CONFIG_EXIT_CODE)


def env_name(cls: type[SluiceSettings], field: str) -> str:
    """The environment variable a settings field reads (``A/B`` when either may be set)."""
    info = cls.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return "/".join(str(choice) for choice in alias.choices)
    prefix = cls.model_config.get("env_prefix") or ""
    return f"{prefix}{field}".upper()


def _aliases(info: FieldInfo) -> tuple[object, ...]:
    alias = info.validation_alias
    return tuple(alias.choices) if isinstance(alias, AliasChoices) else (alias,)


def _field(cls: type[SluiceSettings], loc: str) -> tuple[str, FieldInfo | None]:
    for name, info in cls.model_fields.items():
        if loc == name or loc in _aliases(info):
            return name, info
    return loc, None


def _problems(cls: type[SluiceSettings], errors: list[ErrorDetails]) -> list[Problem]:
    problems: dict[str, Problem] = {}
    for error in errors:
        if not error["loc"]:  # a model validator: its message names the variables itself
            problems.setdefault("", Problem("configuration", _reason(error)))
            continue
        loc = str(error["loc"][0])
        name, info = _field(cls, loc)
        # a cross-field check may name a variable that is no field's
        variable = env_name(cls, name) if info is not None or not loc.isupper() else loc
        # a written problem is one line each; pydantic's own errors, one per variable
        key = f"{variable}: {error['msg']}" if error["type"] == PROBLEM_TYPE else variable
        problems.setdefault(key, Problem(variable, _describe(error, info)))
    return list(problems.values())


def _describe(error: ErrorDetails, info: FieldInfo | None) -> str:
    if error["type"] == PROBLEM_TYPE:
        return error["msg"]
    if error["type"] == "missing":
        wanted = _expectation(info)
        return f"required but not set{f' (expected {wanted})' if wanted else ''}"
    wanted = _expectation(info) or _reason(error).removeprefix("input should be ")
    return f"expected {wanted}, got {_shown(error['input'], info)}"


def _expectation(info: FieldInfo | None) -> str | None:
    extra = info.json_schema_extra if info is not None else None
    if isinstance(extra, dict) and isinstance(extra.get("expects"), str):
        return str(extra["expects"])
    for meta in info.metadata if info is not None else ():
        found = getattr(meta, "json_schema_extra", None)
        if isinstance(found, dict) and isinstance(found.get("expects"), str):
            return str(found["expects"])
    return None


def _reason(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message[:1].lower() + message[1:]


def _shown(value: object, info: FieldInfo | None) -> str:
    secret = info is not None and any(
        kind in (SecretStr, SecretBytes) for kind in (info.annotation, *get_args(info.annotation))
    )
    if secret or isinstance(value, SecretStr | SecretBytes):
        return "<hidden>"
    return repr(redact(value)) if isinstance(value, str) else redact(repr(value))
