"""Submissions (Einreichungen) of the Submission API v1 and v2: announce, upload attachments, submit, fetch."""
