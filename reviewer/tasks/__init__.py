"""Writing tasks: retrieve -> prompt -> validate -> result."""
