"""Importer: replays a Slack workspace export onto the bus through the gateway's translation."""
