"""The risk service's pure core: limits, state, checks and the rule engine (no I/O)."""
