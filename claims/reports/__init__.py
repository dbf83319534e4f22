"""The contradiction report (contradictions: JSON, CSV, HTML, PDF, weekly editions) and its
charts (charts: value intervals and timelines as SVG)."""
