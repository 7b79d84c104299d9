"""The lenses: each module evaluates one CMC failure pattern for every program at once."""

from . import baseline

LENS_MODULES = (baseline,)
