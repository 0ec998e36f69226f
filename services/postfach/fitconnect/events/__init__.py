"""The event log of a case: Security Event Tokens (RFC 8417) signed PS512 by the delivery service or by the
subscriber of the destination."""
