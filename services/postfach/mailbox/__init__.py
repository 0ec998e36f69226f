"""The postfach service's mailbox part (ZBP-like, with Bekanntgabe); `part` is what services/postfach/app.py wires
in."""

from services.postfach.mailbox.wiring import MailboxPart

part = MailboxPart()
