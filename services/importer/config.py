"""Settings of the importer (env prefix `OCO_`, like every service)."""

from __future__ import annotations

import os

from pydantic import Field

from shared.settings import ServiceSettings


class ImporterSettings(ServiceSettings):
    # Events per ledger round trip: one `$in` check before publishing, one insert after the acks.
    import_batch_size: int = Field(2000, ge=1)
    # Batches published but not yet acknowledged and recorded; bounds memory and keeps the
    # producer busy while the ledger is written.
    import_max_in_flight_batches: int = Field(8, ge=1)
    # Producer batching: the bench's bare-producer baseline uses the same two values.
    import_linger_ms: int = Field(5, ge=0)
    import_max_batch_bytes: int = Field(262144, ge=16384)
    # Exports with at least this many bytes of day files are translated in worker processes
    # (translation costs as much CPU per event as the producer's send).
    import_worker_min_bytes: int = Field(8_000_000, ge=0)
    # Default: one per core beyond the first (which publishes), at most four.
    import_workers: int = Field(default_factory=lambda: max(1, min(4, (os.cpu_count() or 2) - 1)), ge=1)
    # How many problems the summary lists one by one (all are counted).
    import_problems_listed: int = Field(200, ge=0)
