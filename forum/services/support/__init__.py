"""Talk to someone now: private support rooms with a peer supporter, and the crisis panel.

Floors, lowest first: `requests` (asking, answering, the fallback) → `crisis` (what the crisis
panel may truthfully say), `rooms` (the private room's rules in chat).

Callers import the module they need, e.g. `from forum.services.support import requests`.
"""
