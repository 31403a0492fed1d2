"""Value types, errors, weird names, named limits and configuration shared by every stage."""
