"""Mutation testing of ``framework/`` with mutmut: the driver (``python -m tests.mutation``), the pytest
plugin the mutant runs load (``order``), and the accepted survivors (``accepted.toml``)."""
