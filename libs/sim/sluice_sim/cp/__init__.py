"""Client Portal Web API simulator: HTTPS, session model, limits, prompts, faults, allowlist;
optionally IBKR's hosted Web API with OAuth 1.0a (``mode="webapi"``)."""

from .control import CpControl
from .limits import DEFAULT_LIMITS, Limit
from .oauth import OAuthSimConfig
from .oauth_keys import CREDENTIAL_FILES, OAuthKeys
from .prompts import PromptRules
from .server import CpSimulator
from .state import CpSimConfig
from .tls import TlsMaterial, generate_self_signed

__all__ = [
    "CREDENTIAL_FILES",
    "DEFAULT_LIMITS",
    "CpControl",
    "CpSimConfig",
    "CpSimulator",
    "Limit",
    "OAuthKeys",
    "OAuthSimConfig",
    "PromptRules",
    "TlsMaterial",
    "generate_self_signed",
]
