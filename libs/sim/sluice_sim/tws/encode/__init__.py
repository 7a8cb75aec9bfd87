"""Encoders: venue objects to TWS message fields (server version 176, as ib_async decodes them)."""
