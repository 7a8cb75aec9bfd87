"""``sluice.control.v1``: operator commands (key: account, or ``*`` for every account)."""

from __future__ import annotations

import msgspec

from sluice_proto.common import NonEmpty, UtcDatetime, utc_now

ALL_ACCOUNTS = "*"


class KillSwitch(msgspec.Struct, kw_only=True, tag_field="type", tag="kill_switch"):
    """Stop new orders and cancel every open order."""

    account: NonEmpty = ALL_ACCOUNTS
    operator: str = "unknown"
    reason: str = ""
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class Resume(msgspec.Struct, kw_only=True, tag_field="type", tag="resume"):
    """Lift the kill switch."""

    account: NonEmpty = ALL_ACCOUNTS
    operator: str = "unknown"
    reason: str = ""
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class AcceptBroker(msgspec.Struct, kw_only=True, tag_field="type", tag="accept_broker"):
    """The operator accepts the broker's figures: risk adopts the broker's positions of the
    account as its book and lifts the ``POSITION_DRIFT`` halt."""

    account: NonEmpty
    operator: str = "unknown"
    reason: str = ""
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


ControlEvent = KillSwitch | Resume | AcceptBroker
