"""Steps of the program timeline: each uses the domain through ports, and is idempotent."""
