"""Testing against the suite: the pytest plugin (``harness.plugin``), the suite handle (in process or at a URL),
its emulator controls, and helpers that act as a real user over HTTP (``harness.actors``)."""
