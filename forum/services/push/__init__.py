"""Notifications on members' devices (Web Push).

Floors, lowest first: `keys` (the server's VAPID keys), `outbox` (what is queued),
`subscriptions` (devices and preferences) → `delivery` (sending, retries).

Callers import the module they need, e.g. `from forum.services.push import outbox`.
"""
