"""reviewer: a literature-review agent over a store of paper abstracts."""

__version__ = "0.1.0"
