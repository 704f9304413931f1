"""Live chat in rooms, with no knowledge of Socket.IO (committed messages leave as events).

Floors, lowest first: `badges`, `memo` (rows one send reads several times) → `messages` (rooms,
history, send, delete) → `facilitation` (the facilitator's tools), `review` (chat in the review
queue) → `entry` (knocks, waiting room, participants) → `guards` (send guards).

Callers import the module they need, e.g. `from forum.services.chat import messages,
facilitation`.
"""
