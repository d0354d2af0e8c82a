"""The signature zone: where on a deskewed cheque the signature is looked for.

Settings, the branch service and the screens import it from :mod:`desktop.core.signature.cheque`,
which re-exports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SignatureZone:
    """Where the signature is expected: a rectangle relative to the deskewed page, in [0, 1]."""

    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        for name in ("x", "y", "w", "h"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ValueError(f"signature zone {name} must be a finite number, not {v!r}")
        if not (0.0 <= self.x < 1.0 and 0.0 <= self.y < 1.0):
            raise ValueError(
                f"signature zone origin ({self.x}, {self.y}) must lie inside the page "
                "(each between 0 and 1)"
            )
        if not (0.0 < self.w <= 1.0 and 0.0 < self.h <= 1.0):
            raise ValueError(
                f"signature zone size {self.w} x {self.h} must be positive and at most 1"
            )
        if self.x + self.w > 1.0 + 1e-9 or self.y + self.h > 1.0 + 1e-9:
            raise ValueError(
                f"signature zone (x={self.x}, y={self.y}, w={self.w}, h={self.h}) extends past "
                "the page: x + w and y + h must be at most 1"
            )

    def to_dict(self) -> dict[str, float]:
        """Plain form for settings files: ``{"x": .., "y": .., "w": .., "h": ..}``."""
        return {"x": float(self.x), "y": float(self.y), "w": float(self.w), "h": float(self.h)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SignatureZone:
        """Rebuild from :meth:`to_dict`'s form; ``ValueError`` for missing/extra keys or values."""
        keys = {"x", "y", "w", "h"}
        missing, extra = sorted(keys - set(d)), sorted(set(d) - keys)
        if missing or extra:
            raise ValueError(
                "a signature zone needs exactly the keys x, y, w, h"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(extra)}" if extra else "")
            )
        try:
            return cls(**{k: float(d[k]) for k in ("x", "y", "w", "h")})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid signature zone {d!r}: {exc}") from None

    def describe(self) -> str:
        """``x=0.55, y=0.53, w=0.43, h=0.35`` (for messages)."""
        return f"x={self.x:.2f}, y={self.y:.2f}, w={self.w:.2f}, h={self.h:.2f}"


# Measured on training.signature.cheques: the signature line spans x 0.57-0.96 at y 0.78, signatures
# reach up to 0.26 of the page height above it and a few percent below; the amount-in-words
# line (y 0.49) stays above the zone and the code line (y ~0.91-0.95) below it.
DEFAULT_ZONE = SignatureZone(x=0.55, y=0.53, w=0.43, h=0.35)
