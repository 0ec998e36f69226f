"""Postfach: citizen and company mailbox (ZBP-like), FIT-Connect transport, provable Bekanntgabe."""
