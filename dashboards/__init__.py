"""CloudWatch dashboard and alarms for graphworker, generated from the framework's metric catalog.

- :mod:`dashboards.layout`: the widgets, described once (also drawn locally by ``graphworker dashboard``).
- :mod:`dashboards.alarms`: the alarms and their thresholds (template parameter defaults).
- :mod:`dashboards.aws`: the AWS service metrics used (SQS, Lambda, Neptune).
- :mod:`dashboards.deployment`: the template's functions, queues and parameters the above refer to.
- :mod:`dashboards.cloudwatch`, :mod:`dashboards.template`, :mod:`dashboards.render`: the dashboard
  body and alarm resources, written into ``template.yaml`` by ``python -m dashboards.render --write``.

Local tooling, not shipped code: nothing in ``framework/`` or ``handlers/`` imports it.
"""
