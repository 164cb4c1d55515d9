"""Code every function imports: config, errors, logging, clients, token checks."""
