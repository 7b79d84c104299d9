"""CMC regulatory-readiness for cell and gene therapy programs: data contract, checks, findings, report."""

__version__ = "0.1.0"
