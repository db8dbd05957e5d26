"""paywatch alerts: the SLO spec, generated Prometheus rules and the Alertmanager configuration.

``rule_files`` and ``alertmanager_config`` are what the stack and the committed files are made from.
"""

from alerts.alertmanager import ALERTMANAGER_PATH, TEMPLATES_DIR, alertmanager_config
from alerts.generate import RULES_DIR, alert_rules, rule_files
from alerts.spec import SPEC_PATH, AlertSpec, SpecError, load_spec

__all__ = [
    "ALERTMANAGER_PATH",
    "RULES_DIR",
    "SPEC_PATH",
    "TEMPLATES_DIR",
    "AlertSpec",
    "SpecError",
    "alert_rules",
    "alertmanager_config",
    "load_spec",
    "rule_files",
]
