"""Bescheide: creation from a template and data, numbering, listing, batch jobs."""
