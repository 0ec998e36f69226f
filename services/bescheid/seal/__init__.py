"""PAdES sealing (ETSI EN 319 142-1 baseline levels) and verification of sealed PDFs."""
