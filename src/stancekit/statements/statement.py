"""Statements: the unit of analysis, a sentence or a quotation, with exact offsets, its speaker and its target."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Speaker(BaseModel):
    """Who made a statement, as the text states it."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="The speaker as named in the text, e.g. 'John Godfrey', 'the ministers'.")
    role: str | None = Field(
        default=None,
        description="Role where given, e.g. 'acting US special envoy to the Defeat IS coalition'.",
    )


class Target(BaseModel):
    """The span naming whom or what a statement is about (who is condemned, supported, threatened or mourned;
    what is committed or called for). Offsets are into the document, like the statement's own."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str = Field(min_length=1)


class Statement(BaseModel):
    """One statement of a document. ``document[start:end] == text`` always holds."""

    model_config = ConfigDict(frozen=True)

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    kind: Literal["sentence", "quotation"] = "sentence"
    speaker: Speaker | None = Field(default=None, description="None when the text does not say who.")
    target: Target | None = Field(
        default=None,
        description="Whom or what the statement is about, where a rule over the parse finds it; None otherwise.",
    )
