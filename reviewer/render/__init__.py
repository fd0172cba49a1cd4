"""Renderers: the store (and the stored summaries) written out as files for other
tools, e.g. ``wiki`` (one JSON file per paper, an index and their JSON Schemas)."""
