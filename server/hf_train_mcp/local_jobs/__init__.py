"""local_jobs capability."""
