"""Small pure helpers shared by the whole hub (no I/O, no heavy imports)."""
