"""Bescheid: Notices rendered to PDF, sealed with PAdES under a test PKI, and delivered to the Postfach."""
