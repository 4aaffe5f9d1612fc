"""Block list: never recommend listed items or items of listed genres.

Source: production practice, the business-rule filters of deployed recommenders (items withdrawn,
out of licence or unsuitable for an audience are removed after the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np

from recsys_core.config import param
from recsys_core.errors import ConfigError
from recsys_core.rerank.base import (
    Candidates,
    Phase,
    RerankContext,
    Reranker,
    RerankerConfig,
    register_reranker,
)
from recsys_core.types import BoolArray


@dataclass(frozen=True)
class BlocklistConfig(RerankerConfig):
    """Options of the block list: item ids and genre names to remove."""

    weight: float = param(
        0.0, "On when above 0: any weight removes every listed item (0: off).", min=0.0, max=1.0
    )
    items: tuple[str, ...] = param(
        (), "Raw item ids to remove (ids not in the catalogue are ignored).", element=str
    )
    genres: tuple[str, ...] = param(
        (), "Genre names whose items are removed (must be genres of the catalogue).", element=str
    )


@register_reranker
class Blocklist(Reranker):
    """Drop candidates whose raw id is listed or that have a listed genre.

    Item ids are matched against ``context.item_ids`` as strings; ids the catalogue lacks are
    ignored, so one list can serve several catalogues. A genre the catalogue lacks raises
    ``ConfigError`` naming the valid genres, since a typo there would silently block nothing.
    """

    name: ClassVar[str] = "blocklist"
    label: ClassVar[str] = "Block list"
    phase: ClassVar[Phase] = "filter"
    needs_options: ClassVar[bool] = True
    source: ClassVar[str] = "Production practice: business-rule block lists"
    config_class: ClassVar[type[RerankerConfig]] = BlocklistConfig

    _context: RerankContext | None = None
    blocked_: BoolArray | None = None

    def prepare(self, context: RerankContext) -> Self:
        """Resolve the list to (I,) blocked items once; unknown genres raise here."""
        self._blocked(context)
        return self

    def blocked_items(self, context: RerankContext) -> BoolArray:
        """(I,) True for catalogue items the list blocks."""
        blocked = np.isin(np.asarray(context.item_ids).astype(str), list(self.config.items))
        genres = list(self.config.genres)
        if not genres:
            return blocked
        if context.item_genres is None or not context.genre_names:
            raise ConfigError(
                f"blocklist genres {genres} cannot apply: this catalogue has no genres; "
                "leave the genres option empty"
            )
        unknown = [g for g in genres if g not in context.genre_names]
        if unknown:
            raise ConfigError(
                f"blocklist genres {unknown} are not genres of this catalogue; "
                f"choose from: {', '.join(context.genre_names)}"
            )
        columns = [context.genre_names.index(g) for g in genres]
        return blocked | (np.asarray(context.item_genres)[:, columns] > 0).any(axis=1)

    def drop(self, candidates: Candidates, context: RerankContext) -> BoolArray:
        """(B, N) True for real candidates that are blocked."""
        if not self.active:
            return np.zeros(candidates.item_idx.shape, dtype=bool)
        # A -1 pad reads the last item; ``valid`` masks it out again.
        return self._blocked(context)[candidates.item_idx] & candidates.valid

    def _blocked(self, context: RerankContext) -> BoolArray:
        """The (I,) blocked items of this context, resolved on first use."""
        if self._context is not context or self.blocked_ is None:
            self.blocked_, self._context = self.blocked_items(context), context
        return self.blocked_
