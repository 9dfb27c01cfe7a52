"""libCST codemods, one per pattern, driven by findings."""
