from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sitechat.realtime.protocol import ClientMsgId, ConversationOut, MessageOut

StatusFilter = Literal["open", "pending", "resolved", "snoozed", "all"]


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    has_more: bool


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, Field(min_length=1)]
    client_msg_id: ClientMsgId | None = None
    # An internal note: agents see it, the visitor never does.
    note: bool = False


class StartIn(SendIn):
    """An agent starts a conversation with a visitor (e.g. from the live list)."""

    visitor_id: Annotated[str, Field(min_length=1, max_length=40)]


class SendOut(BaseModel):
    conversation_id: str
    created: bool
    message: MessageOut


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: Annotated[str, Field(min_length=1, max_length=40)] | None


class TransferIn(BaseModel):
    """To an agent or to a team (one of the two), with a note the receiver sees."""

    model_config = ConfigDict(extra="forbid")
    agent_id: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    team_id: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    note: Annotated[str, Field(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.agent_id is None) == (self.team_id is None):
            raise ValueError("give agent_id or team_id (one of the two)")
        if self.note is not None:
            self.note = self.note.strip() or None
        return self


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # With a time zone; in the future, at most a year ahead.
    until: datetime


class PriorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: Literal["normal", "urgent"]


class FilterCount(BaseModel):
    conversations: int
    # Messages the agents have not read yet, summed over those conversations.
    unread: int


class CountsOut(BaseModel):
    mine: FilterCount
    unassigned: FilterCount
    all: FilterCount
