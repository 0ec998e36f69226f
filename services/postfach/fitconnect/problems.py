"""FIT-Connect's problem details (RFC 7807/9457): the Submission API names its problem types
``https://schema.fitko.de/fit-connect/submission-api/problems/<slug>``, and clients (the fitconnect SDK among
them) branch on that type, so every refusal of this part carries one."""

from typing import Any

from kit.problems import Problem

SUBMISSION_PROBLEMS = "https://schema.fitko.de/fit-connect/submission-api/problems/"
# Problems a subscriber (or the service) names inside a reject-submission SET.
EVENT_PROBLEMS = "https://schema.fitko.de/fit-connect/events/problems/"

_TITLES = {
    "destination-not-found": "Destination not found",
    "destination-state-invalid": "Destination state invalid",
    "submission-not-found": "Submission not found",
    "submission-state-invalid": "Submission state invalid",
    "attachment-not-found": "Attachment not found",
    "attachment-already-uploaded": "Attachment already uploaded",
    "duplicate-attachment-ids": "Duplicate attachment ids",
    "missing-attachments": "Missing attachments",
    "invalid-jwe": "Invalid JWE",
    "invalid-content-type": "Invalid content type",
    "unsupported-media-type": "Unsupported media type",
    "service-type-not-allowed": "Service type not allowed",
    "case-not-found": "Case not found",
    "invalid-event": "Invalid event",
    "event-replayed": "Event replayed",
    "reply-not-found": "Reply not found",
    "reply-channel-not-allowed": "Reply channel not allowed",
    "key-not-found": "Key not found",
    "missing-authentication": "Missing authentication",
    "invalid-authentication": "Invalid authentication",
    "insufficient-privileges": "Insufficient privileges",
    "too-many-requests": "Too many requests",
    "validation-error": "Validation error",
    "destination-unavailable": "Destination unavailable",
}


def fc_problem(status: int, slug: str, detail: str, *, headers: dict[str, str] | None = None,
               **extensions: Any) -> Problem:
    return Problem(status, detail, type_=SUBMISSION_PROBLEMS + slug, title=_TITLES.get(slug, slug),
                   headers=headers, **extensions)


def not_found(kind: str, identifier: str) -> Problem:
    return fc_problem(404, f"{kind}-not-found", f"The {kind} {identifier} does not exist or is not yours to see.")


def forbidden(detail: str) -> Problem:
    return fc_problem(403, "insufficient-privileges", detail)
