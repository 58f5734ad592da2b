"""Treasury background work: only its indexer handlers (registered on import)."""

from partisipro.treasury import handlers  # noqa: F401
