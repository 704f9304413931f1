"""SQLAlchemy models. Importing this package registers every table with the metadata."""

from .audit import AuditEvent
from .chat import ChatMessage
from .community import Board, Room
from .guidelines import GuidelinesVersion
from .jobs import JobLease
from .measurement import CheckinAnswer, CheckinConsent
from .meetings import AttendanceMark, Meeting, MeetingReminder, MeetingSession
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
from .push import PushMessage, PushPreferences, PushSubscription
from .review import ReviewItem
from .room_controls import RoomControl, RoomParticipant
from .screening import PendingRescreen
from .sign_in import FACTOR_METHODS, BackupCode, PasskeyCredential, SignIn, TotpFactor
from .support import SupportRequest
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
from .user import (
    ROLES,
    Mute,
    PseudonymHistory,
    RecoveryCode,
    RememberToken,
    RoleGrant,
    TrainingRecord,
    User,
)

__all__ = [
    "FACTOR_METHODS",
    "BackupCode",
    "PasskeyCredential",
    "SignIn",
    "TotpFactor",
    "Appeal",
    "DutyPeriod",
    "ItemView",
    "QueueSnapshot",
    "ReviewDecision",
    "Sanction",
    "Shift",
    "TeamMessage",
    "ROLES",
    "AttendanceMark",
    "AuditEvent",
    "Board",
    "ChatMessage",
    "CheckinAnswer",
    "CheckinConsent",
    "GuidelinesVersion",
    "JobLease",
    "Meeting",
    "MeetingReminder",
    "MeetingSession",
    "Milestone",
    "Mute",
    "Notification",
    "PendingRescreen",
    "Post",
    "PostRevision",
    "PseudonymHistory",
    "PushMessage",
    "PushPreferences",
    "PushSubscription",
    "Reaction",
    "RecoveryCode",
    "RememberToken",
    "Report",
    "ReviewItem",
    "RoleGrant",
    "Room",
    "SupportRequest",
    "RoomControl",
    "RoomParticipant",
    "Thread",
    "ThreadRead",
    "TrainingRecord",
    "User",
]
