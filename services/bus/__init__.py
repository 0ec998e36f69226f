"""BUS — Bürger- und Unternehmensservice: the service directory (PVOG-like) and the source of every Zuständigkeit."""
