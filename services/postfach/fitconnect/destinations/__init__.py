"""FIT-Connect destinations (Zustellpunkte): who receives submissions, with which keys and services."""
