"""What every preprocessing contract shares: a name and version, and its manifest form.

A contract is a frozen dataclass of parameters; the model's manifest records
:meth:`PreprocessingContract.to_dict` and the runtime rebuilds the same object with
:meth:`PreprocessingContract.from_dict`, refusing another contract, another version or
parameters it does not know.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, ClassVar, TypeVar

C = TypeVar("C", bound="PreprocessingContract")


class PreprocessingContract:
    """Mixin for a frozen dataclass of contract parameters; subclasses set NAME and VERSION."""

    NAME: ClassVar[str]
    VERSION: ClassVar[int]

    def to_dict(self) -> dict[str, Any]:
        """Manifest form: the contract's name and version plus every parameter."""
        return {"name": self.NAME, "version": self.VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """Rebuild from a manifest; raises ``ValueError`` for another contract or unknown keys."""
        data = dict(data)
        name, version = data.pop("name", None), data.pop("version", None)
        if name != cls.NAME or version != cls.VERSION:
            raise ValueError(
                f"preprocessing {name!r} version {version!r} is not supported "
                f"(this app implements {cls.NAME!r} version {cls.VERSION})"
            )
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown preprocessing parameters: {', '.join(unknown)}")
        return cls(**data)
