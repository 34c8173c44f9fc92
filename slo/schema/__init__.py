"""JSON Schemas of the formats the loaders read: the toolkit's own YAML, OpenSLO, Sloth and Pyrra."""
