"""Local tooling for graphworker: the local Gremlin endpoint, the local SQS runner, the demo.

Never shipped to Lambda; the framework does not import it.
"""
