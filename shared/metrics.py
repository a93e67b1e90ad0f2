"""Prometheus metrics every service exposes on /metrics, labelled by service."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "oco_events_consumed_total", "Messages taken from a topic, by outcome.",
    ["service", "topic", "outcome"],
)
EVENTS_PUBLISHED = Counter("oco_events_published_total", "Events published.", ["service", "topic"])
HANDLER_SECONDS = Histogram(
    "oco_handler_seconds", "Time spent handling one message.", ["service", "topic"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HANDLER_ERRORS = Counter("oco_handler_errors_total", "Handler attempts that raised.", ["service", "topic", "error"])
DEAD_LETTERS = Counter("oco_dead_letters_total", "Messages sent to a dead-letter topic.", ["service", "topic"])
CONSUMER_LAG = Gauge(
    "oco_consumer_lag", "Messages behind the partition's high-water mark.",
    ["service", "group", "topic", "partition"],
)
