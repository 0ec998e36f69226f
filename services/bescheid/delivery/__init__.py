"""Delivery of sealed Bescheide into the citizen's Postfach (ZBP message_v6, contract C1)."""
