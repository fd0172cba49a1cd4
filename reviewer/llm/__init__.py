"""The LLM layer: litellm routing, instructor validation, tenacity transport
retries, a response cache, a call log and a cost budget."""
