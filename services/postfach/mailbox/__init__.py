"""The postfach service's mailbox part; `part` is what services/postfach/app.py wires in."""

from services.postfach.parts import ServicePart

part = ServicePart(name="mailbox")
