"""The project's own library: event envelope and schemas, topics, bus and store helpers."""
