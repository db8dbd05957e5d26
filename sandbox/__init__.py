"""paywatch sandbox: the reference payment system with fault injection and organic traffic.

``start_sandbox`` runs the HTTP card API, the ISO 8583 POS host and the admin API in-process.
"""

from sandbox.faults import ActiveFault, Channel, Effect, FaultError, FaultRegistry, FaultSpec, Target
from sandbox.ledger import Authorization, AuthStatus, Card, CardStatus, CreditLine, Ledger
from sandbox.server import EVENT_LOG_NAME, RunningSandbox, default_event_log, start_sandbox

__all__ = [
    "EVENT_LOG_NAME",
    "ActiveFault",
    "AuthStatus",
    "Authorization",
    "Card",
    "CardStatus",
    "Channel",
    "CreditLine",
    "Effect",
    "FaultError",
    "FaultRegistry",
    "FaultSpec",
    "Ledger",
    "RunningSandbox",
    "Target",
    "default_event_log",
    "start_sandbox",
]
