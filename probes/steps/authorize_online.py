"""Step ``authorize_online``: an online purchase with the issued card, tracked for reversal.

The reversal record exists before the request leaves, so a lost answer (timeout, reset,
garbage) still gets reversed; only a definitive answer that nothing was held resolves it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from paywatch.taxonomy import Reason, classify_iso_code
from probes.models import AuthorizationAnswer, IssuedCard
from probes.results import StepResult
from probes.reversals import refused_outright
from probes.steps.base import authorization_record, from_http, passed

if TYPE_CHECKING:
    from probes.context import JourneyContext

__all__ = ["DEFAULT_ONLINE_MERCHANT", "AuthorizeOnline"]

DEFAULT_ONLINE_MERCHANT = "MONLINE00SHOP01"


class AuthorizeOnline:
    """Leaves ``online_authorization`` (a reversal record id) and ``available_before_hold``."""

    name = "authorize_online"
    authorizes = "online"

    async def run(self, ctx: JourneyContext) -> StepResult:
        card: IssuedCard = ctx.require("card")
        body = {
            "pan": card.pan,
            "expiry": card.expiry,
            "cvv": card.cvv,
            "amount": ctx.amount,
            "currency": ctx.currency,
            "merchant_id": str(ctx.journey.options.get("merchant_id", DEFAULT_ONLINE_MERCHANT)),
        }
        key = str(uuid.uuid4())
        record_id = ctx.reverser.track_online(ctx.journey.name, ctx.region.name, key, body)
        ctx.tracked.append(record_id)
        ctx.values["online_authorization"] = record_id
        started = time.perf_counter()
        answer = await ctx.http.call("POST", "/v1/authorizations", AuthorizationAnswer, json=body, idempotency_key=key)
        elapsed = time.perf_counter() - started
        decision = answer.body
        if decision is None:
            if refused_outright(answer.status):
                ctx.reverser.resolve(record_id)
            result = from_http(self.name, answer)
            record = authorization_record("online", answer.reason, elapsed, answer.response_code)
            return replace(result, authorization=record)
        if not decision.approved:
            ctx.reverser.resolve(record_id)
            reason = classify_iso_code(decision.response_code).reason
            if reason is Reason.APPROVED:
                reason = Reason.INTERFACE_ERROR  # "not approved" with code 00 contradicts itself
            record = authorization_record("online", reason, elapsed, decision.response_code)
            detail = f"declined with response code {decision.response_code}"
            result = StepResult(self.name, False, reason, 0.0, decision.response_code, answer.phases, detail)
            return replace(result, authorization=record)
        ctx.reverser.learned(record_id, decision.authorization_id)
        if decision.available is not None:
            ctx.values["available_before_hold"] = decision.available + ctx.amount
        record = authorization_record("online", Reason.APPROVED, elapsed, decision.response_code)
        return passed(self.name, answer.phases, response_code=decision.response_code, authorization=record)
