"""The five Basisdienste; each is independent and reaches the others only over HTTP (kit.peers)."""
