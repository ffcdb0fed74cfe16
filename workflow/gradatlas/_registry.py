"""A registry that maps a stable lowercase slug to each interchangeable part.

The slug is what appears in config files, result paths and NetCDF coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


class UnknownSlugError(KeyError):
    """An unknown slug; the message lists the valid ones."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want plain text
        return str(self.args[0])


class DuplicateSlugError(ValueError):
    """A slug registered twice."""

    def __init__(self, kind: str, slug: str):
        super().__init__(f"duplicate {kind} slug {slug!r}")
        self.slug = slug


class Registry(Generic[T]):
    """Slug -> part. Duplicate slugs and malformed slugs are errors."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, slug: str, item: T) -> T:
        if not _SLUG.match(slug):
            raise ValueError(
                f"{self.kind} slug {slug!r} must be lowercase snake_case "
                "(letters, digits, underscores; starting with a letter)"
            )
        if slug in self._items:
            raise DuplicateSlugError(self.kind, slug)
        self._items[slug] = item
        return item

    def unregister(self, slug: str) -> None:
        """Remove a part (tests that register a throw-away part clean up with this)."""
        self._items.pop(slug, None)

    def __getitem__(self, slug: str) -> T:
        try:
            return self._items[slug]
        except KeyError:
            raise UnknownSlugError(
                f"unknown {self.kind} {slug!r}; valid {self.kind}s are: " + ", ".join(sorted(self._items))
            ) from None

    def __contains__(self, slug: object) -> bool:
        return slug in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def slugs(self) -> list[str]:
        return list(self._items)
