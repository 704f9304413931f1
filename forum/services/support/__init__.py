"""Talk to someone now: private support rooms with a peer supporter, and the crisis panel.

Floors, lowest first: `requests` (asking, answering, the fallback) → `rooms` (the private room's
rules in chat) → `crisis` (what the crisis panel may truthfully say). Callers import the module
they need, e.g. `from forum.services.support import requests`.
"""
