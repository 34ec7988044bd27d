"""Every parameter combination the template accepts is one AWS accepts: Rules refuse the rest
before any resource is created (an operator sees the reason at once, not a failed stack)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from .cfn import parameter_errors, parameter_values, refused_by_rules

REQUIRED = {"NeptuneEndpoint": "db.cluster-x.us-east-1.neptune.amazonaws.com", "NeptuneClusterId": "db",
            "NeptuneClusterResourceId": "cluster-ABC", "VpcId": "vpc-1", "VpcSubnetIds": "subnet-1",
            "NeptuneSecurityGroupId": "sg-1"}


def lambda_accepts_sqs_source(batch_size: int, window_s: int) -> bool:
    """Lambda's CreateEventSourceMapping for a standard SQS queue (AWS Lambda API reference,
    BatchSize and MaximumBatchingWindowInSeconds): 1-10000 messages; above 10, a batching window of
    at least 1 s; a window of 0-300 s."""
    return 1 <= batch_size <= 10_000 and 0 <= window_s <= 300 and (batch_size <= 10 or window_s >= 1)


def test_batch_size_and_window_combinations_are_exactly_lambdas(source):
    windows = [int(v) for v in source["Parameters"]["MaximumBatchingWindow"]["AllowedValues"]]
    sizes = [0, 1, 2, 9, 10, 11, 12, 100, 1000, 9999, 10_000, 10_001]
    checked = 0
    for size, window in itertools.product(sizes, windows):
        values = parameter_values(source, **REQUIRED, BatchSize=size, MaximumBatchingWindow=window)
        template_accepts = not parameter_errors(source, values) and not refused_by_rules(source, values)
        assert template_accepts == lambda_accepts_sqs_source(size, window), (size, window)
        checked += 1
    assert checked == len(sizes) * len(windows)
    # The defaults deploy, and the refusal says why.
    assert not refused_by_rules(source, parameter_values(source, **REQUIRED))
    (reason,) = refused_by_rules(source, parameter_values(source, **REQUIRED, BatchSize=100,
                                                                  MaximumBatchingWindow=0))
    assert "MaximumBatchingWindow" in reason


def test_max_receive_count_is_at_least_awss_advised_minimum(source):
    spec = source["Parameters"]["MaxReceiveCount"]
    assert spec["MinValue"] == 5 and int(spec["Default"]) >= 5
    assert "at least 5" in spec["ConstraintDescription"]
    for count, ok in ((1, False), (4, False), (5, True), (1000, True), (1001, False)):
        values = parameter_values(source, **REQUIRED, MaxReceiveCount=count)
        assert (not parameter_errors(source, values)) == ok, count


def test_otlp_needs_a_collector(source):
    def refused(**given):
        return refused_by_rules(source, parameter_values(source, **REQUIRED, **given))

    assert refused(TracesExporter="otlp")  # localhost:4318 with no collector layer: spans go nowhere
    assert not refused(TracesExporter="otlp", AdotLayerArn="arn:aws:lambda:us-east-1:901920570463:layer:x:1")
    assert not refused(TracesExporter="otlp", OtlpEndpoint="https://collector.internal:4318")
    assert not refused(TracesExporter="none")


def test_iam_needs_the_cluster_resource_id(source):
    values = parameter_values(source, **{**REQUIRED, "NeptuneClusterResourceId": ""})
    assert refused_by_rules(source, values)
    assert not refused_by_rules(source, {**values, "UseIam": "false"})


def test_log_retention_choices_are_cloudwatch_logs_values(source):
    spec = source["Parameters"]["LogRetentionDays"]
    # CloudWatch Logs PutRetentionPolicy accepts exactly these (plus "never expire", not offered).
    assert [int(v) for v in spec["AllowedValues"]] == [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
    assert int(spec["Default"]) in [int(v) for v in spec["AllowedValues"]]


def test_event_source_defaults_are_the_ones_the_readme_justifies(source):
    """The README explains these defaults with a benchmark; a changed default must change the text too."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    row = re.search(r"\| `BatchSize`, `MaximumBatchingWindow`, `MaximumConcurrency` \| (\d+), (\d+) s, (\d+) \|",
                    readme)
    assert row is not None
    params = source["Parameters"]
    defaults = (params["BatchSize"]["Default"], params["MaximumBatchingWindow"]["Default"],
                params["MaximumConcurrency"]["Default"])
    assert tuple(int(v) for v in defaults) == tuple(int(v) for v in row.groups())
    assert f"(`BatchSize` {row.group(1)}, `MaximumBatchingWindow` {row.group(2)} s, `MaximumConcurrency`" in readme
