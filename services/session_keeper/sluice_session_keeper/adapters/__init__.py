"""The session-keeper's adapters: the lease that elects the active instance."""
