"""Lambda entry points built on graphworker (the SAM ``CodeUri``).

- ``handlers.identity.handler``: an identity graph (users, emails, phones, devices, IPs).
- ``handlers.transactions.handler``: a fraud / transactions graph (accounts, cards, merchants).
"""

# Cold start: the framework's worker (and through it Powertools' batch utility) is imported before
# any handler module imports pydantic. Powertools' batch utility loads its own Pydantic models of
# every event source (SQS, Kinesis, DynamoDB, Kafka, ...) when it finds pydantic already imported,
# which graphworker never uses; importing it first keeps them out of every cold start.
import framework.worker  # noqa: F401
