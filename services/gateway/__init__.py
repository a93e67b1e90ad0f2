"""Gateway: the only inbound door from Slack. Verifies, translates, publishes, then acknowledges."""
