"""graphworker framework: the library that ships to AWS Lambda.

It must never import the local tooling package (``gwlocal``); the dependency only goes the
other way.
"""
