"""Messages between instances and their trace context.

spigo's protocol ("impositions") is kept where it carries meaning: requests (GetRequest), the
responses that answer them (GetResponse), writes (Put), replication between storage nodes
(Replicate), and the pirates' social messages (NameDrop, GoldCoin). Each message carries a trace
context of three ids, trace, parent and span, as Dapper and Zipkin do; ids come from one counter
per run, so they are deterministic.
"""

from __future__ import annotations

from typing import Any

HELLO = 0
NAME_DROP = 1
CHAT = 2
GOLD_COIN = 3
INFORM = 4
GET = 5
RESPONSE = 6
PUT = 7
REPLICATE = 8
FORGET = 9
DELETE = 10
GOODBYE = 11

KIND_NAMES = (
    "Hello",
    "NameDrop",
    "Chat",
    "GoldCoin",
    "Inform",
    "GetRequest",
    "GetResponse",
    "Put",
    "Replicate",
    "Forget",
    "Delete",
    "Goodbye",
)


class Message:
    """One message in flight.

    ``link`` ties messages together: for a request sent on behalf of another request it is that
    upstream request; for a response it is the request it answers. ``reply_to`` is the instance
    a response must go to (it differs from ``sender`` when Cassandra forwards to a key's owner).
    """

    __slots__ = (
        "client",
        "error",
        "key",
        "kind",
        "link",
        "parent",
        "reply_bytes",
        "reply_to",
        "sender",
        "sent",
        "span",
        "target",
        "trace",
        "value",
        "work",
    )

    def __init__(
        self,
        kind: int,
        sender: Any,
        target: Any,
        trace: int,
        parent: int,
        span: int,
        key: str = "",
        value: Any = "",
        link: Message | None = None,
        reply_to: Any = None,
    ) -> None:
        self.kind = kind
        self.sender = sender
        self.target = target
        self.trace = trace
        self.parent = parent
        self.span = span
        self.key = key
        self.value = value
        self.link = link
        self.reply_to = sender if reply_to is None else reply_to
        self.sent = 0.0
        #: the size of the answer the caller expects (bytes on the wire back)
        self.reply_bytes = 0
        #: a response's error ("" when it succeeded)
        self.error = ""
        #: for a request: the caller's work waiting for the answer (None when nobody waits)
        self.work: Any = None
        #: for a request: the caller's CLIENT span, when spans are being collected
        self.client: Any = None

    @property
    def kind_name(self) -> str:
        """Spigo's name for the message type."""
        return KIND_NAMES[self.kind]

    @property
    def context(self) -> str:
        """Spigo's printed trace context, ``t<trace>p<parent>s<span>``."""
        return f"t{self.trace}p{self.parent}s{self.span}"
