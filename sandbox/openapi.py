"""The OpenAPI 3.1 document of the sandbox's HTTP API, served at ``/openapi.json``.

Written as data next to PROTOCOL.md's table; a test checks it lists every route the app serves.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["openapi_document"]

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}


def _obj(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_ERRORS = {
    "400": _answer("invalid request", "Error"),
    "401": _answer("missing or unknown API key", "Error"),
    "404": _answer("unknown id", "Error"),
    "409": _answer("idempotency key reused with another body, or a state conflict", "Error"),
    "422": _answer("declined by an injected fault", "Error"),
    "502": _answer("an inner component failed", "Error"),
    "503": _answer("the card API failed", "Error"),
}


def _op(summary: str, ok: str, schema: str, *, body: str | None = None, post: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": [{"$ref": "#/components/parameters/Region"}, {"$ref": "#/components/parameters/Traceparent"}],
        "responses": {ok: _answer(summary, schema), **_ERRORS},
    }
    if post:
        op["parameters"].append({"$ref": "#/components/parameters/IdempotencyKey"})
        op["requestBody"] = {
            "required": body is not None,
            "content": {"application/json": {"schema": _ref(body) if body else {"type": "object"}}},
        }
    return op


def _path_param(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": _STR}]


def _admin(summary: str, status: str = "200") -> dict[str, Any]:
    return {"summary": summary, "responses": {status: {"description": summary}}}


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "paywatch sandbox card API",
            "version": "1",
            "description": "Reference payment system with fault injection. Amounts in fen, currency 156.",
        },
        "servers": [{"url": "http://127.0.0.1:8480"}],
        "paths": {
            "/healthz": {"get": {"summary": "liveness", "responses": {"200": _answer("ok", "Health")}}},
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI"}}}},
            "/v1/cards": {"post": _op("issue a virtual card", "201", "IssuedCard", body="IssueCard", post=True)},
            "/v1/cards/{card_id}/activate": {
                "parameters": _path_param("card_id"),
                "post": _op("activate a card", "200", "CardStatus", post=True),
            },
            "/v1/cards/{card_id}/funding": {
                "parameters": _path_param("card_id"),
                "get": _op("can the credit line fund this card", "200", "Funding"),
            },
            "/v1/cards/{card_id}": {
                "parameters": _path_param("card_id"),
                "delete": _op("close a card", "200", "CardStatus"),
            },
            "/v1/authorizations": {
                "post": _op("authorize a purchase", "200", "AuthorizationAnswer", body="AuthorizeRequest", post=True)
            },
            "/v1/authorizations/{authorization_id}/reversal": {
                "parameters": _path_param("authorization_id"),
                "post": _op("reverse an authorization (idempotent)", "200", "Reversal", post=True),
            },
            "/v1/authorizations/{authorization_id}/capture": {
                "parameters": _path_param("authorization_id"),
                "post": _op("capture an authorization", "200", "Capture", post=True),
            },
            "/v1/authorizations/{authorization_id}": {
                "parameters": _path_param("authorization_id"),
                "get": _op("look an authorization up", "200", "Authorization"),
            },
            "/v1/credit-lines/{credit_line_id}": {
                "parameters": _path_param("credit_line_id"),
                "get": _op("a credit line's limit and holds", "200", "CreditLine"),
            },
            "/admin/faults": {
                "post": _admin("inject a fault", "201"),
                "get": _admin("list active faults"),
                "delete": _admin("remove every fault"),
            },
            "/admin/faults/{fault_id}": {"parameters": _path_param("fault_id"), "delete": _admin("remove one fault")},
            "/admin/ledger": {"get": _admin("open holds by source, counts of credit lines and cards")},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "Region": {"name": "X-Paywatch-Region", "in": "header", "schema": _STR},
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "schema": {"type": "string", "maxLength": 255},
                },
                "Traceparent": {"name": "traceparent", "in": "header", "schema": _STR},
            },
            "schemas": {
                "Error": _obj(["error"], error=_STR, detail=_STR, response_code=_STR),
                "Health": _obj(["status"], status=_STR),
                "IssueCard": _obj(["credit_line_id"], credit_line_id=_STR),
                "IssuedCard": _obj(
                    ["card_id", "pan", "expiry", "cvv", "status", "credit_line_id", "pan_masked"],
                    card_id=_STR,
                    pan=_STR,
                    expiry={"type": "string", "pattern": "^\\d{4}$", "description": "YYMM"},
                    cvv=_STR,
                    status=_STR,
                    credit_line_id=_STR,
                    pan_masked=_STR,
                ),
                "CardStatus": _obj(["card_id", "status"], card_id=_STR, status=_STR),
                "Funding": _obj(
                    ["card_id", "credit_line_id", "bound", "available", "can_fund"],
                    card_id=_STR,
                    credit_line_id=_STR,
                    bound=_BOOL,
                    available=_INT,
                    can_fund=_BOOL,
                ),
                "AuthorizeRequest": _obj(
                    ["pan", "expiry", "cvv", "amount", "merchant_id"],
                    pan=_STR,
                    expiry=_STR,
                    cvv=_STR,
                    amount=_INT,
                    currency={"type": "string", "default": "156"},
                    merchant_id=_STR,
                ),
                "AuthorizationAnswer": _obj(
                    ["authorization_id", "approved", "response_code", "reason", "available"],
                    authorization_id=_STR,
                    approved=_BOOL,
                    response_code=_STR,
                    reason=_STR,
                    available={"type": ["integer", "null"]},
                ),
                "Reversal": _obj(
                    ["authorization_id", "status", "available"],
                    authorization_id=_STR,
                    status=_STR,
                    available={"type": ["integer", "null"]},
                ),
                "Capture": _obj(["authorization_id", "status"], authorization_id=_STR, status=_STR),
                "Authorization": _obj(["authorization_id", "status"], authorization_id=_STR, status=_STR),
                "CreditLine": _obj(
                    ["credit_line_id", "limit", "available", "held", "open_holds"],
                    credit_line_id=_STR,
                    limit=_INT,
                    available=_INT,
                    held=_INT,
                    open_holds=_INT,
                ),
            },
        },
    }
