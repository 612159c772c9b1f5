"""HTTP translation only: one module per endpoint group; the logic lives one level up."""
