"""The gateway's own Prometheus metrics (the shared ones count published events)."""

from prometheus_client import Counter, Histogram

SLACK_REQUESTS = Counter(
    "oco_gateway_requests_total", "Requests from Slack, by kind and HTTP status.", ["kind", "status"],
)
SLACK_REQUEST_SECONDS = Histogram(
    "oco_gateway_request_seconds", "Time from receiving a Slack request to answering it.", ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
