"""The IB Gateway / TWS socket path (ib_async 2.1.0): the only module tree importing ib_async."""

from sluice_order_router.adapters.socket.gateway import SocketGateway

__all__ = ["SocketGateway"]
