"""A TWS / IB Gateway wire-protocol simulator over the paper venue, for ib_async 2.1.0."""
