"""Client Portal Web API simulator: HTTPS, session model, limits, prompts, faults, allowlist."""

from .control import CpControl
from .limits import DEFAULT_LIMITS, Limit
from .prompts import PromptRules
from .server import CpSimulator
from .state import CpSimConfig
from .tls import TlsMaterial, generate_self_signed

__all__ = [
    "DEFAULT_LIMITS",
    "CpControl",
    "CpSimConfig",
    "CpSimulator",
    "Limit",
    "PromptRules",
    "TlsMaterial",
    "generate_self_signed",
]
