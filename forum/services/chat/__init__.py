"""Live chat in rooms, with no knowledge of Socket.IO (committed messages leave as events).

Floors, lowest first: `memo` (rows one send reads several times), `badges` → `messages`
(rooms, history, send, delete) → `entry` (knocks, waiting room, participants), `guards` (send
guards) → `facilitation` (the facilitator's tools) → `review` (chat in the review queue). Callers
import the module they need, e.g. `from forum.services.chat import messages, facilitation`.
"""
