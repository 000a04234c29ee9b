"""pentameter."""
