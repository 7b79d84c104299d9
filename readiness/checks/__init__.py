"""The lenses: each module evaluates one CMC failure pattern for every program at once."""

from . import baseline, potency, changes, materials, process_control

LENS_MODULES = (baseline, potency, changes, materials, process_control)
