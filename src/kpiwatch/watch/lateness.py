"""How late checks start against their schedule: the last ``size`` samples, in seconds.

The run loop records, for every check it starts, the time between the slot the scheduler
gave it and the moment the check began. A fixed ring of floats keeps memory flat however
long the server runs; ``percentile`` answers over what the ring holds.
"""

from __future__ import annotations

import math
from array import array


class Lateness:
    def __init__(self, size: int = 100_000) -> None:
        self._samples = array("d", bytes(8 * size))
        self._size = size
        self.count = 0

    def add(self, seconds: float) -> None:
        self._samples[self.count % self._size] = seconds
        self.count += 1

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile (nearest rank) of the kept samples; None without any."""
        held = sorted(self._samples[: min(self.count, self._size)])
        if not held:
            return None
        rank = max(math.ceil(q / 100 * len(held)), 1)
        return held[rank - 1]
