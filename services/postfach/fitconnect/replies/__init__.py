"""The reply channel over FIT-Connect: the authority answers a bidirectional submission with an end-to-end
encrypted reply (encrypted for the key the sender put into its metadata's ``replyChannel.fitConnect``), which
the sender picks up."""
