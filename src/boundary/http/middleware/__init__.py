"""HTTP shell: plain-ASGI middleware for the API edge (composed in `boundary.http.edge`)."""
