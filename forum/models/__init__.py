"""SQLAlchemy models. Importing this package registers every table with the metadata."""

from .audit import AuditEvent
from .chat import ChatMessage
from .community import Board, Room
from .guidelines import GuidelinesVersion
from .moderation_team import (
    Appeal,
    DutyPeriod,
    ItemView,
    QueueSnapshot,
    ReviewDecision,
    Sanction,
    Shift,
    TeamMessage,
)
from .review import ReviewItem
from .room_controls import RoomControl, RoomParticipant
from .screening import PendingRescreen
from .threads import (
    Milestone,
    Notification,
    Post,
    PostRevision,
    Reaction,
    Report,
    Thread,
    ThreadRead,
)
from .user import ROLES, Mute, PseudonymHistory, RecoveryCode, RoleGrant, TrainingRecord, User

__all__ = [
    "Appeal",
    "DutyPeriod",
    "ItemView",
    "QueueSnapshot",
    "ReviewDecision",
    "Sanction",
    "Shift",
    "TeamMessage",
    "ROLES",
    "AuditEvent",
    "Board",
    "ChatMessage",
    "GuidelinesVersion",
    "Milestone",
    "Mute",
    "Notification",
    "PendingRescreen",
    "Post",
    "PostRevision",
    "PseudonymHistory",
    "Reaction",
    "RecoveryCode",
    "Report",
    "ReviewItem",
    "RoleGrant",
    "Room",
    "RoomControl",
    "RoomParticipant",
    "Thread",
    "ThreadRead",
    "TrainingRecord",
    "User",
]
