"""Frontend: serves the operator dashboard (React, built with Vite)."""
