"""What every app may import: the domain errors, the table writer, and the small helpers
that map errors onto forms and HTTP. Depends on Django and DRF only, never on an app."""
