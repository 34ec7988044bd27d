"""A local, Neptune-compatible Gremlin endpoint that real gremlinpython clients talk to."""
