"""Community measures: figures made only from whole weeks and groups large enough to show.

Floors, lowest first: `report` (the registry of figures, periods, the small-group rule and the
one report) → `charts`, `figures` → `checkins` (the consented weekly check-in), `feeds`.

Callers import the module they need, e.g. `from forum.services.measures import report`.
"""
