"""Typed errors that decide what a consumer does with a message."""


class PermanentError(Exception):
    """Retrying will not help (bad data, a refused Slack call): the message goes to the DLQ."""


class TransientError(Exception):
    """May heal by itself (a time-out, a 5xx): retried with back-off, then dead-lettered."""
