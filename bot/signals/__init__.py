"""Social signal sources: one module per source, each a `SignalSource`."""
