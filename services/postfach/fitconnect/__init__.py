"""The postfach service's fitconnect part; `part` is what services/postfach/app.py wires in."""

from services.postfach.parts import ServicePart

part = ServicePart(name="fitconnect")
