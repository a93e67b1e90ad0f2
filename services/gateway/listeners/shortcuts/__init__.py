"""Global and message shortcuts (e.g. "Propose this", callback `oco_propose_this`)."""
