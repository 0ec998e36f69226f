"""The FIT-Connect metadata schema (1.0.0 and 2.1.0) that a subscriber validates decrypted metadata against."""
