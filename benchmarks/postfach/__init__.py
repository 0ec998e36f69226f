"""Postfach benchmarks: ``python -m benchmarks.postfach.mailbox`` (ZBP deliveries) and
``python -m benchmarks.postfach.fitconnect`` (FIT-Connect submissions); see benchmarks/postfach/README.md."""
