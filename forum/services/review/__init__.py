"""The moderators' desk over the shared review queue (`services/review_queue.py`).

Floors, lowest first: `claims`, `sanctions`, `inbox` (messages with the team) → `content`
(what an item shows) → `alerts` → `decisions` → `duty`, `stats`, `wellbeing`, `rule_quality`,
`audit_log`. Callers import the module they need, e.g.
`from forum.services.review import claims, decisions`.
"""
