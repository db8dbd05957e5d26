"""The sandbox's HTTP JSON card API (PROTOCOL.md): issuance, activation, funding, authorization, reversal.

One aiohttp application also serves ``/healthz``, ``/openapi.json`` and the admin API; the
``card_api`` front's faults and the lost answers of inner faults are applied in one middleware.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.admin_api import add_admin_routes
from sandbox.decision import AuthRequest, DecisionEngine, Step
from sandbox.faults import LOST_ANSWER_EFFECTS, ActiveFault, Channel, Effect, FaultRegistry, Target
from sandbox.idempotency import IdempotencyConflict, IdempotencyStore, StoredAnswer, fingerprint
from sandbox.ledger import Authorization, AuthStatus, Card, CardStatus
from sandbox.openapi import openapi_document
from sandbox.web_json import echo, error, json_error, read_json

__all__ = ["REGION_HEADER", "build_app"]

REGION_HEADER = "X-Paywatch-Region"
HOLD_OPEN_S = 600.0
"""A ``timeout`` fault holds a request this long at most (or until shutdown), then drops it."""
MAX_IDEMPOTENCY_KEY = 255
MALFORMED_BODY = b'{"status": "ok", "authorization_id": <!-- upstream proxy error -->'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_FRONT_FAULT = web.RequestKey("front_fault", ActiveFault)
_LOST = web.RequestKey("lost_answer", Effect)


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class IssueBody(_Body):
    credit_line_id: Annotated[str, Field(min_length=1, max_length=64)]


class AuthorizeBody(_Body):
    # [0-9], not \d: the regex engine's \d also matches other scripts' digits
    pan: Annotated[str, Field(pattern=r"^[0-9]{12,19}$")]
    expiry: Annotated[str, Field(pattern=r"^[0-9]{4}$")]
    cvv: Annotated[str, Field(pattern=r"^[0-9]{3,4}$")]
    amount: Annotated[int, Field(ge=0, le=10**12 - 1, strict=True)]  # strict: true or "10" is not an amount
    currency: Annotated[str, Field(pattern=r"^[0-9]{3}$")] = "156"
    merchant_id: Annotated[str, Field(min_length=1, max_length=32)]


async def _json_body(request: web.Request, model: type[_Body]) -> Any:
    """The validated body, or a 400 naming the fields (never echoing their values: they may be card data)."""
    raw = await read_json(request)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors(include_input=False))
        raise json_error(web.HTTPBadRequest, "invalid_request", f"invalid or missing: {fields}") from None


_Found = TypeVar("_Found")


def _found(value: _Found | None, what: str) -> _Found:
    """``value``, or the 404 ``{what}_not_found`` when the id in the path names nothing."""
    if value is None:
        raise json_error(web.HTTPNotFound, f"{what}_not_found", f"no such {what}")
    return value


class CardApi:
    """Handlers of the ``/v1`` routes and the front middleware."""

    def __init__(
        self,
        engine: DecisionEngine,
        faults: FaultRegistry,
        api_keys: frozenset[str],
        shutdown: asyncio.Event,
        known_regions: frozenset[str],
    ) -> None:
        self.engine = engine
        self.known_regions = known_regions
        self.ledger = engine.ledger
        self.faults = faults
        self.api_keys = api_keys
        self.shutdown = shutdown
        self.idempotency = IdempotencyStore()

    # the front

    @web.middleware
    async def front(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/v1/"):
            return await handler(request)
        token = request.headers.get("Authorization", "")
        api_key = token[7:] if token.startswith("Bearer ") else ""
        if api_key not in self.api_keys:
            return error(401, "unauthorized", "missing or unknown API key")
        region = self._region(request)
        fault = self.faults.pick(Target.CARD_API, Channel.ONLINE, region)
        lost: Effect | None = None
        if fault is not None:
            effect = fault.spec.effect
            if effect is Effect.LATENCY:
                await asyncio.sleep(fault.spec.latency_s)
            elif effect in LOST_ANSWER_EFFECTS:
                lost = effect
            elif request.method == "POST" and request.path == "/v1/authorizations":
                request[_FRONT_FAULT] = fault  # an authorization's front decline/error is a logged decision
            elif effect is Effect.DECLINE:
                return error(422, "declined", "declined by the card API", response_code=fault.spec.code)
            else:
                return error(503, "unavailable", "card API unavailable")
        response = await self._idempotent(request, handler, api_key)
        lost = lost or request.get(_LOST)
        if lost is None:
            return response
        return await self._lose(request, lost)

    async def _idempotent(self, request: web.Request, handler: Handler, api_key: str) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        if len(key) > MAX_IDEMPOTENCY_KEY:  # every key is kept: their size bounds the store's memory
            return error(400, "invalid_idempotency_key", f"Idempotency-Key longer than {MAX_IDEMPOTENCY_KEY}")
        digest = fingerprint(request.method, request.path, await request.read())

        async def produce() -> StoredAnswer:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = exc
            body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
            return StoredAnswer(response.status, body, response.content_type)

        try:
            answer = await self.idempotency.run(api_key, key, digest, produce)
        except IdempotencyConflict:
            return error(409, "idempotency_key_reused", "this Idempotency-Key was used with another request")
        return web.Response(status=answer.status, body=answer.body, content_type=answer.content_type)

    async def _lose(self, request: web.Request, effect: Effect) -> web.StreamResponse:
        if effect is Effect.MALFORMED:
            return web.Response(status=200, body=MALFORMED_BODY, content_type="application/json")
        if effect is Effect.TIMEOUT:
            await self._hold_open(request)
        transport = request.transport
        if transport is not None:
            transport.abort()
        # nothing more can be written: let aiohttp drop the request quietly
        raise asyncio.CancelledError

    async def _hold_open(self, request: web.Request) -> None:
        """Until the client gives up (its connection closes), shutdown, or ``HOLD_OPEN_S``."""
        deadline = asyncio.get_running_loop().time() + HOLD_OPEN_S
        while asyncio.get_running_loop().time() < deadline:
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.shutdown.wait(), 0.5)
                return

    def _region(self, request: web.Request) -> str | None:
        """The caller's region; an unconfigured name counts as none, so labels downstream stay bounded."""
        region = request.headers.get(REGION_HEADER)
        return region if region in self.known_regions else None

    # cards

    async def issue(self, request: web.Request) -> web.Response:
        body: IssueBody = await _json_body(request, IssueBody)
        if self.ledger.credit_line(body.credit_line_id) is None:
            return error(404, "credit_line_not_found", f"no credit line {echo(body.credit_line_id)}")
        refused = await self._credit_line(request)
        if refused is not None:
            return refused
        card = self.ledger.issue_card(body.credit_line_id)
        return web.json_response(
            {
                "card_id": card.card_id,
                "pan": card.pan,
                "expiry": card.expiry,
                "cvv": card.cvv,
                "status": card.status.value,
                "credit_line_id": card.credit_line_id,
                "pan_masked": card.pan_masked,
            },
            status=201,
        )

    async def _credit_line(self, request: web.Request) -> web.Response | None:
        """One call of the credit-line component for issuance, funding or reversal; a refusal answer or None."""
        step = await self.engine.component(Target.CREDIT_LINE, Channel.ONLINE, self._region(request))
        return self._credit_line_answer(request, step)

    @staticmethod
    def _credit_line_answer(request: web.Request, step: Step) -> web.Response | None:
        """What a credit-line call's fault means for the HTTP answer: lost later, refused now, or None."""
        if step.lost is not None:
            request[_LOST] = step.lost
        if step.refused is None:
            return None
        if step.refused.spec.effect is Effect.DECLINE:
            return error(422, "declined", "declined by the credit line", response_code=step.refused.spec.code)
        return error(502, "credit_line_unavailable", "the credit line did not answer")

    def _card_or_404(self, request: web.Request) -> Card:
        return _found(self.ledger.card(request.match_info["card_id"]), "card")

    async def activate(self, request: web.Request) -> web.Response:
        card = self._card_or_404(request)
        if card.status is CardStatus.CLOSED:
            return error(409, "card_closed", "a closed card cannot be activated")
        if card.status is CardStatus.INACTIVE:
            card.status = CardStatus.ACTIVE
        return web.json_response({"card_id": card.card_id, "status": card.status.value})

    async def funding(self, request: web.Request) -> web.Response:
        card = self._card_or_404(request)
        refused = await self._credit_line(request)
        if refused is not None:
            return refused
        line = self.ledger.credit_line(card.credit_line_id)
        available = line.available if line else 0
        usable = card.status in (CardStatus.INACTIVE, CardStatus.ACTIVE)
        return web.json_response(
            {
                "card_id": card.card_id,
                "credit_line_id": card.credit_line_id,
                "bound": card.bound and line is not None,
                "available": available,
                "can_fund": card.bound and line is not None and usable and available > 0,
            }
        )

    async def close(self, request: web.Request) -> web.Response:
        card = self._card_or_404(request)
        card.status = CardStatus.CLOSED
        return web.json_response({"card_id": card.card_id, "status": card.status.value})

    # authorizations

    async def authorize(self, request: web.Request) -> web.Response:
        body: AuthorizeBody = await _json_body(request, AuthorizeBody)
        front: ActiveFault | None = request.get(_FRONT_FAULT)
        decision = await self.engine.authorize(
            AuthRequest(
                channel=Channel.ONLINE,
                pan=body.pan,
                expiry=body.expiry,
                cvv=body.cvv,
                amount=body.amount,
                currency=body.currency,
                merchant_id=body.merchant_id,
                region=self._region(request),
            ),
            front=front,
        )
        if decision.front_error:
            return error(503, "unavailable", "card API unavailable")
        if decision.lost is not None:
            request[_LOST] = decision.lost
        return web.json_response(
            {
                "authorization_id": decision.authorization.authorization_id,
                "approved": decision.approved,
                "response_code": decision.authorization.response_code,
                "reason": decision.reason.value,
                "available": decision.available,
            }
        )

    def _authorization_or_404(self, request: web.Request) -> Authorization:
        return _found(self.ledger.authorization(request.match_info["authorization_id"]), "authorization")

    async def reverse(self, request: web.Request) -> web.Response:
        authorization = self._authorization_or_404(request)
        if authorization.status is AuthStatus.CAPTURED:
            return error(409, "already_captured", "a captured authorization cannot be reversed")
        step = await self.engine.reverse(authorization, Channel.ONLINE, self._region(request))
        refused = self._credit_line_answer(request, step)
        if refused is not None:
            return refused
        line = self.ledger.credit_line(authorization.credit_line_id or "")
        return web.json_response(
            {
                "authorization_id": authorization.authorization_id,
                # a declined authorization held nothing: it stays "declined"
                "status": authorization.status.value,
                "available": line.available if line else None,
            }
        )

    async def capture(self, request: web.Request) -> web.Response:
        authorization = self._authorization_or_404(request)
        if authorization.status in (AuthStatus.DECLINED, AuthStatus.REVERSED):
            return error(409, "not_capturable", f"authorization is {authorization.status.value}")
        self.ledger.capture(authorization)
        return web.json_response({"authorization_id": authorization.authorization_id, "status": "captured"})

    async def lookup(self, request: web.Request) -> web.Response:
        return web.json_response(self._authorization_or_404(request).as_dict())

    async def credit_line(self, request: web.Request) -> web.Response:
        line = self.ledger.credit_line(request.match_info["credit_line_id"])
        if line is None:
            return error(404, "credit_line_not_found", "no such credit line")
        return web.json_response(line.as_dict())


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Routing errors (404, 405) answer JSON like every other error."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        return error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)


def build_app(
    engine: DecisionEngine,
    faults: FaultRegistry,
    api_keys: frozenset[str],
    shutdown: asyncio.Event,
    known_regions: frozenset[str],
) -> web.Application:
    api = CardApi(engine, faults, api_keys, shutdown, known_regions)
    app = web.Application(middlewares=[_json_errors, api.front], client_max_size=64 * 1024)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(openapi_document())

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_post("/v1/cards", api.issue)
    app.router.add_post("/v1/cards/{card_id}/activate", api.activate)
    app.router.add_get("/v1/cards/{card_id}/funding", api.funding)
    app.router.add_delete("/v1/cards/{card_id}", api.close)
    app.router.add_post("/v1/authorizations", api.authorize)
    app.router.add_post("/v1/authorizations/{authorization_id}/reversal", api.reverse)
    app.router.add_post("/v1/authorizations/{authorization_id}/capture", api.capture)
    app.router.add_get("/v1/authorizations/{authorization_id}", api.lookup)
    app.router.add_get("/v1/credit-lines/{credit_line_id}", api.credit_line)
    add_admin_routes(app, faults, engine.ledger, known_regions)
    return app
