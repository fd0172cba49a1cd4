"""Papers: the record model, the readers of every input format, and merging."""
