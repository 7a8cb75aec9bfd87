"""The simulator's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from .control import CpControl, control_routes
from .guards import API_PREFIX, guard
from .routes_history import history_routes
from .routes_market import market_routes
from .routes_oauth import oauth_routes
from .routes_orders import order_routes
from .routes_portfolio import portfolio_routes
from .routes_session import session_routes
from .routes_ws import ws_routes
from .state import CpState


def create_app(state: CpState, control: CpControl) -> FastAPI:
    """The Client Portal API under ``/v1/api`` plus the control API under ``/_sim``."""
    app = FastAPI(title="Sluice Client Portal simulator", docs_url=None, redoc_url=None)
    app.middleware("http")(guard(state))
    routers = [session_routes(state), order_routes(state), market_routes(state)]
    routers.append(history_routes(state))
    routers.append(ws_routes(state))
    routers.append(portfolio_routes(state))
    if state.oauth is not None:
        routers.append(oauth_routes(state, state.oauth))
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(control_routes(control))
    return app
