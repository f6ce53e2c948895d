"""Engine modules, one per file, named for the work they own."""
