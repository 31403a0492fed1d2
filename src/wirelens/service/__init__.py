"""Read-side operations shared by every front end (CLI now; web, report and MCP later)."""
