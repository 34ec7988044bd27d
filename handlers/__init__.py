"""Lambda entry points built on graphworker (the SAM ``CodeUri``).

- ``handlers.identity.handler``: an identity graph (users, emails, phones, devices, IPs).
- ``handlers.transactions.handler``: a fraud / transactions graph (accounts, cards, merchants).
"""
