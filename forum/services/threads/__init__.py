"""Threads: boards, threads and posts, and what grows around them.

Floors, lowest first: `boards`, `mentions` → `reading` (who may see what) → `posts` (write,
edit, screen, hold) → `reactions`, `reports`, `notifications` → `page` (one thread page),
`search`, `home_feed` → `privacy` (a member's posts in export and deletion). Callers import the
module they need, e.g. `from forum.services.threads import posts, reading`.
"""
