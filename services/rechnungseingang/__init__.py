"""Rechnungseingang: Central e-invoice intake: XRechnung/ZUGFeRD, KoSIT-equivalent validation, Leitweg-ID routing."""
