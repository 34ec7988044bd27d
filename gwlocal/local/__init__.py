"""``graphworker local``: the whole pipeline on one machine (local SQS, local Gremlin endpoint,
a Lambda-like event source mapping and execution contexts running a real handler)."""
