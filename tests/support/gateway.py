"""What the simulated IB Gateway (``sluice_sim.tws``) holds, under the names tests use."""

from __future__ import annotations

ACCOUNT = "DU1234567"
"""The paper account the simulator serves."""
AAPL_CON_ID = 265598
"""AAPL's contract id in the simulator's universe (as at IBKR)."""
