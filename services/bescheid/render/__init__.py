"""Rendering Bescheide to PDF/A-3b from templates."""
