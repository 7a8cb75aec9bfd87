"""The router's REST path: the Client Portal / Web API over httpx, through the egress door."""

from .gateway import RestGateway
from .settings import RestSettings

__all__ = ["RestGateway", "RestSettings"]
