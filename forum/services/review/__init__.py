"""The moderators' desk over the shared review queue (`services/review_queue.py`).

Floors, lowest first: `audit_log`, `claims`, `inbox` (messages with the team), `rule_quality` →
`content` (what an item shows), `duty`, `sanctions`, `stats` → `alerts`, `wellbeing` →
`decisions`.

Callers import the module they need, e.g. `from forum.services.review import claims, decisions`.
"""
