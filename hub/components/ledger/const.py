"""Names of the ledger: record kinds, follow-up states, file layout, limits."""

from __future__ import annotations

from typing import Final

from hub.core.photos import MAX_PHOTO_BYTES, PHOTO_DIR

DOMAIN: Final = "ledger"

KIND_PASSAGE: Final = "passage"
FOLLOWUP_KINDS: Final = ("release", "correction", "weight", "cargo", "acceptance", "lifecycle", "emission")
# Written by the retention job: where the pruned part of the chain ended (not a passage).
KIND_CHECKPOINT: Final = "checkpoint"

# Lifecycle states after which a passage is no longer open (docs/architecture.md: one passage).
FINISHED_STATES: Final = ("closed", "denied", "interrupted")

GENESIS_HASH: Final = "0" * 64
EVIDENCE_DIR: Final = PHOTO_DIR  # the hub's photo store (hub.core.photos)
# Last committed link of each chain, kept beside the database to notice rows cut off the end.
HEAD_FILE: Final = "ledger_head_{chain}.json"

MAX_IMAGE_BYTES: Final = MAX_PHOTO_BYTES
MAX_BATCH: Final = 1000  # rows committed in one transaction by the writer
MAX_PAGE_SIZE: Final = 500
