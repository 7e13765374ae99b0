"""The pure domain core: no I/O, no Google JSON, no clock reads."""
