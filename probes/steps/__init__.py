"""Journey steps, one module each; a step is ``async def run(ctx) -> StepResult``."""

from probes.steps.activate_card import ActivateCard
from probes.steps.authorize_online import AuthorizeOnline
from probes.steps.authorize_pos import AuthorizePos
from probes.steps.balance_pos import BalanceBefore, VerifyBalance
from probes.steps.base import Step, check_failed, expect_status, from_answer, from_http, from_iso, passed
from probes.steps.check_funding import CheckFunding
from probes.steps.close_card import CloseCard
from probes.steps.echo import Echo
from probes.steps.issue_card import IssueCard
from probes.steps.reverse_online import ReverseOnline
from probes.steps.reverse_pos import ReversePos
from probes.steps.verify_credit_line import VerifyCreditLine

__all__ = [
    "ActivateCard",
    "AuthorizeOnline",
    "AuthorizePos",
    "BalanceBefore",
    "CheckFunding",
    "CloseCard",
    "Echo",
    "IssueCard",
    "ReverseOnline",
    "ReversePos",
    "Step",
    "VerifyBalance",
    "VerifyCreditLine",
    "check_failed",
    "expect_status",
    "from_answer",
    "from_http",
    "from_iso",
    "passed",
]
