"""The sandbox's ISO 8583 POS host: 0800 echo, 0100 authorization and balance, 0400 reversal.

An asyncio TCP server; each terminal connection is served by its own task, one message at a
time. ``pos_host`` front faults act here; the decision itself is ``sandbox.decision``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from paywatch.config import SandboxTerminal
from paywatch.iso8583 import CodecError, FrameError, Message, decode, encode, read_frame, write_frame
from sandbox.decision import AuthRequest, DecisionEngine
from sandbox.faults import LOST_ANSWER_EFFECTS, ActiveFault, Channel, Effect, FaultRegistry, Target

__all__ = ["BALANCE_PROCESSING_CODE", "FRAME_TIMEOUT_S", "MALFORMED_FRAME", "IsoHost", "additional_amount"]

BALANCE_PROCESSING_CODE = "310000"
MALFORMED_FRAME = b"0110ZZZZ-not-an-iso-8583-message"
"""Body sent for a ``malformed`` fault: the MTI reads, the bitmap does not."""
FRAME_TIMEOUT_S = 10.0
"""A frame must be complete this long after its first byte; a terminal stalled inside one is disconnected."""
_REQUEST_MTIS = ("0100", "0400", "0800")
_AUTH_REQUIRED = ("2", "3", "4", "11", "14", "41", "42", "49")
_AUTH_ECHO = ("3", "4", "7", "11", "41", "42", "49")


def additional_amount(available: int) -> str:
    """Field 54: account type 00, amount type 02 (available), currency 156, credit sign, 12 digits."""
    return f"0002156C{max(available, 0):012d}"


def _answer_mti(mti: str) -> str:
    return mti[:2] + str(int(mti[2]) + 1) + mti[3]


@dataclass(frozen=True, slots=True)
class _Reply:
    body: bytes | None
    close: bool = False


class IsoHost:
    def __init__(self, engine: DecisionEngine, faults: FaultRegistry, terminals: dict[str, SandboxTerminal]) -> None:
        self.engine = engine
        self.faults = faults
        self.terminals = terminals
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.address: tuple[str, int] = ("", 0)
        self.frame_timeout_s = FRAME_TIMEOUT_S

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._serve, host, port, backlog=1024)
        sockname = self._server.sockets[0].getsockname()
        self.address = (sockname[0], sockname[1])
        return self.address

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    @property
    def connections(self) -> int:
        return len(self._connections)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    # idle terminals may wait as long as they like; a begun frame may not
                    body = await read_frame(reader, self.frame_timeout_s)
                except (FrameError, ConnectionError):
                    break  # a length prefix we cannot trust: nothing after it can be framed either
                if body is None:
                    break
                reply = await self.handle(body)
                if reply.close:
                    writer.transport.abort()
                    break
                if reply.body is not None:
                    await write_frame(writer, reply.body)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def handle(self, body: bytes) -> _Reply:
        """One frame body in, the reply out (or none, or close the connection)."""
        try:
            message = decode(body)
        except CodecError:
            mti = body[:4].decode("ascii", "replace")
            if mti in _REQUEST_MTIS:
                return _Reply(encode({"t": _answer_mti(mti), "39": "30"}))
            return _Reply(None, close=True)
        mti = message["t"]
        if mti not in _REQUEST_MTIS:
            if mti.isdigit() and mti[2] in "02468":
                return _Reply(encode({"t": _answer_mti(mti), "39": "30"}))
            return _Reply(None, close=True)
        terminal = self.terminals.get(message.get("41", ""))
        region = terminal.region if terminal else None
        fault = self.faults.pick(Target.POS_HOST, Channel.POS, region)
        front: ActiveFault | None = None
        lost: Effect | None = None
        if fault is not None:
            if fault.spec.effect is Effect.LATENCY:
                await asyncio.sleep(fault.spec.latency_s)
            elif fault.spec.effect in LOST_ANSWER_EFFECTS:
                lost = fault.spec.effect
            else:
                front = fault
        if mti == "0800":
            answer, inner_lost = self._echo(message, front), None
        elif mti == "0100":
            answer, inner_lost = await self._authorization(message, front, region)
        else:
            answer, inner_lost = await self._reversal(message, front, region)
        lost = lost or inner_lost
        if lost is Effect.TIMEOUT:
            return _Reply(None)
        if lost is Effect.RESET:
            return _Reply(None, close=True)
        if lost is Effect.MALFORMED:
            return _Reply(MALFORMED_FRAME)
        try:
            return _Reply(encode(answer))
        except CodecError:
            return _Reply(encode({"t": answer["t"], "39": "30"}))

    @staticmethod
    def _front_code(front: ActiveFault | None) -> str | None:
        if front is None:
            return None
        return front.spec.code if front.spec.effect is Effect.DECLINE else "96"

    def _echo(self, message: Message, front: ActiveFault | None) -> Message:
        answer: Message = {k: message[k] for k in ("7", "11", "41", "70") if k in message}
        return {"t": "0810", **answer, "39": self._front_code(front) or "00"}

    async def _authorization(
        self, message: Message, front: ActiveFault | None, region: str | None
    ) -> tuple[Message, Effect | None]:
        answer: Message = {"t": "0110", **{k: message[k] for k in _AUTH_ECHO if k in message}}
        if any(k not in message for k in _AUTH_REQUIRED) or not message["4"].isdigit():
            return {**answer, "39": "30"}, None
        request = AuthRequest(
            channel=Channel.POS,
            pan=message["2"],
            expiry=message["14"],
            amount=int(message["4"]),
            currency=message["49"],
            merchant_id=message["42"],
            region=region,
            terminal_id=message["41"],
            pos_key=(message["41"], message["11"], message.get("7", ""), message["2"]),
        )
        if message["3"] == BALANCE_PROCESSING_CODE:
            balance = await self.engine.balance(request, front)
            answer["37"] = self.engine.ledger.next_rrn()
            answer["39"] = balance.response_code
            if balance.available is not None:
                answer["54"] = additional_amount(balance.available)
            return answer, balance.lost
        decision = await self.engine.authorize(request, front)
        authorization = decision.authorization
        answer["37"] = authorization.rrn
        answer["39"] = authorization.response_code
        if authorization.auth_code:
            answer["38"] = authorization.auth_code
        if decision.available is not None and authorization.response_code in ("00", "51"):
            answer["54"] = additional_amount(decision.available)
        return answer, decision.lost

    async def _reversal(
        self, message: Message, front: ActiveFault | None, region: str | None
    ) -> tuple[Message, Effect | None]:
        answer: Message = {"t": "0410", **{k: message[k] for k in ("11", "41", "90") if k in message}}
        original = message.get("90", "")
        if len(original) != 42 or any(k not in message for k in ("2", "11", "41")):
            return {**answer, "39": "30"}, None
        code = self._front_code(front)
        if code is not None:
            return {**answer, "39": code}, None
        authorization = self.engine.ledger.pos_authorization(
            message["41"], original[4:10], original[10:20], message["2"]
        )
        if authorization is None:
            # nothing was held under that original: the reversal is accepted so terminals stop retrying
            return {**answer, "39": "00"}, None
        step = await self.engine.reverse(authorization, Channel.POS, region)
        return {**answer, "39": step.refused_code or "00"}, step.lost
