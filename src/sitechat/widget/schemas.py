from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sitechat.websites.schemas import Appearance


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visitor_key: Annotated[str, Field(max_length=512)] | None = None


class WidgetWebsite(BaseModel):
    id: str
    name: str
    appearance: Appearance


class ConfigOut(BaseModel):
    website: WidgetWebsite
    visitor_id: str
    visitor_key: str
    token: str
    token_expires_in: int
    ws_url: str
    agents_online: bool
